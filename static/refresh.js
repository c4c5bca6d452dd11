// New numbers on the drawing already on screen. A slider move, another call of a training loop,
// or a number typed in the editor gives a graph of the same structure: the same boxes at the same
// places. The SVG then stays; only its texts change (and the fonts of rows whose text grew).

import { PAD, UNKNOWN, gradTextsOf, nodeTooltip } from "./box-drawing.js";
import { sumText } from "./callouts.js";
import { QUIET_ZEROS_OVER } from "./edge-drawing.js";
import { fitFont, MONO_EM } from "./fonts.js";
import { flatten, formatCompact, formatValue } from "./format.js";
import { round } from "./geometry.js";
import { maxAbs } from "./heat-map.js";
import { groupName } from "./names.js";
import { edgeLabelSpots, overlapArea } from "./placement.js";

/**
 * Show `after` (a model from steps.js) on `view`, which draws `before`, by changing texts only.
 * False when that cannot show it (draw it anew): other boxes, places, edges or badges, or a text
 * grown where no free room is left for it. An edge label that outgrows its spot moves to another
 * beside its edge, or is not shown while no spot is free (as a new drawing leaves it out). The
 * caller then applies the current step (the rows are left for it to write).
 */
export function refreshInPlace(view, before, after) {
  if (view.model !== before || !sameDrawing(before, after)) return false;
  const renamed = new Map(); // a closed call's box -> [old name, new name]: "loss #15" drawn for call 3 is "loss #3"
  for (const [id, rec] of view.boxes) {
    const [was, now] = [before.view.groups.get(id), after.view.groups.get(id)];
    if (!was || !now || was.index === now.index) continue;
    if (groupName(now).length > groupName(was).length) return false; // its title was sized for the shorter name
    renamed.set(rec, [groupName(was), groupName(now), now.index]);
  }
  for (const id of after.view.open) if (before.view.groups.get(id)?.index !== after.view.groups.get(id)?.index) return false;
  const labels = new Map(); // label -> [text, spot: null to stay, false to hide]
  for (const [id, rec] of view.edges) {
    const text = edgeText(after, id);
    // a label to add or take away is drawn anew (one that found no free spot stays away)
    if ((text === null) !== (edgeText(before, id) === null)) return false;
    if (!rec.label) continue;
    labels.set(rec.label, [text, labelSpot(view, rec, text)]);
  }
  const callouts = new Map();
  const pills = new Map();
  for (const [id, rec] of view.boxes) {
    const node = after.nodes.get(id);
    if (!node) continue; // a group box: no callout, no pill
    if (rec.callout) {
      const room = calloutRoom(view, rec.callout, longestSum(after, node));
      if (room === false) return false;
      callouts.set(rec.callout, room);
    }
    const pill = rec.el.querySelector(":scope > .correct-pill");
    if (pill) {
      const text = `correct: ${formatValue(after.graph.compare?.correct[node.id] ?? null)}`;
      if (text.length * rec.badgeFont * MONO_EM + rec.badgeFont > Number(pill.querySelector("rect").getAttribute("width")) + 0.5) return false;
      pills.set(pill, text);
    }
  }
  view.model = after;
  view.layout = after.graph.layout;
  for (const [id, rec] of view.boxes) {
    const box = after.view.boxes.get(id);
    rec.shownValue = null; // both rows are written by the next apply()
    rec.shownGrad = null;
    // a closed call of several outputs shows their count, then their gradients' norm (apply() writes it)
    if (box.kind === "group" && box.outputs.length !== 1) continue;
    const node = after.nodes.get(box.kind === "group" ? box.outputs[0] : id);
    if (node) refreshBox(after, rec, node, box.kind === "group");
  }
  for (const [label, [text, spot]] of labels) {
    label.textContent = text;
    label.classList.toggle("no-room", spot === false);
    if (spot) {
      label.setAttribute("x", String(round((spot[0] + spot[2]) / 2)));
      label.setAttribute("y", String(round((spot[1] + spot[3]) / 2 + 0.36 * Number(label.getAttribute("font-size")))));
    }
  }
  for (const [callout, { x0, width, font }] of callouts) {
    callout.rect = [x0, callout.rect[1], x0 + width, callout.rect[3]];
    callout.el.setAttribute("transform", `translate(${round(x0)},${round(callout.rect[1])})`);
    callout.el.querySelector("rect").setAttribute("width", String(round(width)));
    callout.text.setAttribute("x", String(round(width / 2)));
    callout.text.setAttribute("font-size", String(round(font)));
  }
  for (const [pill, text] of pills) pill.querySelector("text").textContent = text;
  for (const [rec, [was, now, index]] of renamed) {
    rec.el.dataset.index = String(index);
    rec.el.querySelector(":scope > .title tspan").textContent = now;
    rec.el.setAttribute("aria-label", rec.el.getAttribute("aria-label").replace(was, now));
    const tooltip = rec.el.querySelector(":scope > title");
    tooltip.textContent = tooltip.textContent.replace(was, now);
  }
  return true;
}

// The rectangles each changing text (an edge label, a callout) holds in view.occupied: where it
// was drawn and where it grew or moved since (the occupancy only grows; drawing anew resets it).
const held = new WeakMap();

function holdings(view, el, drawn) {
  if (!held.has(el)) held.set(el, [drawn()]);
  return held.get(el);
}

/** How much of `rect` the others' texts and boxes cover (not the element's own rectangles). */
function coveredByOthers(view, own, rect) {
  return view.occupied.covered(rect) - own.reduce((sum, r) => sum + overlapArea(rect, r), 0);
}

function claim(view, own, rect) {
  view.occupied.add(rect);
  own.push(rect);
}

/**
 * Where an edge label's new text goes: null to stay where it is (it fits there), a spot beside
 * its edge (it outgrew its place), or false (no free spot: not shown).
 */
function labelSpot(view, rec, text) {
  const label = rec.label;
  const font = Number(label.getAttribute("font-size"));
  const own = holdings(view, label, () => labelRect(label, label.textContent, font));
  const here = labelRect(label, text, font);
  if (here[2] - here[0] <= own.at(-1)[2] - own.at(-1)[0] + 0.5) return null;
  if (coveredByOthers(view, own, here) < 0.5) {
    claim(view, own, here);
    return null;
  }
  const spot = edgeLabelSpots(rec.points, text, font).find((r) => coveredByOthers(view, own, r) < 0.5);
  if (!spot) return false;
  claim(view, own, spot);
  return spot;
}

/**
 * Room for a callout's new sums: {x0, width, font}. As it is if they fit; else wider, growing
 * right, left or both ways, where that covers nothing more than it did; else in smaller text (to
 * MIN_CALLOUT_SHRINK of its first size); false: no room at all (draw anew).
 */
function calloutRoom(view, callout, chars) {
  if (!calloutFonts.has(callout.el)) calloutFonts.set(callout.el, Number(callout.text.getAttribute("font-size")));
  const font = calloutFonts.get(callout.el);
  const own = holdings(view, callout.el, () => callout.rect);
  const [x0, y0, x1, y1] = callout.rect;
  const needed = chars * font * MONO_EM + font;
  if (needed <= x1 - x0 + 0.5) return { x0, width: x1 - x0, font };
  const before = coveredByOthers(view, own, callout.rect);
  const grow = needed - (x1 - x0);
  for (const left of [x0, x0 - grow, x0 - grow / 2]) {
    const wider = [left, y0, left + needed, y1];
    if (coveredByOthers(view, own, wider) <= before + 0.5) {
      claim(view, own, wider);
      return { x0: left, width: needed, font };
    }
  }
  const smaller = (x1 - x0) / (chars * MONO_EM + 1);
  return smaller >= font * MIN_CALLOUT_SHRINK ? { x0, width: x1 - x0, font: smaller } : false;
}

const MIN_CALLOUT_SHRINK = 0.7;
// each callout's text size as first drawn
const calloutFonts = new WeakMap();

/** The spot a label takes with `text`, centred where it is (as placement.js sizes spots). */
function labelRect(label, text, font) {
  const x = Number(label.getAttribute("x"));
  const y = Number(label.getAttribute("y")) - 0.36 * font;
  const halfW = (text.length * font * MONO_EM) / 2 + 2;
  const halfH = font * 0.62;
  return [x - halfW, y - halfH, x + halfW, y + halfH];
}

/** Same boxes at the same places, same edges, same steps, same marks on the boxes. */
function sameDrawing(before, after) {
  const a = before.graph;
  const b = after.graph;
  if (!a.layout || !b.layout || a.mode !== b.mode) return false;
  // a closed call's index may differ: the same statement of a loop, drawn for another pass
  const structure = (g, model) => JSON.stringify([
    g.layout, g.view?.boxes.map((box) => ({ ...box, index: null })), g.view?.folded, g.view?.steps,
    [...model.view.edges.values()].map((e) => [e.id, e.source, e.target]),
    g.nodes.map((n) => [n.id, n.flags]),
    [...model.differs],
    Object.entries(model.gradcheck).map(([id, c]) => [id, c.passed]),
  ]);
  return structure(a, before) === structure(b, after);
}

/** What an edge's label says, or null when it has none (edge-drawing.js: no sum, or a zero in a big view). */
function edgeText(model, id) {
  const edge = model.view.edges.get(id);
  if (!edge || edge.contribution === null || edge.contribution === undefined) return null;
  if (edge.contribution === 0 && model.view.edges.size > QUIET_ZEROS_OVER) return null;
  return formatCompact(edge.contribution);
}

function refreshBox(model, rec, node, isGroup) {
  const valueText = node.value === null ? UNKNOWN : formatValue(node.value);
  const gradTexts = gradTextsOf(model, node);
  // one font for both rows, fitting every text they will show (as box-drawing.js sizes them)
  const inner = rec.w - 2 * PAD;
  const longestGrad = Math.max(...gradTexts.map((t) => t.length));
  const rowFont = round(Math.min(
    fitFont(rec.base, "value ".length + valueText.length, inner, MONO_EM),
    fitFont(rec.base, "grad ".length + longestGrad, inner, MONO_EM),
  ));
  for (const text of rec.el.querySelectorAll(":scope > .key, :scope > .num")) {
    if (text.getAttribute("font-size") !== String(rowFont)) text.setAttribute("font-size", String(rowFont));
  }
  rec.valueText = valueText;
  if (rec.valueHeat) rec.valueHeat.paint(node.value, maxAbs(flatten(node.value)));
  if (rec.gradHeat) rec.gradHeat.gradScale = maxAbs(flatten(node.grad ?? 0));
  if (isGroup) return;
  const title = rec.el.querySelector(":scope > title");
  if (title) title.textContent = nodeTooltip(model, node);
}

/** The characters of the longest sum a node's callout will show. */
function longestSum(model, node) {
  const texts = model.arrivals.get(node.id).filter((a) => a.event.accumulated).map((a) => sumText(a.event, model.graph.mode));
  return Math.max(...texts.map((t) => t.length));
}
