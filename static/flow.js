// Moving contributions: a dot carrying a number travels along each edge of the current step.
// Backward, it goes from the consumer back to the input; forward, from the input to the consumer.
// Decoration only: the node text and classes are already right before the dot sets off.

import { svgEl } from "./dom.js";
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
      this.tokens.push({ g, edge: move.edge, to: move.to });
    }
    if (!this.tokens.length) return;
    this.view.svg.classList.add("flowing");
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
    this.view.svg.classList.remove("flowing");
    for (const token of this.tokens) token.g.remove();
    this.tokens = [];
  }
}

/** The moves of one backward step: each contribution to its input. */
export function backwardMoves(step) {
  return step.events.map((event) => ({ edge: event.edge, to: event.to, label: formatCompact(event.contribution) }));
}

/** The moves of one forward step: each input's value into the node being computed. */
export function forwardMoves(model, nodeId) {
  return model.inputs.get(nodeId).map((edge) => ({ edge: edge.id, to: nodeId, label: formatCompact(model.nodes.get(edge.source).value) }));
}
