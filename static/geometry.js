// Curves on the drawing: Graphviz's cubic Bézier edges as SVG paths, points along them, arrow heads.

export function bezierPath(points) {
  let d = `M${round(points[0][0])},${round(points[0][1])}`;
  if ((points.length - 1) % 3 === 0) {
    for (let i = 1; i + 2 < points.length; i += 3) {
      d += `C${points.slice(i, i + 3).map((p) => `${round(p[0])},${round(p[1])}`).join(" ")}`;
    }
  } else {
    for (const p of points.slice(1)) d += `L${round(p[0])},${round(p[1])}`;
  }
  return d;
}

/**
 * A curve (points as bezierPath takes them) cut into pieces of about `most` units of length at
 * most: [{points, start, extent}], start the curve's length before the piece (where its dash
 * pattern goes on from), extent [x0, y0, x1, y1] around its control points. A line is one piece.
 */
export function curvePieces(points, most) {
  if (points.length < 4 || (points.length - 1) % 3 !== 0) return [{ points, start: 0, extent: extentOf(points) }];
  const cubics = [];
  for (let i = 0; i + 3 < points.length; i += 3) {
    const cubic = points.slice(i, i + 4);
    cubics.push(...splitCubic(cubic, Math.ceil(cubicLength(cubic) / most)));
  }
  const pieces = [];
  let start = 0;
  let piece = null;
  for (const cubic of cubics) {
    const length = cubicLength(cubic);
    if (!piece || piece.length + length > most) {
      piece = { points: [cubic[0]], start, length: 0 };
      pieces.push(piece);
    }
    piece.points.push(cubic[1], cubic[2], cubic[3]);
    piece.length += length;
    start += length;
  }
  return pieces.map(({ points: p, start: s }) => ({ points: p, start: s, extent: extentOf(p) }));
}

/** A cubic [p0, p1, p2, p3] cut into n at equal steps of its parameter (de Casteljau). */
function splitCubic(cubic, n) {
  const parts = [];
  let rest = cubic;
  for (let k = n; k > 1; k--) {
    const t = 1 / k;
    const [p0, p1, p2, p3] = rest;
    const at = (a, b) => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    const [a, b, c] = [at(p0, p1), at(p1, p2), at(p2, p3)];
    const [d, e] = [at(a, b), at(b, c)];
    const m = at(d, e);
    parts.push([p0, a, d, m]);
    rest = [m, e, c, p3];
  }
  parts.push(rest);
  return parts;
}

/** A cubic's length, along 16 chords (short of the arc by well under a unit at the lengths cut here). */
function cubicLength(cubic) {
  let length = 0;
  let last = cubic[0];
  for (let i = 1; i <= 16; i++) {
    const p = pointOnCurve(cubic, i / 16);
    length += Math.hypot(p.x - last[0], p.y - last[1]);
    last = [p.x, p.y];
  }
  return length;
}

/** [x0, y0, x1, y1] around the points. */
export function extentOf(points) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

export function pointOnCurve(points, u) {
  const segments = Math.floor((points.length - 1) / 3);
  if (segments < 1) {
    const a = points[0];
    const b = points[points.length - 1];
    return { x: a[0] + (b[0] - a[0]) * u, y: a[1] + (b[1] - a[1]) * u };
  }
  const along = Math.min(Math.max(u, 0), 1) * segments;
  const s = Math.min(segments - 1, Math.floor(along));
  const t = along - s;
  const [p0, p1, p2, p3] = points.slice(3 * s, 3 * s + 4);
  const m = 1 - t;
  const f = (i) => m * m * m * p0[i] + 3 * m * m * t * p1[i] + 3 * m * t * t * p2[i] + t * t * t * p3[i];
  return { x: f(0), y: f(1) };
}

/**
 * Centres for a halfW x halfH label just clear of the curve at parameter u: on the side above
 * the line first, then below (for a vertical line: right, then left).
 */
export function besideCurve(points, u, halfW, halfH) {
  const p = pointOnCurve(points, u);
  const a = pointOnCurve(points, Math.max(0, u - 0.02));
  const b = pointOnCurve(points, Math.min(1, u + 0.02));
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  let nx = (a.y - b.y) / len;
  let ny = (b.x - a.x) / len;
  if (ny > 0 || (ny === 0 && nx < 0)) {
    nx = -nx;
    ny = -ny;
  }
  const clear = Math.abs(nx) * halfW + Math.abs(ny) * halfH + 1.5;
  return [[p.x + nx * clear, p.y + ny * clear], [p.x - nx * clear, p.y - ny * clear]];
}

/** A filled triangle from the line's last point to the tip (or along the last segment). */
export function arrowHead(points, tip) {
  const last = points[points.length - 1];
  let from;
  let to;
  if (tip) {
    from = last;
    to = tip;
  } else {
    from = points[points.length - 2];
    to = last;
  }
  let dx = to[0] - from[0];
  let dy = to[1] - from[1];
  const len = Math.hypot(dx, dy) || 1;
  dx /= len;
  dy /= len;
  const size = tip ? Math.min(len, 10) : 9;
  const base = [to[0] - dx * size, to[1] - dy * size];
  const half = size * 0.4;
  const a = [base[0] - dy * half, base[1] + dx * half];
  const b = [base[0] + dy * half, base[1] - dx * half];
  return `M${round(to[0])},${round(to[1])}L${round(a[0])},${round(a[1])}L${round(b[0])},${round(b[1])}Z`;
}

/** From the right side of box a to the left side of box b (layout boxes: centre and size). */
export function straightLine(a, b) {
  return [[a.x + a.width / 2, a.y], [b.x - b.width / 2, b.y]];
}

export function clamp(x, lo, hi) {
  return Math.max(lo, Math.min(hi, x));
}

export function round(x) {
  return Math.round(x * 100) / 100;
}
