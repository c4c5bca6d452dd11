// Which way the server lays the graph out: left to right on a landscape graph pane, top to bottom on
// a portrait one (a phone held upright), where a left-to-right graph would be wide and tiny.

/** "TB" when the page's graph pane is taller than wide, else "LR" (and without a pane, as on /docs). */
export function layoutDirection() {
  const pane = document.querySelector(".graph-pane");
  if (!pane) return "LR";
  const { width, height } = graphSpace(pane);
  return height > width ? "TB" : "LR";
}

/**
 * The pane's size with the details panel's share counted in: it opens and closes with a selection,
 * and the drawing should not turn with it. Beside the pane (a wide window) it gives back its width,
 * below it (a narrow one) its height; a sheet over the pane (a phone's) takes none.
 */
function graphSpace(pane) {
  const rect = pane.getBoundingClientRect();
  const details = pane.parentElement.querySelector(":scope > .inspector:not([hidden])");
  if (!details || getComputedStyle(details).position === "fixed") return rect;
  const share = details.getBoundingClientRect();
  if (share.top >= rect.bottom - 1) return { width: rect.width, height: rect.height + share.height };
  return { width: rect.width + share.width, height: rect.height };
}
