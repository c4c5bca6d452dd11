// Wiring: the page's state, and which module hears about what. Each module does one job.

import { fetchExamples, fetchGraph } from "./api.js";
import { Controls } from "./controls.js";
import { Editor } from "./editor.js";
import { download, copyText, pngBlob, svgMarkup } from "./export.js";
import { Flow, backwardMoves, forwardMoves } from "./flow.js";
import { GraphView } from "./graph-view.js";
import { Inspector } from "./inspector.js";
import { caption } from "./narrate.js";
import { Player } from "./player.js";
import { isPresenting, setPresenter, watchFullscreen } from "./presenter.js";
import { buildModel, stateAt, stepCount } from "./steps.js";
import { initTheme, toggleTheme } from "./theme.js";
import { permalink, readUrlState, writeUrlState } from "./url-state.js";

const FALLBACK_SOURCE = "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)";
const PRESENTER_MIN_TEXT_PX = 26; // at least 24 px on screen, with a margin for rounding
const READABLE_TEXT_PX = 9; // a graph opens no smaller than this (the "fit" button goes below)
const URL_WRITE_DELAY_MS = 150;
const MODE_WORDS = {
  overwrite: "Bug: overwrite. A node used more than once keeps only its last contribution (grad = c instead of grad += c).",
  no_unbroadcast: "Bug: no unbroadcast. Contributions to broadcast inputs are not summed back to the input's shape.",
  alias: "Bug: alias. Gradients are stored by reference and added in place, so arrays that happen to be shared all change together.",
};

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const body = document.body;

const state = {
  source: "",
  mode: "correct",
  direction: "backward",
  gradcheck: false,
  examples: [],
  model: null,
  signature: null,
  request: 0,
  selected: null,
  // "readable": all of the graph, or a readable part around the firing node; "whole": all of it
  // however small ("fit"); both follow the window's size. "user": panned or zoomed by hand.
  view: "readable",
  graphs: 0,
};

const view = new GraphView($("graph"));
const flow = new Flow(view);
const player = new Player();
const inspector = new Inspector($("inspector"), { onClose: () => select(null) });
const editor = new Editor(document.querySelector(".editor"), {
  onRun: () => run({ step: "edit" }),
  onEdit: () => {
    body.dataset.ready = "false";
    showExampleFor(editor.value);
  },
});

const controls = new Controls({
  togglePlay: () => player.toggle(),
  next: () => {
    player.pause();
    player.next();
  },
  prev: () => {
    player.pause();
    player.prev();
  },
  reset: () => player.reset(),
  toEnd: () => player.toEnd(),
  goTo: (k) => {
    player.pause();
    player.goTo(k);
  },
  setSpeed: (speed) => player.setSpeed(speed),
  setDirection,
  setMode: (mode) => {
    state.mode = mode;
    run({ step: "keep" });
  },
  loadExample,
  fit: () => fit("whole"),
  zoomIn: () => zoom(1.25),
  zoomOut: () => zoom(0.8),
  presenter: () => setPresenter(!isPresenting(), afterPresenter),
  toggleTheme: () => toggleTheme(showTheme),
  toggleGradcheck: () => {
    state.gradcheck = !state.gradcheck;
    controls.showGradcheck(state.gradcheck);
    run({ step: "keep", gradcheckSummary: state.gradcheck });
  },
  copyLink,
  downloadSvg: () => state.model && download(new Blob([view.withEverythingDrawn(() => svgMarkup(view))], { type: "image/svg+xml" }), "chainrule-graph.svg"),
  downloadPng: async () => state.model && download(await view.withEverythingDrawn(() => pngBlob(view)), "chainrule-graph.png"),
  downloadJson: () => state.model && download(new Blob([JSON.stringify(state.model.graph, null, 2)], { type: "application/json" }), "chainrule-graph.json"),
  help: toggleHelp,
  run: () => editor.runNow(),
  escape: () => {
    if (document.querySelector("dialog[open]")) return; // the dialog closes itself
    if (inspector.open) select(null);
    else if (isPresenting()) setPresenter(false, afterPresenter);
  },
});

player.addEventListener("step", (e) => showStep(e.detail));
player.addEventListener("state", (e) => {
  controls.showPlaying(e.detail.playing);
  $("speed").value = String(e.detail.speed);
});
view.addEventListener("select", (e) => select(e.detail.id));
view.addEventListener("userview", () => {
  state.view = "user";
});
new ResizeObserver(() => {
  if (state.view !== "user" && state.model) fit(state.view);
}).observe($("graph"));
watchFullscreen(() => setPresenter(false, afterPresenter));
initTheme(showTheme);

start();

async function start() {
  const fromUrl = readUrlState();
  state.mode = fromUrl.mode;
  state.direction = fromUrl.dir;
  controls.showMode(state.mode);
  controls.showDirection(state.direction);
  const examples = fetchExamples().catch(() => []);
  examples.then(showGallery);
  const source = fromUrl.src ?? defaultExample(await examples)?.source ?? FALLBACK_SOURCE;
  editor.setValue(source);
  await run({ step: fromUrl.step ?? 0 });
}

function defaultExample(examples) {
  return examples.find((e) => e.id === "diamond")
    ?? examples.find((e) => e.source.includes("(a*b + c) * (a - c)"))
    ?? examples[0];
}

/**
 * Ask the API for the graph of the editor's text and show it.
 * step: a number (from a link), "keep" (same place, e.g. a mode switch), "edit" (stay at the end
 * if we were there, else start over), or 0.
 */
async function run({ step = 0, gradcheckSummary = false } = {}) {
  const request = ++state.request;
  const source = editor.value;
  const wasAtEnd = player.n > 0 && player.k === player.n;
  const previousK = player.k;
  body.dataset.ready = "false";
  body.dataset.state = "loading";
  let graph;
  try {
    graph = await fetchGraph({ source, mode: state.mode, gradcheck: state.gradcheck });
  } catch (error) {
    if (request === state.request) showError(error);
    return;
  }
  if (request !== state.request) return; // a newer run has started
  state.source = source;
  let k = 0;
  if (typeof step === "number") k = step;
  else if (step === "keep") k = previousK;
  else if (step === "edit" && wasAtEnd) k = Infinity;
  showGraph(graph, source, k);
  if (gradcheckSummary && graph.gradcheck && !state.selected) inspector.showGradcheck(state.model);
}

function showGraph(graph, source, k) {
  flow.cancel();
  const model = buildModel(graph, source);
  const signature = graphSignature(graph);
  const sameGraph = signature === state.signature;
  state.model = model;
  state.signature = signature;
  view.build(model);
  hideError();
  const n = stepCount(model, state.direction);
  player.load(n, Math.min(k, n));
  if (!sameGraph) fit("readable");
  else if (state.view !== "user") fit(state.view);
  if (state.selected && model.nodes.has(state.selected) && sameGraph) select(state.selected);
  else select(null);
  showDiagnostics(graph);
  showBugBanner(graph);
  showExampleFor(source);
  state.graphs += 1;
  body.dataset.graphs = String(state.graphs);
  body.dataset.state = "ready";
  body.dataset.ready = "true";
}

function graphSignature(graph) {
  const layout = graph.layout ? `${graph.layout.width}x${graph.layout.height}` : "fallback";
  return `${layout}|${graph.nodes.map((n) => `${n.id}:${n.op ?? n.kind}:${n.label ?? ""}`).join(",")}`;
}

function showStep({ k, n, from }) {
  const model = state.model;
  if (!model) return;
  const st = stateAt(model, state.direction, k);
  view.apply(st);
  if (st.active) view.reveal(st.active);
  controls.showStep(k, n);
  $("caption").textContent = caption(model, state.direction, k);
  if (from !== null && k === from + 1) {
    const duration = player.playing ? Math.min(900, player.interval * 0.7) : 700;
    const moves = state.direction === "backward" ? backwardMoves(model.graph.backward_steps[k - 1]) : forwardMoves(model, st.active);
    flow.play(moves, state.direction, duration);
  } else {
    flow.cancel();
  }
  if (state.selected) inspector.showNode(model, state.selected, { k, direction: state.direction });
  scheduleUrlWrite();
}

function setDirection(direction) {
  if (direction === state.direction) return;
  state.direction = direction;
  controls.showDirection(direction);
  player.pause();
  if (state.model) player.load(stepCount(state.model, direction), 0);
}

function select(id) {
  state.selected = id;
  view.select(id);
  if (id && state.model) inspector.showNode(state.model, id, { k: player.k, direction: state.direction });
  else inspector.hide();
}

/**
 * Show the whole graph, as large as fits. Unless `how` is "whole", never with text smaller than
 * READABLE_TEXT_PX (in presenter mode, never smaller than PRESENTER_MIN_TEXT_PX at all): a
 * thousand-node graph then opens on a readable part, centred on the firing node or the root.
 */
function fit(how = "readable") {
  if (!state.model) return;
  const presenting = isPresenting();
  const minText = presenting ? PRESENTER_MIN_TEXT_PX : how === "whole" ? 0 : READABLE_TEXT_PX;
  const focusId = stateAt(state.model, state.direction, player.k).active ?? state.model.root;
  view.panZoom.fit(view.bounds, {
    minScale: minText / view.minFont,
    maxScale: presenting ? 8 : 2.5,
    focus: view.nodeCenter(focusId),
  });
  state.view = how;
}

function zoom(factor) {
  view.panZoom.zoomCenter(factor);
  state.view = "user";
}

function afterPresenter() {
  // wait for the new layout before measuring the graph's box
  requestAnimationFrame(() => requestAnimationFrame(() => fit(state.view === "whole" ? "whole" : "readable")));
}

function showError(error) {
  const box = $("error");
  const where = error.line ? ` (line ${error.line}, column ${error.col})` : "";
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = `${error.kind ?? "error"} error${where}: `;
  box.append(title, document.createTextNode(error.message));
  if (state.model) {
    const hint = document.createElement("div");
    hint.className = "hint";
    hint.textContent = "The graph, dimmed, is the last program that ran.";
    box.append(hint);
  }
  box.hidden = false;
  editor.showError({ line: error.line, col: error.col, endCol: error.endCol, message: error.message });
  $("graph").classList.toggle("stale", Boolean(state.model));
  body.dataset.state = "error";
  body.dataset.ready = state.model ? "true" : "false";
  if (!state.model) {
    $("caption").textContent = "No graph yet: fix the error in the editor.";
    controls.showStep(0, 0);
  }
}

function hideError() {
  $("error").hidden = true;
  $("error").replaceChildren();
  editor.clearError();
  $("graph").classList.remove("stale");
}

function showDiagnostics(graph) {
  const list = document.querySelector(".diagnostics");
  const messages = [...(graph.diagnostics?.messages ?? [])];
  if (!graph.layout && graph.layout_reason) messages.unshift(`Simple layout: ${graph.layout_reason}`);
  if (graph.seeded_with_ones) messages.push("The root is not a scalar: backward starts from a gradient of ones.");
  list.replaceChildren(...messages.map((m) => {
    const li = document.createElement("li");
    li.textContent = m;
    return li;
  }));
  list.hidden = messages.length === 0;
}

function showBugBanner(graph) {
  const banner = $("bug-banner");
  body.classList.toggle("bug-mode", graph.mode !== "correct");
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

function showGallery(examples) {
  state.examples = examples;
  const select = $("gallery");
  const own = document.createElement("option");
  own.value = "";
  own.textContent = "your own expression";
  const options = examples.map((e) => {
    const option = document.createElement("option");
    option.value = e.id;
    option.textContent = e.title;
    return option;
  });
  select.replaceChildren(own, ...options);
  showExampleFor(editor.value);
}

/** Select the gallery entry whose source this is (or "your own expression") and show its note. */
function showExampleFor(source) {
  controls.showExample(state.examples.find((e) => e.source === source)?.id ?? null);
  showNote();
}

function loadExample(id) {
  const example = state.examples.find((e) => e.id === id);
  if (!example) return;
  editor.setValue(example.source);
  select(null);
  run({ step: 0 });
}

function showNote() {
  const id = $("gallery").value;
  const example = state.examples.find((e) => e.id === id);
  const note = $("note");
  note.textContent = example?.note ?? "";
  note.hidden = !example?.note;
}

function toggleHelp() {
  const dialog = document.getElementById("help-dialog");
  if (dialog.open) dialog.close();
  else dialog.showModal();
}

let urlTimer = null;
function scheduleUrlWrite() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => writeUrlState(currentLinkState()), URL_WRITE_DELAY_MS);
}

function currentLinkState() {
  return { src: state.source, mode: state.mode, step: player.k, dir: state.direction };
}

async function copyLink() {
  const link = permalink(currentLinkState());
  writeUrlState(currentLinkState());
  const ok = await copyText(link);
  toast(ok ? "Link copied to the clipboard." : `Copy this link: ${link}`);
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    el.hidden = true;
  }, 4000);
}

function showTheme(theme) {
  const button = $("theme");
  button.setAttribute("aria-pressed", String(theme === "dark"));
  button.querySelector(".label").textContent = theme === "dark" ? "light" : "dark";
  button.title = `switch to the ${theme === "dark" ? "light" : "dark"} theme`;
}
