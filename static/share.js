// What leaves the page: the address (kept up to date with the editor's text, run or not), the
// copied link, the drawing as SVG or PNG (with its caption and bug banner), the JSON, files the
// server makes.

import { fetchRender } from "./api.js";
import { withEverythingDrawn } from "./detail.js";
import { copyText, download, pngBlob, svgMarkup } from "./export.js";
import { toast } from "./notices.js";
import { permalink, writeUrlState } from "./url-state.js";

// the page's parts and the other jobs' functions this one uses, handed over by app.js
let $, byNumber, editor, player, state, view;

/** Receive the page's parts and functions (app.js). */
export function connect(page) {
  ({
    $, byNumber, editor, player, state, view
  } = page);
}

const URL_WRITE_DELAY_MS = 150;

/** A file the server makes of what is on screen: the backward pass as a GIF, the step table. */
export async function downloadRendered(format, filename, button) {
  if (!state.model) return;
  button.disabled = true;
  if (format === "gif") toast("Drawing the backward pass, one frame per step…");
  try {
    const open = [...state.model.view.open].sort(byNumber);
    download(await fetchRender({ source: state.source, mode: state.mode, open, call: state.call, format }), filename);
  } catch (error) {
    toast(`No ${format === "gif" ? "GIF" : "step table"}: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

let urlTimer = null;
/**
 * Bring the address up to date shortly. Not while playing (app.js writes it on pausing): a new
 * address costs Chrome ~8-25 ms of the page's time (its icon is loaded again), a frame or two
 * lost at every step played.
 */
export function scheduleUrlWrite() {
  clearTimeout(urlTimer);
  if (player.playing) return;
  urlTimer = setTimeout(() => writeUrlState(currentLinkState()), URL_WRITE_DELAY_MS);
}

/**
 * What the address holds: the editor's text as it stands, run or not (a student asking for help
 * sends what they typed; a reload brings it back, and its error), at the step and training call
 * shown if it ran.
 */
function currentLinkState() {
  const groups = state.model?.view.groups.size ? state.model.view.open : null;
  const src = editor.value;
  const ran = src === state.source;
  return {
    src, mode: state.mode, step: ran ? player.k : 0, dir: state.direction, open: ran && groups ? [...groups].sort(byNumber) : null,
    call: ran ? state.call : null,
  };
}

export async function copyLink() {
  const link = permalink(currentLinkState());
  writeUrlState(currentLinkState());
  const ok = await copyText(link);
  toast(ok ? "Link copied to the clipboard." : `Copy this link: ${link}`);
}

/** What a slide needs besides the drawing: the bug banner (if up) above it, the caption below. */
function captions() {
  const banner = $("bug-banner");
  return { header: banner.hidden ? "" : banner.textContent, footer: $("caption").textContent };
}

export function downloadSvg() {
  if (!state.model) return;
  const svg = withEverythingDrawn(view, () => svgMarkup(view, captions()));
  download(new Blob([svg], { type: "image/svg+xml" }), "chainrule-graph.svg");
}

export async function downloadPng() {
  if (!state.model) return;
  download(await withEverythingDrawn(view, () => pngBlob(view, captions())), "chainrule-graph.png");
}

export function downloadJson() {
  if (!state.model) return;
  download(new Blob([JSON.stringify(state.model.graph, null, 2)], { type: "application/json" }), "chainrule-graph.json");
}
