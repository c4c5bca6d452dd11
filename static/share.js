// What leaves the page: the address (kept up to date), the copied link, files the server makes.

import { copyText } from "./export.js";
import { toast } from "./notices.js";
import { permalink, writeUrlState } from "./url-state.js";

// the page's parts and the other jobs' functions this one uses, handed over by app.js
let byNumber, player, state;

/** Receive the page's parts and functions (app.js). */
export function connect(page) {
  ({
    byNumber, player, state
  } = page);
}

const URL_WRITE_DELAY_MS = 150;

let urlTimer = null;
export function scheduleUrlWrite() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => writeUrlState(currentLinkState()), URL_WRITE_DELAY_MS);
}

function currentLinkState() {
  const groups = state.model?.view.groups.size ? state.model.view.open : null;
  return { src: state.source, mode: state.mode, step: player.k, dir: state.direction, open: groups && [...groups].sort(byNumber) };
}

export async function copyLink() {
  const link = permalink(currentLinkState());
  writeUrlState(currentLinkState());
  const ok = await copyText(link);
  toast(ok ? "Link copied to the clipboard." : `Copy this link: ${link}`);
}
