// The panels around the drawing: the error box, the gallery and its note, the language reference
// (mode menu, help, bug banner), the theme button.

import { showBugBanner } from "./notices.js";

// the page's parts and the other jobs' functions this one uses, handed over by app.js
let $, body, controls, editor, help, run, select, state, training;

/** Receive the page's parts and functions (app.js). */
export function connect(page) {
  ({
    $, body, controls, editor, help, run, select, state, training
  } = page);
}

const PHONE = window.matchMedia("(max-width: 640px)");

/** On a phone the editor folds away, leaving the height to the graph; its bar unfolds it. */
export function foldEditor(folded) {
  body.classList.toggle("editor-folded", folded);
  $("editor-fold").setAttribute("aria-expanded", String(!folded));
}

/** After running (the run button, Ctrl+Enter, an example) or opening: folded, on a phone only. */
export function foldOnPhone() {
  if (PHONE.matches) foldEditor(true);
}

/**
 * A window narrowed to a phone's width (a phone turned upright) folds the editor as a page opened
 * on a phone does, so that the graph gets the height to stand up in (rotation.js); not under the
 * user's typing.
 */
export function foldWhenNarrowed() {
  PHONE.addEventListener("change", () => {
    if (PHONE.matches && state.model && document.activeElement !== $("source")) foldEditor(true);
  });
}

export function showError(error) {
  const box = $("error");
  const where = error.line ? ` (line ${error.line}, column ${error.col})` : "";
  box.replaceChildren();
  box.classList.remove("busy");
  const title = document.createElement("strong");
  title.textContent = `${error.kind ?? "error"} error${where}: `;
  box.append(title, document.createTextNode(error.message));
  if (state.model) {
    const hint = document.createElement("div");
    hint.className = "hint";
    hint.textContent = "The graph, dimmed, is the last program that ran.";
    box.append(hint);
  }
  box.hidden = false;
  foldEditor(false);
  editor.showError({ line: error.line, col: error.col, endCol: error.endCol, message: error.message });
  $("graph").classList.toggle("stale", Boolean(state.model));
  body.dataset.state = "error";
  body.dataset.ready = state.model ? "true" : "false";
  if (!state.model) {
    $("caption").textContent = "No graph yet: fix the error in the editor.";
    controls.showStep(0, 0);
  }
}

/**
 * The server is busy: say so and when the page asks again (`seconds`), in the error box, with the
 * last graph left on screen, dimmed like after an error as it is not the editor's program.
 */
export function showBusy(seconds) {
  const box = $("error");
  const title = document.createElement("strong");
  title.textContent = "The server is busy. ";
  const last = state.model ? " The graph shown is the last program that ran." : "";
  box.replaceChildren(title, document.createTextNode(`Trying again in ${seconds}\u00a0s.${last}`));
  box.classList.add("busy");
  box.hidden = false;
  foldEditor(false);
  editor.showError(null);
  $("graph").classList.toggle("stale", Boolean(state.model));
  body.dataset.state = "busy";
  body.dataset.ready = "false"; // not final: the answer is still to come
}

export function hideError() {
  $("error").hidden = true;
  $("error").replaceChildren();
  $("error").classList.remove("busy");
  editor.clearError();
  $("graph").classList.remove("stale");
}

export function showGallery(examples) {
  state.examples = examples;
  const select = $("gallery");
  const own = document.createElement("option");
  own.value = "";
  own.textContent = "your own expression";
  const options = examples.map((e) => {
    const option = document.createElement("option");
    option.value = e.id;
    option.textContent = e.title;
    return option;
  });
  select.replaceChildren(own, ...options);
  showExampleFor(editor.value);
}

/** Select the gallery entry whose source this is (or "your own expression") and show its note. */
export function showExampleFor(source) {
  controls.showExample(state.examples.find((e) => e.source === source)?.id ?? null);
  showNote();
}

export function loadExample(id) {
  const example = state.examples.find((e) => e.id === id);
  if (!example) return;
  editor.setValue(example.source);
  state.open = null;
  state.call = null;
  training.stop();
  select(null);
  run({ step: 0 });
}

function showNote() {
  const id = $("gallery").value;
  const example = state.examples.find((e) => e.id === id);
  const note = $("note");
  note.textContent = example?.note ?? "";
  note.hidden = !example?.note;
}

/**
 * The language reference has arrived: the mode menu lists the engine's modes, the help gets the
 * reference, and the bug banner (if one is up) the mode's own words.
 */
export function showLanguage(language) {
  state.modeWords = new Map(language.modes.map((m) => [m.name, m.words]));
  controls.showModes(language.modes, state.mode);
  help.showLanguage(language);
  if (state.model) showBugBanner(state.model.graph, state.modeWords.get(state.model.graph.mode));
}

export function showTheme(theme) {
  const button = $("theme");
  button.setAttribute("aria-pressed", String(theme === "dark"));
  button.querySelector(".label").textContent = theme === "dark" ? "light" : "dark";
  button.title = `switch to the ${theme === "dark" ? "light" : "dark"} theme`;
}
