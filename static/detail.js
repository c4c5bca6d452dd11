// Level of detail: text too small to read is not drawn, and in a large graph what lies well
// outside the window is not drawn either; everything is, for an export.

import { EDGE_FONT, showPieces } from "./edge-drawing.js";

const FAR_TEXT_PX = 3.5; // below this on-screen size, box text is not drawn
const EDGE_LABEL_MIN_PX = 6.5; // below this on-screen size, they are not drawn
const CULL_MIN_BOXES = 200; // from this size on, what lies well outside the window is not drawn
// how far outside the window, as a part of its width and height, what is drawn reaches. Small: a
// step's frame costs in proportion to what is drawn, and a pan or zoom culls again before the
// frame that shows it (scheduleCull), so nothing drawn is missed at the window's edge
const CULL_MARGIN = 0.15;

/**
 * Level of detail: text too small to read is not drawn. Text is most of the cost of painting a
 * large graph, so a zoomed-out graph of a thousand nodes stays smooth; zoom in and it returns.
 */
export function setDetail(view, scale) {
  const far = scale * view.minFont < FAR_TEXT_PX;
  if (far !== view.far) {
    view.far = far;
    view.svg.classList.toggle("far", far);
  }
  view.svg.classList.toggle("tiny-edge-labels", scale * EDGE_FONT < EDGE_LABEL_MIN_PX);
}

export function scheduleCull(view) {
  if (view.cullPending || view.boxes.size < CULL_MIN_BOXES) return;
  view.cullPending = true;
  requestAnimationFrame(() => {
    view.cullPending = false;
    cull(view);
  });
}

/**
 * Take boxes and edges outside the view (and its margin) out of the drawing. Out of the
 * document, not hidden: Chrome records the paint of every element of an SVG, on screen or not,
 * and a step's frame walks every element of the document, hidden ones too (3,000 boxes, zoomed
 * in: a change to one box cost ~10 ms of compositing inputs and ~3.5 ms of layout with hidden
 * ones, ~1 ms with them out).
 */
export function cull(view, all = false) {
  const { width, height } = view.svg.getBoundingClientRect();
  const { scale, tx, ty } = view.panZoom;
  const x0 = (-tx - CULL_MARGIN * width) / scale;
  const y0 = (-ty - CULL_MARGIN * height) / scale;
  const x1 = x0 + ((1 + 2 * CULL_MARGIN) * width) / scale;
  const y1 = y0 + ((1 + 2 * CULL_MARGIN) * height) / scale;
  const inView = (rec) => all || !(rec.extent[2] < x0 || rec.extent[0] > x1 || rec.extent[3] < y0 || rec.extent[1] > y1);
  const { nodes, edges, labels } = view.layers;
  const edgeRecs = [...view.edges.values()];
  keepInView(nodes, [...view.boxes.values()].map((rec) => [rec.el, inView(rec)]));
  const edgesShown = edgeRecs.map((rec) => [rec.el, inView(rec)]);
  keepInView(edges, edgesShown);
  keepInView(labels, edgeRecs.map((rec, i) => [rec.label, edgesShown[i][1]]).filter(([label]) => label));
  // a long line in view: close up, its pieces near the window; far out (and for an export), whole
  const whole = all || view.far;
  for (const [i, rec] of edgeRecs.entries()) if (edgesShown[i][1]) showPieces(rec, whole, inView);
}

/**
 * Put in `layer` the elements of `items` ([element, in view], in drawing order) that are in view
 * and take the others out, keeping the drawing order (it is the order Tab visits boxes in).
 */
function keepInView(layer, items) {
  let next = null; // the element in the layer that the next one back goes before
  for (let i = items.length - 1; i >= 0; i--) {
    const [el, shown] = items[i];
    if (!shown) {
      if (el.parentNode) el.remove();
    } else {
      if (el.parentNode !== layer) layer.insertBefore(el, next);
      next = el;
    }
  }
}

/** Run `fn` with every element drawn in full detail (for exports), then cull again. */
export function withEverythingDrawn(view, fn) {
  cull(view, true);
  view.svg.classList.remove("far", "tiny-edge-labels");
  try {
    return fn();
  } finally {
    view.far = null;
    setDetail(view, view.panZoom.scale);
    if (view.boxes.size >= CULL_MIN_BOXES) cull(view);
  }
}
