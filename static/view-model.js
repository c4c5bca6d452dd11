// The view: what the page shows of a graph (pure functions over the API's `view`, no DOM).
//
// A box is a node or a collapsed group (a function call, a statement); a view edge joins two
// boxes and stands for the graph's edges between them; a view step fires backward_steps
// [first, first + count) at once, so a collapsed group fires as one step. Forward, a view step is
// a run of forward_order shown by one box.

/** The API's `view` as indexes. A graph sent without one (no groups) shows every node. */
export function indexView(graph) {
  const view = graph.view ?? nodeView(graph);
  const boxOf = new Map(Object.entries(view.box_of));
  const folded = new Map(); // consumer box -> the const nodes written inside it
  for (const [node, box] of Object.entries(view.folded ?? {})) {
    if (folded.has(box)) folded.get(box).push(node);
    else folded.set(box, [node]);
  }
  const viewEdgeOf = new Map(); // graph edge id -> the view edge drawn for it
  for (const edge of view.edges) for (const id of edge.edges) viewEdgeOf.set(id, edge.id);
  const edgesInto = new Map(); // box -> the view edges into it (its inputs), for a forward step
  for (const edge of view.edges) {
    if (edgesInto.has(edge.target)) edgesInto.get(edge.target).push(edge.id);
    else edgesInto.set(edge.target, [edge.id]);
  }
  return {
    open: new Set(view.open),
    reason: view.reason ?? null,
    groups: new Map((graph.groups ?? []).map((g) => [g.id, g])),
    boxes: new Map(view.boxes.map((b) => [b.id, b])),
    boxOf,
    folded,
    edges: new Map(view.edges.map((e) => [e.id, e])),
    viewEdgeOf,
    edgesInto,
    steps: { backward: view.steps, forward: forwardSteps(graph.forward_order, boxOf, view.folded ?? {}) },
  };
}

/** Every node its own box, every edge its own view edge: the view of a graph without groups. */
function nodeView(graph) {
  return {
    open: [],
    boxes: graph.nodes.map((n) => ({ id: n.id, kind: "node", parent: null })),
    box_of: Object.fromEntries(graph.nodes.map((n) => [n.id, n.id])),
    folded: {},
    edges: graph.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, edges: [e.id], contribution: e.contribution })),
    steps: graph.backward_steps.map((s, i) => ({ box: s.node, first: i, count: 1 })),
    reason: null,
  };
}

/**
 * Runs of forward_order shown by one box. A folded const is computed with the run it falls in:
 * it has no box of its own to light up.
 */
function forwardSteps(order, boxOf, folded) {
  const runs = [];
  let pending = 0;
  order.forEach((id, i) => {
    const last = runs.at(-1);
    if (id in folded) {
      if (last) last.count += 1;
      else pending += 1;
      return;
    }
    const box = boxOf.get(id) ?? id;
    if (last && last.box === box) last.count += 1;
    else runs.push({ box, first: i - pending, count: 1 + pending });
    pending = 0;
  });
  return runs;
}

/** How many underlying steps are done after view step k. */
export function underlyingCount(steps, k) {
  if (k <= 0 || steps.length === 0) return 0;
  const step = steps[Math.min(k, steps.length) - 1];
  return step.first + step.count;
}

/** The view step that brings the underlying count to at least u: the one covering step u. */
export function stepCovering(steps, u) {
  if (u <= 0) return 0;
  let lo = 0;
  let hi = steps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid].first + steps[mid].count >= u) hi = mid;
    else lo = mid + 1;
  }
  return steps.length ? lo + 1 : 0;
}

/**
 * The boxes of `model`'s view in backward order: as they fire; a box that never fires (a leaf) as
 * its gradient completes; boxes no gradient reaches last, in the view's order.
 */
export function backwardOrder(model) {
  const view = model.view;
  const rank = new Map();
  view.steps.backward.forEach((step, k) => {
    if (!rank.has(step.box)) rank.set(step.box, k + 1);
  });
  const arrivedAt = new Map(); // box that never fires -> the view step of its last contribution
  model.graph.backward_steps.forEach((step, i) => {
    for (const event of step.events) {
      const box = view.boxOf.get(event.to) ?? event.to;
      if (!rank.has(box)) arrivedAt.set(box, stepCovering(view.steps.backward, i + 1) + 0.5);
    }
  });
  const at = (id) => rank.get(id) ?? arrivedAt.get(id) ?? Infinity;
  return [...view.boxes.keys()].map((id, i) => [at(id), i, id]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
}

/**
 * Nodes whose label is `query`, in creation order: exact matches, else matches ignoring case,
 * else labels that start with it, else a node id ("n17").
 */
export function findNodes(graph, query) {
  const q = query.trim();
  if (!q) return [];
  const lower = q.toLowerCase();
  const tests = [
    (n) => n.label === q,
    (n) => n.label?.toLowerCase() === lower,
    (n) => n.label?.toLowerCase().startsWith(lower),
    (n) => n.id === q,
  ];
  for (const test of tests) {
    const hits = graph.nodes.filter(test);
    if (hits.length) return hits.map((n) => n.id);
  }
  return [];
}
