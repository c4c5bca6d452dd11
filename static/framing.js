// Where the drawing sits in its pane: fitted (readable, or whole), zoomed, a box centred or kept
// in place across a redraw; presenter mode's larger text.

import { fetchView } from "./api.js";
import { fitsReadable, minTextPx, viewThatFits } from "./fitting.js";
import { isPresenting } from "./presenter.js";
import { stateAt } from "./steps.js";

// the page's parts and the other jobs' functions this one uses, handed over by app.js
let $, applyView, body, markReady, player, state, view;

/** Receive the page's parts and functions (app.js). */
export function connect(page) {
  ({
    $, applyView, body, markReady, player, state, view
  } = page);
}

/** A box's (or cluster's) centre on screen, to keep it there across a redraw. */
export function screenPoint(id) {
  const place = view.place(id);
  if (!place) return null;
  const { scale, tx, ty } = view.panZoom;
  return { id, x: tx + place.x * scale, y: ty + place.y * scale };
}

export function keepOnScreen(anchor) {
  const place = view.place(anchor.id);
  if (!place) return;
  const { scale } = view.panZoom;
  view.panZoom.set(scale, anchor.x - place.x * scale, anchor.y - place.y * scale);
  view.reveal(anchor.id);
}

/** Centre a box, zoomed in to readable text if the drawing is smaller than that. */
export function centreOn(id) {
  const place = view.place(id);
  if (!place) return;
  const { width, height } = view.svg.getBoundingClientRect();
  const scale = Math.max(view.panZoom.scale, minTextPx("readable", isPresenting()) / view.minFont);
  view.panZoom.set(scale, width / 2 - place.x * scale, height / 2 - place.y * scale);
  state.fitMode = "user";
}

/**
 * Show the whole graph, as large as fits. Unless `how` is "whole", never with text smaller than
 * readable (presenting, never smaller than text for the back row at all; see fitting.js): a
 * thousand-node graph then opens on a readable part, centred on the firing node or the root.
 */
export function fit(how = "readable", focusId = null) {
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
export function fitsWindow(layout) {
  return fitsReadable(layout, $("graph").getBoundingClientRect(), minTextPx("readable", isPresenting()));
}

export function zoom(factor) {
  view.panZoom.zoomCenter(factor);
  state.fitMode = "user";
}

export function afterPresenter() {
  // wait for the new layout before measuring the graph's box
  requestAnimationFrame(() => requestAnimationFrame(async () => {
    fit(state.fitMode === "whole" ? "whole" : "readable");
    if (!state.model || state.open !== null || fitsWindow(state.model.graph.layout)) return;
    const request = ++state.request;
    body.dataset.ready = "false";
    const ask = (open) => fetchView({ source: state.source, mode: state.mode, gradcheck: state.gradcheck, open, call: state.call });
    const smaller = await viewThatFits(state.model.graph, ask, fitsWindow);
    if (request !== state.request) return;
    if (smaller) applyView(smaller, { refit: true });
    markReady();
  }));
}
