// The training panel, for a program that calls backward() more than once: the loss curve (one
// point per call; a click asks for that call's graph), the gradient norm beside it (before and
// after clipping, and the correct run's), a "train" control that steps through the calls as the
// player steps through the pass, and the leaves' numbers at the drawn call. In no_zero_grad mode
// the correct run (compare.history) is drawn beside the buggy one and differing leaves are marked.
//
// The server runs a program only up to the call it draws, so the graph of call k has the history
// of calls 1..k: the curves come from the whole run, kept per program and mode (asked for when
// the program changed while an earlier call was drawn: a slider moved).

import { htmlEl } from "./dom.js";
import { formatValue, toNumber } from "./format.js";
import { latestOnly } from "./latest.js";
import { callPlot } from "./loss-plot.js";
import { Player } from "./player.js";

const TRAIN_SPEED = 2; // the player's pace doubled: a call every 0.7 s
const TABLE_LEAVES = 8; // leaves listed under the plots at most
const SAME = 1e-9; // relative difference under which two gradients count as equal

export class TrainingPanel {
  /**
   * @param {HTMLElement} root the panel, [data-testid=training]
   * @param {{onCall: (k: number) => void, canAsk: boolean, wholeRun: (source: string, mode: string) => Promise<object>}} hooks
   *   onCall: show backward call k (from 1); canAsk: false in a copy of the page without a server,
   *   which has only the call it was made with; wholeRun: the graph of the program run to its end
   */
  constructor(root, { onCall, canAsk, wholeRun }) {
    this.root = root;
    this.whole = null; // {key, history, correct}: the whole run of the program shown
    this.shown = null; // what show() was last given, to draw again when the whole run arrives
    this.askWhole = latestOnly(async () => {
      const { key, source, mode } = this.shown;
      if (this.whole?.key === key) return;
      const graph = await wholeRun(source, mode).catch(() => null); // the drawn call's history stays
      if (!graph?.history) return;
      this.whole = { key, history: graph.history, correct: graph.compare?.history ?? null };
      if (this.shown.key === key) this.draw();
    });
    root.classList.toggle("read-only", !canAsk);
    this.onCall = onCall;
    this.el = (id) => root.querySelector(`[data-testid="${id}"]`);
    this.player = new Player();
    this.player.setSpeed(TRAIN_SPEED);
    this.player.addEventListener("step", (e) => {
      if (e.detail.from !== null) this.onCall(e.detail.k + 1);
      this.showCall(e.detail.k + 1, e.detail.n + 1);
    });
    this.player.addEventListener("state", (e) => this.showPlaying(e.detail.playing));
    this.el("train-play").addEventListener("click", () => this.player.toggle());
    this.el("train-prev").addEventListener("click", () => {
      this.player.pause();
      this.player.prev();
    });
    this.el("train-next").addEventListener("click", () => {
      this.player.pause();
      this.player.next();
    });
    this.el("training-plots").addEventListener("click", (e) => {
      const point = e.target.closest?.("[data-role=point]");
      if (!point || !canAsk) return;
      this.player.pause();
      this.player.goTo(Number(point.dataset.call) - 1);
    });
  }

  /**
   * The history of a graph just shown, of `source` run in `mode` (hidden when the program called
   * backward() at most once). `wanted`: the call last asked for (null: the last), where the
   * control stands even while an older answer is shown; the plot marks the call drawn.
   */
  show(graph, { wanted = null, source, mode }) {
    const key = `${mode}\n${source}`;
    this.shown = { graph, wanted, key, source, mode };
    if (wanted === null) this.whole = graph.history ? { key, history: graph.history, correct: graph.compare?.history ?? null } : null;
    else if (graph.history && this.whole?.key !== key) this.askWhole();
    this.draw();
  }

  draw() {
    const { graph, wanted, key } = this.shown;
    // until the whole run of a changed program is in, the last one's curves stand in, dimmed
    const whole = this.whole;
    const stale = whole !== null && whole.key !== key;
    this.el("training-plots").classList.toggle("stale", stale);
    const history = whole?.history ?? graph.history;
    if (!history || history.total_calls < 2) {
      this.player.pause();
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    const current = graph.call ?? history.total_calls;
    const correct = whole ? whole.correct : graph.compare?.history ?? null;
    this.player.load(history.total_calls - 1, (wanted ?? current) - 1);
    const plots = [lossPlot(graph, history, correct, current)];
    const norms = normPlot(history, correct, current, graph.mode);
    if (norms) plots.push(norms);
    this.el("training-plots").replaceChildren(...plots);
    // the drawn call's own run lists it: right even while the curves are stale
    this.el("training-leaves").replaceChildren(...leafRows(graph, graph.history ?? history, graph.compare?.history ?? null, current));
    const note = this.el("training-note");
    note.textContent = history.left_out_calls ? `The first ${history.calls.length} of ${history.total_calls} calls are plotted.` : "";
    note.hidden = !history.left_out_calls;
  }

  /** Stop stepping (a new program, or none). */
  stop() {
    this.player.pause();
  }

  showCall(k, n) {
    this.el("train-label").textContent = `call ${k} / ${n}`;
    this.el("train-prev").disabled = k <= 1;
    this.el("train-next").disabled = k >= n;
  }

  showPlaying(playing) {
    const play = this.el("train-play");
    play.setAttribute("aria-pressed", String(playing));
    play.textContent = playing ? "❚❚ pause" : "▶ train";
    play.title = playing ? "stop stepping through the calls" : "step through the backward calls, one graph each";
  }
}

function lossPlot(graph, history, correct, current) {
  const name = graph.root_label ?? "root";
  const series = [{
    name: correct ? `${name}, ${graph.mode}` : name, role: "point", cls: correct ? "series-bug" : "series-0",
    points: history.calls.map((c) => ({ call: c.call, y: c.root_value, note: `line ${c.line}` })),
  }];
  if (correct) {
    series.push({ name: "correct", role: "correct-point", cls: "series-0", points: correct.calls.map((c) => ({ call: c.call, y: c.root_value })) });
  }
  const plot = callPlot(series, { current, yLabel: name, label: `${name} at each backward call; click a point to show that call` });
  plot.dataset.testid = "loss-plot";
  return plot;
}

/** The gradient norm at each call: when clipping changed it (before and after), or beside the correct run's. */
function normPlot(history, correct, current, mode) {
  const clipped = history.calls.some((c) => !same(c.grad_norm, c.grad_norm_clipped));
  if (!clipped && !correct) return null;
  const series = [{
    name: correct ? mode : clipped ? "before clipping" : "grad norm", role: "norm-point", cls: correct ? "series-bug" : "series-1",
    points: history.calls.map((c) => ({ call: c.call, y: c.grad_norm })),
  }];
  if (clipped) series.push({ name: "after", role: "clipped-point", cls: "series-0", points: history.calls.map((c) => ({ call: c.call, y: c.grad_norm_clipped })) });
  if (correct) series.push({ name: "correct", role: "correct-norm-point", cls: "series-0", points: correct.calls.map((c) => ({ call: c.call, y: c.grad_norm })) });
  const plot = callPlot(series, { current, yLabel: "grad norm", label: "global gradient norm at each backward call" });
  plot.dataset.testid = "norm-plot";
  return plot;
}

/** The listed leaves at the drawn call: value and gradient, and the correct run's gradient beside a bug's. */
function leafRows(graph, history, correct, current) {
  const entry = history.calls.find((c) => c.call === current);
  if (!entry) return [];
  const other = correct?.calls.find((c) => c.call === current) ?? null;
  const labels = new Map(graph.nodes.map((n) => [n.id, n.label ?? n.id]));
  const head = htmlEl("tr");
  for (const text of ["leaf", "value", "grad", ...(other ? ["correct grad"] : [])]) htmlEl("th", { scope: "col" }, head, text);
  const rows = history.leaves.slice(0, TABLE_LEAVES).map((id, i) => {
    const differs = other !== null && !same(entry.grads[i], other.grads[i]);
    const tr = htmlEl("tr", { className: differs ? "differs" : null, "data-leaf": id });
    htmlEl("th", { scope: "row" }, tr, `${differs ? "≠ " : ""}${labels.get(id) ?? id}`);
    htmlEl("td", {}, tr, formatValue(entry.values[i]));
    htmlEl("td", {}, tr, formatValue(entry.grads[i]));
    if (other) htmlEl("td", {}, tr, formatValue(other.grads[i]));
    return tr;
  });
  const more = history.leaves.length - TABLE_LEAVES + history.left_out_leaves;
  if (more > 0) {
    const tr = htmlEl("tr");
    htmlEl("td", { colspan: other ? 4 : 3, className: "more" }, tr, `and ${more} more`);
    rows.push(tr);
  }
  return [head, ...rows];
}

function same(a, b) {
  const x = toNumber(a);
  const y = toNumber(b);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
  return Math.abs(x - y) <= SAME * Math.max(Math.abs(x), Math.abs(y), 1e-300);
}
