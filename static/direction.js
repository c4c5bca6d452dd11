// Which way the server lays the graph out: left to right on a landscape graph pane, top to bottom on
// a portrait one (a phone held upright), where a left-to-right graph would be wide and tiny.

/** "TB" when the page's graph pane is taller than wide, else "LR" (and without a pane, as on /docs). */
export function layoutDirection() {
  const pane = document.querySelector(".graph-pane");
  if (!pane) return "LR";
  const { width, height } = pane.getBoundingClientRect();
  return height > width ? "TB" : "LR";
}
