// url-state.js: the page's state in its address.

import { buildQuery, readUrlState } from "/static/url-state.js";
import { eq, test } from "./check.js";

test("a query string reads back as the state it was built from", () => {
  const state = { src: "a = 2\nL = a*a + 1", mode: "overwrite", step: 3, dir: "forward", open: ["g1", "g12"], call: 4 };
  eq(readUrlState(buildQuery(state)), state);
});

test("the source stays readable: * and ( ) are not escaped", () => {
  eq(buildQuery({ src: "L = (a*b)", mode: "correct", step: 0, dir: "backward" }), "?src=L%20%3D%20(a*b)&mode=correct&step=0");
});

test("defaults for what is missing or malformed", () => {
  eq(readUrlState(""), { src: null, mode: "correct", step: null, dir: "backward", open: null, call: null });
  eq(readUrlState("?call=0").call, null);
  eq(readUrlState("?call=2x").call, null);
  eq(readUrlState("?step=-1&mode=<b>&dir=sideways").step, null);
  eq(readUrlState("?mode=<b>").mode, "correct");
  eq(readUrlState("?open=g3,x,g7,").open, ["g3", "g7"]);
});

test("any mode the engine may name is passed on (the server refuses one it does not know)", () => {
  eq(readUrlState("?mode=no_zero_grad").mode, "no_zero_grad");
  eq(readUrlState("?mode=alias").mode, "alias");
});
