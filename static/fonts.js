// The drawing's type: how wide DejaVu Sans and DejaVu Sans Mono set a character, and the sizes
// that box text, badges and callouts take from them.

export const MONO_EM = 0.61; // advance of DejaVu Sans Mono, in em
export const SANS_EM = 0.64; // typical advance of DejaVu Sans Bold, in em

/** The badges' font size on a box whose rows are set at `base`. */
export function badgeFontFor(base) {
  return Math.max(base * 0.8, 7);
}

/** The largest size up to `base` at which `chars` characters of advance `em` fit in `width`. */
export function fitFont(base, chars, width, em) {
  return Math.max(4, Math.min(base, width / (Math.max(chars, 1) * em)));
}
