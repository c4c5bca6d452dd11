// Level of detail: text too small to read is not drawn, and in a large graph what lies well
// outside the window is not drawn either; everything is, for an export.

import { EDGE_FONT } from "./edge-drawing.js";

const FAR_TEXT_PX = 3.5; // below this on-screen size, box text is not drawn
const EDGE_LABEL_MIN_PX = 6.5; // below this on-screen size, they are not drawn
const CULL_MIN_BOXES = 200; // from this size on, what lies well outside the window is not drawn

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
 * Hide boxes and edges more than half a window outside the view. Chrome records the paint of
 * every element of an SVG, on screen or not; a big graph seen up close need not pay for that.
 */
export function cull(view, all = false) {
  const { width, height } = view.svg.getBoundingClientRect();
  const { scale, tx, ty } = view.panZoom;
  const x0 = (-tx - width / 2) / scale;
  const y0 = (-ty - height / 2) / scale;
  const x1 = x0 + (2 * width) / scale;
  const y1 = y0 + (2 * height) / scale;
  const outside = (b) => !all && (b[2] < x0 || b[0] > x1 || b[3] < y0 || b[1] > y1);
  for (const rec of view.boxes.values()) {
    const hide = outside(rec.extent);
    if (rec.culled !== hide) rec.el.classList.toggle("culled", (rec.culled = hide));
  }
  for (const rec of view.edges.values()) {
    const hide = outside(rec.extent);
    if (rec.culled !== hide) {
      rec.el.classList.toggle("culled", (rec.culled = hide));
      rec.label?.classList.toggle("culled", hide);
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
