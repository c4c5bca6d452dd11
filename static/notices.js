// Messages around the drawing: the bug banner, diagnostics, why a view is not drawn, what the
// program printed, and short-lived notes (toasts).

const MODE_WORDS = {
  overwrite: "Bug: overwrite. A node used more than once keeps only its last contribution (grad = c instead of grad += c).",
  no_unbroadcast: "Bug: no unbroadcast. Contributions to broadcast inputs are not summed back to the input's shape.",
  alias: "Bug: alias. Gradients are stored by reference and added in place, so arrays that happen to be shared all change together.",
};

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

/** The server's notes on a graph and its view, under the editor. */
export function showDiagnostics(model) {
  const graph = model.graph;
  const list = document.querySelector(".diagnostics");
  const messages = [...(graph.diagnostics?.messages ?? [])];
  if (model.view.reason) messages.unshift(`Shown more closed than asked: ${model.view.reason}`);
  if (graph.reduced?.length) messages.push(`Left out to keep the answer small: ${graph.reduced.join("; ")}.`);
  if (graph.seeded_with_ones) messages.push("The root is not a scalar: backward starts from a gradient of ones.");
  list.replaceChildren(...messages.map((m) => {
    const li = document.createElement("li");
    li.textContent = m;
    return li;
  }));
  list.hidden = messages.length === 0;
}

/** When the server could not lay out a view, the pane says why instead of drawing it. */
export function showLayoutMissing(model) {
  const note = $("layout-missing");
  const missing = !model.graph.layout;
  note.hidden = !missing;
  if (missing) {
    const why = [model.graph.layout_reason, model.view.reason].filter(Boolean).join("; ");
    note.textContent = `No drawing of this view${why ? `: ${why}` : ""}. Close some groups, or step through it with the captions below.`;
  }
}

/** What the program printed, under the editor; hidden when it printed nothing. */
export function showOutput(lines) {
  const panel = $("output");
  panel.querySelector("pre").textContent = lines.join("\n");
  panel.hidden = lines.length === 0;
}

/** What a bug mode does, and how many gradients it changed. */
export function showBugBanner(graph) {
  const banner = $("bug-banner");
  document.body.classList.toggle("bug-mode", graph.mode !== "correct");
  if (graph.mode === "correct" || !MODE_WORDS[graph.mode]) {
    banner.hidden = true;
    return;
  }
  const differs = graph.compare?.differs?.length ?? 0;
  banner.textContent = `${MODE_WORDS[graph.mode]} ${differs === 0
    ? "Here no gradient differs from the correct one."
    : `${differs} ${differs === 1 ? "gradient differs" : "gradients differ"} (marked ≠, the correct value pinned below).`}`;
  banner.hidden = false;
}

/** A note that goes away by itself. */
export function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    el.hidden = true;
  }, 4000);
}
