// How an op is written on a node: the symbol a student knows (×, +) or the function's name.

const SYMBOLS = { add: "+", sub: "−", mul: "×", div: "÷", matmul: "@", neg: "−x" };

/** A short mark for an op node: "×", "+", "x^2", "tanh", "sum(axis=0)". */
export function opSymbol(node) {
  if (!node.op) return "";
  if (node.op in SYMBOLS) return SYMBOLS[node.op];
  if (node.op === "pow") return `x^${formatParam(node.params?.exponent)}`;
  const params = Object.entries(node.params ?? {}).filter(([, v]) => v !== null && v !== false && v !== undefined);
  if (params.length === 0 || node.op === "reshape" || node.op === "transpose") return node.op;
  return `${node.op}(${params.map(([k, v]) => `${k}=${formatParam(v)}`).join(", ")})`;
}

function formatParam(v) {
  if (Array.isArray(v)) return `(${v.join(",")})`;
  return String(v);
}

/** The title line of a node: its label, else its op mark, else "const". */
export function nodeTitle(node) {
  if (node.label) return node.label;
  if (node.kind === "op") return opSymbol(node);
  return node.kind === "const" ? "const" : node.id;
}
