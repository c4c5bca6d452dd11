// Numbers written in the program that a slider may rewrite: reading and replacing them in the
// source text, and the range and step of a slider over one. Pure functions, no DOM.
//
// A span is the API's `literal`: [line, col, endCol], 1-based, endCol just past the last character.

const SLIDER_POSITIONS = 500; // about this many positions between a slider's ends, at least
const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The text of the literal at `span` in `source` ("" when the span lies outside it). */
export function literalText(source, [line, col, endCol]) {
  return (source.split("\n")[line - 1] ?? "").slice(col - 1, endCol - 1);
}

/**
 * `source` with the literal at `spans[index]` replaced by `text`: {source, spans}, the spans
 * moved to match (those after it on the same line shift by the change in length).
 */
export function replaceLiteral(source, spans, index, text) {
  const [line, col, endCol] = spans[index];
  const lines = source.split("\n");
  const row = lines[line - 1];
  lines[line - 1] = row.slice(0, col - 1) + text + row.slice(endCol - 1);
  const delta = text.length - (endCol - col);
  const moved = spans.map(([l, c, e], i) => {
    if (i === index) return [l, c, c + text.length];
    return l === line && c >= endCol ? [l, c + delta, e + delta] : [l, c, e];
  });
  return { source: lines.join("\n"), spans: moved };
}

/** Whether `text` is a number as the program may write it: 2, -3.5, .5, 1e-3. */
export function isPlainNumber(text) {
  return PLAIN_NUMBER.test(text.trim());
}

/**
 * A slider around `value`: value ± max(1, 2|value|), with a step of a power of ten giving at
 * least SLIDER_POSITIONS positions, the ends on that step's grid. {min, max, step, decimals}.
 */
export function sliderRange(value) {
  const reach = Math.max(1, 2 * Math.abs(value));
  const step = 10 ** Math.floor(Math.log10((2 * reach) / SLIDER_POSITIONS));
  const decimals = Math.max(0, -Math.round(Math.log10(step)));
  const min = Math.floor((value - reach) / step) * step;
  const max = Math.ceil((value + reach) / step) * step;
  return { min: Number(min.toFixed(decimals)), max: Number(max.toFixed(decimals)), step, decimals };
}

/** Whether `value` lies within a slider's range. */
export function inRange(range, value) {
  return value >= range.min && value <= range.max;
}

/**
 * A slider position as the program's number: no more decimals than the step has ("2.35", "-1"),
 * with a decimal point when the program wrote one (`decimal`: 0.0 slides to 1.0, 0 to 1).
 */
export function formatLiteral(value, decimals, decimal) {
  const text = String(Number(value.toFixed(decimals)));
  return decimal && !/[.eE]/.test(text) ? `${text}.0` : text;
}
