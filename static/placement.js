// Where text goes on the drawing: a record of the rectangles already taken (boxes, badges, labels),
// and a choice among candidate spots for the next one. Rectangles are [x0, y0, x1, y1] in graph units.

import { MONO_EM } from "./fonts.js";
import { besideCurve } from "./geometry.js";

const CELL = 128; // grid cell in graph units: a query looks only at the cells it touches
const COVERING = 1e12; // a spot that covers anything scores this much worse than any free one

export class Occupancy {
  constructor() {
    this.rects = [];
    this.cells = new Map();
    this.stamp = 0;
  }

  add(rect) {
    const index = this.rects.length;
    this.rects.push({ rect, seen: 0 });
    for (const key of cellKeys(rect)) {
      const list = this.cells.get(key);
      if (list) list.push(index);
      else this.cells.set(key, [index]);
    }
  }

  /** The area of `rect` covered by what is taken (overlaps between taken rectangles count twice). */
  covered(rect) {
    const stamp = ++this.stamp;
    let area = 0;
    for (const key of cellKeys(rect)) {
      for (const index of this.cells.get(key) ?? []) {
        const entry = this.rects[index];
        if (entry.seen === stamp) continue;
        entry.seen = stamp;
        area += overlapArea(rect, entry.rect);
      }
    }
    return area;
  }
}

// where along an edge its label may sit (0 = input, 1 = consumer), best first
const EDGE_LABEL_SPOTS = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8];

/**
 * Where a label `text` (font size `font`) may sit beside the curve through `points`, best first:
 * beside the line, not on it (a "-" on the line would vanish into it).
 */
export function edgeLabelSpots(points, text, font) {
  const halfW = (text.length * font * MONO_EM) / 2 + 2;
  const halfH = font * 0.62;
  return EDGE_LABEL_SPOTS.flatMap((u) => besideCurve(points, u, halfW, halfH).map(([x, y]) => [x - halfW, y - halfH, x + halfW, y + halfH]));
}

/** The first candidate that covers nothing taken, or null. */
export function firstFree(occupancy, candidates) {
  return candidates.find((rect) => occupancy.covered(rect) === 0) ?? null;
}

/**
 * The candidate that covers least. A free spot beats any that covers something; among free
 * spots, and among the others, what lies outside `within` counts a quarter, as if covered: a spot
 * inside is preferred, so that fitting the drawing need not grow for it. Ties go to the
 * earlier candidate.
 */
export function leastCovered(occupancy, candidates, within) {
  let best = null;
  let bestScore = Infinity;
  for (const rect of candidates) {
    const area = (rect[2] - rect[0]) * (rect[3] - rect[1]);
    const covered = occupancy.covered(rect);
    const score = (covered > 1e-6 ? COVERING + covered : 0) + 0.25 * (area - overlapArea(rect, within));
    if (score < bestScore - 1e-6) {
      best = rect;
      bestScore = score;
    }
  }
  return best;
}

export function overlapArea(a, b) {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

function* cellKeys(rect) {
  const x0 = Math.floor(rect[0] / CELL);
  const x1 = Math.floor(rect[2] / CELL);
  const y0 = Math.floor(rect[1] / CELL);
  const y1 = Math.floor(rect[3] / CELL);
  for (let i = x0; i <= x1; i++) {
    for (let j = y0; j <= y1; j++) yield `${i},${j}`;
  }
}
