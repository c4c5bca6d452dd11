// What every box shows after k view steps: pure functions over one API response (no DOM).
//
// Backward: view step k fires the nodes of backward_steps up to the end of view step k (k = 0:
// nothing has fired). A node's displayed gradient is the grad_after of the last contribution it
// received so far; the root shows its seed once stepping starts; at the end every node shows its
// final gradient. In a bug mode a node differs (is marked so) only once its gradient is final and
// not the correct one: before, it shows what it has received, as in the correct run.
// Forward: after view step k, the nodes of forward_order up to the end of that step have values.

import { aliasing, valueAfter } from "./aliasing.js";
import { indexView, underlyingCount } from "./view-model.js";

/** Indexes over the response that stepping needs, computed once per graph (and view). */
export function buildModel(graph, source = "") {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const edges = new Map(graph.edges.map((e) => [e.id, e]));
  const expected = new Map(graph.nodes.map((n) => [n.id, 0]));
  const arrivals = new Map(graph.nodes.map((n) => [n.id, []]));
  const inputs = new Map(graph.nodes.map((n) => [n.id, []]));
  const consumers = new Map(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) {
    inputs.get(e.target)?.push(e);
    consumers.get(e.source)?.push(e);
  }
  for (const list of inputs.values()) list.sort((a, b) => a.arg - b.arg);
  graph.backward_steps.forEach((step, index) => {
    for (const event of step.events) {
      expected.set(event.to, (expected.get(event.to) ?? 0) + 1);
      arrivals.get(event.to)?.push({ step: index + 1, from: step.node, event });
    }
  });
  const differs = new Set(graph.compare ? graph.compare.differs : []);
  // gradcheck per leaf: {eps, leaves: {id: {...}}, skipped}
  const gradcheck = graph.gradcheck?.leaves ?? {};
  return {
    graph,
    source,
    sourceLines: source.split("\n"),
    nodes,
    edges,
    expected,
    arrivals,
    inputs,
    consumers,
    differs,
    gradcheck,
    root: graph.root,
    view: indexView(graph),
    backwardCount: graph.backward_steps.length,
    forwardCount: graph.forward_order.length,
  };
}

/** The same graph seen through another view ({view, layout, layout_reason} from the API). */
export function withView(model, { view, layout, layout_reason: layoutReason }) {
  const graph = { ...model.graph, view, layout, layout_reason: layoutReason };
  return { ...model, graph, view: indexView(graph) };
}

/** The view steps of a direction. */
export function viewSteps(model, direction) {
  return direction === "forward" ? model.view.steps.forward : model.view.steps.backward;
}

/** The number of view steps in a direction. */
export function stepCount(model, direction) {
  return viewSteps(model, direction).length;
}

/** Underlying steps done after view step k (backward steps, or forward_order entries). */
export function underlyingAt(model, direction, k) {
  return underlyingCount(viewSteps(model, direction), k);
}

/**
 * Every node's gradient after the first u backward steps: Map(id -> {grad, received, summing,
 * done, differs}). Under the alias bug, an in-place add changes every gradient sharing the array.
 */
export function nodeGrads(model, u) {
  const n = model.backwardCount;
  const steps = model.graph.backward_steps;
  const shared = aliasing(model).events;
  const received = new Map();
  const latest = new Map();
  for (let i = 0; i < u && i < n; i++) {
    for (const event of steps[i].events) {
      received.set(event.to, (received.get(event.to) ?? 0) + 1);
      latest.set(event.to, event.grad_after);
      const alias = shared.get(event);
      for (const id of alias?.shared ?? []) latest.set(id, valueAfter(alias, id));
    }
  }
  const seed = n && steps[0].node === model.root ? steps[0].grad : model.nodes.get(model.root)?.grad;
  const nodes = new Map();
  for (const node of model.graph.nodes) {
    const count = received.get(node.id) ?? 0;
    const isRoot = node.id === model.root;
    let grad;
    if (u >= n) grad = node.grad;
    else if (latest.has(node.id)) grad = latest.get(node.id);
    else if (isRoot && u >= 1) grad = seed;
    const expected = model.expected.get(node.id) ?? 0;
    const done = isRoot ? u >= 1 || n === 0 : expected > 0 && count >= expected;
    // final: at the end, or all its contributions in and nothing left to change it
    const differs = model.differs.has(node.id) && (u >= n || (done && sameValue(grad, node.grad)));
    nodes.set(node.id, { grad, received: count, summing: count >= 2, done, differs });
  }
  return nodes;
}

function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The state of the page after k backward view steps.
 * Returns {active, u, nodes, boxes: Map(box id -> {grad, received, summing, done, differs, outputs}),
 * sentEdges: Set(view edge), currentEdges: Set(view edge), currentEvents: [...]}: grad is a value,
 * or undefined for "not known yet"; currentEvents are the contributions of view step k that cross
 * from one box to another. A node box sums when it has received 2+ contributions; a group box
 * when it has received along 2+ view edges. A group box's `outputs` are its outputs' states.
 */
export function backwardState(model, k) {
  const view = model.view;
  const vsteps = view.steps.backward;
  const u = underlyingCount(vsteps, k);
  const nodes = nodeGrads(model, u);
  const steps = model.graph.backward_steps;
  const sentEdges = new Set();
  const receivedAlong = new Map(); // box -> view edges it has received along
  for (let i = 0; i < u && i < steps.length; i++) {
    for (const event of steps[i].events) {
      const edge = view.viewEdgeOf.get(event.edge);
      if (edge === undefined || sentEdges.has(edge)) continue;
      sentEdges.add(edge);
      const box = view.edges.get(edge).source;
      receivedAlong.set(box, (receivedAlong.get(box) ?? 0) + 1);
    }
  }
  const current = k >= 1 && k <= vsteps.length ? vsteps[k - 1] : null;
  const currentEvents = [];
  if (current) {
    for (const step of steps.slice(current.first, current.first + current.count)) {
      for (const event of step.events) if (view.viewEdgeOf.has(event.edge)) currentEvents.push(event);
    }
  }
  const boxes = new Map();
  for (const box of view.boxes.values()) {
    if (box.kind !== "group") {
      boxes.set(box.id, nodes.get(box.id));
      continue;
    }
    const outputs = box.outputs.map((id) => nodes.get(id));
    const along = receivedAlong.get(box.id) ?? 0;
    boxes.set(box.id, {
      grad: outputs.length === 1 ? outputs[0].grad : undefined,
      outputs,
      received: along,
      summing: along >= 2,
      done: outputs.length > 0 && outputs.every((o) => o.done),
      differs: outputs.some((o) => o.differs),
    });
  }
  return {
    direction: "backward",
    k,
    n: vsteps.length,
    u,
    active: current ? current.box : null,
    nodes,
    boxes,
    sentEdges,
    currentEdges: new Set(currentEvents.map((e) => view.viewEdgeOf.get(e.edge))),
    currentEvents,
  };
}

/** The state of the page after k forward view steps: the nodes computed so far have values. */
export function forwardState(model, k) {
  const view = model.view;
  const vsteps = view.steps.forward;
  const u = underlyingCount(vsteps, k);
  const computed = new Set(model.graph.forward_order.slice(0, u));
  const nodes = new Map();
  for (const node of model.graph.nodes) nodes.set(node.id, { computed: computed.has(node.id) });
  const boxes = new Map();
  for (const box of view.boxes.values()) {
    const shown = box.kind === "group" ? box.outputs : [box.id];
    boxes.set(box.id, { computed: shown.length > 0 && shown.every((id) => computed.has(id)) });
  }
  const sentEdges = new Set();
  for (const edge of view.edges.values()) if (boxes.get(edge.target).computed) sentEdges.add(edge.id);
  const active = k >= 1 && k <= vsteps.length ? vsteps[k - 1].box : null;
  const currentEdges = new Set(active === null ? [] : view.edgesInto.get(active) ?? []);
  return { direction: "forward", k, n: vsteps.length, u, active, nodes, boxes, sentEdges, currentEdges };
}

/**
 * The boxes and view edges whose state may differ between view steps `from` and `to` when they
 * are neighbours: the boxes that fire or receive in the later one, with their edges, and the
 * boxes and edges the earlier one lit. null (anything may differ) for other moves, and for a move
 * to or from the end, where every gradient becomes final. The drawing updates only these.
 */
export function stepChanges(model, direction, from, to) {
  const [lo, hi] = from < to ? [from, to] : [to, from];
  const vsteps = viewSteps(model, direction);
  if (hi - lo !== 1 || hi > vsteps.length) return null;
  const view = model.view;
  const boxes = new Set();
  const edges = new Set();
  const boxOfNode = (id) => boxes.add(view.boxOf.get(id) ?? id);
  for (const k of [lo, hi]) if (k >= 1) boxes.add(vsteps[k - 1].box);
  if (direction === "forward") {
    for (const id of model.graph.forward_order.slice(underlyingCount(vsteps, lo), underlyingCount(vsteps, hi))) boxOfNode(id);
    for (const box of boxes) for (const edge of view.edgesInto.get(box) ?? []) edges.add(edge);
    return { boxes, edges };
  }
  if (underlyingCount(vsteps, hi) >= model.backwardCount) return null;
  if (lo === 0) boxOfNode(model.root); // the root shows its seed once stepping starts
  const shared = aliasing(model).events;
  const steps = model.graph.backward_steps;
  for (const k of [lo, hi]) {
    if (k < 1) continue;
    const { first, count } = vsteps[k - 1];
    for (const step of steps.slice(first, first + count)) {
      for (const event of step.events) {
        const edge = view.viewEdgeOf.get(event.edge);
        if (edge !== undefined) edges.add(edge);
        if (k !== hi) continue; // the earlier step's edges stop being current; its receivers keep their state
        boxOfNode(event.to);
        for (const id of shared.get(event)?.shared ?? []) boxOfNode(id);
      }
    }
  }
  return { boxes, edges };
}

export function stateAt(model, direction, k) {
  return direction === "forward" ? forwardState(model, k) : backwardState(model, k);
}
