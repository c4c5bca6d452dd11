// The step player: a state machine over steps 0..n that emits events; it knows nothing of the DOM.
//
// Events: "step"  detail {k, n, from}   (from = previous k, null after load)
//         "state" detail {playing, speed}

const BASE_INTERVAL_MS = 1400; // one step per 1.4 s at 1x: time to follow a contribution

export class Player extends EventTarget {
  constructor() {
    super();
    this.k = 0;
    this.n = 0;
    this.playing = false;
    this.speed = 1;
    this.timer = null;
  }

  /** A new sequence of n steps, positioned at step k (clamped). */
  load(n, k = 0) {
    this.stopTimer();
    this.n = n;
    this.k = clamp(k, 0, n);
    this.emitStep(null);
    if (this.playing) this.schedule();
  }

  get interval() {
    return BASE_INTERVAL_MS / this.speed;
  }

  goTo(k) {
    const target = clamp(k, 0, this.n);
    if (target === this.k) return;
    const from = this.k;
    this.k = target;
    this.emitStep(from);
  }

  next() {
    this.goTo(this.k + 1);
  }

  prev() {
    this.goTo(this.k - 1);
  }

  reset() {
    this.pause();
    this.goTo(0);
  }

  toEnd() {
    this.pause();
    this.goTo(this.n);
  }

  play() {
    if (this.n === 0) return;
    if (this.k >= this.n) this.goTo(0);
    this.playing = true;
    this.emitState();
    this.schedule();
  }

  pause() {
    this.stopTimer();
    if (!this.playing) return;
    this.playing = false;
    this.emitState();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  setSpeed(speed) {
    this.speed = speed;
    this.emitState();
    if (this.playing) {
      this.stopTimer();
      this.schedule();
    }
  }

  schedule() {
    this.stopTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.playing) return;
      this.next();
      if (this.k >= this.n) this.pause();
      else this.schedule();
    }, this.k === 0 ? this.interval / 3 : this.interval);
  }

  stopTimer() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  emitStep(from) {
    this.dispatchEvent(new CustomEvent("step", { detail: { k: this.k, n: this.n, from } }));
  }

  emitState() {
    this.dispatchEvent(new CustomEvent("state", { detail: { playing: this.playing, speed: this.speed } }));
  }
}

function clamp(x, lo, hi) {
  return Math.max(lo, Math.min(hi, x));
}
