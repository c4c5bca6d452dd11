// A graph pane that turns (a phone rotated, a window resized from landscape to portrait) gets its
// view laid out the other way (direction.js): asked once the size has settled, and only when the
// direction the pane asks for is not the one the drawing on screen was laid out in.

import { layoutDirection } from "./direction.js";

const SETTLE_MS = 250; // a rotation resizes the pane a few times, a dragged window edge many

/**
 * Watch `pane`. `drawnDirection()`: the direction of the drawing on screen (null: none yet);
 * `busy()`: whether an answer is on its way (asked in the old direction, or a new program: looked
 * at again once it has come); `relayout()`: ask for the view laid out the way the pane now asks.
 */
export function watchTurns(pane, { drawnDirection, busy, relayout }) {
  let timer = null;
  const check = () => {
    const drawn = drawnDirection();
    if (drawn === null || drawn === layoutDirection()) return;
    if (busy()) timer = setTimeout(check, SETTLE_MS);
    else relayout();
  };
  new ResizeObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(check, SETTLE_MS);
  }).observe(pane);
}
