// Drawing one view edge: its curve from the layout, its arrow head, and the contribution it carries
// written beside it where that covers nothing.

import { svgEl } from "./dom.js";
import { formatCompact } from "./format.js";
import { arrowHead, bezierPath, curvePieces, extentOf, round, straightLine } from "./geometry.js";
import { edgeLabelSpots, firstFree } from "./placement.js";

export const EDGE_FONT = 12; // contributions written on edges, in graph units
export const QUIET_ZEROS_OVER = 100; // in a view with more edges, a contribution of exactly 0 is not written on its edge
// Close up, a long line is drawn in pieces of at most about this length (graph units), only those
// near the window (showPieces). Chrome (drawing without a GPU) draws again, for each tile of the
// window a step changes, every line crossing it, and a dashed line whole: its dashes along the full
// length, off screen too (3,000 boxes: a tile 22-24 ms, ~3 ms in pieces). Zoomed far out, lines
// are drawn undashed and whole: pieces there would only make the drawing bigger.
const PIECE_UNITS = 200;

export function drawEdge(view, edge, layer, labelLayer) {
  const geometry = view.layout.edges[edge.id] ?? (edge.edges.length === 1 ? view.layout.edges[edge.edges[0]] : undefined);
  const a = view.layout.nodes[edge.source];
  const b = view.layout.nodes[edge.target];
  if (!a || !b) return;
  const g = svgEl("g", { class: "edge", "data-edge-id": edge.id, "data-source": edge.source, "data-target": edge.target }, layer);
  const points = geometry && geometry.points.length >= 2 ? geometry.points : straightLine(a, b);
  const line = svgEl("path", { class: "edge-line", d: bezierPath(points) }, g);
  const cut = curvePieces(points, PIECE_UNITS);
  // made when first shown (showPieces)
  const pieces = cut.length > 1 ? cut.map((piece) => ({ ...piece, el: null, extent: [piece.extent[0] - 4, piece.extent[1] - 4, piece.extent[2] + 4, piece.extent[3] + 4] })) : [];
  const tip = geometry?.end ?? null;
  const head = svgEl("path", { class: "edge-head", d: arrowHead(points, tip) }, g);
  let label = null;
  const quiet = edge.contribution === 0 && view.model.view.edges.size > QUIET_ZEROS_OVER; // dead ReLUs, many
  if (edge.contribution !== null && edge.contribution !== undefined && !quiet) {
    // beside the line (a "-" on the line would vanish into it), where it covers no box, badge,
    // callout or other label; not at all if there is no such spot
    const text = formatCompact(edge.contribution);
    const spot = firstFree(view.occupied, edgeLabelSpots(points, text, EDGE_FONT));
    if (spot) {
      view.occupy(spot);
      label = svgEl("text", {
        class: "edge-label", "data-edge-id": edge.id, x: round((spot[0] + spot[2]) / 2), y: round((spot[1] + spot[3]) / 2 + 0.36 * EDGE_FONT),
        "text-anchor": "middle", "font-size": EDGE_FONT, "aria-hidden": "true",
      }, labelLayer, text);
    }
  }
  const [x0, y0, x1, y1] = extentOf(tip ? [...points, tip] : points);
  const extent = [x0 - 40, y0 - 20, x1 + 40, y1 + 20];
  view.edges.set(edge.id, { el: g, line, pieces, head, label, points, extent, sent: false, current: false });
}

/**
 * Draw a long edge (`rec`, in the drawing) whole, or in the pieces for which `near(piece)` holds,
 * in their order before its head. Each piece's dash pattern goes on where the last one's stopped.
 */
export function showPieces(rec, whole, near) {
  if (!rec.pieces.length) return;
  let next = rec.head;
  for (let i = rec.pieces.length - 1; i >= 0; i--) {
    const piece = rec.pieces[i];
    if (whole || !near(piece)) {
      piece.el?.remove();
      continue;
    }
    piece.el ??= svgEl("path", { class: "edge-line", d: bezierPath(piece.points), "stroke-dashoffset": piece.start ? round(piece.start) : null });
    if (piece.el.parentNode !== rec.el) rec.el.insertBefore(piece.el, next);
    next = piece.el;
  }
  if (!whole) rec.line.remove();
  else if (rec.line.parentNode !== rec.el) rec.el.insertBefore(rec.line, rec.head);
}

/**
 * Mark an edge label `sent` or `riding` (its number on the moving dot), or not. A label not shown is
 * painted transparent rather than undrawn (graph.css), so it is also hidden from screen readers here,
 * as undrawn it was: they would read every contribution before it is sent.
 */
export function markLabel(label, name, on) {
  label.classList.toggle(name, on);
  const shown = label.classList.contains("sent") && !label.classList.contains("riding");
  label.setAttribute("aria-hidden", String(!shown));
}
