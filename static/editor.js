// The source editor: a textarea with a line-number gutter and an overlay that underlines errors.
// Ctrl/Cmd+Enter runs at once; otherwise a run follows a short pause in typing.

import { htmlEl } from "./dom.js";

const IDLE_MS = 600;

export class Editor {
  /**
   * @param {HTMLElement} root element holding .gutter, .overlay and the textarea
   * @param {{onRun: () => void, onEdit: () => void}} hooks onEdit: text changed (a run will follow)
   */
  constructor(root, { onRun, onEdit }) {
    this.textarea = root.querySelector("textarea");
    this.gutter = root.querySelector(".gutter");
    this.overlay = root.querySelector(".overlay");
    this.onRun = onRun;
    this.onEdit = onEdit;
    this.timer = null;
    this.error = null;
    this.lineCount = 0;
    this.textarea.addEventListener("input", () => {
      this.error = null;
      this.render();
      this.onEdit();
      this.schedule();
    });
    this.textarea.addEventListener("scroll", () => this.syncScroll());
    this.textarea.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.runNow();
      } else if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
        // insert two spaces rather than leave the editor; Escape then Tab still moves focus on
        e.preventDefault();
        this.insert("  ");
      }
    });
    this.render();
  }

  get value() {
    return this.textarea.value;
  }

  setValue(text) {
    this.cancel();
    this.textarea.value = text;
    this.error = null;
    this.render();
  }

  runNow() {
    this.cancel();
    this.onRun();
  }

  schedule() {
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onRun();
    }, IDLE_MS);
  }

  cancel() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  insert(text) {
    const { selectionStart: start, selectionEnd: end, value } = this.textarea;
    this.textarea.value = value.slice(0, start) + text + value.slice(end);
    this.textarea.selectionStart = this.textarea.selectionEnd = start + text.length;
    this.textarea.dispatchEvent(new Event("input"));
  }

  /** Underline the span of an API error ({line, col, endCol, message}, 1-based, end exclusive). */
  showError(error) {
    this.error = error && error.line ? error : null;
    this.render();
  }

  clearError() {
    this.error = null;
    this.render();
  }

  /** Rebuild gutter and overlay from the text: the overlay mirrors it, with the error span marked. */
  render() {
    const lines = this.textarea.value.split("\n");
    const errorLine = this.error ? this.error.line : null;
    if (lines.length !== this.lineCount || this.gutter.dataset.errorLine !== String(errorLine)) {
      const numbers = lines.map((_, i) => htmlEl("div", { className: i + 1 === errorLine ? "error-line" : null }, null, String(i + 1)));
      this.gutter.replaceChildren(...numbers);
      this.gutter.dataset.errorLine = String(errorLine);
      this.lineCount = lines.length;
    }
    const content = htmlEl("div", { className: "overlay-content" });
    lines.forEach((line, i) => {
      const row = htmlEl("div", { className: "overlay-line" }, content);
      if (!this.error || i + 1 !== this.error.line) {
        row.textContent = line || "\u200b";
        return;
      }
      const start = clamp((this.error.col ?? 1) - 1, 0, line.length);
      let end = this.error.endCol ? this.error.endCol - 1 : start + 1;
      end = clamp(Math.max(end, start + 1), start, line.length);
      row.append(document.createTextNode(line.slice(0, start)));
      const marked = line.slice(start, end);
      htmlEl("mark", {
        className: "error-span",
        "data-testid": "error-span",
        "data-line": this.error.line,
        "data-col": start + 1,
      }, row, marked || "\u00a0");
      row.append(document.createTextNode(line.slice(end)));
      htmlEl("span", { className: "inline-message" }, row, `  ← ${this.error.message}`);
    });
    this.overlay.replaceChildren(content);
    this.syncScroll();
  }

  syncScroll() {
    const { scrollTop, scrollLeft } = this.textarea;
    const content = this.overlay.firstElementChild;
    if (content) content.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.gutter.style.transform = `translateY(${-scrollTop}px)`;
  }
}

function clamp(x, lo, hi) {
  return Math.max(lo, Math.min(hi, x));
}
