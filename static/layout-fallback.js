// A simple layout of our own for when the server sends none (e.g. a graph too large for
// Graphviz): columns by depth, inputs on the left, the root on the right. Same output shape as
// the API's `layout`: node centres and sizes, edges as cubic Bézier control points plus an arrow tip.

const GAP_X = 60;
const GAP_Y = 24;
const MARGIN = 12;
const ARROW = 9;

function boxSize(node) {
  if (!node.shape || node.shape.length === 0) return { width: 110, height: 60 };
  return { width: 160, height: 100 };
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
  const columns = [];
  for (const node of graph.nodes) {
    const d = depth.get(node.id);
    (columns[d] ??= []).push(node);
  }
  const sizes = new Map(graph.nodes.map((n) => [n.id, boxSize(n)]));
  const nodes = {};
  let x = MARGIN;
  let height = 0;
  const columnHeights = columns.map((col = []) => col.reduce((h, n) => h + sizes.get(n.id).height, 0) + GAP_Y * Math.max(0, col.length - 1));
  const tallest = Math.max(0, ...columnHeights);
  columns.forEach((col = [], i) => {
    const width = Math.max(0, ...col.map((n) => sizes.get(n.id).width));
    let y = MARGIN + (tallest - columnHeights[i]) / 2;
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
