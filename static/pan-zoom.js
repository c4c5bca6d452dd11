// Pan with a drag, zoom with the wheel or a pinch, fit a box into view. One transform on one <g>.

const CLICK_SLOP_PX = 4;
const MIN_SCALE = 0.005;
const MAX_SCALE = 12;

export class PanZoom {
  /**
   * @param {SVGSVGElement} svg the element that receives pointer events
   * @param {SVGGElement[]} targets the groups whose transform is the view (drawing and overlay)
   * @param {{onClick?: (target: Element) => void, onUserChange?: () => void, onScale?: (scale: number) => void}} hooks
   */
  constructor(svg, targets, { onClick = () => {}, onUserChange = () => {}, onScale = () => {} } = {}) {
    this.svg = svg;
    this.targets = targets;
    this.onClick = onClick;
    this.onUserChange = onUserChange;
    this.onScale = onScale;
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.pointers = new Map();
    this.gesture = null;
    svg.addEventListener("pointerdown", (e) => this.down(e));
    svg.addEventListener("pointermove", (e) => this.move(e));
    svg.addEventListener("pointerup", (e) => this.up(e));
    svg.addEventListener("pointercancel", (e) => this.up(e, true));
    svg.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
  }

  apply() {
    const transform = `translate(${this.tx},${this.ty}) scale(${this.scale})`;
    for (const target of this.targets) target.setAttribute("transform", transform);
    this.onScale(this.scale);
  }

  set(scale, tx, ty) {
    this.scale = clamp(scale, MIN_SCALE, MAX_SCALE);
    this.tx = tx;
    this.ty = ty;
    this.apply();
  }

  /** Zoom by `factor` keeping the screen point (cx, cy) (CSS px, relative to the svg) still. */
  zoomAt(factor, cx, cy) {
    const scale = clamp(this.scale * factor, MIN_SCALE, MAX_SCALE);
    const k = scale / this.scale;
    this.set(scale, cx - (cx - this.tx) * k, cy - (cy - this.ty) * k);
  }

  zoomCenter(factor) {
    const { width, height } = this.svg.getBoundingClientRect();
    this.zoomAt(factor, width / 2, height / 2);
  }

  /**
   * Show the box {x, y, width, height} (graph units) as large as fits, at least `minScale`.
   * When even `minScale` does not fit, centre on `focus` ({x, y}) instead of the box.
   */
  fit(box, { padding = 16, minScale = 0, maxScale = 4, focus = null } = {}) {
    const { width, height } = this.svg.getBoundingClientRect();
    if (width <= 0 || height <= 0 || box.width <= 0 || box.height <= 0) return;
    const fitScale = Math.min((width - 2 * padding) / box.width, (height - 2 * padding) / box.height);
    const scale = Math.max(Math.min(fitScale, maxScale), minScale);
    let cx = box.x + box.width / 2;
    let cy = box.y + box.height / 2;
    if (scale > fitScale * 1.0001 && focus) {
      // keep the focus in view, but do not scroll past the graph's edges
      const halfW = (width - 2 * padding) / 2 / scale;
      const halfH = (height - 2 * padding) / 2 / scale;
      cx = clamp(focus.x, box.x + halfW, box.x + box.width - halfW);
      cy = clamp(focus.y, box.y + halfH, box.y + box.height - halfH);
      if (box.width < 2 * halfW) cx = box.x + box.width / 2;
      if (box.height < 2 * halfH) cy = box.y + box.height / 2;
    }
    this.set(scale, width / 2 - cx * scale, height / 2 - cy * scale);
  }

  /** Pan (keeping the zoom) so that the box {x, y, width, height} is in view, if it is not. */
  reveal(box, margin = 24) {
    const { width, height } = this.svg.getBoundingClientRect();
    const left = this.tx + box.x * this.scale;
    const top = this.ty + box.y * this.scale;
    const right = left + box.width * this.scale;
    const bottom = top + box.height * this.scale;
    if (left >= margin && top >= margin && right <= width - margin && bottom <= height - margin) return false;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    this.set(this.scale, width / 2 - cx * this.scale, height / 2 - cy * this.scale);
    return true;
  }

  down(e) {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    // touch and pen pointers are captured by their target already; a mouse must be asked to be
    if (e.pointerType === "mouse") this.svg.setPointerCapture(e.pointerId);
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.pointers.size === 1) {
      this.gesture = { kind: "pan", startX: e.clientX, startY: e.clientY, moved: false, target: e.target };
    } else if (this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      this.gesture = { kind: "pinch", distance: Math.hypot(a.x - b.x, a.y - b.y), moved: true };
    }
  }

  move(e) {
    const last = this.pointers.get(e.pointerId);
    if (!last || !this.gesture) return;
    const now = { x: e.clientX, y: e.clientY };
    if (this.gesture.kind === "pan") {
      if (!this.gesture.moved && Math.hypot(now.x - this.gesture.startX, now.y - this.gesture.startY) < CLICK_SLOP_PX) return;
      this.gesture.moved = true;
      this.svg.classList.add("panning");
      this.set(this.scale, this.tx + now.x - last.x, this.ty + now.y - last.y);
      this.onUserChange();
    } else {
      this.pointers.set(e.pointerId, now);
      const [a, b] = [...this.pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      const rect = this.svg.getBoundingClientRect();
      if (this.gesture.distance > 0) {
        this.zoomAt(distance / this.gesture.distance, (a.x + b.x) / 2 - rect.left, (a.y + b.y) / 2 - rect.top);
        this.onUserChange();
      }
      this.gesture.distance = distance;
      return;
    }
    this.pointers.set(e.pointerId, now);
  }

  up(e, cancelled = false) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    const gesture = this.gesture;
    if (this.pointers.size === 0) {
      this.gesture = null;
      this.svg.classList.remove("panning");
      if (gesture && gesture.kind === "pan" && !gesture.moved && !cancelled) this.onClick(gesture.target);
    } else if (this.pointers.size === 1) {
      const [p] = [...this.pointers.values()];
      this.gesture = { kind: "pan", startX: p.x, startY: p.y, moved: true, target: null };
    }
  }

  wheel(e) {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    const sensitivity = e.ctrlKey ? 0.01 : 0.0015; // a trackpad pinch arrives as a ctrl+wheel
    const rect = this.svg.getBoundingClientRect();
    this.zoomAt(Math.exp(-e.deltaY * unit * sensitivity), e.clientX - rect.left, e.clientY - rect.top);
    this.onUserChange();
  }
}

function clamp(x, lo, hi) {
  return Math.max(lo, Math.min(hi, x));
}
