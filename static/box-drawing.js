// Drawing one box of the view: a node (title, value, grad, badges, heat maps of a tensor), a
// collapsed group (its name and call index, the value and grad of what it returns), or the frame
// of an open group (a cluster with a label to collapse it). Each returns a record that
// graph-view.js keeps for stepping: the elements to update and the rectangles the box takes.

import { drawBadges, drawPinned, nodeBadges } from "./badges.js";
import { svgEl } from "./dom.js";
import { badgeFontFor, fitFont, MONO_EM, SANS_EM } from "./fonts.js";
import { flatten, formatNumber, formatShape, formatValue, formatValueFull, isSummary, toNumber } from "./format.js";
import { clamp, round } from "./geometry.js";
import { HeatMap, maxAbs } from "./heat-map.js";
import { groupName, nodeName } from "./names.js";
import { nodeTitle, opSymbol } from "./ops.js";

export const PAD = 6;
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

/** One of HUES colour classes for a group label: the same function always gets the same one. */
export function hueOf(label) {
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  return (h >>> 0) % HUES;
}

/** A node's box at its layout place `box` ({x, y, width, height}, centre and size). */
export function drawNodeBox(model, node, box, layer) {
  const tensor = node.shape.length > 0;
  // focusable, in the order the boxes are drawn (backward order, see graph-view.js): Enter opens
  // its details, so the inspector needs no mouse
  const g = svgEl("g", {
    class: `node kind-${node.kind}`,
    "data-node-id": node.id,
    "data-label": node.label ?? "",
    "data-kind": node.kind,
    tabindex: 0,
    role: "button",
    "aria-label": `${nodeName(model, node.id)}: press Enter for its details`,
  }, layer);
  for (const flag of node.flags) g.classList.add(`flag-${flag}`);
  if (node.id === model.root) g.classList.add("root");
  svgEl("title", {}, g, nodeTooltip(model, node));
  const rec = frame(g, box, node.kind === "op" ? Math.min(12, box.height / 4) : 3);
  const folded = foldedText(model, node);
  // an unlabelled leaf by the short name captions use for it ("Value(2.0)"), else its id
  const title = folded && !node.label ? folded : node.kind === "leaf" && !node.label ? nodeName(model, node.id) : nodeTitle(node);
  const gradTexts = gradTextsOf(model, node);
  // a gradient that differs in a bug mode: the correct one is pinned below, shown (with "≠") once
  // this gradient is final (graph-view.js marks the box "differs" then)
  const pinned = model.differs.has(node.id) && Boolean(model.graph.compare);
  drawRows(rec, { title, shape: tensor ? node.shape : null, value: node.value, grad: node.grad, gradTexts, pinned });
  // a labelled op shows its op (and any number folded into it) as a bubble on the top-left corner
  const bubble = node.kind === "op" && node.label ? { text: folded ?? opSymbol(node), title: `op: ${node.op}` } : null;
  drawBadges(rec, nodeBadges(model, node), bubble);
  if (pinned) drawPinned(rec, `correct: ${formatValue(model.graph.compare.correct[node.id] ?? null)}`);
  return rec;
}

/**
 * A collapsed group: "neuron #3", and the value and grad of what it returns: of its one output,
 * or for several "64 values" and, once they are in, the norm of their gradients.
 */
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
  const outputs = box.outputs.length;
  const out = outputs === 1 ? model.nodes.get(box.outputs[0]) : null;
  const holds = `${box.members} ${box.members === 1 ? "node" : "nodes"}`;
  svgEl("title", {}, g, [
    `${name}: ${group.kind === "call" ? "a call" : "a statement"} of ${holds}, closed`,
    outputs === 1 ? `shows its output, ${nodeName(model, out.id)}` : `returns ${outputs} values: the box shows their count, then the norm of their gradients`,
    "click or Enter to open",
  ].join("\n"));
  // a second frame behind, offset: a stack of boxes, something folded up
  const stack = svgEl("rect", { class: "stack", x: 5, y: -5, width: place.width, height: place.height, rx: 10 }, g);
  const rec = frame(g, place, 10);
  placeFar(stack, rec.x0 + 5, rec.y0 - 5);
  if (out) {
    drawRows(rec, { title: name, shape: null, value: out.value, grad: null, gradTexts: gradTextsOf(model, out), pinned: false });
  } else {
    // several outputs: how many, and their gradients' norm once all are in (groupGradText)
    const final = box.outputs.map((id) => ({ grad: model.nodes.get(id).grad }));
    const gradTexts = [UNKNOWN, `${outputs - 1}/${outputs} in`, groupGradText(final)];
    drawRows(rec, { title: name, shape: null, value: null, valueText: String(outputs), grad: null, gradTexts, pinned: false, keys: ["values", "grads"] });
  }
  drawBadges(rec, [], { text: holds, title: `opening it shows its ${holds}` });
  rec.drawn[1] = Math.min(rec.drawn[1], rec.y0 - 5);
  rec.drawn[2] = Math.max(rec.drawn[2], rec.x0 + place.width + 5);
  return rec;
}

/** What a closed call with several outputs shows as its gradient: "?", then how many are in, then their norm. */
export function groupGradText(outputs) {
  const known = outputs.filter((o) => o.grad !== undefined);
  if (!known.length) return UNKNOWN;
  if (known.length < outputs.length) return `${known.length}/${outputs.length} in`;
  // a summarised array sends only some of its entries: no norm of those
  if (known.some((o) => isSummary(o.grad))) return "grads in";
  const norm = Math.hypot(...known.flatMap((o) => (o.grad === null ? [] : flatten(o.grad).map(toNumber))));
  return Number.isFinite(norm) ? `norm ${formatNumber(norm)}` : "grads in";
}


/** Every text a box's grad row shows while stepping: "?", each running sum, the seed, the final gradient. */
export function gradTextsOf(model, node) {
  const texts = [UNKNOWN, formatValue(node.grad), ...model.arrivals.get(node.id).map((a) => formatValue(a.event.grad_after))];
  if (node.id === model.root && model.graph.backward_steps.length) texts.push(formatValue(model.graph.backward_steps[0].grad));
  return texts;
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
    extent: [x0, y0, x0 + rect.width, y0 + rect.height],
  };
}

/**
 * Where `el`, a part of a box that still shows zoomed far out, is drawn then: there the box has no
 * transform (graph.css, .far). On the part itself, not its box: custom properties are inherited,
 * and set on the box they reached every element in it (3,000 boxes, a step at the opening zoom:
 * ~0.9 ms slower than without them, ~0.3 ms set on the part).
 */
function placeFar(el, x, y) {
  el.style.setProperty("--x", `${round(x)}px`);
  el.style.setProperty("--y", `${round(y)}px`);
}

/** The box's outline, and the record the drawing keeps for it. */
function frame(g, box, rx) {
  const x0 = box.x - box.width / 2;
  const y0 = box.y - box.height / 2;
  g.setAttribute("transform", `translate(${round(x0)},${round(y0)})`);
  placeFar(svgEl("rect", { class: "box", width: box.width, height: box.height, rx }, g), x0, y0);
  return {
    el: g, x0, y0, w: box.width, h: box.height, cy: box.y,
    gradEl: null, valueEl: null, valueHeat: null, gradHeat: null, callout: null,
    base: 0, minFont: Infinity, badgeBand: null, taken: [[x0, y0, x0 + box.width, y0 + box.height]],
    shownGrad: UNKNOWN, shownValue: null, valueText: null, flags: "",
    // what the box draws, badges and pill included: [x0, y0, x1, y1]
    drawn: [x0, y0, x0 + box.width, y0 + box.height],
    extent: null,
  };
}

/**
 * Title, then value and grad rows: key on the left, number on the right, one font size that fits
 * every text the row will ever show (`gradTexts`), so nothing moves while stepping. A tensor
 * gets heat maps of its value and gradient below.
 */
function drawRows(rec, { title, shape, value, valueText: shownValue = null, grad, gradTexts, pinned, keys = ["value", "grad"] }) {
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

  const valueText = shownValue ?? (value === null ? UNKNOWN : formatValue(value));
  const longestGrad = Math.max(...gradTexts.map((t) => t.length));
  const rowFont = Math.min(
    fitFont(base, keys[0].length + 1 + valueText.length, inner, MONO_EM),
    fitFont(base, keys[1].length + 1 + longestGrad, inner, MONO_EM),
  );
  const row = (i, key, role, text) => {
    svgEl("text", { class: `key key-${role}`, x: PAD, y: baseline(i), "font-size": round(rowFont) }, g, key);
    return svgEl("text", { class: `num num-${role}`, "data-role": role, x: w - PAD, y: baseline(i), "text-anchor": "end", "font-size": round(rowFont) }, g, text);
  };
  rec.valueEl = row(1, keys[0], "value", valueText);
  rec.gradEl = row(2, keys[1], "grad", UNKNOWN);
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

export function nodeTooltip(model, node) {
  const lines = [nodeName(model, node.id)];
  if (node.op) lines.push(`op: ${node.op}`);
  if (node.shape.length) lines.push(`shape: ${formatShape(node.shape)}`);
  let value = formatValueFull(node.value);
  if (value.length > 400) value = `${value.slice(0, 400)}…`;
  lines.push(`value: ${value}`);
  lines.push("click for details");
  return lines.join("\n");
}
