// Wiring: the page's parts, the state they share, and which module hears about what. Each job
// (session, framing, panels, share) lives in its own module and gets what it uses through connect().

import { fetchExamples, fetchGraph, fetchLanguage, serverless } from "./api.js";
import { Controls } from "./controls.js";
import { byTestId } from "./dom.js";
import { Editor } from "./editor.js";
import { SERVER_FILES } from "./export.js";
import { FindBox } from "./find.js";
import { Flow } from "./flow.js";
import { afterPresenter, centreOn, connect as connectFraming, fit, fitsWindow, keepOnScreen, screenPoint, zoom } from "./framing.js";
import { GraphView } from "./graph-view.js";
import { Help } from "./help.js";
import { InputsPanel } from "./inputs.js";
import { Inspector } from "./inspector.js";
import { latestOnly } from "./latest.js";
import {
  connect as connectPanels, foldEditor, foldOnPhone, foldWhenNarrowed, hideError, loadExample, showBusy, showError, showExampleFor, showGallery,
  showLanguage, showTheme,
} from "./panels.js";
import { Player } from "./player.js";
import { isPresenting, setPresenter, toggleNumbers, watchFullscreen } from "./presenter.js";
import { watchTurns } from "./rotation.js";
import {
  applyView, byNumber, connect as connectSession, goToNode, markReady, relayout, run, select, setDirection, showLive, showStep, toggleGroup,
} from "./session.js";
import { connect as connectShare, copyLink, downloadJson, downloadPng, downloadRendered, downloadSvg, scheduleUrlWrite } from "./share.js";
import { initTheme, toggleTheme } from "./theme.js";
import { TrainingPanel } from "./training.js";
import { readUrlState } from "./url-state.js";

const FALLBACK_SOURCE = "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)";
const $ = byTestId;
const body = document.body;

const state = {
  source: "",
  mode: "correct",
  direction: "backward",
  gradcheck: false,
  examples: [],
  model: null,
  signature: null,
  request: 0,
  selected: null,
  // the groups to show open (ids), as the user left them; null: the view the server chooses
  open: null,
  // "readable": all of the graph, or a readable part around the firing node; "whole": all of it
  // however small ("fit"); both follow the window's size. "user": panned or zoomed by hand.
  fitMode: "readable",
  graphs: 0,
  // the bug modes' words, by mode (the language reference); null until it arrives
  modeWords: null,
  // which backward() call of a training loop is drawn (from 1); null: the last
  call: null,
  // which way the drawing on screen was laid out, "LR" or "TB" (direction.js); null before one
  layoutDirection: null,
};

const view = new GraphView($("graph"));
const flow = new Flow(view);
const player = new Player();
const controls = new Controls();
const inspector = new Inspector($("inspector"), { onClose: () => select(null) });
const finder = new FindBox($("find"), $("find-status"), { onFind: goToNode });
const help = new Help(document.getElementById("help-dialog"));
const editor = new Editor(document.querySelector(".editor"), {
  onRun: (asked) => {
    run({ step: "edit" });
    if (asked) foldOnPhone();
  },
  onEdit: () => {
    body.dataset.ready = "false";
    showExampleFor(editor.value);
    scheduleUrlWrite();
  },
});

// The program's numbers on sliders, and training loops: both re-run the same program with new
// numbers (or another call), asking for the newest only, and show it on the same drawing.
const runLive = latestOnly(showLive);
const inputs = new InputsPanel($("inputs"), {
  getSource: () => editor.value,
  onSource: (source) => {
    editor.setValue(source);
    runLive();
  },
});
const training = new TrainingPanel($("training"), {
  onCall: (k) => {
    state.call = k;
    runLive();
  },
  canAsk: !serverless,
  wholeRun: (source, mode) => fetchGraph({ source, mode, maxPaths: 0, open: [], layout: false }),
});
for (const [format, filename] of Object.entries(SERVER_FILES)) {
  const button = $(`download-${format}`);
  button.hidden = serverless;
  button.addEventListener("click", (e) => {
    if (e.detail > 0) e.currentTarget.blur();
    downloadRendered(format, filename, button);
  });
}

// each job's module gets the parts and the other jobs' functions it uses
const page = {
  $, applyView, body, byNumber, centreOn, controls, editor, finder, fit, fitsWindow, flow, help, hideError, inputs,
  inspector, keepOnScreen, markReady, player, run, scheduleUrlWrite, screenPoint, select, showBusy, showError,
  showExampleFor, state, training, view,
};
connectSession(page);
connectFraming(page);
connectPanels(page);
connectShare(page);

controls.listen({
  togglePlay: () => player.toggle(),
  next: () => {
    player.pause();
    player.next();
  },
  prev: () => {
    player.pause();
    player.prev();
  },
  reset: () => player.reset(),
  toEnd: () => player.toEnd(),
  goTo: (k) => {
    player.pause();
    player.goTo(k);
  },
  setSpeed: (speed) => player.setSpeed(speed),
  setDirection,
  setMode: (mode) => {
    state.mode = mode;
    run({ step: "keep" });
  },
  loadExample: (id) => {
    loadExample(id);
    foldOnPhone();
  },
  fit: () => fit("whole"),
  zoomIn: () => zoom(1.25),
  zoomOut: () => zoom(0.8),
  presenter: () => setPresenter(!isPresenting(), afterPresenter),
  numbers: toggleNumbers,
  toggleTheme: () => toggleTheme(showTheme),
  toggleGradcheck: () => {
    state.gradcheck = !state.gradcheck;
    controls.showGradcheck(state.gradcheck);
    run({ step: "keep", gradcheckSummary: state.gradcheck });
  },
  copyLink,
  downloadSvg,
  downloadPng,
  downloadJson,
  help: () => help.toggle(),
  find: () => finder.focus(),
  run: () => editor.runNow(),
  escape: () => {
    if (document.querySelector("dialog[open]")) return; // the dialog closes itself
    if (inspector.open) select(null);
    else if (isPresenting()) setPresenter(false, afterPresenter);
  },
});

player.addEventListener("step", (e) => showStep(e.detail));
player.addEventListener("state", (e) => {
  controls.showPlaying(e.detail.playing);
  $("speed").value = String(e.detail.speed);
  if (!e.detail.playing) scheduleUrlWrite(); // the step reached while playing
});
view.addEventListener("select", (e) => select(e.detail.id));
view.addEventListener("toggle", (e) => toggleGroup(e.detail.id));
view.addEventListener("userview", () => {
  state.fitMode = "user";
});
$("editor-fold").addEventListener("click", () => foldEditor(!body.classList.contains("editor-folded")));
new ResizeObserver(() => {
  if (state.fitMode !== "user" && state.model) fit(state.fitMode);
}).observe($("graph"));
foldWhenNarrowed();
watchTurns(document.querySelector(".graph-pane"), {
  drawnDirection: () => (state.model ? state.layoutDirection : null),
  busy: () => body.dataset.ready !== "true",
  relayout,
});
watchFullscreen(() => setPresenter(false, afterPresenter));
initTheme(showTheme);

start();

async function start() {
  const fromUrl = readUrlState();
  state.mode = fromUrl.mode;
  state.direction = fromUrl.dir;
  state.open = fromUrl.open;
  state.call = fromUrl.call;
  controls.showMode(state.mode);
  controls.showDirection(state.direction);
  const examples = fetchExamples().catch(() => []);
  examples.then(showGallery);
  // without it (an old offline copy) the mode menu offers "correct" alone and the help says so
  fetchLanguage().then(showLanguage, () => {});
  const source = fromUrl.src ?? defaultExample(await examples)?.source ?? FALLBACK_SOURCE;
  editor.setValue(source);
  foldOnPhone();
  await run({ step: fromUrl.step ?? 0 });
}

function defaultExample(examples) {
  return examples.find((e) => e.id === "diamond")
    ?? examples.find((e) => e.source.includes("(a*b + c) * (a - c)"))
    ?? examples[0];
}
