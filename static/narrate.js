// Captions: each step told in words, for the screen and for the ARIA live region.

import { formatTerm, formatValue, isScalar, toNumber } from "./format.js";
import { nodeName } from "./steps.js";

const OP_WORDS = { add: "add", sub: "sub", mul: "mul", div: "div", neg: "neg", pow: "pow", matmul: "matmul" };

/** The caption for step k in `direction` ("backward" | "forward"). */
export function caption(model, direction, k) {
  return direction === "forward" ? forwardCaption(model, k) : backwardCaption(model, k);
}

function name(model, id) {
  const text = nodeName(model, id);
  return /[\s+\-*/@]/.test(text) && !model.nodes.get(id)?.label ? `(${text})` : text;
}

function backwardCaption(model, k) {
  const steps = model.graph.backward_steps;
  const root = name(model, model.root);
  if (steps.length === 0) {
    return `${root} has no inputs that take a gradient: nothing to send backward.`;
  }
  if (k === 0) {
    const seed = model.graph.seeded_with_ones ? "a gradient of ones (the root is not a scalar)" : "grad = 1";
    return `Backward pass, nothing has fired yet. It starts at ${root} with ${seed}; each step fires one node, consumers before their inputs.`;
  }
  const step = steps[k - 1];
  const node = model.nodes.get(step.node);
  const who = `${name(model, step.node)}${node.label && node.op ? ` (${OP_WORDS[node.op] ?? node.op})` : ""}`;
  const parts = step.events.map((event) => {
    const to = name(model, event.to);
    let text = `sends ${contributionText(model, step, event)} to ${to}`;
    if (event.accumulated) {
      text += model.graph.mode === "overwrite"
        ? ` — ${to} already had ${formatValue(event.grad_before)}, and it is overwritten: grad = ${formatValue(event.grad_after)}`
        : ` — ${to} sums: grad = ${formatTerm(event.grad_before)} + ${formatTerm(event.contribution)} = ${formatValue(event.grad_after)}`;
    }
    return text;
  });
  const intro = `${who} fires with grad ${formatValue(step.grad)}`;
  if (parts.length === 0) return `${intro}: none of its inputs takes a gradient.`;
  const done = k === steps.length ? " Backward pass complete: every gradient is final." : "";
  return `${intro}: ${parts.join("; ")}.${done}`;
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
  const order = model.graph.forward_order;
  if (k === 0) return `Forward pass, nothing computed yet: each step computes one value from its inputs, inputs first.`;
  const id = order[k - 1];
  const node = model.nodes.get(id);
  const value = formatValue(node.value);
  const end = k === order.length ? " Forward pass complete: switch to backward to send gradients back." : "";
  if (node.kind === "leaf") return `${name(model, id)} is an input: value ${value}.${end}`;
  if (node.kind === "const") return `${name(model, id)} is a constant: value ${value} (it takes no gradient).${end}`;
  const args = model.inputs.get(id).map((e) => `${name(model, e.source)} = ${formatValue(model.nodes.get(e.source).value)}`);
  return `${name(model, id)} computes ${node.op}(${args.join(", ")}) = ${value}.${end}`;
}
