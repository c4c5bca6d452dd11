// The side panel for one node: everything the API knows about it, at full precision.

import { htmlEl } from "./dom.js";
import { formatShape, formatTerm, formatValue, formatValueFull, isScalar } from "./format.js";
import { logLogPlot } from "./plot.js";
import { nodeName, nodePath } from "./names.js";
import { nodeGrads, underlyingAt } from "./steps.js";
import { stepCovering } from "./view-model.js";
import { FLAGS } from "./words.js";

export class Inspector {
  /** @param {HTMLElement} panel the aside; its .inspector-body is replaced on each render */
  constructor(panel, { onClose }) {
    this.panel = panel;
    this.body = panel.querySelector(".inspector-body");
    panel.querySelector(".inspector-close").addEventListener("click", () => onClose());
  }

  get open() {
    return !this.panel.hidden;
  }

  hide() {
    this.panel.hidden = true;
    this.body.replaceChildren();
  }

  /** One node, as of step k of `direction`. */
  showNode(model, id, { k, direction }) {
    const node = model.nodes.get(id);
    if (!node) return this.hide();
    const parts = [];
    const header = htmlEl("header");
    htmlEl("h2", {}, header, nodeName(model, id));
    htmlEl("p", { className: "subtitle" }, header,
      `${node.id} · ${node.kind === "op" ? `op ${node.op}` : node.kind === "leaf" ? "input (leaf)" : "constant"}${id === model.root ? " · root" : ""}`);
    if (node.group) htmlEl("p", { className: "path", "data-testid": "node-path" }, header, nodePath(model, id));
    parts.push(header);

    const facts = htmlEl("dl", { className: "facts" });
    fact(facts, "shape", formatShape(node.shape));
    const inputs = model.inputs.get(id);
    if (inputs.length) {
      // numbers folded into this box (× 1.1) are listed here like any input
      fact(facts, "inputs", inputs.map((e) => {
        const input = model.nodes.get(e.source);
        const value = formatValue(input.value);
        return input.kind === "const" && !input.label ? `${value} (a number)` : `${nodeName(model, e.source)} = ${value}`;
      }).join(", "));
    }
    if (node.op && Object.keys(node.params ?? {}).length) fact(facts, "params", JSON.stringify(node.params));
    fact(facts, "used by", `${node.fan_out} ${node.fan_out === 1 ? "consumer edge" : "consumer edges"}`);
    fact(facts, "value", formatValueFull(node.value), true);
    fact(facts, "grad (final)", node.grad === null ? "None (no gradient reached it)" : formatValueFull(node.grad), true);
    const u = direction === "backward" ? underlyingAt(model, direction, k) : model.backwardCount;
    if (u < model.backwardCount) {
      const now = nodeGrads(model, u).get(id).grad;
      fact(facts, `grad at step ${k}`, now === undefined ? "? (nothing has arrived yet)" : formatValueFull(now), true);
    }
    const compare = model.graph.compare;
    if (compare && id in compare.correct) {
      fact(facts, "correct grad", formatValueFull(compare.correct[id]), true);
      if (model.differs.has(id)) fact(facts, "", `this ${model.graph.mode} bug gives a different gradient`);
    }
    parts.push(facts);

    if (node.rule) {
      section(parts, "Local derivative");
      htmlEl("p", { className: "rule" }, parts.at(-1), node.rule);
    }
    if (node.flags.length) {
      const list = htmlEl("ul", { className: "flags" });
      for (const flag of node.flags) htmlEl("li", { className: `flag flag-${flag}` }, list, FLAGS[flag]?.long ?? flag);
      section(parts, "Flags").append(list);
    }

    const arrivals = model.arrivals.get(id);
    if (arrivals.length) {
      const box = section(parts, `Contributions received (${arrivals.length})`);
      const table = htmlEl("table", { className: "contributions" }, box);
      const head = htmlEl("tr", {}, htmlEl("thead", {}, table));
      for (const title of ["step", "from", "sent", "grad: before → after"]) htmlEl("th", {}, head, title);
      const tbody = htmlEl("tbody", {}, table);
      for (const { step, from, event } of arrivals) {
        // numbered as the player numbers its steps: a collapsed group fires as one
        const viewStep = stepCovering(model.view.steps.backward, step);
        const future = direction === "backward" && viewStep > k;
        const row = htmlEl("tr", { className: future ? "future" : event.accumulated ? "summed" : null }, tbody);
        htmlEl("td", {}, row, String(viewStep));
        const edge = model.edges.get(event.edge);
        htmlEl("td", {}, row, `${nodeName(model, from)} (input ${edge ? edge.arg : "?"})`);
        const contribution = htmlEl("td", { className: "num" }, row, formatValueFull(event.contribution));
        if (event.contribution_raw !== null && event.contribution_raw !== undefined) {
          htmlEl("div", { className: "raw" }, contribution, `before unbroadcast: ${formatValueFull(event.contribution_raw)}`);
        }
        const before = event.grad_before === null ? "None" : formatValue(event.grad_before);
        htmlEl("td", { className: "num" }, row, `${before} → ${formatValue(event.grad_after)}${event.accumulated ? " (Σ)" : ""}`);
      }
      if (arrivals.length > 1) {
        const terms = arrivals.map((a) => formatTerm(a.event.contribution)).join(" + ");
        htmlEl("p", { className: "sum-line" }, box, `grad = ${terms} = ${formatValue(node.grad)}`);
      }
    }

    const paths = model.graph.paths?.[id];
    if (paths) this.renderPaths(parts, model, id, paths);

    const gc = model.gradcheck[id];
    if (gc) {
      const box = section(parts, "Gradcheck");
      const verdict = htmlEl("p", { className: `verdict ${gc.passed ? "pass" : "fail"}` }, box,
        `${gc.passed ? "✓ passed" : "✗ failed"}: max relative error ${formatValue(gc.max_rel_error)}`);
      verdict.title = "finite differences against the backward pass";
      const dl = htmlEl("dl", { className: "facts" }, box);
      fact(dl, "numeric", formatValueFull(gc.numeric), true);
      fact(dl, "backward", formatValueFull(gc.analytic ?? node.grad), true);
      if (gc.sweep?.length) box.append(logLogPlot([{ name: nodeName(model, id), points: sweepPoints(gc.sweep) }]));
    }

    this.body.replaceChildren(...parts);
    this.panel.hidden = false;
  }

  renderPaths(parts, model, id, paths) {
    const box = section(parts, `Paths to the root: ${paths.count}`);
    htmlEl("p", { className: "hint" }, box,
      "Each path multiplies the local derivatives along it; the gradient is the sum over all paths.");
    const list = htmlEl("ol", { className: "paths" }, box);
    let sum = 0;
    let scalarSum = true;
    for (const path of paths.shown) {
      const li = htmlEl("li", {}, list);
      htmlEl("div", { className: "path-nodes" }, li, path.nodes.map((n) => nodeName(model, n)).join(" → "));
      const product = path.factors && path.factors.length
        ? `${path.factors.map((f) => formatValue(f)).map((t) => (t.startsWith("-") ? `(${t})` : t)).join(" × ")} = ${formatValue(path.value)}`
        : formatValue(path.value);
      htmlEl("div", { className: "path-product num" }, li, product);
      if (isScalar(path.value) && typeof path.value === "number") sum += path.value;
      else scalarSum = false;
    }
    if (paths.truncated) htmlEl("p", { className: "hint" }, box, `… and ${paths.left_out} more paths not shown.`);
    else if (scalarSum && paths.shown.length) {
      htmlEl("p", { className: "sum-line" }, box,
        `sum over paths = ${formatValue(sum)}; grad = ${formatValue(model.nodes.get(id).grad)}`);
    }
  }

  /** After a gradcheck run with nothing selected: every leaf's verdict and one plot. */
  showGradcheck(model) {
    const gc = model.gradcheck;
    if (!model.graph.gradcheck) return this.hide();
    const parts = [];
    const header = htmlEl("header");
    htmlEl("h2", {}, header, "Gradcheck");
    const ids = Object.keys(gc);
    const passed = ids.filter((id) => gc[id].passed).length;
    htmlEl("p", { className: "subtitle" }, header, `${passed} of ${ids.length} inputs pass`);
    parts.push(header);
    htmlEl("p", { className: "hint" }, header,
      "Central finite differences against the backward pass, for a range of epsilon: too large and the curve's bend shows, too small and rounding does.");
    const list = htmlEl("ul", { className: "gradcheck-list" });
    for (const id of ids) {
      htmlEl("li", { className: gc[id].passed ? "pass" : "fail" }, list,
        `${gc[id].passed ? "✓" : "✗"} ${nodeName(model, id)}: max relative error ${formatValue(gc[id].max_rel_error)}`);
    }
    parts.push(list);
    if (model.graph.gradcheck.skipped) htmlEl("p", { className: "hint" }, header, `Skipped: ${model.graph.gradcheck.skipped}`);
    const series = ids.filter((id) => gc[id].sweep?.length).map((id) => ({ name: nodeName(model, id), points: sweepPoints(gc[id].sweep) }));
    if (series.length) parts.push(logLogPlot(series));
    this.body.replaceChildren(...parts);
    this.panel.hidden = false;
  }
}

function sweepPoints(sweep) {
  return sweep.map((s) => ({ eps: Number(s.eps), err: Number(s.max_rel_error) }));
}

function section(parts, title) {
  const box = htmlEl("section");
  htmlEl("h3", {}, box, title);
  parts.push(box);
  return box;
}

function fact(dl, term, text, numeric = false) {
  htmlEl("dt", {}, dl, term);
  htmlEl("dd", { className: numeric ? "num" : null }, dl, text);
}
