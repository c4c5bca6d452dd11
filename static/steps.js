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
  const tally = startTally(model);
  advance(model, tally, u);
  return tally.nodes;
}

/**
 * What the first u backward steps have done, kept to go on from: {u, received: Map(node -> how
 * many contributions), latest: Map(node -> gradient after the last), sentEdges: Set(view edge),
 * receivedAlong: Map(box -> view edges it has received along), nodes and boxes: their states}.
 * Going on from u to a later step looks only at the steps between and the nodes and boxes they
 * touch, so that the player's step costs the same on 30 boxes or 3,000.
 */
function startTally(model) {
  const tally = { u: 0, received: new Map(), latest: new Map(), sentEdges: new Set(), receivedAlong: new Map(), nodes: new Map(), boxes: new Map() };
  for (const node of model.graph.nodes) tally.nodes.set(node.id, nodeState(model, tally, node.id));
  for (const id of model.view.boxes.keys()) tally.boxes.set(id, boxState(model, tally, id));
  return tally;
}

/** Go on to u steps done (u at least tally.u), updating the nodes and boxes that changed. */
function advance(model, tally, u) {
  const n = model.backwardCount;
  const view = model.view;
  const steps = model.graph.backward_steps;
  const shared = aliasing(model).events;
  const nodes = new Set();
  const boxes = new Set();
  if (tally.u === 0 && u >= 1) nodes.add(model.root); // the root shows its seed once stepping starts
  for (let i = tally.u; i < u && i < n; i++) {
    for (const event of steps[i].events) {
      tally.received.set(event.to, (tally.received.get(event.to) ?? 0) + 1);
      tally.latest.set(event.to, event.grad_after);
      nodes.add(event.to);
      const alias = shared.get(event);
      for (const id of alias?.shared ?? []) {
        tally.latest.set(id, valueAfter(alias, id));
        nodes.add(id);
      }
      const edge = view.viewEdgeOf.get(event.edge);
      if (edge === undefined || tally.sentEdges.has(edge)) continue;
      tally.sentEdges.add(edge);
      const box = view.edges.get(edge).source;
      tally.receivedAlong.set(box, (tally.receivedAlong.get(box) ?? 0) + 1);
      boxes.add(box);
    }
  }
  const end = tally.u < n && u >= n; // every gradient becomes final
  tally.u = Math.max(tally.u, u);
  for (const id of end ? tally.nodes.keys() : nodes) {
    tally.nodes.set(id, nodeState(model, tally, id));
    boxes.add(view.boxOf.get(id) ?? id);
  }
  for (const id of end ? tally.boxes.keys() : boxes) if (view.boxes.has(id)) tally.boxes.set(id, boxState(model, tally, id));
}

/** A node's state ({grad, received, summing, done, differs}) after tally.u steps. */
function nodeState(model, tally, id) {
  const n = model.backwardCount;
  const u = tally.u;
  const node = model.nodes.get(id);
  const count = tally.received.get(id) ?? 0;
  const isRoot = id === model.root;
  let grad;
  if (u >= n) grad = node.grad;
  else if (tally.latest.has(id)) grad = tally.latest.get(id);
  else if (isRoot && u >= 1) grad = n && model.graph.backward_steps[0].node === model.root ? model.graph.backward_steps[0].grad : node.grad;
  const expected = model.expected.get(id) ?? 0;
  const done = isRoot ? u >= 1 || n === 0 : expected > 0 && count >= expected;
  // final: at the end, or all its contributions in and nothing left to change it
  const differs = model.differs.has(id) && (u >= n || (done && sameValue(grad, node.grad)));
  return { grad, received: count, summing: count >= 2, done, differs };
}

/**
 * A box's state: a node box's is its node's; a group box sums when it has received along 2+ view
 * edges, and its `outputs` are its outputs' states.
 */
function boxState(model, tally, id) {
  const box = model.view.boxes.get(id);
  if (box.kind !== "group") return tally.nodes.get(id);
  const outputs = box.outputs.map((output) => tally.nodes.get(output));
  const along = tally.receivedAlong.get(id) ?? 0;
  return {
    grad: outputs.length === 1 ? outputs[0].grad : undefined,
    outputs,
    received: along,
    summing: along >= 2,
    done: outputs.length > 0 && outputs.every((o) => o.done),
    differs: outputs.some((o) => o.differs),
  };
}

function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

const tallies = new WeakMap(); // model -> the tally of the backward state last shown, to go on from

/**
 * The state of the page after k backward view steps.
 * Returns {active, u, nodes, boxes: Map(box id -> {grad, received, summing, done, differs, outputs}),
 * sentEdges: Set(view edge), currentEdges: Set(view edge), currentEvents: [...]}: grad is a value,
 * or undefined for "not known yet"; currentEvents are the contributions of view step k that cross
 * from one box to another. From the state of an earlier step of the same model it goes on from
 * that one (startTally); the maps returned are the caller's.
 */
export function backwardState(model, k) {
  const view = model.view;
  const vsteps = view.steps.backward;
  const u = underlyingCount(vsteps, k);
  let tally = tallies.get(model);
  if (!tally || tally.u > u) {
    tally = startTally(model);
    tallies.set(model, tally);
  }
  advance(model, tally, u);
  const steps = model.graph.backward_steps;
  const current = k >= 1 && k <= vsteps.length ? vsteps[k - 1] : null;
  const currentEvents = [];
  if (current) {
    for (const step of steps.slice(current.first, current.first + current.count)) {
      for (const event of step.events) if (view.viewEdgeOf.has(event.edge)) currentEvents.push(event);
    }
  }
  return {
    direction: "backward",
    k,
    n: vsteps.length,
    u,
    active: current ? current.box : null,
    nodes: new Map(tally.nodes),
    boxes: new Map(tally.boxes),
    sentEdges: new Set(tally.sentEdges),
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
