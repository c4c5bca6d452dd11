// Moving contributions: a dot carrying a number travels along each edge of the current step.
// Backward, it goes from the consumer back to the input; forward, from the input to the consumer.
// Decoration only: the node text and classes are already right before the dot sets off.

import { svgEl } from "./dom.js";
import { formatValue } from "./format.js";

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
    if (reducedMotion.matches || durationMs <= 0) {
      for (const move of moves) this.view.flash(move.to);
      return;
    }
    const layer = this.view.overlay;
    for (const move of moves) {
      const path = this.view.edgePath(move.edge);
      if (!path) continue;
      const g = svgEl("g", { class: `flow-token flow-${direction}` }, layer);
      svgEl("circle", { r: 6 }, g);
      if (move.label !== null) svgEl("text", { x: 9, y: -9 }, g, move.label);
      this.tokens.push({ g, path, length: path.getTotalLength(), to: move.to });
    }
    if (!this.tokens.length) return;
    const start = performance.now();
    const tick = (now) => {
      const t = Math.min(1, (now - start) / durationMs);
      const eased = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
      for (const token of this.tokens) {
        const along = direction === "backward" ? 1 - eased : eased;
        const p = token.path.getPointAtLength(token.length * along);
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
    for (const token of this.tokens) token.g.remove();
    this.tokens = [];
  }
}

/** The moves of one backward step: each contribution to its input. */
export function backwardMoves(step) {
  return step.events.map((event) => ({ edge: event.edge, to: event.to, label: formatValue(event.contribution) }));
}

/** The moves of one forward step: each input's value into the node being computed. */
export function forwardMoves(model, nodeId) {
  return model.inputs.get(nodeId).map((edge) => ({ edge: edge.id, to: nodeId, label: formatValue(model.nodes.get(edge.source).value) }));
}
