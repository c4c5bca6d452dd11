// How large the drawing is shown: the smallest text a fit allows, and, before drawing, whether a
// view fits the window readable (and which closed-down view does).

import { smallestText } from "./box-drawing.js";

// presenting, at least 24 px on a 1920x1080 screen (with a margin for rounding), and as much of
// the picture on a smaller one (by its height or its width, whichever is less): a projector
// scales the picture to the wall
const PRESENTER_MIN_TEXT_PX = 26;
const PRESENTER_SCREEN_PX = [1920, 1080];
const READABLE_TEXT_PX = 9; // a graph opens no smaller than this (the "fit" button goes below)
const MAX_FITTING_ASKS = 4; // views asked for at once to find an opening view that fits the window

/**
 * The smallest text a fit allows, in CSS pixels: "whole" (the fit button) allows any, so it always
 * fits; "readable" does not, and presenting asks for the back row's size.
 */
export function minTextPx(how, presenting) {
  if (how === "whole") return 0;
  if (presenting) {
    const screen = Math.min(1, window.innerHeight / PRESENTER_SCREEN_PX[1], window.innerWidth / PRESENTER_SCREEN_PX[0]);
    return Math.max(READABLE_TEXT_PX, PRESENTER_MIN_TEXT_PX * screen);
  }
  return READABLE_TEXT_PX;
}

/**
 * Whether a layout would fit `pane` ({width, height}) whole with text of at least `minText` px,
 * before drawing it: its smallest text estimated as the badges of its smallest box
 * (box-drawing.js sizes text by a box's height).
 */
export function fitsReadable(layout, pane, minText) {
  if (!layout) return true;
  const margin = 48; // the fit's padding, and badges and labels outside the boxes
  const scale = Math.min((pane.width - margin) / layout.width, (pane.height - margin) / layout.height);
  const lowest = Math.min(...Object.values(layout.nodes).map((b) => b.height));
  return scale * smallestText(lowest) >= minText;
}

/**
 * While the user has not chosen which groups to open, the view should fit the window whole with
 * readable text. If the server's opening view of `graph` does not (`fits(layout)` is false), the
 * view with its deepest open groups closed, a level at a time (all asked for at once with
 * `ask(open)`), that fits; or the most closed-down one. null: the view shown fits, or asking
 * failed (an offline copy holds only some views).
 */
export async function viewThatFits(graph, ask, fits) {
  const open = graph.view?.open ?? [];
  if (open.length === 0 || fits(graph.layout)) return null;
  const parent = new Map((graph.groups ?? []).map((g) => [g.id, g.parent]));
  const depth = (id) => {
    let d = 0;
    for (let g = parent.get(id); g; g = parent.get(g)) d += 1;
    return d;
  };
  // the most closed-down few: a deep recursion would otherwise ask for a view per level
  const depths = [...new Set(open.map(depth))].sort((a, b) => b - a).slice(-MAX_FITTING_ASKS);
  const answers = await Promise.all(depths.map((d) => ask(open.filter((id) => depth(id) < d)).catch(() => null)));
  const shown = answers.filter((a) => a?.layout);
  return shown.find((a) => fits(a.layout)) ?? shown.at(-1) ?? null;
}
