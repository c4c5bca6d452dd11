"""Browser tests of the page: the real app under uvicorn, Debian's Chromium driven by Playwright.

Every test's page is watched: a console error, an uncaught exception, a CSP violation, a dialog
(alert/confirm) or a request to any host other than 127.0.0.1 fails the test at teardown.
"""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Browser, sync_playwright

from webtools import ROOT, Api, Web, make_web

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> str:
    """The real app (`app.main:app`) on a free loopback port; its base URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "uvicorn.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            log.close()
            pytest.fail(f"uvicorn exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"uvicorn did not answer /healthz within 60 s:\n{log_path.read_text()}")
        time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="session")
def api(server) -> Api:
    return Api(server)


@pytest.fixture(scope="session")
def chromium() -> Browser:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def web_factory(chromium, server):
    """Make pages with their own context options (viewport, color scheme, permissions)."""
    made: list[Web] = []

    def make(**options) -> Web:
        w = make_web(chromium, server, **options)
        made.append(w)
        return w

    yield make
    problems = [p for w in made for p in w.problems()]
    for w in made:
        w.page.context.close()
    assert not problems, "the page misbehaved:\n" + "\n".join(problems)


@pytest.fixture
def web(web_factory) -> Web:
    return web_factory()
