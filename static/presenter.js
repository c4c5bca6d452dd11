// Presenter mode: full screen when the browser allows it, editor hidden, big text, thick lines; the
// program's numbers (sliders, training plot) on demand in a column beside the graph.

import { byTestId } from "./dom.js";

export function isPresenting() {
  return document.body.classList.contains("presenter");
}

/** Enter or leave presenter mode; `onChange(presenting)` runs after the layout has switched. */
export async function setPresenter(on, onChange = () => {}) {
  document.body.classList.toggle("presenter", on);
  byTestId("presenter").setAttribute("aria-pressed", String(on));
  if (on && !document.fullscreenElement && document.documentElement.requestFullscreen) {
    // refused without a user gesture or in a headless browser: the layout change alone remains
    await document.documentElement.requestFullscreen().catch(() => {});
  } else if (!on && document.fullscreenElement) {
    await document.exitFullscreen().catch(() => {});
  }
  onChange(on);
}

/**
 * Show or hide, while presenting, the sliders and the training panel beside the graph (app.css):
 * a teacher moves a number or shows the loss without leaving presenter mode, and hides them again
 * to give the graph the width. The choice stays for the next presentation.
 */
export function toggleNumbers() {
  const on = document.body.classList.toggle("numbers-open");
  byTestId("presenter-numbers").setAttribute("aria-pressed", String(on));
}

/** Leaving full screen (Esc) also leaves presenter mode. */
export function watchFullscreen(onExit) {
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement && isPresenting()) onExit();
  });
}
