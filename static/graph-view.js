// Drawing the graph: the SVG is built once per graph; stepping only toggles classes and text.

import { svgEl } from "./dom.js";
import { flatten, formatCompact, formatShape, formatTerm, formatValue, formatValueFull, toNumber } from "./format.js";
import { fallbackLayout } from "./layout-fallback.js";
import { nodeTitle, opSymbol } from "./ops.js";
import { PanZoom } from "./pan-zoom.js";
import { Occupancy, firstFree, leastCovered } from "./placement.js";
import { nodeName } from "./steps.js";

const PAD = 6;
const MONO_EM = 0.61; // advance of DejaVu Sans Mono, in em
const SANS_EM = 0.64; // typical advance of DejaVu Sans Bold, in em
const HEAT_MAX_ROWS = 8;
const HEAT_MAX_COLS = 12;
const UNKNOWN = "?";
const FAR_TEXT_PX = 3.5; // below this on-screen size, node text is not drawn
const EDGE_FONT = 12; // contributions written on edges, in graph units
const EDGE_LABEL_MIN_PX = 6.5; // below this on-screen size, they are not drawn
// where along an edge its label may sit (0 = input, 1 = consumer), best first
const EDGE_LABEL_SPOTS = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8];
const CULL_MIN_NODES = 200; // from this size on, what lies well outside the window is not drawn

export class GraphView extends EventTarget {
  constructor(svg) {
    super();
    this.svg = svg;
    this.viewport = svgEl("g", { class: "viewport" }, svg);
    // moving dots live in a second, transparent SVG on top: animating them repaints only that
    // small drawing, not a graph of a thousand nodes
    this.flowSvg = svgEl("svg", { class: "flow-overlay", "aria-hidden": "true" });
    svg.after(this.flowSvg);
    this.overlay = svgEl("g", { class: "flow-layer" }, this.flowSvg);
    this.panZoom = new PanZoom(svg, [this.viewport, this.overlay], {
      onClick: (target) => {
        const nodeEl = target?.closest?.("[data-node-id]");
        this.dispatchEvent(new CustomEvent("select", { detail: { id: nodeEl ? nodeEl.dataset.nodeId : null } }));
      },
      onUserChange: () => this.dispatchEvent(new CustomEvent("userview")),
      onScale: (scale) => {
        this.setDetail(scale);
        this.scheduleCull();
      },
    });
    this.nodes = new Map();
    this.edges = new Map();
    this.model = null;
    this.layout = null;
    this.minFont = 12;
    this.selected = null;
    this.far = false;
    this.cullPending = false;
  }

  /** Draw `model`'s graph from the API layout, or from our own when the server sent none. */
  build(model) {
    this.model = model;
    this.layout = model.graph.layout ?? fallbackLayout(model.graph);
    this.nodes.clear();
    this.edges.clear();
    this.selected = null;
    this.minFont = Infinity;
    // what is drawn where: boxes and their badges first, then sum callouts where they cover
    // least, then edge labels where they cover nothing
    this.occupied = new Occupancy();
    this.extent = [0, 0, this.layout.width, this.layout.height];
    const edgeLayer = svgEl("g", { class: "edges" });
    const nodeLayer = svgEl("g", { class: "nodes" });
    const labelLayer = svgEl("g", { class: "edge-labels" });
    const calloutLayer = svgEl("g", { class: "callouts" });
    for (const node of model.graph.nodes) this.buildNode(node, nodeLayer);
    for (const node of model.graph.nodes) this.buildCallout(node, calloutLayer);
    for (const edge of model.graph.edges) this.buildEdge(edge, edgeLayer, labelLayer);
    if (!Number.isFinite(this.minFont)) this.minFont = 12;
    this.viewport.replaceChildren(edgeLayer, nodeLayer, labelLayer, calloutLayer);
    this.overlay.replaceChildren();
    this.shownDirection = null;
    this.far = null;
    this.setDetail(this.panZoom.scale);
    this.scheduleCull();
  }

  /** Mark `rect` ([x0, y0, x1, y1], graph units) as taken, and grow the drawing's extent to hold it. */
  occupy(rect) {
    this.occupied.add(rect);
    const e = this.extent;
    this.extent = [Math.min(e[0], rect[0]), Math.min(e[1], rect[1]), Math.max(e[2], rect[2]), Math.max(e[3], rect[3])];
  }

  /**
   * Level of detail: text too small to read is not drawn. Text is most of the cost of painting a
   * large graph, so a zoomed-out graph of a thousand nodes stays smooth; zoom in and it returns.
   */
  setDetail(scale) {
    const far = scale * this.minFont < FAR_TEXT_PX;
    if (far !== this.far) {
      this.far = far;
      this.svg.classList.toggle("far", far);
    }
    this.svg.classList.toggle("tiny-edge-labels", scale * EDGE_FONT < EDGE_LABEL_MIN_PX);
  }

  scheduleCull() {
    if (this.cullPending || this.nodes.size < CULL_MIN_NODES) return;
    this.cullPending = true;
    requestAnimationFrame(() => {
      this.cullPending = false;
      this.cull();
    });
  }

  /**
   * Hide nodes and edges more than half a window outside the view. Chrome records the paint of
   * every element of an SVG, on screen or not; a big graph seen up close need not pay for that.
   */
  cull(all = false) {
    const { width, height } = this.svg.getBoundingClientRect();
    const { scale, tx, ty } = this.panZoom;
    const x0 = (-tx - width / 2) / scale;
    const y0 = (-ty - height / 2) / scale;
    const x1 = x0 + (2 * width) / scale;
    const y1 = y0 + (2 * height) / scale;
    const outside = (b) => !all && (b[2] < x0 || b[0] > x1 || b[3] < y0 || b[1] > y1);
    for (const rec of this.nodes.values()) {
      const hide = outside(rec.extent);
      if (rec.culled !== hide) rec.el.classList.toggle("culled", (rec.culled = hide));
    }
    for (const rec of this.edges.values()) {
      const hide = outside(rec.extent);
      if (rec.culled !== hide) {
        rec.el.classList.toggle("culled", (rec.culled = hide));
        rec.label?.classList.toggle("culled", hide);
      }
    }
  }

  /** Run `fn` with every element drawn in full detail (for exports), then cull again. */
  withEverythingDrawn(fn) {
    this.cull(true);
    this.svg.classList.remove("far", "tiny-edge-labels");
    try {
      return fn();
    } finally {
      this.far = null;
      this.setDetail(this.panZoom.scale);
      if (this.nodes.size >= CULL_MIN_NODES) this.cull();
    }
  }

  /** The drawing's extent in graph units: boxes, badges, labels and sum callouts, with a margin. */
  get bounds() {
    const [x0, y0, x1, y1] = this.extent;
    const margin = 8;
    return { x: x0 - margin, y: y0 - margin, width: x1 - x0 + 2 * margin, height: y1 - y0 + 2 * margin };
  }

  nodeCenter(id) {
    const box = this.layout.nodes[id];
    return box ? { x: box.x, y: box.y } : null;
  }

  buildEdge(edge, layer, labelLayer) {
    const geometry = this.layout.edges[edge.id];
    const g = svgEl("g", { class: "edge", "data-edge-id": edge.id, "data-source": edge.source, "data-target": edge.target }, layer);
    const points = geometry && geometry.points.length >= 2 ? geometry.points : straightEdge(this.layout, edge);
    const line = svgEl("path", { class: "edge-line", d: bezierPath(points) }, g);
    const tip = geometry?.end ?? null;
    svgEl("path", { class: "edge-head", d: arrowHead(points, tip) }, g);
    let label = null;
    if (edge.contribution !== null && edge.contribution !== undefined) {
      // beside the line (a "-" on the line would vanish into it), where it covers no box, badge,
      // callout or other label; not at all if there is no such spot
      const text = formatCompact(edge.contribution);
      const halfW = (text.length * EDGE_FONT * MONO_EM) / 2 + 2;
      const halfH = EDGE_FONT * 0.62;
      const spots = EDGE_LABEL_SPOTS.flatMap((u) => besideCurve(points, u, halfW, halfH).map(([x, y]) => [x - halfW, y - halfH, x + halfW, y + halfH]));
      const spot = firstFree(this.occupied, spots);
      if (spot) {
        this.occupy(spot);
        label = svgEl("text", {
          class: "edge-label", "data-edge-id": edge.id, x: round((spot[0] + spot[2]) / 2), y: round((spot[1] + spot[3]) / 2 + 0.36 * EDGE_FONT),
          "text-anchor": "middle", "font-size": EDGE_FONT,
        }, labelLayer, text);
      }
    }
    const xs = points.map((p) => p[0]).concat(tip ? [tip[0]] : []);
    const ys = points.map((p) => p[1]).concat(tip ? [tip[1]] : []);
    const extent = [Math.min(...xs) - 40, Math.min(...ys) - 20, Math.max(...xs) + 40, Math.max(...ys) + 20];
    this.edges.set(edge.id, { el: g, line, label, points, extent, culled: false, sent: false, current: false });
  }

  buildNode(node, layer) {
    const model = this.model;
    const box = this.layout.nodes[node.id];
    const w = box.width;
    const h = box.height;
    const tensor = node.shape.length > 0;
    const g = svgEl("g", {
      class: `node kind-${node.kind}`,
      "data-node-id": node.id,
      "data-label": node.label ?? "",
      "data-kind": node.kind,
      transform: `translate(${round(box.x - w / 2)},${round(box.y - h / 2)})`,
    }, layer);
    for (const flag of node.flags) g.classList.add(`flag-${flag}`);
    if (model.differs.has(node.id)) g.classList.add("differs");
    if (node.id === model.root) g.classList.add("root");
    svgEl("title", {}, g, tooltip(model, node));
    svgEl("rect", { class: "box", width: w, height: h, rx: node.kind === "op" ? Math.min(12, h / 4) : 3 }, g);

    const inner = w - 2 * PAD;
    let base = clamp((h - 2 * PAD) / 3.6, 7, tensor ? 14 : 16);
    // a differing node's correct value is pinned over its bottom edge: keep the heat maps clear of it
    const pinned = model.differs.has(node.id) ? base * 0.9 : 0;
    let heatH = tensor ? h - 2 * PAD - base * 3.6 - 4 - pinned : 0;
    if (heatH < 14) heatH = 0;
    const lineH = base * 1.2;
    const top = PAD + (h - 2 * PAD - heatH - 3 * lineH) / 2;
    const baseline = (i) => round(top + lineH * i + lineH / 2 + 0.36 * base);

    // title: label or op, plus the shape of a tensor
    const title = nodeTitle(node);
    const shapeText = tensor ? ` ${formatShape(node.shape)}` : "";
    const titleFont = fitFont(base * 1.05, title.length + shapeText.length, inner, SANS_EM);
    const titleEl = svgEl("text", { class: "title", x: w / 2, y: baseline(0), "text-anchor": "middle", "font-size": round(titleFont) }, g);
    svgEl("tspan", {}, titleEl, title);
    if (shapeText) svgEl("tspan", { class: "shape" }, titleEl, shapeText);

    // value and grad rows: key on the left, number on the right, one font size that fits every
    // text the row will ever show, so nothing moves while stepping
    const valueText = formatValue(node.value);
    const gradTexts = [UNKNOWN, formatValue(node.grad), ...model.arrivals.get(node.id).map((a) => formatValue(a.event.grad_after))];
    if (node.id === model.root && model.graph.backward_steps.length) gradTexts.push(formatValue(model.graph.backward_steps[0].grad));
    const longestGrad = Math.max(...gradTexts.map((t) => t.length));
    const rowFont = Math.min(
      fitFont(base, "value ".length + valueText.length, inner, MONO_EM),
      fitFont(base, "grad ".length + longestGrad, inner, MONO_EM),
    );
    const row = (i, key, role, text) => {
      svgEl("text", { class: `key key-${role}`, x: PAD, y: baseline(i), "font-size": round(rowFont) }, g, key);
      return svgEl("text", { class: `num num-${role}`, "data-role": role, x: w - PAD, y: baseline(i), "text-anchor": "end", "font-size": round(rowFont) }, g, text);
    };
    const valueEl = row(1, "value", "value", valueText);
    const gradEl = row(2, "grad", "grad", UNKNOWN);
    this.minFont = Math.min(this.minFont, titleFont, rowFont);

    let valueHeat = null;
    let gradHeat = null;
    if (heatH) {
      const heatTop = top + 3 * lineH + 4;
      const half = (inner - 6) / 2;
      const scale = maxAbs(flatten(node.value));
      valueHeat = new HeatMap(g, node.shape, PAD, heatTop, half, heatH, "value");
      valueHeat.paint(node.value, scale);
      gradHeat = new HeatMap(g, node.shape, PAD + half + 6, heatTop, half, heatH, "grad");
      gradHeat.gradScale = maxAbs(flatten(node.grad ?? 0));
      gradHeat.paint(null, 1);
    }

    // badges sit on the box's top edge, outside it, so that they never cover the title
    const badgeFont = Math.max(base * 0.8, 7);
    const badgeH = badgeFont * 1.4;
    const badgeY = round(1.5 - badgeH); // overlapping the border only
    this.minFont = Math.min(this.minFont, badgeFont);
    const badges = nodeBadges(model, node);
    let right = w - 4;
    for (const badge of badges) {
      const bw = badge.text.length * badgeFont * 0.68 + badgeFont * 0.9;
      const b = svgEl("g", { class: `badge badge-${badge.kind}`, transform: `translate(${round(right - bw)},${badgeY})` }, g);
      svgEl("title", {}, b, badge.title);
      svgEl("rect", { width: round(bw), height: round(badgeH), rx: round(badgeH / 2) }, b);
      svgEl("text", { x: round(bw / 2), y: round(badgeFont * 1.08), "text-anchor": "middle", "font-size": round(badgeFont) }, b, badge.text);
      right -= bw + 3;
    }
    if (node.kind === "op" && node.label) {
      // the op as a small bubble on the box's top-left corner
      const text = opSymbol(node);
      const bw = Math.max(text.length * badgeFont * 0.68 + badgeFont * 0.9, badgeFont * 1.6);
      const b = svgEl("g", { class: "op-bubble", transform: `translate(${round(4)},${badgeY})` }, g);
      svgEl("rect", { width: round(bw), height: round(badgeH), rx: round(badgeH / 2) }, b);
      svgEl("text", { x: round(bw / 2), y: round(badgeFont * 1.08), "text-anchor": "middle", "font-size": round(badgeFont) }, b, text);
    }
    const x0 = box.x - w / 2;
    const y0 = box.y - h / 2;
    this.occupy([x0, y0, x0 + w, y0 + h]);
    const hasBadges = badges.length > 0 || (node.kind === "op" && node.label);
    const badgeBand = hasBadges ? [x0, y0 + badgeY, x0 + w, y0] : null;
    if (badgeBand) this.occupy(badgeBand);
    let bottom = y0 + h;
    if (model.differs.has(node.id) && model.graph.compare) {
      // the correct gradient, pinned on the bottom edge of a node whose buggy gradient differs
      const text = `correct: ${formatValue(model.graph.compare.correct[node.id] ?? null)}`;
      const font = badgeFont;
      const bw = text.length * font * MONO_EM + font;
      const py = h - font * 0.6;
      const b = svgEl("g", { class: "correct-pill", transform: `translate(${round(w / 2 - bw / 2)},${round(py)})` }, g);
      svgEl("rect", { width: round(bw), height: round(font * 1.4), rx: round(font * 0.4) }, b);
      svgEl("text", { x: round(bw / 2), y: round(font * 1.05), "text-anchor": "middle", "font-size": round(font) }, b, text);
      bottom = y0 + py + font * 1.4;
      this.occupy([box.x - bw / 2, y0 + h, box.x + bw / 2, bottom]);
    }
    this.nodes.set(node.id, {
      el: g, gradEl, valueEl, valueHeat, gradHeat, callout: null, base, badgeBand,
      shownGrad: UNKNOWN, shownValue: valueText, valueText, flags: "",
      // what the node draws, badges and pill included: [x0, y0, x1, y1]
      drawn: [x0, hasBadges ? y0 + badgeY : y0, x0 + w, bottom],
      extent: [x0, y0 - 3 * base, x0 + w, y0 + h + base], culled: false,
    });
  }

  /**
   * The box for "Σ 10 + (-6) = 4" by a node that sums contributions: sized for the longest sum it
   * will show, and placed beside the node where it covers least of the other boxes, badges and
   * callouts, never the node's own text: on its top edge (over its own badges: it begins with
   * "Σ" itself), above its badges, below it, right or left.
   */
  buildCallout(node, layer) {
    const rec = this.nodes.get(node.id);
    const texts = this.model.arrivals.get(node.id).filter((a) => a.event.accumulated).map((a) => sumText(a.event, this.model.graph.mode));
    if (!texts.length) return;
    const font = Math.max(rec.base * 0.9, 10);
    const width = Math.max(...texts.map((t) => t.length)) * font * MONO_EM + font;
    const height = font * 1.6;
    const gap = 3;
    const [x0, y0, x1, y1] = rec.drawn;
    const cx = (x0 + x1) / 2;
    const cy = this.layout.nodes[node.id].y;
    const lefts = [cx - width / 2, x1 - width, x0];
    const boxTop = rec.badgeBand ? rec.badgeBand[3] : y0; // y0 is the top of the badges
    const candidates = [
      ...lefts.map((x) => [x, boxTop + 2 - height, x + width, boxTop + 2]),
      ...lefts.map((x) => [x, y0 - gap - height, x + width, y0 - gap]),
      ...lefts.map((x) => [x, y1 + gap, x + width, y1 + gap + height]),
      [x1 + 2 * gap, cy - height / 2, x1 + 2 * gap + width, cy + height / 2],
      [x0 - 2 * gap - width, cy - height / 2, x0 - 2 * gap, cy + height / 2],
    ];
    // on the top edge it hides the node's badges and border, not its text
    const own = [x0, y0, x1, boxTop + 2];
    const spot = leastCovered(this.occupied, candidates, [0, 0, this.layout.width, this.layout.height], own);
    this.occupy(spot);
    const el = svgEl("g", { class: "sum-callout", "data-for": node.id, transform: `translate(${round(spot[0])},${round(spot[1])})` }, layer);
    svgEl("rect", { width: round(width), height: round(height), rx: 4 }, el);
    const text = svgEl("text", { x: round(width / 2), y: round(height / 2 + 0.36 * font), "text-anchor": "middle", "font-size": round(font) }, el);
    rec.callout = { el, text };
  }

  /** Show a step's state (from steps.js): text and classes only, touching only what changed. */
  apply(state) {
    const model = this.model;
    if (this.shownDirection !== state.direction) {
      this.svg.classList.toggle("dir-forward", state.direction === "forward");
      this.svg.classList.toggle("dir-backward", state.direction === "backward");
      this.shownDirection = state.direction;
    }
    for (const [id, rec] of this.nodes) {
      const s = state.nodes.get(id);
      let gradValue;
      let gradText;
      let valueText;
      let flags;
      if (state.direction === "backward") {
        gradValue = s.grad;
        gradText = gradValue === undefined ? UNKNOWN : formatValue(gradValue);
        valueText = rec.valueText;
        flags = (id === state.active ? "a" : "") + (s.summing ? "s" : "") + (s.done ? "d" : "") + (s.received ? "r" : "");
      } else {
        gradValue = undefined;
        gradText = UNKNOWN;
        valueText = s.computed ? rec.valueText : UNKNOWN;
        flags = (id === state.active ? "a" : "") + (s.computed ? "c" : "");
      }
      if (rec.shownGrad !== gradText) {
        rec.gradEl.textContent = gradText;
        rec.shownGrad = gradText;
        rec.gradHeat?.paint(gradValue === undefined ? null : gradValue, rec.gradHeat.gradScale);
      }
      if (rec.shownValue !== valueText) {
        rec.valueEl.textContent = valueText;
        rec.shownValue = valueText;
        rec.valueHeat?.setUnknown(valueText === UNKNOWN);
      }
      if (rec.flags !== flags) {
        rec.el.classList.toggle("active", flags.includes("a"));
        rec.el.classList.toggle("summing", flags.includes("s"));
        rec.el.classList.toggle("done", flags.includes("d"));
        rec.el.classList.toggle("received", flags.includes("r"));
        rec.el.classList.toggle("computed", flags.includes("c"));
        rec.flags = flags;
      }
      if (rec.callout) rec.callout.el.classList.remove("show");
    }
    const current = new Set(state.direction === "backward" ? state.currentEvents.map((e) => e.edge) : state.currentEdges);
    for (const [id, rec] of this.edges) {
      const sent = state.sentEdges.has(id);
      const isCurrent = current.has(id);
      if (rec.sent !== sent) {
        rec.el.classList.toggle("sent", (rec.sent = sent));
        rec.label?.classList.toggle("sent", sent);
      }
      if (rec.current !== isCurrent) {
        rec.el.classList.toggle("current", (rec.current = isCurrent));
        rec.label?.classList.toggle("current", isCurrent);
      }
    }
    if (state.direction === "backward") {
      for (const event of state.currentEvents) {
        if (event.accumulated) this.showSum(event, model.graph.mode);
      }
    }
    // Lay the drawing out now, while it is the only thing changed: if the caption and the step
    // label change in the same frame, Chrome does a full layout and re-lays out every text of a
    // large graph (~150 ms for 1,000 nodes); alone, only the changed texts (~2 ms).
    void this.svg.getBoundingClientRect();
  }

  /** "Σ 10 + (-6) = 4" by a node receiving its second or later contribution. */
  showSum(event, mode) {
    const callout = this.nodes.get(event.to)?.callout;
    if (!callout) return;
    callout.text.textContent = sumText(event, mode);
    callout.el.classList.add("show");
  }

  /** Briefly ring a node that has just received a contribution (drawn on the overlay). */
  flash(id) {
    const box = this.layout.nodes[id];
    if (!box) return;
    const ring = svgEl("rect", {
      class: "arrival", x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height, rx: 8,
    }, this.overlay);
    const animation = ring.animate([{ strokeWidth: 12, opacity: 1 }, { strokeWidth: 2, opacity: 0 }], { duration: 700, easing: "ease-out" });
    animation.onfinish = () => ring.remove();
    animation.oncancel = () => ring.remove();
  }

  /** Bring a node into view if it is off screen (a large graph, zoomed in, while stepping). */
  reveal(id) {
    const box = this.layout.nodes[id];
    if (!box) return;
    this.panZoom.reveal({ x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height });
  }

  /** The point at parameter u (0..1) along an edge's Bézier curve, from its input to its consumer. */
  edgePoint(edgeId, u) {
    const points = this.edges.get(edgeId)?.points;
    if (!points) return null;
    return pointOnCurve(points, u);
  }

  select(id) {
    if (this.selected) this.nodes.get(this.selected)?.el.classList.remove("selected");
    this.selected = id && this.nodes.has(id) ? id : null;
    if (this.selected) this.nodes.get(this.selected).el.classList.add("selected");
  }
}

/** A small grid of coloured cells: blue for negative, orange for positive, strength = |x| / max|x|. */
class HeatMap {
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

function maxAbs(entries) {
  let m = 0;
  for (const e of entries) {
    const x = Math.abs(toNumber(e));
    if (Number.isFinite(x) && x > m) m = x;
  }
  return m;
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

/** What a node's sum callout says when `event` (an accumulating contribution) arrives. */
function sumText(event, mode) {
  return mode === "overwrite"
    ? `grad = ${formatValue(event.contribution)}  (${formatValue(event.grad_before)} lost!)`
    : `Σ ${formatTerm(event.grad_before)} + ${formatTerm(event.contribution)} = ${formatValue(event.grad_after)}`;
}

function tooltip(model, node) {
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

function bezierPath(points) {
  let d = `M${round(points[0][0])},${round(points[0][1])}`;
  if ((points.length - 1) % 3 === 0) {
    for (let i = 1; i + 2 < points.length; i += 3) {
      d += `C${points.slice(i, i + 3).map((p) => `${round(p[0])},${round(p[1])}`).join(" ")}`;
    }
  } else {
    for (const p of points.slice(1)) d += `L${round(p[0])},${round(p[1])}`;
  }
  return d;
}

function pointOnCurve(points, u) {
  const segments = Math.floor((points.length - 1) / 3);
  if (segments < 1) {
    const a = points[0];
    const b = points[points.length - 1];
    return { x: a[0] + (b[0] - a[0]) * u, y: a[1] + (b[1] - a[1]) * u };
  }
  const along = Math.min(Math.max(u, 0), 1) * segments;
  const s = Math.min(segments - 1, Math.floor(along));
  const t = along - s;
  const [p0, p1, p2, p3] = points.slice(3 * s, 3 * s + 4);
  const m = 1 - t;
  const f = (i) => m * m * m * p0[i] + 3 * m * m * t * p1[i] + 3 * m * t * t * p2[i] + t * t * t * p3[i];
  return { x: f(0), y: f(1) };
}

/**
 * Centres for a halfW x halfH label just clear of the curve at parameter u: on the side above
 * the line first, then below (for a vertical line: right, then left).
 */
function besideCurve(points, u, halfW, halfH) {
  const p = pointOnCurve(points, u);
  const a = pointOnCurve(points, Math.max(0, u - 0.02));
  const b = pointOnCurve(points, Math.min(1, u + 0.02));
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  let nx = (a.y - b.y) / len;
  let ny = (b.x - a.x) / len;
  if (ny > 0 || (ny === 0 && nx < 0)) {
    nx = -nx;
    ny = -ny;
  }
  const clear = Math.abs(nx) * halfW + Math.abs(ny) * halfH + 1.5;
  return [[p.x + nx * clear, p.y + ny * clear], [p.x - nx * clear, p.y - ny * clear]];
}

/** A filled triangle from the line's last point to the tip (or along the last segment). */
function arrowHead(points, tip) {
  const last = points[points.length - 1];
  let from;
  let to;
  if (tip) {
    from = last;
    to = tip;
  } else {
    from = points[points.length - 2];
    to = last;
  }
  let dx = to[0] - from[0];
  let dy = to[1] - from[1];
  const len = Math.hypot(dx, dy) || 1;
  dx /= len;
  dy /= len;
  const size = tip ? Math.min(len, 10) : 9;
  const base = [to[0] - dx * size, to[1] - dy * size];
  const half = size * 0.4;
  const a = [base[0] - dy * half, base[1] + dx * half];
  const b = [base[0] + dy * half, base[1] - dx * half];
  return `M${round(to[0])},${round(to[1])}L${round(a[0])},${round(a[1])}L${round(b[0])},${round(b[1])}Z`;
}

function straightEdge(layout, edge) {
  const a = layout.nodes[edge.source];
  const b = layout.nodes[edge.target];
  return [[a.x + a.width / 2, a.y], [b.x - b.width / 2, b.y]];
}

function clamp(x, lo, hi) {
  return Math.max(lo, Math.min(hi, x));
}

function round(x) {
  return Math.round(x * 100) / 100;
}
