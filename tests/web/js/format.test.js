// format.js: the one place that decides how a number, a value and a shape read on screen.

import { flatten, formatCompact, formatFull, formatNumber, formatShape, formatTerm, formatValue, formatValueFull, isScalar, shapeOf, toNumber } from "/static/format.js";
import { eq, test } from "./check.js";

test("formatNumber: up to 4 significant digits, plain where it reads plainly", () => {
  const cases = [[4, "4"], [-6, "-6"], [1 / 3, "0.3333"], [0.001, "0.001"], [123456, "1.235e5"], [1e-5, "1e-5"],
    [-2.5e-7, "-2.5e-7"], [99999, "1e5"], [99994, "99990"], [0, "0"], [-0, "0"], [10.5, "10.5"], [2 / 3, "0.6667"]];
  for (const [x, text] of cases) eq(formatNumber(x), text, String(x));
});

test("formatNumber: NaN and infinities, as numbers and as the API's strings", () => {
  eq([NaN, Infinity, -Infinity].map(formatNumber), ["nan", "inf", "-inf"]);
  eq(["nan", "inf", "-inf"].map(formatNumber), ["nan", "inf", "-inf"]);
});

test("formatValue: scalars, small tensors whole, larger ones by their first entries", () => {
  eq(formatValue(2), "2");
  eq(formatValue([1, 2, 3]), "[1, 2, 3]");
  eq(formatValue([[1], [2]]), "[[1], [2]]");
  eq(formatValue([1, 2, 3, 4]), "[1, 2, …]");
  eq(formatValue([[1, 2], [3, 4]]), "[1, 2, …]");
  eq(formatValue(null), "None");
  eq(formatValue({ summary: true, shape: [100], size: 100, min: 0, max: 1, mean: 0.5, head: [0.25, 0.5, 0.75] }), "[0.25, 0.5, …]");
});

test("formatCompact and formatTerm: edge labels and terms of a sum", () => {
  eq(formatCompact([1, 2]), "[1, 2]");
  eq(formatCompact([1, 2, 3]), "[1, …]");
  eq(formatTerm(-6), "(-6)");
  eq(formatTerm(4), "4");
});

test("formatFull: every digit, for the inspector", () => {
  eq(formatFull(0.1 + 0.2), "0.30000000000000004");
  eq(formatValueFull([[1, 0.5]]), "[[1, 0.5]]");
});

test("shapes: formatShape as Python writes them, shapeOf what the API sends", () => {
  eq([[], [3], [2, 3]].map(formatShape), ["()", "(3,)", "(2,3)"]);
  eq(shapeOf(2), []);
  eq(shapeOf([[1, 2, 3], [4, 5, 6]]), [2, 3]);
  eq(shapeOf({ summary: true, shape: [64, 64], size: 4096, head: [] }), [64, 64]);
});

test("flatten is row-major and iterative (a deep nesting does not overflow)", () => {
  eq(flatten([[1, 2], [3, [4, 5]]]), [1, 2, 3, 4, 5]);
  let deep = [7];
  for (let i = 0; i < 20000; i++) deep = [deep];
  eq(flatten(deep), [7]);
});

test("toNumber and isScalar", () => {
  eq([toNumber("inf"), toNumber("-inf"), toNumber(3)], [Infinity, -Infinity, 3]);
  eq(Number.isNaN(toNumber("nan")), true);
  eq([isScalar(1), isScalar([1]), isScalar({ summary: true, head: [] })], [true, false, false]);
});
