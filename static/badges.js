// The marks on a box's edges: pills on its top edge (how many contributions its gradient will sum,
// flags, gradcheck, ≠), a bubble on its top-left corner (its op, or what a closed call holds), and
// the correct gradient pinned on its bottom edge in a bug mode.

import { svgEl } from "./dom.js";
import { badgeFontFor, MONO_EM } from "./fonts.js";
import { shapeOf } from "./format.js";
import { round } from "./geometry.js";
import { fanOutMark, FLAGS, shapeMismatch, shapeMismatchTitle } from "./words.js";

const GAP = 3; // between pills, and between their rows

/**
 * The pills on a node's top edge, right to left: the fan-out "Σ 2" from step 0 (filled while the
 * node sums), gradcheck, flags, and last (so leftmost) "≠", shown once the gradient is final.
 */
export function nodeBadges(model, node) {
  const badges = [];
  const expected = model.expected.get(node.id) ?? 0;
  if (expected >= 2) badges.push({ kind: "sum", role: "fan-out", ...fanOutMark(expected) });
  const gc = model.gradcheck[node.id];
  if (gc) badges.push({ kind: gc.passed ? "pass" : "fail", text: gc.passed ? "✓ check" : "✗ check", title: `gradcheck ${gc.passed ? "passed" : "failed"}` });
  for (const flag of node.flags) {
    if (flag === "sum" || !(flag in FLAGS)) continue; // "sum" is the fan-out mark
    if (flag === "shape_mismatch" && node.grad !== null) {
      const gradShape = shapeOf(node.grad);
      badges.push({ kind: `flag-${flag}`, text: shapeMismatch(gradShape, node.shape), title: shapeMismatchTitle(gradShape, node.shape) });
    } else {
      badges.push({ kind: `flag-${flag}`, text: FLAGS[flag].badge, title: FLAGS[flag].title });
    }
  }
  if (model.differs.has(node.id)) badges.push({ kind: "differs", text: "≠", title: "this gradient differs from the correct one" });
  return badges;
}

/**
 * Pills on the box's top edge, outside it so that they never cover the title: right to left, and
 * a bubble ({text, title} or null) on the left; pills that would reach the bubble go to a row above.
 */
export function drawBadges(rec, badges, bubble) {
  const { el: g, w, x0, y0, base } = rec;
  const font = badgeFontFor(base);
  const height = font * 1.4;
  const rowY = (row) => round(1.5 - height - row * (height + GAP)); // the first overlaps the border only
  const widthOf = (text, min = 0) => Math.max(text.length * font * 0.68 + font * 0.9, min);
  const pill = (cls, x, y, width, text, title = null, role = null) => {
    const b = svgEl("g", { class: cls, "data-role": role, transform: `translate(${round(x)},${y})` }, g);
    if (title) svgEl("title", {}, b, title);
    svgEl("rect", { width: round(width), height: round(height), rx: round(height / 2) }, b);
    svgEl("text", { x: round(width / 2), y: round(font * 1.08), "text-anchor": "middle", "font-size": round(font) }, b, text);
  };
  const bubbleRight = bubble ? 4 + widthOf(bubble.text, font * 1.6) : 0;
  if (bubble) pill("op-bubble", 4, rowY(0), bubbleRight - 4, bubble.text, bubble.title);
  let row = 0;
  let right = w - 4;
  for (const badge of badges) {
    const width = widthOf(badge.text);
    const left = row === 0 ? bubbleRight + GAP : 4;
    if (right - width < left && right < w - 4) {
      row += 1;
      right = w - 4;
    }
    pill(`badge badge-${badge.kind}`, right - width, rowY(row), width, badge.text, badge.title, badge.role);
    right -= width + GAP;
  }
  rec.badgeFont = font;
  rec.minFont = Math.min(rec.minFont, font);
  if (badges.length || bubble) {
    rec.badgeBand = [x0, y0 + rowY(row), x0 + w, y0];
    rec.taken.push(rec.badgeBand);
    rec.drawn[1] = y0 + rowY(row);
  }
}

/** The correct gradient, pinned on the bottom edge of a node whose buggy gradient differs. */
export function drawPinned(rec, text) {
  const { el: g, w, h, x0, y0, badgeFont: font } = rec;
  const bw = text.length * font * MONO_EM + font;
  const py = h - font * 0.6;
  const b = svgEl("g", { class: "correct-pill", transform: `translate(${round(w / 2 - bw / 2)},${round(py)})` }, g);
  svgEl("rect", { width: round(bw), height: round(font * 1.4), rx: round(font * 0.4) }, b);
  svgEl("text", { x: round(bw / 2), y: round(font * 1.05), "text-anchor": "middle", "font-size": round(font) }, b, text);
  rec.drawn[3] = y0 + py + font * 1.4;
  rec.taken.push([x0 + w / 2 - bw / 2, y0 + h, x0 + w / 2 + bw / 2, rec.drawn[3]]);
}
