// Curves over a training loop's backward calls: the loss (the root's value at each call) and the
// gradient norm. One point per call; the drawn call is marked; a log scale when the values span
// decades. Drawing only: the training panel decides what to plot and what a click does.

import { svgEl } from "./dom.js";
import { formatNumber, toNumber } from "./format.js";

const MARGIN = { left: 44, right: 10, top: 22, bottom: 26 };
const LOG_OVER = 100; // max/min from which the y axis is logarithmic
const LEGEND_EM = 5.6; // advance of a legend character at the plot's 10px font

/**
 * @param {{name: string, role: string, cls: string, points: {call: number, y: number|string, note?: string}[]}[]} series
 *   role: the points' data-role ("point" for the curve whose calls a click shows)
 * @param {{current: number|null, yLabel: string, label: string, width?: number, height?: number}} options
 * @returns {SVGSVGElement} its points carry data-call and data-value; `data-scale` says "log" or "linear"
 */
export function callPlot(series, { current, yLabel, label, width = 300, height = 150 }) {
  const svg = svgEl("svg", { class: "plot call-plot", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  const finite = series.flatMap((s) => s.points.map((p) => toNumber(p.y))).filter(Number.isFinite);
  const calls = series.flatMap((s) => s.points.map((p) => p.call));
  if (!calls.length) return svg;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const [x0, x1] = [Math.min(...calls), Math.max(Math.max(...calls), Math.min(...calls) + 1)];
  const y = yScale(finite.length ? finite : [0, 1]);
  svg.dataset.scale = y.log ? "log" : "linear";
  const sx = (call) => MARGIN.left + ((call - x0) / (x1 - x0)) * plotW;
  // off the scale (nan, inf, or 0 on a log scale): on the top edge, drawn hollow
  const sy = (v) => {
    const t = y.at(toNumber(v));
    return Number.isFinite(t) ? MARGIN.top + plotH - t * plotH : null;
  };

  const axes = svgEl("g", { class: "plot-axes" }, svg);
  svgEl("rect", { x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH, class: "plot-frame" }, axes);
  for (const tick of y.ticks) {
    const ty = sy(tick.value);
    svgEl("line", { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: ty, y2: ty, class: "plot-grid" }, axes);
    svgEl("text", { x: MARGIN.left - 4, y: ty + 3.5, "text-anchor": "end" }, axes, tick.text);
  }
  for (const call of xTicks(x0, x1)) {
    svgEl("text", { x: sx(call), y: MARGIN.top + plotH + 12, "text-anchor": "middle" }, axes, String(call));
  }
  svgEl("text", { x: MARGIN.left + plotW, y: height - 2, "text-anchor": "end", class: "plot-axis-label" }, axes, "backward call");
  svgEl("text", { x: 2, y: 12, class: "plot-axis-label" }, axes, `${yLabel}${y.log ? " (log)" : ""}`);
  if (current !== null) {
    const cx = sx(current);
    svgEl("line", { x1: cx, x2: cx, y1: MARGIN.top, y2: MARGIN.top + plotH, class: "plot-current-line" }, svg);
  }

  for (const s of series) {
    const g = svgEl("g", { class: `plot-series ${s.cls}` }, svg);
    const drawn = s.points.map((p) => ({ ...p, px: sx(p.call), py: sy(p.y) }));
    const path = runs(drawn).map((run) => run.map((p, j) => `${j ? "L" : "M"}${p.px.toFixed(1)},${p.py.toFixed(1)}`).join("")).join("");
    if (path) svgEl("path", { d: path, class: "plot-line" }, g);
    const r = s.points.length > 60 ? 2 : 3;
    for (const p of drawn) {
      const off = p.py === null;
      const dot = svgEl("circle", {
        cx: p.px.toFixed(1), cy: (off ? MARGIN.top : p.py).toFixed(1), r: p.call === current && s.role === "point" ? r + 1.5 : r,
        class: `plot-point${off ? " off-scale" : ""}${p.call === current ? " current" : ""}`,
        "data-role": s.role, "data-call": p.call, "data-value": p.y,
      }, g);
      svgEl("title", {}, dot, `${s.name}, call ${p.call}: ${formatNumber(p.y)}${p.note ? ` (${p.note})` : ""}`);
    }
  }
  if (series.length > 1) legend(svg, series, MARGIN.left + plotW);
  return svg;
}

/** The series' names above the plot, right-aligned, each after a short stroke of its colour. */
function legend(svg, series, right) {
  let x = right;
  for (const s of series) {
    const g = svgEl("g", { class: `plot-series plot-legend ${s.cls}` }, svg);
    svgEl("text", { x, y: 13, "text-anchor": "end" }, g, s.name);
    x -= s.name.length * LEGEND_EM + 4;
    svgEl("line", { x1: x - 12, x2: x, y1: 9.5, y2: 9.5, class: "plot-line" }, g);
    x -= 22;
  }
}

/** y -> [0, 1] over the values, logarithmic when they are all positive and span LOG_OVER or more. */
function yScale(values) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo > 0 && hi / lo >= LOG_OVER) {
    const [a, b] = [Math.floor(Math.log10(lo)), Math.ceil(Math.log10(hi))];
    const step = Math.max(1, Math.ceil((b - a) / 4));
    const ticks = [];
    for (let d = a; d <= b; d += step) ticks.push({ value: 10 ** d, text: `1e${d}` });
    return { log: true, ticks, at: (v) => (v > 0 ? (Math.log10(v) - a) / (b - a) : NaN) };
  }
  const step = niceStep((hi - lo || Math.abs(hi) || 1) / 4);
  const a = Math.floor(lo / step) * step;
  const b = Math.max(Math.ceil(hi / step) * step, a + step);
  const ticks = [];
  for (let v = a; v <= b + step / 2; v += step) ticks.push({ value: v, text: formatNumber(Number(v.toPrecision(6))) });
  return { log: false, ticks, at: (v) => (v - a) / (b - a) };
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function xTicks(x0, x1) {
  const step = niceStep(Math.max(1, (x1 - x0) / 5));
  const ticks = [x0];
  for (let t = Math.ceil((x0 + step / 2) / step) * step; t < x1 - step / 2; t += step) ticks.push(t);
  if (x1 !== x0) ticks.push(x1);
  return ticks;
}

/** Consecutive drawable points: a line breaks where a value is off the scale. */
function runs(points) {
  const out = [[]];
  for (const p of points) {
    if (p.py === null) out.push([]);
    else out.at(-1).push(p);
  }
  return out.filter((run) => run.length > 1);
}
