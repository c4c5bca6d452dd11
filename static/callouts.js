// Sum callouts: "Σ 10 + (-6) = 4" by a node receiving its second or later contribution, placed
// where it covers least, shown while that contribution arrives.

import { aliasing } from "./aliasing.js";
import { svgEl } from "./dom.js";
import { MONO_EM } from "./fonts.js";
import { formatTerm, formatValue } from "./format.js";
import { round } from "./geometry.js";
import { leastCovered } from "./placement.js";

/**
 * The box for "Σ 10 + (-6) = 4" by a node that sums contributions: sized for the longest sum it
 * will show, and placed beside the node where it covers least of the other boxes, badges, labels
 * and callouts, never the node's own text or badges: above its badges, below it, right or left.
 */
export function drawCallout(view, node, layer) {
  const rec = view.boxes.get(node.id);
  if (!rec) return;
  const shared = aliasing(view.model).events;
  const texts = view.model.arrivals.get(node.id).filter((a) => a.event.accumulated)
    .map((a) => sumText(a.event, view.model.graph.mode, shared.get(a.event)));
  if (!texts.length) return;
  const font = Math.max(rec.base * 0.9, 10);
  const width = Math.max(...texts.map((t) => t.length)) * font * MONO_EM + font;
  const height = font * 1.6;
  const gap = 3;
  const [x0, y0, x1, y1] = rec.drawn;
  const cx = (x0 + x1) / 2;
  const cy = rec.cy;
  const lefts = [cx - width / 2, x1 - width, x0];
  const candidates = [
    ...lefts.map((x) => [x, y0 - gap - height, x + width, y0 - gap]), // y0: the top of its badges
    ...lefts.map((x) => [x, y1 + gap, x + width, y1 + gap + height]),
    [x1 + 2 * gap, cy - height / 2, x1 + 2 * gap + width, cy + height / 2],
    [x0 - 2 * gap - width, cy - height / 2, x0 - 2 * gap, cy + height / 2],
  ];
  const spot = leastCovered(view.occupied, candidates, [0, 0, view.layout.width, view.layout.height]);
  view.occupy(spot);
  const el = svgEl("g", { class: "sum-callout", "data-for": node.id, transform: `translate(${round(spot[0])},${round(spot[1])})` }, layer);
  svgEl("rect", { width: round(width), height: round(height), rx: 4 }, el);
  const text = svgEl("text", { x: round(width / 2), y: round(height / 2 + 0.36 * font), "text-anchor": "middle", "font-size": round(font) }, el);
  rec.callout = { el, text, rect: spot };
}

/** "Σ 10 + (-6) = 4" by a node box receiving its second or later contribution. */
export function showSum(view, event, mode) {
  const callout = view.boxes.get(event.to)?.callout;
  if (!callout) return;
  callout.text.textContent = sumText(event, mode, aliasing(view.model).events.get(event));
  callout.el.classList.add("show");
  view.shownCallouts.push(callout);
}

/**
 * What a node's sum callout says when `event` (an accumulating contribution) arrives; under the
 * alias bug, `alias` (aliasing.js) gives the values before the in-place add, and who shares it.
 */
export function sumText(event, mode, alias = null) {
  if (alias) {
    const sum = `Σ ${formatTerm(alias.before)} + ${formatTerm(alias.contribution)} = ${formatValue(alias.after)}`;
    return alias.shared.length ? `${sum}, in place: shared!` : `${sum}, in place`;
  }
  return mode === "overwrite"
    ? `grad = ${formatValue(event.contribution)}  (${formatValue(event.grad_before)} lost!)`
    : `Σ ${formatTerm(event.grad_before)} + ${formatTerm(event.contribution)} = ${formatValue(event.grad_after)}`;
}
