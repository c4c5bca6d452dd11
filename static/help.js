// The help dialog: every key (made from controls.js's tables, so none is left out) and the
// language reference, made from GET /api/language: the tables the parser and the engine use
// themselves, so the help cannot drift from what a program may say.

import { KEYS, keyName, OTHER_KEYS } from "./controls.js";
import { htmlEl } from "./dom.js";

export class Help {
  /** @param {HTMLDialogElement} dialog holding [data-testid=help-keys] and [data-testid=language-reference] */
  constructor(dialog) {
    this.dialog = dialog;
    this.showKeys();
  }

  toggle() {
    if (this.dialog.open) this.dialog.close();
    else this.dialog.showModal();
  }

  showKeys() {
    const rows = [
      ...KEYS.map(({ keys, help }) => [keys.filter((k) => k === k.toUpperCase() || !keys.includes(k.toUpperCase())), "", help]),
      ...OTHER_KEYS,
    ].map(([keys, where, what]) => {
      const row = htmlEl("tr");
      const th = htmlEl("th", {}, row);
      keys.forEach((key, i) => {
        if (i) th.append(" ");
        htmlEl("kbd", {}, th, keyName(key));
      });
      const td = htmlEl("td", {}, row, what);
      if (where) htmlEl("span", { className: "where" }, td, ` (${where})`);
      return row;
    });
    this.dialog.querySelector("[data-testid=help-keys] tbody").replaceChildren(...rows);
  }

  /** The reference, from /api/language: syntax, functions and methods, constructors, modules, modes. */
  showLanguage(language) {
    const box = this.dialog.querySelector("[data-testid=language-reference]");
    const parts = [
      htmlEl("h3", {}, null, "The language"),
      htmlEl("p", { className: "hint" }, null, "A subset of Python; what follows is made from the tables the parser itself uses."),
    ];

    const syntax = section(parts, "Statements and expressions");
    const table = htmlEl("table", { className: "syntax" }, syntax);
    for (const { what, example, note } of language.syntax) {
      const row = htmlEl("tr", {}, table);
      htmlEl("th", {}, row, what);
      htmlEl("code", {}, htmlEl("td", {}, row), example);
      htmlEl("td", { className: "syntax-note" }, row, note);
    }

    const ops = section(parts, "Operations: a function or a method, with their derivative");
    const opList = htmlEl("ul", { className: "functions" }, ops);
    for (const op of language.ops) {
      const li = htmlEl("li", { "data-function": op.name }, opList);
      htmlEl("code", {}, li, op.usage);
      li.append(" or ");
      htmlEl("code", {}, li, asMethod(op.name, op.usage));
      htmlEl("span", { className: "rule" }, li, op.rule);
    }

    usageList(parts, "Python's functions, and micrograd's", language.functions);
    usageList(parts, "Making tensors: constructors, and const (an input that takes no gradient)", language.constructors);
    usageList(parts, "Attributes and methods of a value", language.attributes);
    usageList(parts, "random and math", language.modules, (entry) => entry.usage.split("(")[0]);

    const refused = section(parts, "Refused, with what to write instead");
    const refusedList = htmlEl("ul", { className: "refused" }, refused);
    for (const text of language.refused) htmlEl("li", {}, refusedList, text);

    const modes = section(parts, "Bug modes (the mode menu)");
    const dl = htmlEl("dl", { className: "modes", "data-testid": "help-modes" }, modes);
    for (const { name, words } of language.modes) {
      htmlEl("dt", {}, dl).append(htmlEl("code", {}, null, name));
      htmlEl("dd", {}, dl, words);
    }
    box.replaceChildren(...parts);
  }
}

/** "sum(x, axis=...)" as a method: "x.sum(axis=...)". */
function asMethod(name, usage) {
  const [receiver, ...rest] = usage.slice(usage.indexOf("(") + 1, -1).split(", ");
  return `${receiver}.${name}(${rest.join(", ")})`;
}

function section(parts, title) {
  const box = htmlEl("section");
  htmlEl("h4", {}, box, title);
  parts.push(box);
  return box;
}

/**
 * Entries {name, usage}: the usage as code, and what follows its first ": " as words; each item
 * named by `nameOf(entry)` ("tanh"; a module's "math.tanh").
 */
function usageList(parts, title, entries, nameOf = (entry) => entry.name) {
  const list = htmlEl("ul", { className: "functions" }, section(parts, title));
  for (const entry of entries) {
    const usage = entry.usage;
    const li = htmlEl("li", { "data-function": nameOf(entry) }, list);
    const cut = usage.indexOf(": ");
    htmlEl("code", {}, li, cut < 0 ? usage : usage.slice(0, cut));
    if (cut >= 0) htmlEl("span", { className: "rule" }, li, usage.slice(cut + 2));
  }
}
