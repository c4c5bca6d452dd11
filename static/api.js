// Talking to the API: the only module that knows its URLs and its error shape.

import { embeddedFetch } from "./embedded.js"; // a notebook's offline copy answers without a server
import { layoutDirection } from "./direction.js";

/**
 * An API error: {kind, message, line, col, end_col} as the server sends it, plus the HTTP status
 * and, for a 503 `busy`, the seconds its Retry-After header asks to wait (else null).
 */
export class ApiError extends Error {
  constructor({ kind, message, line = null, col = null, end_col = null }, status, retryAfter = null) {
    super(message);
    this.kind = kind;
    this.line = line;
    this.col = col;
    this.endCol = end_col;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Retry-After in seconds (the server sends whole seconds; a date, or nothing, is null). */
function retryAfterOf(response) {
  const seconds = Number(response.headers.get("Retry-After") ?? NaN);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/** Whether this copy of the page has no server (a notebook's): nothing new can be computed. */
export const serverless = embeddedFetch !== null;

async function request(method, url, body, read = (response) => response.json()) {
  let response;
  try {
    response = await (embeddedFetch ?? fetch)(url, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError({ kind: "network", message: `the server did not answer (${err.message})` }, 0);
  }
  if (!response.ok) {
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      payload = null; // not JSON (a proxy's error page, a crash): reported by status below
    }
    if (payload && payload.error && typeof payload.error.message === "string") {
      throw new ApiError(payload.error, response.status, retryAfterOf(response));
    }
    throw new ApiError({ kind: "server", message: `the server answered ${response.status} ${response.statusText}` }, response.status);
  }
  return read(response);
}

/** The gallery: [{id, title, source, note}]. */
export function fetchExamples() {
  return request("GET", "/api/examples");
}

/** The language reference: {syntax, refused, ops, functions, constructors, attributes, modules, modes}. */
export function fetchLanguage() {
  return request("GET", "/api/language");
}

/**
 * The graph for `source`, with every value, gradient and backward event, and the view to show.
 * `open`: the groups to show open (ids), or null for the view the server chooses; `call`: which
 * backward() call of a training loop to show (from 1), or null for the last; `layout`: false to
 * leave out the positions (for the numbers alone); `direction`: "LR" or "TB", by default as the graph
 * pane is landscape or portrait (direction.js).
 * @param {{source: string, mode?: string, root?: string|null, gradcheck?: boolean, maxPaths?: number, open?: string[]|null, call?: number|null, layout?: boolean, direction?: string}} options
 */
export function fetchGraph({ source, mode = "correct", root = null, gradcheck = false, maxPaths = 16, open = null, call = null, layout = true, direction = layoutDirection() }) {
  return request("POST", "/api/graph", { source, root, mode, max_paths: maxPaths, gradcheck, layout, open, call, direction });
}

/**
 * Another view of the same program: {view, layout, layout_reason} with the groups `open` open.
 * Sent with the same options as the graph request, the server takes the graph from its cache.
 * @param {{source: string, mode?: string, root?: string|null, gradcheck?: boolean, maxPaths?: number, open: string[]|null, call?: number|null, direction?: string}} options
 */
export function fetchView({ source, mode = "correct", root = null, gradcheck = false, maxPaths = 16, open, call = null, direction = layoutDirection() }) {
  return request("POST", "/api/view", { source, root, mode, max_paths: maxPaths, gradcheck, open, call, direction });
}

/**
 * A file the server makes of the view: `format` "gif" or "apng" (the backward pass animated),
 * "csv" or "md" (the step table), "svg", "png", "dot"; a drawing laid out in `direction` ("LR" or
 * "TB"), by default the way the page lays out its own. Resolves to a Blob.
 * @param {{source: string, mode?: string, open?: string[]|null, call?: number|null, format: string, direction?: string}} options
 */
export function fetchRender({ source, mode = "correct", open = null, call = null, format, direction = layoutDirection() }) {
  return request("POST", "/api/render", { source, mode, open, call, format, direction }, (response) => response.blob());
}
