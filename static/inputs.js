// The inputs panel: a slider and a number for every scalar leaf whose number is written in the
// program. Moving one rewrites that number in the program's text (the editor and the link stay
// the truth) and hands the new text on; the page re-runs it.

import { htmlEl } from "./dom.js";
import { formatLiteral, inRange, isPlainNumber, literalText, replaceLiteral, sliderRange } from "./literals.js";

export class InputsPanel {
  /**
   * @param {HTMLElement} root the panel, [data-testid=inputs]
   * @param {{getSource: () => string, onSource: (source: string) => void}} hooks
   *   getSource: the editor's text now; onSource: the text with a number rewritten
   */
  constructor(root, { getSource, onSource }) {
    this.root = root;
    this.list = root.querySelector(".inputs-list");
    this.getSource = getSource;
    this.onSource = onSource;
    this.rows = [];
    this.key = null;
    this.source = null; // the text the rows' spans belong to
    this.list.addEventListener("input", (e) => {
      if (e.target.type === "range") this.moved(e.target);
    });
    this.list.addEventListener("change", (e) => {
      if (e.target.type === "number") this.typed(e.target);
    });
  }

  /**
   * The leaves of a graph just shown, for `source`. An answer to older text (a slider moving
   * faster than the server answers) changes nothing: the panel already shows newer numbers.
   */
  show(graph, source) {
    if (source !== this.getSource()) return;
    const leaves = graph.nodes.filter((n) => n.kind === "leaf" && n.literal && n.shape.length === 0);
    const rows = [];
    for (const node of leaves) {
      const text = literalText(source, node.literal);
      if (!isPlainNumber(text)) continue;
      // decimal: whether the program wrote it with a decimal point (0.0), which slid numbers keep
      rows.push({ id: node.id, label: node.label ?? node.id, name: leafName(node, source), span: node.literal, text, decimal: /[.eE]/.test(text) });
    }
    const key = rows.map((r) => `${r.id}:${r.label}`).join(",");
    this.source = source;
    if (key !== this.key) {
      this.key = key;
      this.rows = rows;
      for (const row of rows) row.range = sliderRange(Number(row.text));
      this.build();
    } else {
      rows.forEach((row, i) => {
        const old = this.rows[i];
        row.range = inRange(old.range, Number(row.text)) ? old.range : sliderRange(Number(row.text));
        row.slider = old.slider;
        row.number = old.number;
        row.decimal = old.decimal;
      });
      this.rows = rows;
      for (const row of rows) this.showRow(row);
    }
    this.root.hidden = rows.length === 0;
  }

  /** Hide the panel (no program ran). */
  clear() {
    this.root.hidden = true;
  }

  build() {
    const items = this.rows.map((row, i) => {
      const li = htmlEl("li", { className: "input-row" });
      htmlEl("span", { className: "input-name", title: row.name }, li, row.name);
      row.slider = htmlEl("input", {
        type: "range", "data-label": row.label, "data-index": i, "aria-label": `${row.name}: slide to change its number in the program`,
      }, li);
      row.number = htmlEl("input", {
        type: "number", className: "input-number", "data-label": row.label, "data-index": i, "aria-label": `${row.name}: the number in the program`,
      }, li);
      this.showRow(row);
      return li;
    });
    this.list.replaceChildren(...items);
  }

  showRow(row) {
    const { slider, number, range } = row;
    slider.min = String(range.min);
    slider.max = String(range.max);
    slider.step = String(range.step);
    number.step = String(range.step);
    // the element being used keeps what the user is doing with it
    if (document.activeElement !== slider) slider.value = row.text;
    if (document.activeElement !== number) number.value = row.text;
    number.classList.remove("invalid");
  }

  /** A slider moved: write its position into the program. */
  moved(slider) {
    const row = this.rows[Number(slider.dataset.index)];
    if (!row || !this.current()) return;
    const text = formatLiteral(Number(slider.value), row.range.decimals, row.decimal);
    row.number.value = text;
    this.rewrite(row, text);
  }

  /** A number typed (Enter, or leaving the box): write it into the program as typed. */
  typed(number) {
    const row = this.rows[Number(number.dataset.index)];
    if (!row || !this.current()) return;
    const text = number.value.trim();
    if (!isPlainNumber(text) || !Number.isFinite(Number(text))) {
      number.classList.add("invalid");
      return;
    }
    if (!inRange(row.range, Number(text))) row.range = sliderRange(Number(text));
    this.rewrite(row, text);
    this.showRow(row);
    row.slider.value = text;
  }

  /** Whether the rows belong to the editor's text (not when it was typed in since they were made). */
  current() {
    const fresh = this.getSource() === this.source;
    this.root.classList.toggle("stale", !fresh);
    return fresh;
  }

  rewrite(row, text) {
    if (text === row.text) return;
    const index = this.rows.indexOf(row);
    const { source, spans } = replaceLiteral(this.source, this.rows.map((r) => r.span), index, text);
    this.rows.forEach((r, i) => {
      r.span = spans[i];
    });
    row.text = text;
    this.source = source;
    this.onSource(source);
  }
}

/** A leaf's name in the panel: its label, else the source text around its number ("line 7: Value(2.0)"). */
function leafName(node, source) {
  if (node.label) return node.label;
  const [line, col, endCol] = node.span ?? node.literal;
  const text = (source.split("\n")[line - 1] ?? "").slice(col - 1, endCol - 1).trim();
  return text && text.length <= 20 ? `${text} (line ${line})` : `${node.id} (line ${line})`;
}
