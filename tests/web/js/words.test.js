// words.js, editor.js's indentation and box-drawing.js's closed-call gradient: small pure pieces.

import { groupGradText } from "/static/box-drawing.js";
import { nextIndent } from "/static/editor.js";
import { fanOutMark, FLAGS, shapeMismatch } from "/static/words.js";
import { eq, ok, test } from "./check.js";

test("fan-out and shape marks", () => {
  eq(fanOutMark(3).text, "Σ 3");
  ok(fanOutMark(3).title.includes("3 contributions"));
  eq(shapeMismatch([4, 3], [3]), "(4,3) ≠ (3,)");
  for (const flag of ["sum", "nan", "inf", "saturated", "unconnected", "shape_mismatch"]) {
    ok(FLAGS[flag].badge && FLAGS[flag].title && FLAGS[flag].long, flag);
  }
});

test("Enter keeps the indentation, one level more after a colon", () => {
  eq(nextIndent("x = 1"), "");
  eq(nextIndent("    y = x"), "    ");
  eq(nextIndent("def f(x):"), "    ");
  eq(nextIndent("    for w in ws:  "), "        ");
});

test("a closed call's several outputs: ?, how many are in, then the norm of their gradients", () => {
  eq(groupGradText([{ grad: undefined }, { grad: undefined }]), "?");
  eq(groupGradText([{ grad: 3 }, { grad: undefined }]), "1/2 in");
  eq(groupGradText([{ grad: 3 }, { grad: [4, 0] }]), "norm 5");
  eq(groupGradText([{ grad: 3 }, { grad: { summary: true, head: [1] } }]), "grads in");
});
