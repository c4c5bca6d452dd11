// Find: a box in the graph pane for a label. Enter asks for the first node with that label, Enter
// again for the next (Shift+Enter: the previous); the page opens the groups holding it and
// centres it. This module only reads the box and says which match is shown.

import { findNodes } from "./view-model.js";

export class FindBox {
  /**
   * @param {HTMLInputElement} input
   * @param {HTMLElement} status where "2 / 16" or "no match" is written
   * @param {{onFind: (nodeId: string) => void}} hooks
   */
  constructor(input, status, { onFind }) {
    this.input = input;
    this.status = status;
    this.onFind = onFind;
    this.graph = null;
    this.query = null;
    this.matches = [];
    this.index = -1;
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.next(e.shiftKey ? -1 : 1);
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        input.blur();
      }
    });
    input.addEventListener("input", () => this.show(""));
  }

  /** A new graph: matches are looked up again on the next Enter (another view of it keeps them). */
  setGraph(graph) {
    const same = this.graph !== null && graph.nodes === this.graph.nodes;
    this.graph = graph;
    if (!same) this.query = null;
  }

  focus() {
    this.input.focus();
    this.input.select();
  }

  /** The next (or previous) node labelled as the box says. */
  next(direction = 1) {
    if (!this.graph) return;
    const query = this.input.value.trim();
    if (query !== this.query) {
      this.query = query;
      this.matches = findNodes(this.graph, query);
      this.index = direction > 0 ? -1 : 0;
    }
    if (this.matches.length === 0) {
      this.show(query ? "no match" : "");
      return;
    }
    const n = this.matches.length;
    this.index = (((this.index + direction) % n) + n) % n;
    this.show(`${this.index + 1} / ${n}`);
    this.onFind(this.matches[this.index]);
  }

  show(text) {
    this.status.textContent = text;
  }
}
