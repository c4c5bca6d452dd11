// Element builders. Text goes in only through textContent, never as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes (SVG attributes are allowed under the page's CSP; `style=` is not). */
export function svgEl(tag, attrs = {}, parent = null, text = null) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  if (text !== null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

/** An HTML element with attributes, classes and plain-text content. */
export function htmlEl(tag, attrs = {}, parent = null, text = null) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  if (text !== null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

const byTestIdCache = new Map();

/**
 * The page's element with this data-testid. Remembered: an attribute selector is not indexed, so
 * each lookup walks the document up to the element, and the player's controls come after the
 * drawing (3,000 boxes: ~1.3 ms a lookup, nine a step). Looked up again once it has left the page.
 */
export function byTestId(id) {
  const known = byTestIdCache.get(id);
  if (known?.isConnected) return known;
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (el) byTestIdCache.set(id, el);
  return el;
}
