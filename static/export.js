// Getting things out of the page: the drawing as SVG or PNG, the JSON, the link. A drawing carries
// its bug banner above it and its caption below, so that a slide stands alone.
//
// The PNG is painted onto a canvas element by element from the live SVG rather than by loading an
// SVG blob into an <img>: the page's CSP (default-src 'self') forbids blob: images.

const SVG_NS = "http://www.w3.org/2000/svg";
const STYLE_PROPS = [
  "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray", "stroke-dashoffset", "stroke-linejoin",
  "stroke-linecap", "opacity", "font-family", "font-size", "font-weight", "font-style", "paint-order",
];
const MAX_CANVAS_SIDE = 16000;
const MAX_CANVAS_PIXELS = 40e6;
const LINE_HEIGHT = 1.35; // of the caption's and the banner's text, in em
const SANS_AVERAGE_EM = 0.55; // average advance of DejaVu Sans, to wrap lines in an SVG

/**
 * Room for the banner (`header`) above the drawing and the caption (`footer`) below, in graph
 * units: {box: the drawing's bounds with both bands, font, pad, header: lines, footer: lines}.
 * `wrap(text, width, font)` splits a text into lines no wider than `width`.
 */
function bands(bounds, { header = "", footer = "" }, wrap) {
  const font = Math.min(28, Math.max(13, bounds.width / 60));
  const pad = font * 0.6;
  const width = bounds.width - 2 * pad;
  const lines = { header: header ? wrap(header, width, font) : [], footer: footer ? wrap(footer, width, font) : [] };
  const height = (n) => (n ? n * font * LINE_HEIGHT + 2 * pad : 0);
  const top = height(lines.header.length);
  const bottom = height(lines.footer.length);
  const box = { x: bounds.x, y: bounds.y - top, width: bounds.width, height: bounds.height + top + bottom };
  return { box, font, pad, top, bottom, ...lines };
}

/** Words into lines of at most `chars` characters (a longer word stands on its own line). */
function wrapWords(text, chars) {
  const lines = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > chars) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The theme's colours for the bands: text, and the bug banner's background and edge. */
function bandColors(svg) {
  const cs = getComputedStyle(svg);
  const color = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  return { fg: color("--fg", "#14171b"), bugBg: color("--bug-bg", "#fde9dc"), bug: color("--bug", "#d55e00") };
}

/**
 * The whole graph as it looks now (current step, theme, highlights), as a standalone SVG file,
 * with `header` (the bug banner) above and `footer` (the caption) below when given.
 */
export function svgMarkup(view, captions = {}) {
  const layout = bands(view.bounds, captions, (text, width, font) => wrapWords(text, Math.floor(width / (font * SANS_AVERAGE_EM))));
  const box = layout.box;
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
  const colors = bandColors(view.svg);
  const text = (lines, y0, cls) => lines.forEach((line, i) => {
    const t = document.createElementNS(SVG_NS, "text");
    t.setAttribute("class", cls);
    t.setAttribute("x", String(box.x + layout.pad));
    t.setAttribute("y", String(y0 + layout.pad + (i + 0.8) * layout.font * LINE_HEIGHT));
    t.setAttribute("fill", colors.fg);
    t.setAttribute("font-family", "DejaVu Sans, sans-serif");
    t.setAttribute("font-size", String(layout.font));
    t.textContent = line;
    out.append(t);
  });
  if (layout.header.length) {
    const band = document.createElementNS(SVG_NS, "rect");
    for (const [k, v] of Object.entries({ x: box.x, y: box.y, width: box.width, height: layout.top, fill: colors.bugBg })) band.setAttribute(k, String(v));
    out.append(band);
    text(layout.header, box.y, "export-banner");
  }
  text(layout.footer, view.bounds.y + view.bounds.height, "export-caption");
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(out)}\n`;
}

/**
 * Not in an export: what is not drawn, and a text painted wholly transparent (an edge label whose
 * contribution is not sent yet, graph.css), which the file would otherwise still carry.
 */
function leftOut(el, cs) {
  return cs.display === "none" || (el.tagName === "text" && Number(cs.fillOpacity) === 0 && Number(cs.strokeOpacity) === 0);
}

/** Copy computed styles onto the clone (through the CSSOM: the CSP forbids style attributes in markup). */
function inlineStyles(source, clone) {
  const cs = getComputedStyle(source);
  if (leftOut(source, cs)) {
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
export function pngBlob(view, captions = {}, scale = 2) {
  const measure = document.createElement("canvas").getContext("2d");
  const layout = bands(view.bounds, captions, (text, width, font) => {
    measure.font = `${font}px "DejaVu Sans", sans-serif`;
    const average = measure.measureText(text).width / Math.max(text.length, 1);
    return wrapWords(text, Math.floor(width / average));
  });
  const box = layout.box;
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
  const colors = bandColors(view.svg);
  ctx.setTransform(s, 0, 0, s, -box.x * s, -box.y * s);
  ctx.font = `${layout.font}px "DejaVu Sans", sans-serif`;
  const text = (lines, y0) => lines.forEach((line, i) => {
    ctx.fillStyle = colors.fg;
    ctx.fillText(line, box.x + layout.pad, y0 + layout.pad + (i + 0.8) * layout.font * LINE_HEIGHT);
  });
  if (layout.header.length) {
    ctx.fillStyle = colors.bugBg;
    ctx.fillRect(box.x, box.y, box.width, layout.top);
    text(layout.header, box.y);
  }
  text(layout.footer, view.bounds.y + view.bounds.height);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the canvas gave no PNG"))), "image/png"));
}

function paint(ctx, el, base, parentOpacity) {
  if (el.tagName === "title") return;
  const cs = getComputedStyle(el);
  if (leftOut(el, cs)) return;
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
  ctx.lineDashOffset = parseFloat(cs.strokeDashoffset) || 0;
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
