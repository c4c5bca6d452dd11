// Number formatting: the one place that decides how a value or gradient reads on screen.
// The API sends numbers, nested lists of numbers, the strings "nan", "inf", "-inf", or for arrays
// too large to inline a summary {summary: true, shape, size, min, max, mean, head}.

const NONFINITE = new Set(["nan", "inf", "-inf"]);

/** A scalar with up to 4 significant digits: 4, -6, 0.3333, 1.235e5, 1e-5, nan, inf. */
export function formatNumber(x) {
  if (typeof x === "string") return NONFINITE.has(x) ? x : String(x);
  if (typeof x !== "number") return String(x);
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return "0"; // also -0
  // plain when the rounded number is (99999 rounds to 1e5, which is not)
  const rounded = Number(x.toPrecision(4));
  const a = Math.abs(rounded);
  if (a >= 1e-3 && a < 1e5) {
    const s = String(rounded);
    if (!s.includes("e")) return s;
  }
  const [mantissa, exponent] = x.toExponential(3).split("e");
  const m = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
  return `${m}e${exponent.replace(/^\+/, "")}`;
}

/** Full precision for the inspector: the shortest text that reads back as the same double. */
export function formatFull(x) {
  if (typeof x === "number") return Number.isFinite(x) ? String(x) : formatNumber(x); // NaN reads "nan", as everywhere
  return formatNumber(x);
}

/** An array the API summarised instead of sending whole. */
export function isSummary(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v) && v.summary === true;
}

export function isScalar(v) {
  return !Array.isArray(v) && !isSummary(v);
}

/** Every entry of a nested list, row-major (of a summary: the entries it sends). */
export function flatten(v) {
  if (isSummary(v)) return v.head;
  if (!Array.isArray(v)) return [v];
  const out = [];
  const stack = [v];
  // iterative, row-major: push children in reverse so the first child is popped first
  while (stack.length) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    } else {
      out.push(item);
    }
  }
  return out;
}

/** The shape of a value as the API sends it: [] for a number, [4, 3] for a 4x3 list, a summary's own. */
export function shapeOf(v) {
  if (isSummary(v)) return v.shape;
  const shape = [];
  for (let x = v; Array.isArray(x); x = x[0]) shape.push(x.length);
  return shape;
}

/** Shapes as a user writes them: (), (3,), (2,3). */
export function formatShape(shape) {
  if (!shape || shape.length === 0) return "()";
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(",")})`;
}

const PREVIEW_ENTRIES = 3;

/**
 * A value or gradient as it appears on a node: a scalar as formatNumber; a tensor of up to 3
 * entries in full ([1, 2, 3], [[1], [2]]); a larger one as its first two entries ([1, 2, …]), the
 * node's heat map and the inspector showing the rest. null (no gradient) is "None".
 */
export function formatValue(v) {
  if (v === null || v === undefined) return "None";
  if (isSummary(v)) return `[${v.head.slice(0, PREVIEW_ENTRIES - 1).map(formatNumber).join(", ")}, …]`;
  if (!Array.isArray(v)) return formatNumber(v);
  const entries = flatten(v);
  if (entries.length <= PREVIEW_ENTRIES) return nested(v);
  return `[${entries.slice(0, PREVIEW_ENTRIES - 1).map(formatNumber).join(", ")}, …]`;
}

function nested(v) {
  if (!Array.isArray(v)) return formatNumber(v);
  return `[${v.map(nested).join(", ")}]`;
}

/** A value in few characters, for labels on edges: 4, [1, 2], [1, …]. */
export function formatCompact(v) {
  if (v === null || v === undefined) return "None";
  if (isScalar(v)) return formatNumber(v);
  const entries = flatten(v);
  if (!isSummary(v) && entries.length <= 2) return nested(v);
  return `[${formatNumber(entries[0])}, …]`;
}

/** Full-precision nested text, for the inspector and tooltips. */
export function formatValueFull(v) {
  if (v === null || v === undefined) return "None";
  if (isSummary(v)) {
    return `${v.size} entries, shape ${formatShape(v.shape)}: min ${formatFull(v.min)}, max ${formatFull(v.max)}, `
      + `mean ${formatFull(v.mean)}; first ${v.head.length}: [${v.head.map(formatFull).join(", ")}, …]`;
  }
  if (!Array.isArray(v)) return formatFull(v);
  return `[${v.map(formatValueFull).join(", ")}]`;
}

/** A number as a JS number (NaN/±Infinity for the API's strings), for arithmetic and colour scales. */
export function toNumber(x) {
  if (typeof x === "number") return x;
  if (x === "nan") return NaN;
  if (x === "inf") return Infinity;
  if (x === "-inf") return -Infinity;
  return Number(x);
}

/** A signed term inside a sum: "4", "(-6)". */
export function formatTerm(v) {
  const s = formatValue(v);
  return s.startsWith("-") ? `(${s})` : s;
}
