// How the page names things in captions, callouts, tooltips and the inspector: short words a
// person would use (a variable's name, "neuron #3"), never a whole source expression.

const SHORT_TEXT = 24; // source text longer than this names a node by its op instead

/** A node's name: its label, else the source text that made it when short, else its op (or id). */
export function nodeName(model, id) {
  const node = model.nodes.get(id);
  if (!node) return id;
  if (node.label) return node.label;
  const text = spanText(model, node);
  if (text && text.length <= SHORT_TEXT) return text;
  return node.op ?? node.id;
}

/** The source text a node came from, when the API gives its span on one line. */
export function spanText(model, node) {
  if (!node.span) return null;
  const [line, col, endCol] = node.span;
  const text = model.sourceLines[line - 1];
  if (text === undefined || endCol <= col) return null;
  return text.slice(col - 1, endCol - 1).trim() || null;
}

/** "neuron #3": a group's label and which call (or statement) of that name it is. */
export function groupName(group) {
  return `${group.label} #${group.index}`;
}

/** The name of what a box shows: a node's name, or a collapsed group's. */
export function boxName(model, boxId) {
  const group = model.view.groups.get(boxId);
  return group ? groupName(group) : nodeName(model, boxId);
}

/** The groups holding a node, outermost first (ids). */
export function groupChain(model, nodeId) {
  const chain = [];
  let id = model.nodes.get(nodeId)?.group ?? null;
  while (id !== null && id !== undefined) {
    chain.push(id);
    id = model.view.groups.get(id)?.parent ?? null;
  }
  return chain.reverse();
}

/** "forward 2 > fire 17 > act": where a node sits in the program's calls, for the inspector. */
export function nodePath(model, nodeId) {
  const groups = groupChain(model, nodeId).map((id) => model.view.groups.get(id));
  return [...groups.map((g) => `${g.label} ${g.index}`), nodeName(model, nodeId)].join(" > ");
}
