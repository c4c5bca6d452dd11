"""The README documents what a user can use: every op, every function name, every setting, every limit."""

import re
from dataclasses import fields
from pathlib import Path

from app.language import FUNCTIONS
from app.language.reference import markdown
from app.settings import Settings
from engine import OPS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_lists_every_op():
    missing = [name for name in OPS if f"`{name}" not in README]
    assert not missing, f"ops missing from README: {missing}"


def test_readme_lists_every_function_of_the_language():
    missing = [name for name in FUNCTIONS if not re.search(rf"\b{re.escape(name)}\b", README)]
    assert not missing, f"functions missing from README: {missing}"


def test_readme_documents_every_setting():
    missing = [f.name for f in fields(Settings) if f"CHAINRULE_{f.name.upper()}" not in README]
    assert not missing, f"settings missing from README: {missing}"


def test_readme_opens_with_the_two_commands():
    head = README[:600]
    assert "make run" in head and "make test" in head


def test_readme_holds_the_language_reference_as_the_parsers_tables_make_it():
    """The README's reference is python -m app.language.reference's output, word for word: a new
    function, op or mode that is not written there fails here (paste the command's output in)."""
    start = README.index("<!-- language reference:")
    start = README.index("\n", start) + 1
    end = README.index("<!-- end of the language reference -->")
    assert README[start:end] == markdown()
