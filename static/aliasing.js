// The alias bug, read back from the record (pure functions, no DOM). Under it a gradient is stored
// by reference and added to in place, so every gradient sharing its memory changes when it receives
// a contribution: the same array (an add hands its incoming gradient to both inputs) or a view of it
// (reshape and transpose hand back a reshaped or transposed view). The record copies arrays after
// each add, so its own "before" already holds the sum.
//
// The server finds the sharing in memory itself (app/shared_gradients.py): nodes whose gradients
// are one piece of memory carry the same `grad_array`, and each in-place add carries `event.alias`:
// {before, contribution, views: {id: value}}, `views` holding the new value of each sharer laid out
// otherwise (a transposed view reads transposed).

/**
 * For each in-place add of an alias-mode record: {shared, before, contribution, after, views}: the
 * other nodes whose gradient is that memory and already exists (they change too, in the order they
 * got it), the values before the add, and the views' new values (`valueAfter`). Computed once per model.
 */
export function aliasing(model) {
  if (model.aliasing !== undefined) return model.aliasing;
  const result = { events: new Map() };
  model.aliasing = result;
  if (model.graph.mode !== "alias") return result;
  const arrayOf = (id) => model.nodes.get(id)?.grad_array;
  const holders = new Map(); // array -> the nodes whose gradient in it exists so far
  const made = (id) => {
    const array = arrayOf(id);
    if (array === undefined || array === null) return;
    if (!holders.has(array)) holders.set(array, new Set());
    holders.get(array).add(id);
  };
  made(model.root);
  for (const step of model.graph.backward_steps) {
    for (const event of step.events) {
      const alias = event.alias;
      if (!alias) {
        made(event.to);
        continue;
      }
      const shared = [...(holders.get(arrayOf(event.to)) ?? [])].filter((id) => id !== event.to);
      result.events.set(event, {
        shared,
        before: alias.before,
        contribution: alias.contribution,
        after: event.grad_after,
        views: alias.views,
      });
    }
  }
  return result;
}

/** A sharer's gradient after an in-place add: the target's new value, or its own view of it. */
export function valueAfter(alias, id) {
  return Object.hasOwn(alias.views, id) ? alias.views[id] : alias.after;
}
