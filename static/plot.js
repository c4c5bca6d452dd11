// A small log-log plot: gradcheck's relative error against the finite-difference step epsilon.

import { svgEl } from "./dom.js";

const MARKERS = ["circle", "square", "triangle", "diamond"];

/**
 * @param {{name: string, points: {eps: number, err: number}[]}[]} series
 * @returns {SVGSVGElement}
 */
export function logLogPlot(series, { width = 320, height = 200 } = {}) {
  const legendRows = series.length > 1 ? Math.ceil(Math.min(series.length, 12) / 4) : 0;
  height += legendRows * 14;
  const margin = { left: 46, right: 10, top: 10, bottom: 34 + legendRows * 14 };
  const svg = svgEl("svg", {
    class: "plot", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": "relative error of the gradient against epsilon, log-log",
  });
  const all = series.flatMap((s) => s.points).filter((p) => p.eps > 0 && p.err > 0 && Number.isFinite(p.err));
  if (!all.length) {
    svgEl("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "plot-empty" }, svg, "no finite errors to plot");
    return svg;
  }
  const xs = decadeRange(all.map((p) => p.eps));
  const ys = decadeRange(all.map((p) => p.err));
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const sx = (v) => margin.left + ((Math.log10(v) - xs[0]) / (xs[1] - xs[0])) * plotW;
  const sy = (v) => margin.top + plotH - ((Math.log10(v) - ys[0]) / (ys[1] - ys[0])) * plotH;

  const axes = svgEl("g", { class: "plot-axes" }, svg);
  svgEl("rect", { x: margin.left, y: margin.top, width: plotW, height: plotH, class: "plot-frame" }, axes);
  for (const d of ticks(xs)) {
    const x = sx(10 ** d);
    svgEl("line", { x1: x, x2: x, y1: margin.top, y2: margin.top + plotH, class: "plot-grid" }, axes);
    svgEl("text", { x, y: margin.top + plotH + 13, "text-anchor": "middle" }, axes, `1e${d}`);
  }
  for (const d of ticks(ys)) {
    const y = sy(10 ** d);
    svgEl("line", { x1: margin.left, x2: margin.left + plotW, y1: y, y2: y, class: "plot-grid" }, axes);
    svgEl("text", { x: margin.left - 4, y: y + 4, "text-anchor": "end" }, axes, `1e${d}`);
  }
  svgEl("text", { x: margin.left + plotW / 2, y: margin.top + plotH + 28, "text-anchor": "middle", class: "plot-axis-label" }, axes, "epsilon");
  svgEl("text", { x: 10, y: margin.top + plotH / 2, "text-anchor": "middle", class: "plot-axis-label", transform: `rotate(-90 10 ${margin.top + plotH / 2})` }, axes, "rel. error");

  series.forEach((s, i) => {
    const points = s.points.filter((p) => p.eps > 0 && p.err > 0 && Number.isFinite(p.err)).sort((a, b) => a.eps - b.eps);
    const g = svgEl("g", { class: `plot-series series-${i % 4}` }, svg);
    svgEl("title", {}, g, s.name);
    if (points.length > 1) {
      svgEl("polyline", { points: points.map((p) => `${sx(p.eps)},${sy(p.err)}`).join(" "), class: "plot-line" }, g);
    }
    for (const p of points) marker(g, MARKERS[i % MARKERS.length], sx(p.eps), sy(p.err));
  });
  if (series.length > 1) {
    const legend = svgEl("g", { class: "plot-legend" }, svg);
    // below the axis label, four entries a row
    series.slice(0, 12).forEach((s, i) => {
      const x = margin.left + (i % 4) * (plotW / 4);
      const y = height - legendRows * 14 + Math.floor(i / 4) * 14 + 6;
      const g = svgEl("g", { class: `plot-series series-${i % 4}` }, legend);
      marker(g, MARKERS[i % MARKERS.length], x + 4, y - 4);
      svgEl("text", { x: x + 12, y }, g, s.name.length > 9 ? `${s.name.slice(0, 8)}…` : s.name);
    });
  }
  return svg;
}

function marker(parent, kind, x, y) {
  const r = 3.5;
  if (kind === "circle") return svgEl("circle", { cx: x, cy: y, r, class: "plot-marker" }, parent);
  if (kind === "square") return svgEl("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, class: "plot-marker" }, parent);
  if (kind === "triangle") return svgEl("path", { d: `M${x},${y - r - 1}L${x + r + 0.5},${y + r}L${x - r - 0.5},${y + r}Z`, class: "plot-marker" }, parent);
  return svgEl("path", { d: `M${x},${y - r - 1}L${x + r + 1},${y}L${x},${y + r + 1}L${x - r - 1},${y}Z`, class: "plot-marker" }, parent);
}

function decadeRange(values) {
  const logs = values.map(Math.log10);
  let lo = Math.floor(Math.min(...logs));
  let hi = Math.ceil(Math.max(...logs));
  if (hi === lo) hi += 1;
  return [lo, hi];
}

function ticks([lo, hi]) {
  const step = Math.max(1, Math.ceil((hi - lo) / 6));
  const out = [];
  for (let d = lo; d <= hi; d += step) out.push(d);
  return out;
}
