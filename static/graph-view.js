// Drawing the view: the SVG is built once per graph and view; stepping only toggles classes and
// text. Boxes are nodes and collapsed groups; open groups are clusters around their boxes.

import { drawCluster, drawGroupBox, drawNodeBox, groupGradText, UNKNOWN } from "./box-drawing.js";
import { drawCallout, showSum } from "./callouts.js";
import { scheduleCull, setDetail } from "./detail.js";
import { svgEl } from "./dom.js";
import { drawEdge, markLabel } from "./edge-drawing.js";
import { formatValue } from "./format.js";
import { pointOnCurve } from "./geometry.js";
import { PanZoom } from "./pan-zoom.js";
import { Occupancy } from "./placement.js";
import { stepChanges } from "./steps.js";
import { backwardOrder } from "./view-model.js";

const REVEAL_MARGIN_PX = 24; // a box revealed while stepping stays this far inside the window

/**
 * Events: "select" {id: node id | null} (a click on a node or on nothing, or Enter or Space on a
 * focused node), "toggle" {id: group id} (a click, or Enter or Space, on a collapsed group or an
 * open group's label), "userview" (panned or zoomed by hand).
 */
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
      onClick: (target) => this.click(target),
      onUserChange: () => this.dispatchEvent(new CustomEvent("userview")),
      onScale: (scale) => {
        setDetail(this, scale);
        scheduleCull(this);
      },
    });
    // a focused box is a button: Enter or Space presses it
    svg.addEventListener("keydown", (e) => {
      if ((e.key !== "Enter" && e.key !== " ") || e.ctrlKey || e.metaKey || e.altKey) return;
      const node = e.target.closest?.("[data-node-id]");
      const group = e.target.closest?.("[data-group-id]");
      if (node) {
        e.preventDefault();
        this.dispatchEvent(new CustomEvent("select", { detail: { id: node.dataset.nodeId } }));
      } else if (group) {
        e.preventDefault();
        this.dispatchEvent(new CustomEvent("toggle", { detail: { id: group.dataset.groupId } }));
      }
    });
    this.boxes = new Map();
    this.clusters = new Map();
    this.edges = new Map();
    this.model = null;
    this.layout = null;
    this.minFont = 12;
    this.selected = null;
    this.found = null;
    this.shownCallouts = [];
    this.shown = null; // {model, direction, k}: the step on screen, for the next one to change only what differs
    this.far = false;
    this.layers = null;
    this.cullPending = false;
  }

  click(target) {
    const toggle = target?.closest?.(".cluster-label, .group-box");
    if (toggle) {
      this.dispatchEvent(new CustomEvent("toggle", { detail: { id: toggle.closest("[data-group-id]").dataset.groupId } }));
      return;
    }
    const nodeEl = target?.closest?.("[data-node-id]");
    this.dispatchEvent(new CustomEvent("select", { detail: { id: nodeEl ? nodeEl.dataset.nodeId : null } }));
  }

  /** Draw `model`'s view from the API layout; nothing when the server sent none (the page says why). */
  build(model) {
    this.model = model;
    this.layout = model.graph.layout;
    this.boxes.clear();
    this.clusters.clear();
    this.edges.clear();
    this.selected = null;
    this.found = null;
    this.minFont = Infinity;
    // what is drawn where: boxes and their badges first, then open groups' labels, then sum
    // callouts where they cover least, then edge labels where they cover nothing
    this.occupied = new Occupancy();
    this.extent = this.layout ? [0, 0, this.layout.width, this.layout.height] : [0, 0, 0, 0];
    const clusterLayer = svgEl("g", { class: "clusters" });
    const edgeLayer = svgEl("g", { class: "edges" });
    const nodeLayer = svgEl("g", { class: "nodes" });
    const labelLayer = svgEl("g", { class: "edge-labels" });
    const calloutLayer = svgEl("g", { class: "callouts" });
    if (this.layout) {
      const view = model.view;
      // in backward order, which is the order Tab visits them in
      for (const id of backwardOrder(model)) this.buildBox(view.boxes.get(id), nodeLayer);
      for (const [id, rect] of Object.entries(this.layout.clusters ?? {})) this.buildCluster(id, rect, clusterLayer);
      for (const box of view.boxes.values()) if (box.kind !== "group") drawCallout(this, model.nodes.get(box.id), calloutLayer);
      for (const edge of view.edges.values()) drawEdge(this, edge, edgeLayer, labelLayer);
    }
    if (!Number.isFinite(this.minFont)) this.minFont = 12;
    this.viewport.replaceChildren(clusterLayer, edgeLayer, nodeLayer, labelLayer, calloutLayer);
    this.layers = { nodes: nodeLayer, edges: edgeLayer, labels: labelLayer }; // where culled elements go back
    this.overlay.replaceChildren();
    this.shown = null;
    this.shownCallouts = [];
    this.shownDirection = null;
    this.far = null;
    setDetail(this, this.panZoom.scale);
    scheduleCull(this);
  }

  buildBox(box, layer) {
    const place = this.layout.nodes[box.id];
    if (!place) return;
    const rec = box.kind === "group"
      ? drawGroupBox(this.model, box, place, layer)
      : drawNodeBox(this.model, this.model.nodes.get(box.id), place, layer);
    for (const rect of rec.taken) this.occupy(rect);
    this.minFont = Math.min(this.minFont, rec.minFont);
    this.boxes.set(box.id, rec);
  }

  buildCluster(id, rect, layer) {
    const group = this.model.view.groups.get(id);
    if (!group) return;
    const rec = drawCluster(this.model, group, rect, layer);
    this.occupy(rec.label);
    this.minFont = Math.min(this.minFont, rec.font);
    this.clusters.set(id, rec);
  }

  /** Mark `rect` ([x0, y0, x1, y1], graph units) as taken, and grow the drawing's extent to hold it. */
  occupy(rect) {
    this.occupied.add(rect);
    const e = this.extent;
    this.extent = [Math.min(e[0], rect[0]), Math.min(e[1], rect[1]), Math.max(e[2], rect[2]), Math.max(e[3], rect[3])];
  }

  /** The drawing's extent in graph units: boxes, badges, labels and sum callouts, with a margin. */
  get bounds() {
    const [x0, y0, x1, y1] = this.extent;
    const margin = 8;
    return { x: x0 - margin, y: y0 - margin, width: x1 - x0 + 2 * margin, height: y1 - y0 + 2 * margin };
  }

  /** Where a box (or an open group's frame) is: {x, y, width, height}, centre and size, or null. */
  place(id) {
    return this.layout?.nodes[id] ?? this.layout?.clusters?.[id] ?? null;
  }

  nodeCenter(id) {
    const box = this.place(id);
    return box ? { x: box.x, y: box.y } : null;
  }

  /**
   * Show a step's state (from steps.js): text and classes only. From the step next to the one on
   * screen, only the boxes and edges that step can change are looked at (steps.js stepChanges), so
   * a step costs the same on a graph of 30 boxes or 3,000; else every one, writing what differs.
   */
  apply(state) {
    // Lay out first what changed since the last frame, alone: a step that comes before the frame
    // of the one before it (the player's timer on a busy machine) finds that step's caption and
    // controls still to lay out, and with the drawing's changes too, Chrome lays out every text
    // of the drawing again (1,000 boxes: ~130-550 ms; apart, a few ms).
    void this.svg.getBoundingClientRect();
    const model = this.model;
    const shown = this.shown;
    const changes = shown && shown.model === model && shown.direction === state.direction
      ? stepChanges(model, state.direction, shown.k, state.k) : null;
    this.shown = { model, direction: state.direction, k: state.k };
    if (this.shownDirection !== state.direction) {
      this.svg.classList.toggle("dir-forward", state.direction === "forward");
      this.svg.classList.toggle("dir-backward", state.direction === "backward");
      this.shownDirection = state.direction;
    }
    for (const id of changes ? changes.boxes : this.boxes.keys()) {
      const rec = this.boxes.get(id);
      if (!rec) continue;
      const s = state.boxes.get(id);
      let gradValue;
      let gradText;
      let valueText;
      let flags;
      if (state.direction === "backward") {
        gradValue = s.grad;
        if (s.outputs && s.outputs.length !== 1) gradText = groupGradText(s.outputs);
        else gradText = gradValue === undefined ? UNKNOWN : formatValue(gradValue);
        valueText = rec.valueText;
        flags = (id === state.active ? "a" : "") + (s.summing ? "s" : "") + (s.done ? "d" : "") + (s.received ? "r" : "")
          + (s.differs ? "x" : "");
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
        rec.el.classList.toggle("differs", flags.includes("x"));
        rec.flags = flags;
      }
    }
    for (const id of changes ? changes.edges : this.edges.keys()) {
      const rec = this.edges.get(id);
      if (!rec) continue;
      const sent = state.sentEdges.has(id);
      const isCurrent = state.currentEdges.has(id);
      if (rec.sent !== sent) {
        rec.el.classList.toggle("sent", (rec.sent = sent));
        if (rec.label) markLabel(rec.label, "sent", sent);
      }
      if (rec.current !== isCurrent) {
        rec.el.classList.toggle("current", (rec.current = isCurrent));
        rec.label?.classList.toggle("current", isCurrent);
      }
    }
    for (const callout of this.shownCallouts) callout.el.classList.remove("show");
    this.shownCallouts = [];
    if (state.direction === "backward") {
      for (const event of state.currentEvents) {
        if (event.accumulated) showSum(this, event, model.graph.mode);
      }
    }
    // Lay the drawing out now, while it is the only thing changed: if the caption and the step
    // label change in the same frame, Chrome does a full layout and re-lays out every text of a
    // large graph (~150 ms for 1,000 nodes); alone, only the changed texts (~2 ms).
    void this.svg.getBoundingClientRect();
  }

  /** Briefly ring a box that has just received a contribution (drawn on the overlay). */
  flash(id) {
    const box = this.place(id);
    if (!box) return;
    const ring = svgEl("rect", {
      class: "arrival", x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height, rx: 8,
    }, this.overlay);
    const animation = ring.animate([{ strokeWidth: 12, opacity: 1 }, { strokeWidth: 2, opacity: 0 }], { duration: 700, easing: "ease-out" });
    animation.onfinish = () => ring.remove();
    animation.oncancel = () => ring.remove();
  }

  /**
   * Bring a box into view if it is off screen (a large graph, zoomed in, while stepping), with
   * the sum callouts the step shows when they fit in the window with it. A callout can be far from
   * the firing box (by the box receiving); centring on both then showed neither, and moved the
   * drawing at every step, which a large graph pays for by painting the whole window again.
   */
  reveal(id) {
    const box = this.place(id);
    if (!box) return;
    const own = [box.x - box.width / 2, box.y - box.height / 2, box.x + box.width / 2, box.y + box.height / 2];
    let [x0, y0, x1, y1] = own;
    for (const { rect: r } of this.shownCallouts) {
      [x0, y0, x1, y1] = [Math.min(x0, r[0]), Math.min(y0, r[1]), Math.max(x1, r[2]), Math.max(y1, r[3])];
    }
    const { width, height } = this.svg.getBoundingClientRect();
    const { scale } = this.panZoom;
    if ((x1 - x0) * scale > width - 2 * REVEAL_MARGIN_PX || (y1 - y0) * scale > height - 2 * REVEAL_MARGIN_PX) {
      [x0, y0, x1, y1] = own;
    }
    // Lay out the pan now, before the step's caption and controls change: a new transform on the
    // drawing and a layout change in the page in one frame make Chrome lay out every text of the
    // drawing again (~180 ms at 1,000 boxes); apart, a few ms.
    if (this.panZoom.reveal({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, REVEAL_MARGIN_PX)) {
      void this.svg.getBoundingClientRect();
    }
  }

  /**
   * Bring an open group's frame into view: whole if it fits at this zoom, else its top left
   * corner (its label, which closes it) near the window's.
   */
  revealCluster(id) {
    const place = this.layout?.clusters?.[id];
    if (!place) return;
    const rect = { x: place.x - place.width / 2, y: place.y - place.height / 2, width: place.width, height: place.height };
    const { width, height } = this.svg.getBoundingClientRect();
    const { scale } = this.panZoom;
    const margin = 24;
    if (rect.width * scale <= width - 2 * margin && rect.height * scale <= height - 2 * margin) {
      this.panZoom.reveal(rect, margin);
      return;
    }
    const [x0, y0, x1, y1] = this.clusters.get(id).label;
    if (this.panZoom.reveal({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, margin)) {
      this.panZoom.set(scale, margin - rect.x * scale, margin - rect.y * scale);
    }
  }

  /** The point at parameter u (0..1) along a view edge's Bézier curve, from its input to its consumer. */
  edgePoint(edgeId, u) {
    const points = this.edges.get(edgeId)?.points;
    if (!points) return null;
    return pointOnCurve(points, u);
  }

  select(id) {
    if (this.selected) this.boxes.get(this.selected)?.el.classList.remove("selected");
    this.selected = id && this.boxes.has(id) ? id : null;
    if (this.selected) this.boxes.get(this.selected).el.classList.add("selected");
  }

  /** Mark the box a search found (null: none). */
  mark(id) {
    if (this.found) this.boxes.get(this.found)?.el.classList.remove("found");
    this.found = id && this.boxes.has(id) ? id : null;
    if (this.found) this.boxes.get(this.found).el.classList.add("found");
  }
}
