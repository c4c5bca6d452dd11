// Buttons, menus and keys: turn clicks, choices and key presses into calls on `actions`, and show
// the player's state.

import { byTestId } from "./dom.js";

// Each key, the action it calls and what the help says of it: the help's list is made from this
// table and EDITOR_KEYS, so it names every key. A presentation clicker sends PageDown and PageUp.
export const KEYS = [
  { keys: ["PageDown", "ArrowRight", "ArrowDown"], action: "next", help: "next step (a clicker's forward button)" },
  { keys: ["PageUp", "ArrowLeft", "ArrowUp"], action: "prev", help: "step back" },
  { keys: [" "], action: "togglePlay", help: "play / pause (on a focused button: presses it)" },
  { keys: ["Home"], action: "reset", help: "back to step 0" },
  { keys: ["End"], action: "toEnd", help: "to the last step" },
  { keys: ["f", "F"], action: "fit", help: "fit the whole graph in the window" },
  { keys: ["p", "P"], action: "presenter", help: "presenter mode: large text, thick lines" },
  { keys: ["n", "N"], action: "numbers", help: "presenting: show or hide the sliders and the training plot, beside the graph" },
  { keys: ["/"], action: "find", help: "find a node by its label (Enter: the next match)" },
  { keys: ["?"], action: "help", help: "this help" },
];

// Keys other modules handle, for the help: [keys, where, what].
export const OTHER_KEYS = [
  [["Ctrl+F"], "outside the editor", "find a node by its label"],
  [["Tab", "Shift+Tab"], "", "move between the controls and the graph's boxes, in backward order; Tab leaves the editor too"],
  [["Enter"], "on a box", "a node's details, or open / close a call"],
  [["Esc"], "", "close the details or this help, leave presenter mode"],
  [["Ctrl+Enter"], "in the editor", "run now (it also runs when you pause typing)"],
  [["Enter"], "in the editor", "a new line, indented like the last (one level more after a ':')"],
  [["Ctrl+]", "Ctrl+["], "in the editor", "indent / unindent the line (or the selected lines)"],
];

const ACTION_OF = new Map(KEYS.flatMap(({ keys, action }) => keys.map((key) => [key, action])));
const STEP_ACTIONS = new Set(["next", "prev"]);

/** How a key is written in the help: "Space", "→", "PgDn". */
export function keyName(key) {
  return { " ": "Space", ArrowRight: "→", ArrowLeft: "←", ArrowDown: "↓", ArrowUp: "↑", PageDown: "PgDn", PageUp: "PgUp" }[key] ?? key;
}

const BUTTONS = {
  reset: "reset",
  "step-prev": "prev",
  play: "togglePlay",
  "step-next": "next",
  "step-end": "toEnd",
  fit: "fit",
  "zoom-in": "zoomIn",
  "zoom-out": "zoomOut",
  presenter: "presenter",
  "presenter-numbers": "numbers",
  theme: "toggleTheme",
  gradcheck: "toggleGradcheck",
  "copy-link": "copyLink",
  "download-svg": "downloadSvg",
  "download-png": "downloadPng",
  "download-json": "downloadJson",
  help: "help",
  run: "run",
};

export class Controls {
  constructor() {
    this.actions = null;
    this.el = byTestId;
  }

  /** Start turning clicks and keys into calls on `actions` (named as in KEYS and BUTTONS). */
  listen(actions) {
    this.actions = actions;
    for (const [id, action] of Object.entries(BUTTONS)) {
      this.el(id)?.addEventListener("click", (e) => {
        // a mouse click should not leave focus on the button, where Space would click it again
        if (e.detail > 0) e.currentTarget.blur();
        actions[action]();
      });
    }
    // a menu gives focus back once chosen, so that the next key steps again
    const chosen = (handler) => (e) => {
      handler(e.target.value);
      e.target.blur();
      this.showMenu(false);
    };
    // the toolbar's menu (on a phone): a choice in it closes it
    const menu = this.el("menu");
    menu.addEventListener("click", () => this.showMenu(menu.getAttribute("aria-expanded") !== "true"));
    this.el("toolbar-more").addEventListener("click", (e) => {
      if (e.target.closest("button")) this.showMenu(false);
    });
    this.el("speed").addEventListener("change", chosen((value) => actions.setSpeed(Number(value))));
    this.el("direction").addEventListener("change", chosen(actions.setDirection));
    this.el("mode").addEventListener("change", chosen(actions.setMode));
    this.el("gallery").addEventListener("change", chosen(actions.loadExample));
    this.el("scrubber").addEventListener("input", (e) => actions.goTo(Number(e.target.value)));
    window.addEventListener("keydown", (e) => this.key(e));
  }

  key(e) {
    if (e.key === "Escape") {
      if (this.menuOpen) this.showMenu(false);
      else this.actions.escape();
      return;
    }
    const target = e.target;
    const tag = target?.tagName;
    // Ctrl+F finds in the graph, except in the editor (where the browser's own find is meant)
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "f" && tag !== "TEXTAREA" && !e.defaultPrevented) {
      e.preventDefault();
      this.actions.find();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (document.querySelector("dialog[open]") && e.key !== "?") return;
    const action = ACTION_OF.get(e.key);
    if (!action || !this.wanted(e, target, action)) return;
    e.preventDefault();
    this.actions[action]();
  }

  /**
   * Whether a key goes to the player rather than to what has focus. Never in the editor or a
   * contenteditable; in a text box or a menu only PageDown and PageUp step (arrows move the caret
   * or the choice, letters are typed); Space presses a focused button instead of playing.
   */
  wanted(e, target, action) {
    const tag = target?.tagName;
    if (tag === "TEXTAREA" || target?.isContentEditable) return false;
    const clicker = e.key === "PageDown" || e.key === "PageUp";
    if (tag === "INPUT" || tag === "SELECT") return clicker && STEP_ACTIONS.has(action);
    if (e.key === " " && target?.closest?.("button, a[href], summary, [role=button]")) return false;
    return true;
  }

  get menuOpen() {
    return this.el("menu").getAttribute("aria-expanded") === "true";
  }

  /** Open or close the toolbar's menu (shown as one only on a narrow screen). */
  showMenu(open) {
    this.el("menu").setAttribute("aria-expanded", String(open));
    this.el("toolbar").classList.toggle("menu-open", open);
  }

  /** The mode menu: "correct" and the engine's bug modes ({name, words} from the language reference). */
  showModes(modes, current) {
    const options = modes.map(({ name, words }) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name === "correct" ? name : `bug: ${name.replaceAll("_", " ")}`;
      option.title = words;
      return option;
    });
    this.el("mode").replaceChildren(...options);
    this.el("mode").value = current;
  }

  /** Reflect step k of n. */
  showStep(k, n) {
    this.el("step-label").textContent = `step ${k} / ${n}`;
    this.el("reset").disabled = k === 0;
    this.el("step-prev").disabled = k === 0;
    this.el("step-next").disabled = k >= n;
    this.el("step-end").disabled = k >= n;
    const scrubber = this.el("scrubber");
    scrubber.max = String(n);
    scrubber.value = String(k);
    scrubber.setAttribute("aria-valuetext", `step ${k} of ${n}`);
  }

  showPlaying(playing) {
    const play = this.el("play");
    play.setAttribute("aria-pressed", String(playing));
    play.setAttribute("aria-label", playing ? "pause" : "play");
    play.title = playing ? "pause (Space)" : "play (Space)";
    play.querySelector(".icon").textContent = playing ? "❚❚" : "▶";
    play.querySelector(".play-word").textContent = playing ? "pause" : "play";
  }

  showDirection(direction) {
    this.el("direction").value = direction;
  }

  showMode(mode) {
    this.el("mode").value = mode;
  }

  showGradcheck(on) {
    this.el("gradcheck").setAttribute("aria-pressed", String(on));
  }

  /** The gallery entry matching the current source, or the "your own" placeholder. */
  showExample(id) {
    this.el("gallery").value = id ?? "";
  }
}
