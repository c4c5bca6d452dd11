// A simple layout of our own for when the server sends none (e.g. a graph too large for
// Graphviz): columns by depth, inputs on the left, the root on the right. Same output shape as
// the API's `layout`: node centres and sizes, edges as cubic Bézier control points plus an arrow tip.
// An edge between neighbouring columns runs straight across; one that skips columns (a weight
// shared along a chain) leaves its input's top, arcs over the drawing and comes down into its
// consumer's top, so that it never runs through the boxes in between.

const GAP_X = 60;
const GAP_Y = 24;
const MARGIN = 12;
const ARROW = 9;
const ARC_ROOM = 60; // above the boxes, for the arcs of edges that skip columns

/** The server's box sizes (app/layout.py, BOX_SIZES, in points): scalar, up to 6 entries, more. */
function boxSize(node) {
  const size = (node.shape ?? []).reduce((a, b) => a * b, 1);
  if (!node.shape || node.shape.length === 0) return { width: 115.2, height: 61.2 };
  return size <= 6 ? { width: 144, height: 86.4 } : { width: 158.4, height: 108 };
}

/** Layout for `graph.nodes` (in forward order) and `graph.edges`. */
export function fallbackLayout(graph) {
  const depth = new Map();
  const inputs = new Map(graph.nodes.map((n) => [n.id, []]));
  const consumers = new Map(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) {
    inputs.get(e.target).push(e.source);
    consumers.get(e.source).push(e.target);
  }
  // longest path from the sources; nodes arrive in topological order, so one pass suffices
  for (const node of graph.nodes) {
    const ins = inputs.get(node.id);
    depth.set(node.id, ins.length ? Math.max(...ins.map((id) => depth.get(id) + 1)) : 0);
  }
  // a source sits just left of its first consumer, not in a far-away column 0
  for (const node of graph.nodes) {
    const users = consumers.get(node.id);
    if (inputs.get(node.id).length === 0 && users.length) {
      depth.set(node.id, Math.max(0, Math.min(...users.map((id) => depth.get(id))) - 1));
    }
  }
  const skips = (e) => depth.get(e.target) - depth.get(e.source) > 1;
  const arcSources = new Set(graph.edges.filter(skips).map((e) => e.source));
  const columns = [];
  for (const node of graph.nodes) {
    const d = depth.get(node.id);
    (columns[d] ??= []).push(node);
  }
  // the inputs of arcs go to the top of their column, where nothing is above them
  for (const col of columns) col?.sort((a, b) => arcSources.has(b.id) - arcSources.has(a.id));
  const sizes = new Map(graph.nodes.map((n) => [n.id, boxSize(n)]));
  const top = MARGIN + (arcSources.size ? ARC_ROOM : 0);
  const nodes = {};
  let x = MARGIN;
  let height = 0;
  const columnHeights = columns.map((col = []) => col.reduce((h, n) => h + sizes.get(n.id).height, 0) + GAP_Y * Math.max(0, col.length - 1));
  const tallest = Math.max(0, ...columnHeights);
  columns.forEach((col = [], i) => {
    const width = Math.max(0, ...col.map((n) => sizes.get(n.id).width));
    let y = top + (tallest - columnHeights[i]) / 2;
    for (const node of col) {
      const size = sizes.get(node.id);
      nodes[node.id] = { x: x + width / 2, y: y + size.height / 2, width: size.width, height: size.height };
      y += size.height + GAP_Y;
    }
    height = Math.max(height, y);
    x += width + GAP_X;
  });
  const edges = {};
  for (const e of graph.edges) {
    const a = nodes[e.source];
    const b = nodes[e.target];
    if (skips(e)) {
      // over the top: the arc's highest point is 3/4 of the way up to its control points
      const start = [a.x, a.y - a.height / 2];
      const end = [b.x, b.y - b.height / 2];
      const last = [end[0], end[1] - ARROW];
      const lift = MARGIN + ARC_ROOM / 4;
      edges[e.id] = { points: [start, [start[0], lift], [last[0], lift], last], end };
      continue;
    }
    const start = [a.x + a.width / 2, a.y];
    const end = [b.x - b.width / 2, b.y];
    const last = [end[0] - ARROW, end[1]];
    const bend = Math.max(20, (last[0] - start[0]) / 2);
    edges[e.id] = {
      points: [start, [start[0] + bend, start[1]], [last[0] - bend, last[1]], last],
      end,
    };
  }
  return { width: x - GAP_X + MARGIN, height: height - GAP_Y + MARGIN, nodes, edges };
}
