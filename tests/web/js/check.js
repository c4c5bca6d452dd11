// A small test registry for the page's pure modules, run in the real browser by
// tests/web/test_js_units.py: each *.test.js file registers tests with test(), and run() reports.

const tests = [];

/** Register a test: `fn` throws (or rejects) to fail. */
export function test(name, fn) {
  tests.push({ name, fn });
}

/** Deep equality by JSON (the modules under test deal in plain data), with a readable failure. */
export function eq(actual, expected, what = "") {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what ? `${what}: ` : ""}expected ${e}, got ${a}`);
}

export function ok(value, what = "") {
  if (!value) throw new Error(`${what || "expected a true value"}: got ${JSON.stringify(value)}`);
}

/** Run every registered test: [{name, error: null | message}]. */
export async function run() {
  const results = [];
  for (const { name, fn } of tests) {
    try {
      await fn();
      results.push({ name, error: null });
    } catch (error) {
      results.push({ name, error: String(error?.stack ?? error) });
    }
  }
  return results;
}
