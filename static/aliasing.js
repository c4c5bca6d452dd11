// The alias bug, read back from the record (pure functions, no DOM). Under it a gradient is stored
// by reference and added to in place, so nodes whose gradients are one array all change when one
// of them receives a contribution; and the record, copied after each in-place add, shows the
// array's new value as "before", "contribution" and "after" alike.
//
// Which gradients are one array follows from how the engine makes them: the root's is the seed;
// a node's first contribution becomes its gradient as it is; and add (either input) and sub (its
// first) send their incoming gradient itself when no axis had to be summed back. Every other rule
// makes a new array.

import { shapeOf } from "./format.js";

const PASSED_ON = { add: [0, 1], sub: [0] }; // op -> the inputs it hands the gradient itself to

/**
 * For each accumulated event of an alias-mode record: {shared, before, contribution, after}:
 * the other nodes whose gradient is the same array (they change too), and the values before the
 * in-place add (the record's own show them after it). Also per step, the nodes an in-place add
 * changed and their new value. Computed once per model.
 */
export function aliasing(model) {
  if (model.aliasing !== undefined) return model.aliasing;
  const result = { events: new Map(), changes: [] };
  model.aliasing = result;
  if (model.graph.mode !== "alias") return result;
  const arrayOf = new Map([[model.root, 0]]);
  const holders = new Map([[0, new Set([model.root])]]);
  const shown = new Map(); // node -> the value its gradient has now
  let arrays = 1;
  for (const step of model.graph.backward_steps) {
    const firing = model.nodes.get(step.node);
    if (!shown.has(step.node)) shown.set(step.node, step.grad);
    const changes = [];
    for (const event of step.events) {
      const edge = model.edges.get(event.edge);
      const passed = (PASSED_ON[firing.op] ?? []).includes(edge?.arg)
        && sameShape(shapeOf(event.contribution), firing.shape) && arrayOf.has(step.node);
      const sent = passed ? arrayOf.get(step.node) : arrays++;
      if (!event.accumulated) {
        arrayOf.set(event.to, sent);
        if (!holders.has(sent)) holders.set(sent, new Set());
        holders.get(sent).add(event.to);
        shown.set(event.to, event.grad_after);
        continue;
      }
      const array = arrayOf.get(event.to);
      const before = shown.get(event.to) ?? event.grad_before;
      const sharers = [...(holders.get(array) ?? [])].filter((id) => id !== event.to);
      result.events.set(event, {
        shared: sharers,
        before,
        contribution: sent === array ? before : event.contribution,
        after: event.grad_after,
      });
      for (const id of [event.to, ...sharers]) shown.set(id, event.grad_after);
      changes.push({ nodes: sharers, value: event.grad_after });
    }
    result.changes.push(changes);
  }
  return result;
}

function sameShape(a, b) {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
