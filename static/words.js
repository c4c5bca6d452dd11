// The page's words for what a box is marked with, in one place: the text of a badge, its tooltip,
// and the inspector's sentence for each flag the API sets on a node; the fan-out mark; shapes that
// do not match.

import { formatShape } from "./format.js";

/** Per flag: the badge's text, its tooltip, and the inspector's sentence. */
export const FLAGS = {
  sum: {
    badge: "Σ",
    title: "its gradient is a sum",
    long: "its gradient is the sum of several contributions (it is used more than once)",
  },
  nan: { badge: "nan", title: "a value or gradient is NaN", long: "a value or gradient is NaN (not a number)" },
  inf: { badge: "inf", title: "a value or gradient is infinite", long: "a value or gradient is infinite" },
  saturated: {
    badge: "saturated",
    title: "saturated: the local derivative is almost 0",
    long: "saturated: its local derivative is almost 0, so almost no gradient flows through it",
  },
  unconnected: {
    badge: "None",
    title: "not connected to the root: grad is None, not 0",
    long: "not connected to the root: grad is None, not 0",
  },
  shape_mismatch: {
    badge: "shape!",
    title: "the gradient's shape does not match the value's shape",
    long: "a contribution's shape does not match this value's shape (it was not summed back over broadcast axes)",
  },
};

/** The fan-out mark: where a gradient will be a sum of `count` contributions, from step 0 on. */
export function fanOutMark(count) {
  return {
    text: `Σ ${count}`,
    title: `used ${count} times: its gradient will be the sum of ${count} contributions`,
  };
}

/** "(4,3) ≠ (3,)": a gradient's shape beside the value's, where they differ. */
export function shapeMismatch(gradShape, valueShape) {
  return `${formatShape(gradShape)} ≠ ${formatShape(valueShape)}`;
}

/** A mismatched shape's badge tooltip. */
export function shapeMismatchTitle(gradShape, valueShape) {
  return `the gradient has shape ${formatShape(gradShape)}, the value ${formatShape(valueShape)}: `
    + "it was not summed back over the broadcast axes";
}

/** The caption's words for a contribution of the wrong shape arriving at `name`. */
export function shapeMismatchWords(name, gradShape, valueShape) {
  return `shape ${formatShape(gradShape)}, but ${name} has shape ${formatShape(valueShape)}: `
    + "it was not summed back over the broadcast axes";
}
