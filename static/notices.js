// Messages around the drawing: the bug banner, diagnostics, why a view is not drawn, what the
// program printed, and short-lived notes (toasts).

import { byTestId } from "./dom.js";

const $ = byTestId;

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

/**
 * What a bug mode does (`words`: the engine's sentence for it, from the language reference, or
 * null before that has arrived), and how many gradients it changed.
 */
export function showBugBanner(graph, words) {
  const banner = $("bug-banner");
  document.body.classList.toggle("bug-mode", graph.mode !== "correct");
  if (graph.mode === "correct") {
    banner.hidden = true;
    return;
  }
  const differs = graph.compare?.differs?.length ?? 0;
  banner.textContent = `Bug: ${graph.mode.replaceAll("_", " ")}.${words ? ` ${words}` : ""} ${differs === 0
    ? "Here no gradient differs from the correct one."
    : `${differs} ${differs === 1 ? "gradient differs" : "gradients differ"}: each is marked ≠, with the correct value pinned below, once it is final.`}`;
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
