// Getting things out of the page: the drawing as SVG or PNG, the JSON, the link.
//
// The PNG is painted onto a canvas element by element from the live SVG rather than by loading an
// SVG blob into an <img>: the page's CSP (default-src 'self') forbids blob: images.

const SVG_NS = "http://www.w3.org/2000/svg";
const STYLE_PROPS = [
  "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray", "stroke-linejoin",
  "stroke-linecap", "opacity", "font-family", "font-size", "font-weight", "font-style", "paint-order",
];
const MAX_CANVAS_SIDE = 16000;
const MAX_CANVAS_PIXELS = 40e6;

/** The whole graph as it looks now (current step, theme, highlights), as a standalone SVG file. */
export function svgMarkup(view) {
  const box = view.bounds;
  const out = document.createElementNS(SVG_NS, "svg");
  out.setAttribute("xmlns", SVG_NS);
  out.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height}`);
  out.setAttribute("width", String(Math.ceil(box.width)));
  out.setAttribute("height", String(Math.ceil(box.height)));
  const background = document.createElementNS(SVG_NS, "rect");
  for (const [k, v] of Object.entries({ x: box.x, y: box.y, width: box.width, height: box.height })) background.setAttribute(k, String(v));
  background.setAttribute("fill", backgroundColor(view.svg));
  const clone = view.viewport.cloneNode(true);
  clone.removeAttribute("transform");
  inlineStyles(view.viewport, clone);
  out.append(background, clone);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(out)}\n`;
}

/** Copy computed styles onto the clone (through the CSSOM: the CSP forbids style attributes in markup). */
function inlineStyles(source, clone) {
  const cs = getComputedStyle(source);
  if (cs.display === "none") {
    clone.remove();
    return;
  }
  if (source.tagName !== "title") {
    for (const prop of STYLE_PROPS) clone.style.setProperty(prop, cs.getPropertyValue(prop));
    if (cs.visibility === "hidden") clone.style.setProperty("visibility", "hidden");
  }
  const sourceKids = [...source.children];
  const cloneKids = [...clone.children];
  for (let i = 0; i < sourceKids.length; i++) inlineStyles(sourceKids[i], cloneKids[i]);
}

/** The same picture as a PNG Blob, at `scale` pixels per graph unit (reduced for huge graphs). */
export function pngBlob(view, scale = 2) {
  const box = view.bounds;
  const s = Math.min(scale, MAX_CANVAS_SIDE / box.width, MAX_CANVAS_SIDE / box.height, Math.sqrt(MAX_CANVAS_PIXELS / (box.width * box.height)));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.ceil(box.width * s));
  canvas.height = Math.max(1, Math.ceil(box.height * s));
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = backgroundColor(view.svg);
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const toGraph = view.viewport.getCTM().inverse();
  const base = new DOMMatrix().scale(s).translate(-box.x, -box.y).multiply(toGraph);
  paint(ctx, view.viewport, base, 1);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the canvas gave no PNG"))), "image/png"));
}

function paint(ctx, el, base, parentOpacity) {
  if (el.tagName === "title") return;
  const cs = getComputedStyle(el);
  if (cs.display === "none") return;
  const opacity = parentOpacity * Number(cs.opacity || 1);
  if (cs.visibility !== "hidden" && el.getCTM) {
    ctx.save();
    ctx.setTransform(base.multiply(el.getCTM()));
    drawShape(ctx, el, cs, opacity);
    ctx.restore();
  }
  if (el.tagName !== "text") for (const child of el.children) paint(ctx, child, base, opacity);
}

function drawShape(ctx, el, cs, opacity) {
  const num = (name) => el[name]?.baseVal?.value ?? Number(el.getAttribute(name) || 0);
  let path = null;
  switch (el.tagName) {
    case "rect": {
      path = new Path2D();
      path.roundRect(num("x"), num("y"), num("width"), num("height"), Math.min(num("rx") || num("ry"), num("width") / 2, num("height") / 2));
      break;
    }
    case "circle":
      path = new Path2D();
      path.arc(num("cx"), num("cy"), num("r"), 0, 2 * Math.PI);
      break;
    case "path":
      path = new Path2D(el.getAttribute("d") || "");
      break;
    case "line":
      path = new Path2D(`M${num("x1")},${num("y1")}L${num("x2")},${num("y2")}`);
      break;
    case "polyline":
      path = new Path2D(`M${(el.getAttribute("points") || "").trim().split(/\s+/).join("L")}`);
      break;
    case "text":
      drawText(ctx, el, opacity);
      return;
    default:
      return;
  }
  const fill = cs.fill;
  if (fill && fill !== "none" && el.tagName !== "line" && el.tagName !== "polyline") {
    ctx.globalAlpha = opacity * Number(cs.fillOpacity || 1);
    ctx.fillStyle = fill;
    ctx.fill(path);
  }
  stroke(ctx, cs, opacity, (c) => c.stroke(path));
}

function stroke(ctx, cs, opacity, draw) {
  const width = parseFloat(cs.strokeWidth);
  if (!cs.stroke || cs.stroke === "none" || !(width > 0)) return;
  ctx.globalAlpha = opacity * Number(cs.strokeOpacity || 1);
  ctx.strokeStyle = cs.stroke;
  ctx.lineWidth = width;
  ctx.lineJoin = cs.strokeLinejoin || "miter";
  ctx.lineCap = cs.strokeLinecap || "butt";
  const dash = cs.strokeDasharray && cs.strokeDasharray !== "none" ? cs.strokeDasharray.split(/[\s,]+/).map(parseFloat).filter((x) => x >= 0) : [];
  ctx.setLineDash(dash);
  draw(ctx);
}

/** Each run of characters at the position the browser laid it out, in its own style. */
function drawText(ctx, text, opacity) {
  let index = 0;
  const runs = [];
  for (const node of text.childNodes) {
    const content = node.textContent;
    if (!content) continue;
    const styleEl = node.nodeType === Node.ELEMENT_NODE ? node : text;
    if (node.nodeType === Node.ELEMENT_NODE && (node.tagName === "title" || getComputedStyle(node).display === "none")) continue;
    runs.push({ content, styleEl, index });
    index += content.length;
  }
  for (const run of runs) {
    let start;
    try {
      start = text.getStartPositionOfChar(run.index);
    } catch {
      continue;
    }
    const cs = getComputedStyle(run.styleEl);
    ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    if (cs.paintOrder.startsWith("stroke")) stroke(ctx, cs, opacity, (c) => c.strokeText(run.content, start.x, start.y));
    if (cs.fill && cs.fill !== "none") {
      ctx.globalAlpha = opacity * Number(cs.fillOpacity || 1);
      ctx.fillStyle = cs.fill;
      ctx.fillText(run.content, start.x, start.y);
    }
  }
}

function backgroundColor(el) {
  for (let node = el; node && node.nodeType === Node.ELEMENT_NODE; node = node.parentElement) {
    const color = getComputedStyle(node).backgroundColor;
    if (color && color !== "transparent" && !/rgba\(.*,\s*0\)$/.test(color)) return color;
  }
  return "#ffffff";
}

/** Files the server makes of the view (POST /api/render), by format: the names they download as. */
export const SERVER_FILES = { gif: "chainrule-backward.gif", csv: "chainrule-steps.csv" };

/** Save a Blob under `filename` through a temporary link. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Put text on the clipboard; false when the browser refuses. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}
