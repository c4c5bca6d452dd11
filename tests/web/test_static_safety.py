"""The page's code never turns text into markup, and its templates carry no inline script or style
(so `Content-Security-Policy: default-src 'self'` holds)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "static").glob("*.js"))
TEMPLATES = sorted((ROOT / "templates").glob("*.html"))

MARKUP_SINKS = re.compile(r"\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\b"
                          r"|createContextualFragment|DOMParser")


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_scripts_use_no_markup_sinks(script):
    found = [m.group(0) for m in MARKUP_SINKS.finditer(script.read_text())]
    assert not found, f"{script.name} uses {found}"


@pytest.mark.parametrize("template", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_templates_have_no_inline_script_handlers_or_styles(template):
    html = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html), "inline style attribute"


def test_there_is_something_to_check():
    assert len(SCRIPTS) >= 5 and any(p.name == "index.html" for p in TEMPLATES)
