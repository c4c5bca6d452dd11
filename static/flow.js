// Moving contributions: a dot carrying a number travels along each edge of the current step.
// Backward, it goes from the consumer back to the input; forward, from the input to the consumer.
// Decoration only: the node text and classes are already right before the dot sets off.

import { svgEl } from "./dom.js";
import { markLabel } from "./edge-drawing.js";
import { formatCompact } from "./format.js";

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

export class Flow {
  /** @param {import("./graph-view.js").GraphView} view */
  constructor(view) {
    this.view = view;
    this.frame = null;
    this.tokens = [];
  }

  /**
   * @param {{edge: string, to: string, label: string|null}[]} moves
   * @param {"backward"|"forward"} direction
   * @param {number} durationMs
   */
  play(moves, direction, durationMs) {
    this.cancel();
    // with reduced motion, the highlighted edges and nodes tell the step without movement
    if (reducedMotion.matches || durationMs <= 0) return;
    const layer = this.view.overlay;
    for (const move of moves) {
      if (!this.view.edgePoint(move.edge, 0)) continue;
      const g = svgEl("g", { class: `flow-token flow-${direction}` }, layer);
      svgEl("circle", { r: 6 }, g);
      if (move.label !== null) svgEl("text", { x: 9, y: -9 }, g, move.label);
      // the number rides on the dot, not on the edge: marked on the label itself, as a class on
      // the drawing would have Chrome look through every element of a large graph for labels
      const label = this.view.edges.get(move.edge)?.label ?? null;
      if (label) markLabel(label, "riding", true);
      this.tokens.push({ g, edge: move.edge, to: move.to, label });
    }
    if (!this.tokens.length) return;
    const start = performance.now();
    const tick = (now) => {
      const t = Math.min(1, (now - start) / durationMs);
      const eased = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
      for (const token of this.tokens) {
        const p = this.view.edgePoint(token.edge, direction === "backward" ? 1 - eased : eased);
        token.g.setAttribute("transform", `translate(${p.x},${p.y})`);
      }
      if (t < 1) {
        this.frame = requestAnimationFrame(tick);
      } else {
        this.frame = null;
        const arrived = this.tokens.map((token) => token.to);
        this.clear();
        for (const id of arrived) this.view.flash(id);
      }
    };
    this.frame = requestAnimationFrame(tick);
  }

  cancel() {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.clear();
  }

  clear() {
    for (const token of this.tokens) {
      token.g.remove();
      if (token.label) markLabel(token.label, "riding", false);
    }
    this.tokens = [];
  }
}

/** The moves of one backward view step: what it sends along each view edge, to the edge's input box. */
export function backwardMoves(model, state) {
  const byEdge = new Map();
  for (const event of state.currentEvents) {
    const id = model.view.viewEdgeOf.get(event.edge);
    if (byEdge.has(id)) byEdge.get(id).push(event);
    else byEdge.set(id, [event]);
  }
  return [...byEdge].map(([id, events]) => {
    const edge = model.view.edges.get(id);
    return { edge: id, to: edge.source, label: formatCompact(events.length === 1 ? events[0].contribution : edge.contribution) };
  });
}

/** The moves of one forward view step: each input's value into the box being computed. */
export function forwardMoves(model, state) {
  return [...state.currentEdges].map((id) => {
    const edge = model.view.edges.get(id);
    const sources = new Set(edge.edges.map((e) => model.edges.get(e).source));
    const label = sources.size === 1 ? formatCompact(model.nodes.get([...sources][0]).value) : null;
    return { edge: id, to: edge.target, label };
  });
}
