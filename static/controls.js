// Buttons and keys: turn clicks and key presses into calls on `actions`, and show the player's state.

const KEYS = {
  " ": "togglePlay",
  ArrowRight: "next",
  ArrowLeft: "prev",
  Home: "reset",
  End: "toEnd",
  f: "fit",
  F: "fit",
  p: "presenter",
  P: "presenter",
  "?": "help",
  "/": "find",
};

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
    this.el = (id) => document.querySelector(`[data-testid="${id}"]`);
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
    this.el("speed").addEventListener("change", (e) => actions.setSpeed(Number(e.target.value)));
    this.el("direction").addEventListener("change", (e) => actions.setDirection(e.target.value));
    this.el("mode").addEventListener("change", (e) => actions.setMode(e.target.value));
    this.el("gallery").addEventListener("change", (e) => actions.loadExample(e.target.value));
    this.el("scrubber").addEventListener("input", (e) => actions.goTo(Number(e.target.value)));
    window.addEventListener("keydown", (e) => this.key(e));
  }

  key(e) {
    if (e.key === "Escape") {
      this.actions.escape();
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
    // never while typing: the editor, the link box, selects (arrows change their option)
    if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT" || target?.isContentEditable) return;
    if (document.querySelector("dialog[open]") && e.key !== "?") return;
    const action = KEYS[e.key];
    if (!action) return;
    e.preventDefault();
    this.actions[action]();
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
