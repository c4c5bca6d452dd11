// Tensors on a node: a small grid of coloured cells, blue for negative, orange for positive,
// strength = |x| / max|x|.

import { svgEl } from "./dom.js";
import { flatten, toNumber } from "./format.js";
import { round } from "./geometry.js";

const HEAT_MAX_ROWS = 8;
const HEAT_MAX_COLS = 12;

export class HeatMap {
  constructor(parent, shape, x, y, width, height, role) {
    const cols = shape.length ? shape[shape.length - 1] : 1;
    const rows = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    this.rows = Math.min(rows, HEAT_MAX_ROWS);
    this.cols = Math.min(cols, HEAT_MAX_COLS);
    this.stride = cols;
    const cell = Math.min(width / this.cols, height / this.rows);
    const ox = x + (width - cell * this.cols) / 2;
    const oy = y + (height - cell * this.rows) / 2;
    this.el = svgEl("g", { class: `heat heat-${role}` }, parent);
    svgEl("title", {}, this.el, role === "value" ? "value, as colours" : "gradient, as colours");
    this.cells = [];
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        this.cells.push(svgEl("rect", {
          x: round(ox + c * cell), y: round(oy + r * cell), width: round(cell * 0.92), height: round(cell * 0.92),
        }, this.el));
      }
    }
  }

  paint(value, scale) {
    if (value === null || value === undefined) {
      this.setUnknown(true);
      return;
    }
    this.setUnknown(false);
    const entries = flatten(value);
    let i = 0;
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        const entry = entries[r * this.stride + c];
        const [fill, opacity] = heatColor(entry === undefined ? undefined : toNumber(entry), scale);
        this.cells[i].setAttribute("fill", fill);
        this.cells[i].setAttribute("fill-opacity", opacity);
        i++;
      }
    }
  }

  setUnknown(unknown) {
    this.el.classList.toggle("unknown", unknown);
  }
}

function heatColor(x, scale) {
  if (x === undefined) return ["#888888", 0.08]; // beyond the entries a summarised array sends
  if (!Number.isFinite(x)) return ["#CC79A7", 1];
  if (scale === 0 || x === 0) return ["#888888", 0.15];
  const t = Math.min(1, Math.abs(x) / scale);
  return [x < 0 ? "#0072B2" : "#E69F00", round(0.2 + 0.8 * t)];
}

export function maxAbs(entries) {
  let m = 0;
  for (const e of entries) {
    const x = Math.abs(toNumber(e));
    if (Number.isFinite(x) && x > m) m = x;
  }
  return m;
}
