// What is on screen: the editor's program asked of the API and drawn, another view of it (a group
// opened or closed), the step shown, the node selected.

import { fetchGraph, fetchView, serverless } from "./api.js";
import { mayRetry, retryLater } from "./busy.js";
import { layoutDirection } from "./direction.js";
import { viewThatFits } from "./fitting.js";
import { backwardMoves, forwardMoves } from "./flow.js";
import { groupChain } from "./names.js";
import { caption } from "./narrate.js";
import { showBugBanner, showDiagnostics, showLayoutMissing, showOutput } from "./notices.js";
import { refreshInPlace } from "./refresh.js";
import { buildModel, stateAt, stepCount, underlyingAt, viewSteps, withView } from "./steps.js";
import { stepCovering } from "./view-model.js";

// the page's parts and the other jobs' functions this one uses, handed over by app.js
let $, body, centreOn, controls, editor, finder, fit, fitsWindow, flow, hideError, inputs, inspector,
  keepOnScreen, player, scheduleUrlWrite, screenPoint, showBusy, showError, showExampleFor, state, training, view;

/** Receive the page's parts and functions (app.js). */
export function connect(page) {
  ({
    $, body, centreOn, controls, editor, finder, fit, fitsWindow, flow, hideError, inputs, inspector,
    keepOnScreen, player, scheduleUrlWrite, screenPoint, showBusy, showError, showExampleFor, state, training, view
  } = page);
}

/**
 * Request `request` failed with `error`. A first busy answer is said, with the last graph kept on
 * screen, and asked once more (`again`) after the server's Retry-After, unless a newer request has
 * started by then; anything else is shown as an error. `attempt`: 0 on the first try.
 */
function failed(error, request, attempt, again) {
  if (request !== state.request) return; // a newer request has started: its answer is the one wanted
  if (!mayRetry(error, attempt)) {
    showError(error);
    return;
  }
  showBusy(error.retryAfter);
  retryLater(error, () => {
    if (request === state.request) again();
  });
}

/**
 * Ask the API for the graph of the editor's text and show it.
 * step: a number (from a link), "keep" (same place, e.g. a mode switch), "edit" (stay at the end
 * if we were there, else start over), or 0.
 */
export async function run({ step = 0, gradcheckSummary = false, attempt = 0 } = {}) {
  const request = ++state.request;
  const source = editor.value;
  if (step === "edit") state.call = null; // the edited loop may call backward() fewer times
  const wasAtEnd = player.n > 0 && player.k === player.n;
  const previousK = player.k;
  const previousGroups = state.model ? groupsSignature(state.model.graph) : null;
  const direction = layoutDirection();
  body.dataset.ready = "false";
  body.dataset.state = "loading";
  let graph;
  try {
    graph = await fetchGraph({ source, mode: state.mode, gradcheck: state.gradcheck, open: state.open, call: state.call, direction });
    // an edit that changed the program's calls: the groups left open were other groups
    if (step === "edit" && state.open !== null && groupsSignature(graph) !== previousGroups) {
      state.open = null;
      graph = { ...graph, ...(await fetchView({ source, mode: state.mode, gradcheck: state.gradcheck, open: null, call: state.call, direction })) };
    }
  } catch (error) {
    failed(error, request, attempt, () => run({ step, gradcheckSummary, attempt: attempt + 1 }));
    return;
  }
  if (request !== state.request) return; // a newer run has started
  if (state.open === null) {
    const smaller = await viewThatFits(graph, (open) => fetchView({ source, mode: state.mode, gradcheck: state.gradcheck, open, call: state.call, direction }), fitsWindow);
    if (request !== state.request) return;
    if (smaller) graph = { ...graph, ...smaller };
  }
  state.source = source;
  state.layoutDirection = direction;
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
  if (sameGraph && refreshInPlace(view, state.model, model)) showInPlace(model, k);
  else draw(model, k, { refit: !sameGraph, keepSelection: sameGraph });
  showDiagnostics(model);
  showBugBanner(graph, state.modeWords?.get(graph.mode) ?? null);
  showOutput(graph.output ?? []);
  showExampleFor(source);
  showLivePanels(graph, source);
}

/** The same drawing with new numbers (refresh.js changed its texts): the same place in the pass. */
function showInPlace(model, k) {
  flow.cancel();
  state.model = model;
  finder.setGraph(model.graph);
  const n = stepCount(model, state.direction);
  player.load(n, Math.min(k, n));
  if (state.selected && view.boxes.has(state.selected)) select(state.selected);
}

/**
 * A slider moved, or another call of a training loop was asked for: the editor's program with
 * the view on screen, at the same step. Run through latestOnly: while one is asked, moves wait.
 */
export async function showLive(attempt = 0) {
  if (!state.model) return run({ step: "keep" });
  const request = ++state.request;
  const source = editor.value;
  const open = [...state.model.view.open].sort(byNumber);
  const direction = layoutDirection();
  body.dataset.ready = "false";
  let graph;
  try {
    graph = await fetchGraph({ source, mode: state.mode, gradcheck: state.gradcheck, open, call: state.call, direction });
  } catch (error) {
    failed(error, request, attempt, () => showLive(attempt + 1));
    return;
  }
  if (request !== state.request) return;
  state.source = source;
  state.layoutDirection = direction;
  showGraph(graph, source, player.k);
  markReady();
}

/** The inputs panel and the training panel follow every graph shown. */
function showLivePanels(graph, source) {
  if (serverless) inputs.clear();
  else inputs.show(graph, source);
  training.show(graph, { wanted: state.call, source, mode: state.mode });
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
export function markReady() {
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
export function toggleGroup(id) {
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
async function showView(open, focusId = null, attempt = 0) {
  const request = ++state.request;
  body.dataset.ready = "false";
  const answer = await askView(open, request, attempt, () => showView(open, focusId, attempt + 1));
  if (!answer) return false;
  state.open = answer.view.open;
  applyView(answer, { anchor: focusId ? screenPoint(focusId) : null });
  markReady();
  return true;
}

/**
 * The view with the groups `open` open, laid out the way the pane now asks, or null: an error
 * (shown; a busy answer asked `again`), or a newer request started.
 */
async function askView(open, request, attempt, again) {
  const direction = layoutDirection();
  try {
    const answer = await fetchView({ source: state.source, mode: state.mode, gradcheck: state.gradcheck, open: [...open].sort(byNumber), call: state.call, direction });
    if (request !== state.request) return null;
    state.layoutDirection = direction;
    return answer;
  } catch (error) {
    failed(error, request, attempt, again);
    return null;
  }
}

/**
 * The graph pane turned (rotation.js): the same view laid out the other way, at the same step, with
 * the same groups open and the same selection. A pan or zoom by hand is let go: the drawing has a
 * new shape, fitted to the pane as a new graph would be.
 */
export function relayout() {
  if (state.fitMode === "user") state.fitMode = "readable";
  return showView(state.model.view.open);
}

/** Show another view of the model's graph, at the view step covering the same underlying steps. */
export function applyView(answer, { refit = false, anchor = null } = {}) {
  const before = state.model;
  const done = underlyingAt(before, state.direction, player.k);
  const model = withView(before, answer);
  state.signature = graphSignature(model.graph);
  draw(model, stepCovering(viewSteps(model, state.direction), done), { refit, anchor });
  showDiagnostics(model);
}

export function byNumber(a, b) {
  return Number(a.slice(1)) - Number(b.slice(1));
}

/** Find: open the groups holding node `id` (if closed), then centre and mark the box showing it. */
export async function goToNode(id) {
  const model = state.model;
  if (!model) return;
  const closed = groupChain(model, id).filter((g) => !model.view.open.has(g));
  if (closed.length && !(await showView(new Set([...model.view.open, ...closed])))) return;
  const box = state.model.view.boxOf.get(id) ?? id;
  centreOn(box);
  view.mark(box);
}

export function showStep({ k, n, from }) {
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

export function setDirection(direction) {
  if (direction === state.direction) return;
  state.direction = direction;
  controls.showDirection(direction);
  player.pause();
  if (state.model) player.load(stepCount(state.model, direction), 0);
}

export function select(id) {
  state.selected = id;
  view.select(id);
  if (id && state.model) inspector.showNode(state.model, id, { k: player.k, direction: state.direction });
  else inspector.hide();
}
