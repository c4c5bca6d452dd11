// Drawing one box of the view: a node (title, value, grad, badges, heat maps of a tensor), a
// collapsed group (its name and call index, the value and grad of what it returns), or the frame
// of an open group (a cluster with a label to collapse it). Each returns a record that
// graph-view.js keeps for stepping: the elements to update and the rectangles the box takes.

import { svgEl } from "./dom.js";
import { flatten, formatShape, formatValue, formatValueFull } from "./format.js";
import { clamp, round } from "./geometry.js";
import { HeatMap, maxAbs } from "./heat-map.js";
import { groupName, nodeName } from "./names.js";
import { nodeTitle, opSymbol } from "./ops.js";

export const PAD = 6;
export const MONO_EM = 0.61; // advance of DejaVu Sans Mono, in em
const SANS_EM = 0.64; // typical advance of DejaVu Sans Bold, in em
export const UNKNOWN = "?";
const HUES = 8; // instances of one function share one of this many colours
const CLUSTER_FONT = 11; // an open group's label, in graph units: the server leaves room for it (app/layout.py)

/** The font size of a box's rows, from its height: text fills the box's three lines. */
function baseFont(height, tensor) {
  return clamp((height - 2 * PAD) / 3.6, 7, tensor ? 14 : 16);
}

/** The smallest text a box of this height draws (its badges), to judge a layout before drawing it. */
export function smallestText(height) {
  return badgeFontFor(baseFont(height, false));
}

function badgeFontFor(base) {
  return Math.max(base * 0.8, 7);
}

/** One of HUES colour classes for a group label: the same function always gets the same one. */
export function hueOf(label) {
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  return (h >>> 0) % HUES;
}

/** A node's box at its layout place `box` ({x, y, width, height}, centre and size). */
export function drawNodeBox(model, node, box, layer) {
  const tensor = node.shape.length > 0;
  const g = svgEl("g", {
    class: `node kind-${node.kind}`,
    "data-node-id": node.id,
    "data-label": node.label ?? "",
    "data-kind": node.kind,
  }, layer);
  for (const flag of node.flags) g.classList.add(`flag-${flag}`);
  if (model.differs.has(node.id)) g.classList.add("differs");
  if (node.id === model.root) g.classList.add("root");
  svgEl("title", {}, g, nodeTooltip(model, node));
  const rec = frame(g, box, node.kind === "op" ? Math.min(12, box.height / 4) : 3);
  const folded = foldedText(model, node);
  // an unlabelled leaf by the short name captions use for it ("Value(2.0)"), else its id
  const title = folded && !node.label ? folded : node.kind === "leaf" && !node.label ? nodeName(model, node.id) : nodeTitle(node);
  const gradTexts = [UNKNOWN, formatValue(node.grad), ...model.arrivals.get(node.id).map((a) => formatValue(a.event.grad_after))];
  if (node.id === model.root && model.graph.backward_steps.length) gradTexts.push(formatValue(model.graph.backward_steps[0].grad));
  const pinned = model.differs.has(node.id);
  drawRows(rec, { title, shape: tensor ? node.shape : null, value: node.value, grad: node.grad, gradTexts, pinned });
  const badges = nodeBadges(model, node);
  // a labelled op shows its op (and any number folded into it) as a bubble on the top-left corner
  const bubble = node.kind === "op" && node.label ? (folded ?? opSymbol(node)) : null;
  drawBadges(rec, badges, bubble);
  if (pinned && model.graph.compare) drawPinned(rec, `correct: ${formatValue(model.graph.compare.correct[node.id] ?? null)}`);
  return rec;
}

/** A collapsed group: "neuron #3", and the value and grad of its last output. */
export function drawGroupBox(model, box, place, layer) {
  const group = model.view.groups.get(box.id);
  const name = groupName(group);
  const g = svgEl("g", {
    class: `group-box hue-${hueOf(group.label)}`,
    "data-group-id": group.id,
    "data-label": group.label,
    "data-index": group.index,
    "data-collapsed": "true",
    tabindex: 0,
    role: "button",
    "aria-label": `${name}, ${box.members} nodes: press Enter to open`,
  }, layer);
  const out = model.nodes.get(box.outputs.at(-1));
  const outputs = box.outputs.length;
  svgEl("title", {}, g, [
    `${name} (${group.kind === "call" ? "a call" : "a statement"}, ${box.members} nodes)`,
    out ? `shows ${outputs > 1 ? `the last of its ${outputs} outputs` : "its output"}: ${nodeName(model, out.id)}` : "no output",
    "click or Enter to open",
  ].join("\n"));
  // a second frame behind, offset: a stack of boxes, something folded up
  svgEl("rect", { class: "stack", x: 5, y: -5, width: place.width, height: place.height, rx: 10 }, g);
  const rec = frame(g, place, 10);
  const gradTexts = [UNKNOWN];
  if (out) {
    gradTexts.push(formatValue(out.grad), ...model.arrivals.get(out.id).map((a) => formatValue(a.event.grad_after)));
    if (out.id === model.root && model.graph.backward_steps.length) gradTexts.push(formatValue(model.graph.backward_steps[0].grad));
  }
  drawRows(rec, { title: name, shape: null, value: out ? out.value : null, grad: null, gradTexts, pinned: false });
  // "+33": what opening it shows; "16 outputs": the box shows only the last one's numbers
  const badges = outputs > 1 ? [{ kind: "outputs", text: `${outputs} out`, title: `${outputs} outputs; the box shows the last one` }] : [];
  drawBadges(rec, badges, `+${box.members}`);
  rec.drawn[1] = Math.min(rec.drawn[1], rec.y0 - 5);
  rec.drawn[2] = Math.max(rec.drawn[2], rec.x0 + place.width + 5);
  return rec;
}

/** An open group: a tinted frame around its boxes, labelled at the top; the label collapses it. */
export function drawCluster(model, group, rect, layer) {
  const name = groupName(group);
  const x0 = rect.x - rect.width / 2;
  const y0 = rect.y - rect.height / 2;
  const g = svgEl("g", {
    class: `cluster hue-${hueOf(group.label)}`,
    "data-group-id": group.id,
    "data-label": group.label,
    "data-index": group.index,
    "data-collapsed": "false",
  }, layer);
  svgEl("rect", { class: "cluster-box", x: round(x0), y: round(y0), width: round(rect.width), height: round(rect.height), rx: 12 }, g);
  // in the frame's top left corner, where Graphviz keeps a label's room free
  const text = `− ${name}`;
  const w = text.length * CLUSTER_FONT * 0.62 + CLUSTER_FONT;
  const h = CLUSTER_FONT * 1.5;
  const label = svgEl("g", {
    class: "cluster-label", tabindex: 0, role: "button", "aria-label": `${name}, open: press Enter to collapse`,
    transform: `translate(${round(x0 + 4)},${round(y0 + 3)})`,
  }, g);
  svgEl("title", {}, label, `${name}: click or Enter to collapse`);
  svgEl("rect", { width: round(w), height: round(h), rx: round(h / 2) }, label);
  svgEl("text", { x: round(w / 2), y: round(h / 2 + CLUSTER_FONT * 0.36), "text-anchor": "middle", "font-size": CLUSTER_FONT }, label, text);
  return {
    el: g, font: CLUSTER_FONT,
    label: [x0 + 4, y0 + 3, x0 + 4 + w, y0 + 3 + h],
    extent: [x0, y0, x0 + rect.width, y0 + rect.height], culled: false,
  };
}

/** The box's outline, and the record the drawing keeps for it. */
function frame(g, box, rx) {
  const x0 = box.x - box.width / 2;
  const y0 = box.y - box.height / 2;
  g.setAttribute("transform", `translate(${round(x0)},${round(y0)})`);
  svgEl("rect", { class: "box", width: box.width, height: box.height, rx }, g);
  return {
    el: g, x0, y0, w: box.width, h: box.height, cy: box.y,
    gradEl: null, valueEl: null, valueHeat: null, gradHeat: null, callout: null,
    base: 0, minFont: Infinity, badgeBand: null, taken: [[x0, y0, x0 + box.width, y0 + box.height]],
    shownGrad: UNKNOWN, shownValue: null, valueText: null, flags: "",
    // what the box draws, badges and pill included: [x0, y0, x1, y1]
    drawn: [x0, y0, x0 + box.width, y0 + box.height],
    extent: null, culled: false,
  };
}

/**
 * Title, then value and grad rows: key on the left, number on the right, one font size that fits
 * every text the row will ever show (`gradTexts`), so nothing moves while stepping. A tensor
 * gets heat maps of its value and gradient below.
 */
function drawRows(rec, { title, shape, value, grad, gradTexts, pinned }) {
  const { el: g, w, h } = rec;
  const tensor = shape !== null;
  const inner = w - 2 * PAD;
  const base = baseFont(h, tensor);
  // a differing node's correct value is pinned over its bottom edge: keep the heat maps clear of it
  let heatH = tensor ? h - 2 * PAD - base * 3.6 - 4 - (pinned ? base * 0.9 : 0) : 0;
  if (heatH < 14) heatH = 0;
  const lineH = base * 1.2;
  const top = PAD + (h - 2 * PAD - heatH - 3 * lineH) / 2;
  const baseline = (i) => round(top + lineH * i + lineH / 2 + 0.36 * base);

  const shapeText = tensor ? ` ${formatShape(shape)}` : "";
  const titleFont = fitFont(base * 1.05, title.length + shapeText.length, inner, SANS_EM);
  const titleEl = svgEl("text", { class: "title", x: w / 2, y: baseline(0), "text-anchor": "middle", "font-size": round(titleFont) }, g);
  svgEl("tspan", {}, titleEl, title);
  if (shapeText) svgEl("tspan", { class: "shape" }, titleEl, shapeText);

  const valueText = value === null ? UNKNOWN : formatValue(value);
  const longestGrad = Math.max(...gradTexts.map((t) => t.length));
  const rowFont = Math.min(
    fitFont(base, "value ".length + valueText.length, inner, MONO_EM),
    fitFont(base, "grad ".length + longestGrad, inner, MONO_EM),
  );
  const row = (i, key, role, text) => {
    svgEl("text", { class: `key key-${role}`, x: PAD, y: baseline(i), "font-size": round(rowFont) }, g, key);
    return svgEl("text", { class: `num num-${role}`, "data-role": role, x: w - PAD, y: baseline(i), "text-anchor": "end", "font-size": round(rowFont) }, g, text);
  };
  rec.valueEl = row(1, "value", "value", valueText);
  rec.gradEl = row(2, "grad", "grad", UNKNOWN);
  rec.valueText = valueText;
  rec.shownValue = valueText;
  rec.base = base;
  rec.minFont = Math.min(titleFont, rowFont);
  rec.extent = [rec.x0, rec.y0 - 3 * base, rec.x0 + w, rec.y0 + h + base];

  if (heatH) {
    const heatTop = top + 3 * lineH + 4;
    const half = (inner - 6) / 2;
    rec.valueHeat = new HeatMap(g, shape, PAD, heatTop, half, heatH, "value");
    rec.valueHeat.paint(value, maxAbs(flatten(value)));
    rec.gradHeat = new HeatMap(g, shape, PAD + half + 6, heatTop, half, heatH, "grad");
    rec.gradHeat.gradScale = maxAbs(flatten(grad ?? 0));
    rec.gradHeat.paint(null, 1);
  }
}

/** Pills on the box's top edge, outside it so that they never cover the title: right to left, and a bubble on the left. */
function drawBadges(rec, badges, bubble) {
  const { el: g, w, x0, y0, base } = rec;
  const badgeFont = badgeFontFor(base);
  const badgeH = badgeFont * 1.4;
  const badgeY = round(1.5 - badgeH); // overlapping the border only
  let right = w - 4;
  for (const badge of badges) {
    const bw = badge.text.length * badgeFont * 0.68 + badgeFont * 0.9;
    const b = svgEl("g", { class: `badge badge-${badge.kind}`, transform: `translate(${round(right - bw)},${badgeY})` }, g);
    svgEl("title", {}, b, badge.title);
    svgEl("rect", { width: round(bw), height: round(badgeH), rx: round(badgeH / 2) }, b);
    svgEl("text", { x: round(bw / 2), y: round(badgeFont * 1.08), "text-anchor": "middle", "font-size": round(badgeFont) }, b, badge.text);
    right -= bw + 3;
  }
  if (bubble) {
    const bw = Math.max(bubble.length * badgeFont * 0.68 + badgeFont * 0.9, badgeFont * 1.6);
    const b = svgEl("g", { class: "op-bubble", transform: `translate(${round(4)},${badgeY})` }, g);
    svgEl("rect", { width: round(bw), height: round(badgeH), rx: round(badgeH / 2) }, b);
    svgEl("text", { x: round(bw / 2), y: round(badgeFont * 1.08), "text-anchor": "middle", "font-size": round(badgeFont) }, b, bubble);
  }
  rec.badgeFont = badgeFont;
  rec.minFont = Math.min(rec.minFont, badgeFont);
  if (badges.length || bubble) {
    rec.badgeBand = [x0, y0 + badgeY, x0 + w, y0];
    rec.taken.push(rec.badgeBand);
    rec.drawn[1] = y0 + badgeY;
  }
}

/** The correct gradient, pinned on the bottom edge of a node whose buggy gradient differs. */
function drawPinned(rec, text) {
  const { el: g, w, h, x0, y0, badgeFont: font } = rec;
  const bw = text.length * font * MONO_EM + font;
  const py = h - font * 0.6;
  const b = svgEl("g", { class: "correct-pill", transform: `translate(${round(w / 2 - bw / 2)},${round(py)})` }, g);
  svgEl("rect", { width: round(bw), height: round(font * 1.4), rx: round(font * 0.4) }, b);
  svgEl("text", { x: round(bw / 2), y: round(font * 1.05), "text-anchor": "middle", "font-size": round(font) }, b, text);
  rec.drawn[3] = y0 + py + font * 1.4;
  rec.taken.push([x0 + w / 2 - bw / 2, y0 + h, x0 + w / 2 + bw / 2, rec.drawn[3]]);
}

/**
 * Numbers of the program folded into this node's box ("× 1.1"): consts with no box of their
 * own, written on the side of the op where they stand. null when none is.
 */
function foldedText(model, node) {
  const consts = new Set(model.view.folded.get(node.id) ?? []);
  if (!consts.size || node.kind !== "op") return null;
  const symbol = opSymbol(node);
  const parts = model.inputs.get(node.id).filter((e) => consts.has(e.source)).map((e) => {
    const number = formatValue(model.nodes.get(e.source).value);
    return e.arg === 0 ? `${number} ${symbol}` : `${symbol} ${number}`;
  });
  return parts.length ? parts.join(", ") : null;
}

/** The small pills on a node's top edge, right to left. "Σ" is shown only while the node sums. */
function nodeBadges(model, node) {
  const badges = [];
  if ((model.expected.get(node.id) ?? 0) >= 2) {
    badges.push({ kind: "sum", text: "Σ", title: `gradient is the sum of ${model.expected.get(node.id)} contributions` });
  }
  if (model.differs.has(node.id)) badges.push({ kind: "differs", text: "≠", title: "this gradient differs from the correct one" });
  const gc = model.gradcheck[node.id];
  if (gc) badges.push({ kind: gc.passed ? "pass" : "fail", text: gc.passed ? "✓ check" : "✗ check", title: `gradcheck ${gc.passed ? "passed" : "failed"}` });
  const flagText = {
    nan: ["nan", "a value or gradient is NaN"],
    inf: ["inf", "a value or gradient is infinite"],
    saturated: ["saturated", "saturated: the local derivative is almost 0"],
    unconnected: ["None", "not connected to the root: grad is None, not 0"],
    shape_mismatch: ["shape!", "the gradient's shape does not match the value's shape"],
  };
  for (const flag of node.flags) {
    if (flag in flagText) badges.push({ kind: `flag-${flag}`, text: flagText[flag][0], title: flagText[flag][1] });
  }
  return badges;
}

function nodeTooltip(model, node) {
  const lines = [nodeName(model, node.id)];
  if (node.op) lines.push(`op: ${node.op}`);
  if (node.shape.length) lines.push(`shape: ${formatShape(node.shape)}`);
  let value = formatValueFull(node.value);
  if (value.length > 400) value = `${value.slice(0, 400)}…`;
  lines.push(`value: ${value}`);
  lines.push("click for details");
  return lines.join("\n");
}

function fitFont(base, chars, width, em) {
  return Math.max(4, Math.min(base, width / (Math.max(chars, 1) * em)));
}
