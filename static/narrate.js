// Captions: each view step told in words, for the screen and for the ARIA live region. Nodes and
// groups are named by short names (names.js); a collapsed group's caption stays near 80 characters.

import { aliasing } from "./aliasing.js";
import { formatTerm, formatValue, isScalar, shapeOf, toNumber } from "./format.js";
import { boxName, groupName, nodeName } from "./names.js";
import { shapeMismatchWords } from "./words.js";

const OP_WORDS = { add: "add", sub: "sub", mul: "mul", div: "div", neg: "neg", pow: "pow", matmul: "matmul" };
const CAPTION_CHARS = 80; // a collapsed group lists what it sent until its caption is this long

/** The caption for view step k in `direction` ("backward" | "forward"). */
export function caption(model, direction, k) {
  return direction === "forward" ? forwardCaption(model, k) : backwardCaption(model, k);
}

function name(model, id) {
  const text = nodeName(model, id);
  return /[\s+\-*/@]/.test(text) && !model.nodes.get(id)?.label ? `(${text})` : text;
}

/** A node by its own name when it has a box, else by the collapsed group that shows it. */
function shownName(model, id) {
  const box = model.view.boxOf.get(id) ?? id;
  return box === id ? name(model, id) : boxName(model, box);
}

function backwardCaption(model, k) {
  const steps = model.graph.backward_steps;
  const root = name(model, model.root);
  if (steps.length === 0) {
    return `${root} has no inputs that take a gradient: nothing to send backward.`;
  }
  if (k === 0) {
    const seed = model.graph.seeded_with_ones ? "a gradient of ones (the root is not a scalar)" : "grad = 1";
    const what = [...model.view.boxes.values()].some((b) => b.kind === "group") ? "one node or a whole closed call" : "one node";
    return `Backward pass, nothing has fired yet. It starts at ${root} with ${seed}; each step fires ${what}, consumers before their inputs.`;
  }
  const vsteps = model.view.steps.backward;
  const vstep = vsteps[k - 1];
  const done = k === vsteps.length ? " Backward pass complete: every gradient is final." : "";
  const group = model.view.groups.get(vstep.box);
  if (group) return groupCaption(model, group, vstep) + done;
  const step = steps[vstep.first];
  const node = model.nodes.get(step.node);
  const who = `${name(model, step.node)}${node.label && node.op ? ` (${OP_WORDS[node.op] ?? node.op})` : ""}`;
  const shared = aliasing(model).events;
  const parts = step.events.map((event) => {
    const to = shownName(model, event.to);
    const alias = shared.get(event);
    let text = `sends ${alias ? formatValue(alias.contribution) : contributionText(model, step, event)} to ${to}`;
    const target = model.nodes.get(event.to);
    const arrived = shapeOf(event.contribution);
    if (target && arrived.join() !== target.shape.join()) text += ` — ${shapeMismatchWords(to, arrived, target.shape)}`;
    if (alias) text += ` — ${aliasWords(model, to, alias)}`;
    else if (event.accumulated) {
      text += model.graph.mode === "overwrite"
        ? ` — ${to} already had ${formatValue(event.grad_before)}, and it is overwritten: grad = ${formatValue(event.grad_after)}`
        : ` — ${to} sums: grad = ${formatTerm(event.grad_before)} + ${formatTerm(event.contribution)} = ${formatValue(event.grad_after)}`;
    }
    return text;
  });
  const intro = `${who} fires with grad ${formatValue(step.grad)}`;
  if (parts.length === 0) return `${intro}: none of its inputs takes a gradient.`;
  return `${intro}: ${parts.join("; ")}.${done}`;
}

/**
 * The alias bug at work: "b's gradient is the same array as d's and c's: adding to it in place
 * changes them all: grad = [2, 2, 2]"; a sharer that is a reshaped or transposed view of the array
 * is named as one ("y's is a view of it"). The sum itself is right; what is wrong is who else sees it.
 */
function aliasWords(model, to, { shared, views, before, contribution, after }) {
  const sum = `${formatTerm(before)} + ${formatTerm(contribution)} = ${formatValue(after)}`;
  if (!shared.length) return `${to} adds it in place: grad = ${sum}`;
  const possessive = (ids) => listWords(ids.map((id) => `${shownName(model, id)}'s`));
  const same = shared.filter((id) => !Object.hasOwn(views, id));
  const viewing = shared.filter((id) => Object.hasOwn(views, id));
  const parts = same.length ? [`${to}'s gradient is the same array as ${possessive(same)}`] : [];
  if (viewing.length) {
    const noun = same.length ? "" : viewing.length === 1 ? " gradient" : " gradients";
    const verb = viewing.length === 1 ? "is a view" : "are views";
    parts.push(`${possessive(viewing)}${noun} ${verb} of ${same.length ? "it" : `${to}'s`}`);
  }
  return `${parts.join(", and ")}: adding to it in place changes ${shared.length === 1 ? "both" : "them all"}: grad = ${sum}`;
}

function listWords(words) {
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/**
 * "neuron #3 fires with grad 0.42: sends 0.1 to x, -0.3 to w1 and 2 more." The gradient its
 * output(s) received, and what it sent to each box outside it (summed over the edges one view
 * edge stands for).
 */
function groupCaption(model, group, vstep) {
  const box = model.view.boxes.get(group.id);
  const fired = new Map();
  for (const step of model.graph.backward_steps.slice(vstep.first, vstep.first + vstep.count)) fired.set(step.node, step.grad);
  const grads = box.outputs.map((id) => (fired.has(id) ? fired.get(id) : model.nodes.get(id).grad));
  const head = grads.length === 1
    ? `${groupName(group)} fires with grad ${formatValue(grads[0])}`
    : `${groupName(group)} fires with grads ${formatValue(grads[0])}, … at its ${grads.length} outputs`;
  const sent = [...model.view.edges.values()].filter((e) => e.target === group.id && e.contribution !== null && e.contribution !== undefined);
  if (sent.length === 0) return `${head}: none of its inputs takes a gradient.`;
  const parts = sent.map((e) => `${formatValue(e.contribution)} to ${boxName(model, e.source)}`);
  return listWithin(`${head}: sends `, parts, CAPTION_CHARS);
}

/** `intro` + as many parts as fit in `limit` characters (at least one), then "and N more inputs". */
function listWithin(intro, parts, limit) {
  const more = (n) => ` and ${n} more ${n === 1 ? "input" : "inputs"}`;
  let text = intro + parts[0];
  let i = 1;
  for (; i < parts.length; i++) {
    const rest = parts.length - i - 1;
    if (`${text}, ${parts[i]}${rest > 0 ? more(rest) : ""}.`.length > limit) break;
    text += `, ${parts[i]}`;
  }
  return i < parts.length ? `${text}${more(parts.length - i)}.` : `${text}.`;
}

/** "1 × b = 3": the incoming gradient times the local derivative, when it reads simply. */
function contributionText(model, step, event) {
  const c = formatValue(event.contribution);
  const g = step.grad;
  const edge = model.edges.get(event.edge);
  const node = model.nodes.get(step.node);
  if (!edge || !isScalar(g) || !isScalar(event.contribution)) return c;
  const other = model.inputs.get(step.node).find((e) => e.arg !== edge.arg);
  const otherName = other ? name(model, other.source) : null;
  const gText = formatTerm(g);
  switch (node.op) {
    case "mul":
      return otherName ? `${gText} × ${otherName} = ${c}` : c;
    case "add":
      return `${gText} × 1 = ${c}`;
    case "sub":
      return edge.arg === 0 ? `${gText} × 1 = ${c}` : `${gText} × (-1) = ${c}`;
    case "neg":
      return `${gText} × (-1) = ${c}`;
    case "div":
      return edge.arg === 0 && otherName ? `${gText} / ${otherName} = ${c}` : c;
    default: {
      const factor = toNumber(event.contribution) / toNumber(g);
      if (!Number.isFinite(factor) || toNumber(g) === 0) return c;
      return `${gText} × ${formatTerm(factor)} = ${c}`;
    }
  }
}

function forwardCaption(model, k) {
  if (k === 0) return `Forward pass, nothing computed yet: each step computes one value from its inputs, inputs first.`;
  const vsteps = model.view.steps.forward;
  const vstep = vsteps[k - 1];
  const end = k === vsteps.length ? " Forward pass complete: switch to backward to send gradients back." : "";
  const group = model.view.groups.get(vstep.box);
  if (group) {
    const outputs = model.view.boxes.get(group.id).outputs;
    const what = outputs.length === 1
      ? `its output: ${formatValue(model.nodes.get(outputs[0]).value)}`
      : `its ${outputs.length} outputs`;
    return `${groupName(group)} computes ${what} (${vstep.count} ${vstep.count === 1 ? "node" : "nodes"}).${end}`;
  }
  const id = vstep.box;
  const node = model.nodes.get(id);
  const value = formatValue(node.value);
  if (node.kind === "leaf") return `${name(model, id)} is an input: value ${value}.${end}`;
  if (node.kind === "const") return `${name(model, id)} is a constant: value ${value} (it takes no gradient).${end}`;
  const args = model.inputs.get(id).map((e) => `${name(model, e.source)} = ${formatValue(model.nodes.get(e.source).value)}`);
  return `${name(model, id)} computes ${node.op}(${args.join(", ")}) = ${value}.${end}`;
}
