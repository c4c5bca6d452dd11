// The page's state in its address: /?src=...&mode=...&step=...&open=g3,g7&call=3 (src percent-encoded,
// still readable; open: the groups shown open, absent for the view the server chooses; call: which
// backward() call of a training loop is drawn, absent for the last).

/** {src: string|null, mode, step: number|null, dir, open: string[]|null, call: number|null} from the current URL. */
export function readUrlState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const mode = params.get("mode");
  const step = params.get("step");
  const parsedStep = step !== null && /^\d+$/.test(step) ? Number(step) : null;
  const call = params.get("call");
  return {
    src: params.get("src"),
    // the modes are the engine's (the server refuses one it does not know): any name is passed on
    mode: mode !== null && /^[a-z_]{1,40}$/.test(mode) ? mode : "correct",
    step: parsedStep,
    dir: params.get("dir") === "forward" ? "forward" : "backward",
    open: params.has("open") ? params.get("open").split(",").filter((id) => /^g\d+$/.test(id)) : null,
    // past the program's last call the server says so, as for any request
    call: call !== null && /^[1-9]\d{0,5}$/.test(call) ? Number(call) : null,
  };
}

/** The query string for a state; `src` uses plain encodeURIComponent so `a*b` stays `a*b`. */
export function buildQuery({ src, mode, step, dir, open = null, call = null }) {
  const parts = [`src=${encodeURIComponent(src)}`, `mode=${encodeURIComponent(mode)}`, `step=${step}`];
  if (dir === "forward") parts.push("dir=forward");
  if (open !== null) parts.push(`open=${open.join(",")}`);
  if (call !== null) parts.push(`call=${call}`);
  return `?${parts.join("&")}`;
}

/** Replace (not push) the address, so stepping does not flood the back button. */
export function writeUrlState(state) {
  if (window.location.protocol === "about:") return; // in a notebook (iframe srcdoc): the page has no address to write
  const query = buildQuery(state);
  if (window.location.search !== query) history.replaceState(null, "", `${window.location.pathname}${query}`);
}

export function permalink(state) {
  return `${window.location.origin}${window.location.pathname}${buildQuery(state)}`;
}
