// What every node shows after k steps: pure functions over one API response (no DOM).
//
// Backward: step k means k nodes have fired (k = 0: nothing has). A node's displayed gradient is
// the grad_after of the last contribution it received among the first k steps; the root shows
// its seed once stepping starts (k >= 1); at k = N every node shows its final gradient.
// Forward: step k means the first k nodes of forward_order have computed their values.

/** Indexes over the response that stepping needs, computed once per graph. */
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
  const sourceLines = source.split("\n");
  return {
    graph,
    source,
    sourceLines,
    nodes,
    edges,
    expected,
    arrivals,
    inputs,
    consumers,
    differs,
    gradcheck,
    root: graph.root,
    backwardCount: graph.backward_steps.length,
    forwardCount: graph.forward_order.length,
  };
}

/** The number of steps in a direction. */
export function stepCount(model, direction) {
  return direction === "forward" ? model.forwardCount : model.backwardCount;
}

/**
 * The state of the page after k backward steps.
 * Returns {active, nodes: Map(id -> {grad, received, summing, done}), sentEdges: Set, currentEvents: [...]}
 * where grad is a value, or undefined for "not known yet".
 */
export function backwardState(model, k) {
  const n = model.backwardCount;
  const steps = model.graph.backward_steps;
  const received = new Map();
  const latest = new Map();
  const sentEdges = new Set();
  for (let i = 0; i < k && i < steps.length; i++) {
    for (const event of steps[i].events) {
      received.set(event.to, (received.get(event.to) ?? 0) + 1);
      latest.set(event.to, event.grad_after);
      sentEdges.add(event.edge);
    }
  }
  const seed = steps.length && steps[0].node === model.root ? steps[0].grad : model.nodes.get(model.root)?.grad;
  const nodes = new Map();
  for (const node of model.graph.nodes) {
    const count = received.get(node.id) ?? 0;
    const isRoot = node.id === model.root;
    let grad;
    if (k >= n) grad = node.grad;
    else if (count > 0) grad = latest.get(node.id);
    else if (isRoot && k >= 1) grad = seed;
    const expected = model.expected.get(node.id) ?? 0;
    const done = isRoot ? k >= 1 || n === 0 : expected > 0 && count >= expected;
    nodes.set(node.id, { grad, received: count, summing: count >= 2, done });
  }
  const current = k >= 1 && k <= steps.length ? steps[k - 1] : null;
  return {
    direction: "backward",
    k,
    n,
    active: current ? current.node : null,
    nodes,
    sentEdges,
    currentEvents: current ? current.events : [],
  };
}

/** The state of the page after k forward steps: the first k nodes have values. */
export function forwardState(model, k) {
  const order = model.graph.forward_order;
  const computed = new Set(order.slice(0, k));
  const nodes = new Map();
  for (const node of model.graph.nodes) {
    nodes.set(node.id, { computed: computed.has(node.id) });
  }
  const sentEdges = new Set();
  for (const e of model.graph.edges) if (computed.has(e.target)) sentEdges.add(e.id);
  const active = k >= 1 && k <= order.length ? order[k - 1] : null;
  return {
    direction: "forward",
    k,
    n: order.length,
    active,
    nodes,
    sentEdges,
    currentEdges: active ? model.inputs.get(active).map((e) => e.id) : [],
  };
}

export function stateAt(model, direction, k) {
  return direction === "forward" ? forwardState(model, k) : backwardState(model, k);
}

/** How a person would name a node: its label, else the source text that made it, else its op. */
export function nodeName(model, id) {
  const node = model.nodes.get(id);
  if (!node) return id;
  if (node.label) return node.label;
  const text = spanText(model, node);
  if (text) return text;
  return node.op ?? node.kind;
}

/** The source text a node came from, when the API gives its span on one line. */
export function spanText(model, node) {
  if (!node.span) return null;
  const [line, col, endCol] = node.span;
  const text = model.sourceLines[line - 1];
  if (text === undefined || endCol <= col) return null;
  return text.slice(col - 1, endCol - 1).trim() || null;
}
