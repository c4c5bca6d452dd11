// Wiring: the page's state, and which module hears about what. Each module does one job.

import { fetchExamples, fetchGraph, fetchView } from "./api.js";
import { Controls } from "./controls.js";
import { Editor } from "./editor.js";
import { download, copyText, pngBlob, svgMarkup } from "./export.js";
import { FindBox } from "./find.js";
import { fitsReadable, minTextPx, viewThatFits } from "./fitting.js";
import { Flow, backwardMoves, forwardMoves } from "./flow.js";
import { GraphView } from "./graph-view.js";
import { Inspector } from "./inspector.js";
import { groupChain } from "./names.js";
import { caption } from "./narrate.js";
import { showBugBanner, showDiagnostics, showLayoutMissing, showOutput, toast } from "./notices.js";
import { Player } from "./player.js";
import { isPresenting, setPresenter, watchFullscreen } from "./presenter.js";
import { buildModel, stateAt, stepCount, underlyingAt, viewSteps, withView } from "./steps.js";
import { initTheme, toggleTheme } from "./theme.js";
import { permalink, readUrlState, writeUrlState } from "./url-state.js";
import { stepCovering } from "./view-model.js";

const FALLBACK_SOURCE = "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)";
const URL_WRITE_DELAY_MS = 150;
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
  // the groups to show open (ids), as the user left them; null: the view the server chooses
  open: null,
  // "readable": all of the graph, or a readable part around the firing node; "whole": all of it
  // however small ("fit"); both follow the window's size. "user": panned or zoomed by hand.
  fitMode: "readable",
  graphs: 0,
};

const view = new GraphView($("graph"));
const flow = new Flow(view);
const player = new Player();
const inspector = new Inspector($("inspector"), { onClose: () => select(null) });
const finder = new FindBox($("find"), $("find-status"), { onFind: goToNode });
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
  find: () => finder.focus(),
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
view.addEventListener("toggle", (e) => toggleGroup(e.detail.id));
view.addEventListener("userview", () => {
  state.fitMode = "user";
});
new ResizeObserver(() => {
  if (state.fitMode !== "user" && state.model) fit(state.fitMode);
}).observe($("graph"));
watchFullscreen(() => setPresenter(false, afterPresenter));
initTheme(showTheme);

start();

async function start() {
  const fromUrl = readUrlState();
  state.mode = fromUrl.mode;
  state.direction = fromUrl.dir;
  state.open = fromUrl.open;
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
  const previousGroups = state.model ? groupsSignature(state.model.graph) : null;
  body.dataset.ready = "false";
  body.dataset.state = "loading";
  let graph;
  try {
    graph = await fetchGraph({ source, mode: state.mode, gradcheck: state.gradcheck, open: state.open });
    // an edit that changed the program's calls: the groups left open were other groups
    if (step === "edit" && state.open !== null && groupsSignature(graph) !== previousGroups) {
      state.open = null;
      graph = { ...graph, ...(await fetchView({ source, mode: state.mode, gradcheck: state.gradcheck, open: null })) };
    }
  } catch (error) {
    if (request === state.request) showError(error);
    return;
  }
  if (request !== state.request) return; // a newer run has started
  if (state.open === null) {
    const smaller = await viewThatFits(graph, (open) => fetchView({ source, mode: state.mode, gradcheck: state.gradcheck, open }), fitsWindow);
    if (request !== state.request) return;
    if (smaller) graph = { ...graph, ...smaller };
  }
  state.source = source;
  let k = 0;
  if (typeof step === "number") k = step;
  else if (step === "keep") k = previousK;
  else if (step === "edit" && wasAtEnd) k = Infinity;
  showGraph(graph, source, k);
  markReady();
  if (gradcheckSummary && graph.gradcheck && !state.selected) inspector.showGradcheck(state.model);
}

function showGraph(graph, source, k) {
  const model = buildModel(graph, source);
  const signature = graphSignature(graph);
  const sameGraph = signature === state.signature;
  state.signature = signature;
  hideError();
  draw(model, k, { refit: !sameGraph, keepSelection: sameGraph });
  showDiagnostics(model);
  showBugBanner(graph);
  showOutput(graph.output ?? []);
  showExampleFor(source);
}

/**
 * Draw a model (a new graph, or another view of the same one) at view step k. refit: fit it to
 * the window as a new graph; else keep the user's pan and zoom, with `anchor` (a box id and its
 * screen point) staying where it was on screen.
 */
function draw(model, k, { refit, keepSelection = true, anchor = null }) {
  flow.cancel();
  state.model = model;
  finder.setGraph(model.graph);
  view.build(model);
  $("graph").dataset.open = [...model.view.open].join(",");
  body.classList.toggle("has-groups", model.view.groups.size > 0);
  showLayoutMissing(model);
  const n = stepCount(model, state.direction);
  player.load(n, Math.min(k, n));
  if (refit) fit("readable");
  else if (state.fitMode !== "user") fit(state.fitMode, anchor?.id);
  else if (anchor) keepOnScreen(anchor);
  if (anchor) view.revealCluster(anchor.id); // a group just opened: its frame, or its label to close it
  if (keepSelection && state.selected && view.boxes.has(state.selected)) select(state.selected);
  else select(null);
}

/** A graph or view is on screen, final: tests wait for this. */
function markReady() {
  state.graphs += 1;
  body.dataset.graphs = String(state.graphs);
  body.dataset.state = "ready";
  body.dataset.ready = "true";
}

function graphSignature(graph) {
  const layout = graph.layout ? `${graph.layout.width}x${graph.layout.height}` : "none";
  const open = graph.view ? graph.view.open.join(",") : "";
  return `${layout}|${open}|${graph.nodes.map((n) => `${n.id}:${n.op ?? n.kind}:${n.label ?? ""}`).join(",")}`;
}

/** What a group id means: the same signature, the same open set shows the same view. */
function groupsSignature(graph) {
  return (graph.groups ?? []).map((g) => `${g.id}:${g.label}:${g.parent}`).join(",");
}

/** Open or close a group, keeping the place in the pass and the group where it was on screen. */
function toggleGroup(id) {
  if (!state.model) return;
  const open = new Set(state.model.view.open);
  if (open.has(id)) open.delete(id);
  else open.add(id);
  return showView(open, id);
}

/**
 * Ask for the view with the groups `open` open and show it: at the view step that covers the
 * same number of underlying steps (a collapsed group fires as one step), with `focusId` (a box
 * or cluster) kept where it was on screen.
 */
async function showView(open, focusId = null) {
  const request = ++state.request;
  body.dataset.ready = "false";
  const answer = await askView(open, request);
  if (!answer) return false;
  state.open = answer.view.open;
  applyView(answer, { anchor: focusId ? screenPoint(focusId) : null });
  markReady();
  return true;
}

/** The view with the groups `open` open, or null: an error (shown), or a newer request started. */
async function askView(open, request) {
  try {
    const answer = await fetchView({ source: state.source, mode: state.mode, gradcheck: state.gradcheck, open: [...open].sort(byNumber) });
    return request === state.request ? answer : null;
  } catch (error) {
    if (request === state.request) showError(error);
    return null;
  }
}

/** Show another view of the model's graph, at the view step covering the same underlying steps. */
function applyView(answer, { refit = false, anchor = null } = {}) {
  const before = state.model;
  const done = underlyingAt(before, state.direction, player.k);
  const model = withView(before, answer);
  state.signature = graphSignature(model.graph);
  draw(model, stepCovering(viewSteps(model, state.direction), done), { refit, anchor });
  showDiagnostics(model);
}

function byNumber(a, b) {
  return Number(a.slice(1)) - Number(b.slice(1));
}

/** A box's (or cluster's) centre on screen, to keep it there across a redraw. */
function screenPoint(id) {
  const place = view.place(id);
  if (!place) return null;
  const { scale, tx, ty } = view.panZoom;
  return { id, x: tx + place.x * scale, y: ty + place.y * scale };
}

function keepOnScreen(anchor) {
  const place = view.place(anchor.id);
  if (!place) return;
  const { scale } = view.panZoom;
  view.panZoom.set(scale, anchor.x - place.x * scale, anchor.y - place.y * scale);
  view.reveal(anchor.id);
}

/** Find: open the groups holding node `id` (if closed), then centre and mark the box showing it. */
async function goToNode(id) {
  const model = state.model;
  if (!model) return;
  const closed = groupChain(model, id).filter((g) => !model.view.open.has(g));
  if (closed.length && !(await showView(new Set([...model.view.open, ...closed])))) return;
  const box = state.model.view.boxOf.get(id) ?? id;
  centreOn(box);
  view.mark(box);
}

/** Centre a box, zoomed in to readable text if the drawing is smaller than that. */
function centreOn(id) {
  const place = view.place(id);
  if (!place) return;
  const { width, height } = view.svg.getBoundingClientRect();
  const scale = Math.max(view.panZoom.scale, minTextPx("readable", isPresenting()) / view.minFont);
  view.panZoom.set(scale, width / 2 - place.x * scale, height / 2 - place.y * scale);
  state.fitMode = "user";
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
    const moves = state.direction === "backward" ? backwardMoves(model, st) : forwardMoves(model, st);
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
 * readable (presenting, never smaller than text for the back row at all; see fitting.js): a
 * thousand-node graph then opens on a readable part, centred on the firing node or the root.
 */
function fit(how = "readable", focusId = null) {
  if (!state.model) return;
  const model = state.model;
  const focus = focusId ?? stateAt(model, state.direction, player.k).active ?? model.view.boxOf.get(model.root) ?? model.root;
  view.panZoom.fit(view.bounds, {
    minScale: minTextPx(how, isPresenting()) / view.minFont,
    maxScale: isPresenting() ? 8 : 2.5,
    focus: view.nodeCenter(focus),
  });
  state.fitMode = how;
}

/** Whether a layout would show whole in the graph pane with readable text. */
function fitsWindow(layout) {
  return fitsReadable(layout, $("graph").getBoundingClientRect(), minTextPx("readable", isPresenting()));
}

function zoom(factor) {
  view.panZoom.zoomCenter(factor);
  state.fitMode = "user";
}

function afterPresenter() {
  // wait for the new layout before measuring the graph's box
  requestAnimationFrame(() => requestAnimationFrame(async () => {
    fit(state.fitMode === "whole" ? "whole" : "readable");
    if (!state.model || state.open !== null || fitsWindow(state.model.graph.layout)) return;
    const request = ++state.request;
    body.dataset.ready = "false";
    const ask = (open) => fetchView({ source: state.source, mode: state.mode, gradcheck: state.gradcheck, open });
    const smaller = await viewThatFits(state.model.graph, ask, fitsWindow);
    if (request !== state.request) return;
    if (smaller) applyView(smaller, { refit: true });
    markReady();
  }));
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
  state.open = null;
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
  const groups = state.model?.view.groups.size ? state.model.view.open : null;
  return { src: state.source, mode: state.mode, step: player.k, dir: state.direction, open: groups && [...groups].sort(byNumber) };
}

async function copyLink() {
  const link = permalink(currentLinkState());
  writeUrlState(currentLinkState());
  const ok = await copyText(link);
  toast(ok ? "Link copied to the clipboard." : `Copy this link: ${link}`);
}

function showTheme(theme) {
  const button = $("theme");
  button.setAttribute("aria-pressed", String(theme === "dark"));
  button.querySelector(".label").textContent = theme === "dark" ? "light" : "dark";
  button.title = `switch to the ${theme === "dark" ? "light" : "dark"} theme`;
}
