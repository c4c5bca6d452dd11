// The source editor: a textarea with a line-number gutter and an overlay that underlines errors.
// Ctrl/Cmd+Enter runs at once; otherwise a run follows a short pause in typing. Enter keeps the
// indentation; Ctrl+] and Ctrl+[ indent and unindent.

import { htmlEl } from "./dom.js";

const IDLE_MS = 600;
const INDENT = "    "; // one level, as Python writes it

export class Editor {
  /**
   * @param {HTMLElement} root element holding .gutter, .overlay and the textarea
   * @param {{onRun: (asked: boolean) => void, onEdit: () => void}} hooks onRun: asked is true for
   *   Ctrl+Enter or the run button, false after a pause in typing; onEdit: text changed (a run will follow)
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
      // Tab is left to the browser: it moves focus on, out of the editor (a keyboard must not be
      // trapped here). Indentation comes with Enter, and Ctrl+] / Ctrl+[ (the help names them).
      const mod = e.ctrlKey || e.metaKey;
      if (e.key === "Enter" && mod) {
        e.preventDefault();
        this.runNow();
      } else if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.isComposing) {
        e.preventDefault();
        this.insert(`\n${nextIndent(this.currentLine())}`);
      } else if (mod && !e.altKey && (e.key === "]" || e.key === "[")) {
        e.preventDefault();
        this.indentLines(e.key === "]" ? 1 : -1);
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

  /** Run at once: asked for (Ctrl+Enter, the run button). */
  runNow() {
    this.cancel();
    this.onRun(true);
  }

  schedule() {
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onRun(false);
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

  /** The text of the line the caret is on, up to the caret. */
  currentLine() {
    const { selectionStart: start, value } = this.textarea;
    return value.slice(value.lastIndexOf("\n", start - 1) + 1, start);
  }

  /** Indent (+1) or unindent (-1) every line the selection touches by one level. */
  indentLines(direction) {
    const { selectionStart: start, selectionEnd: end, value } = this.textarea;
    const first = value.lastIndexOf("\n", start - 1) + 1;
    const lines = value.slice(first, end).split("\n");
    let shiftStart = 0;
    const changed = lines.map((line, i) => {
      if (direction > 0) {
        if (i === 0) shiftStart = INDENT.length;
        return INDENT + line;
      }
      const removed = line.length - line.replace(/^ {1,4}/, "").length;
      if (i === 0) shiftStart = -Math.min(removed, start - first);
      return line.slice(removed);
    });
    const text = changed.join("\n");
    this.textarea.value = value.slice(0, first) + text + value.slice(end);
    this.textarea.selectionStart = Math.max(first, start + shiftStart);
    this.textarea.selectionEnd = first + text.length;
    this.textarea.dispatchEvent(new Event("input"));
  }

  /** Underline the span of an API error ({line, col, endCol, message}, 1-based, end exclusive). */
  showError(error) {
    this.error = error && error.line ? error : null;
    this.render();
  }

  clearError() {
    // the overlay always shows this.error: none to clear, nothing to draw again (every graph shown
    // clears the error; drawing the overlay anew cost a slider move ~5 ms of layout)
    if (this.error === null) return;
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

/** The indentation for the line after `line`: the same, one level more after a ":" (def, for, if). */
export function nextIndent(line) {
  const indent = line.match(/^\s*/)[0];
  return line.trimEnd().endsWith(":") ? indent + INDENT : indent;
}

function clamp(x, lo, hi) {
  return Math.max(lo, Math.min(hi, x));
}
