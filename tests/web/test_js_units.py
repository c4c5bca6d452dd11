"""Unit tests of the page's pure modules (format.js, steps.js, url-state.js, view-model.js,
aliasing.js, words.js), written in JavaScript (tests/web/js/*.test.js) and run in the real
Chromium the page runs in: CI needs no Node.js. Each file's failures are reported by test name."""

from pathlib import Path

import pytest

JS = Path(__file__).resolve().parent / "js"
FILES = sorted(JS.glob("*.test.js"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_js_unit_tests(web, path):
    # the test files are served beside the page's own, under /__tests__/ (same origin: the CSP holds)
    web.page.route("**/__tests__/*", lambda route: route.fulfill(
        path=str(JS / route.request.url.rsplit("/", 1)[1]), content_type="text/javascript"))
    web.open()
    results = web.page.evaluate("""async (name) => {
      await import(`/__tests__/${name}`);
      return (await import('/__tests__/check.js')).run();
    }""", path.name)
    assert results, f"{path.name} registers no test"
    failures = [f"{r['name']}: {r['error']}" for r in results if r["error"]]
    assert not failures, "\n\n".join(failures)


def test_there_are_unit_tests_of_the_pure_modules():
    names = {p.name for p in FILES}
    assert {"format.test.js", "steps.test.js", "url-state.test.js"} <= names
