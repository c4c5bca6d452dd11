"""The language reference is made from the parser's own tables: nothing it admits goes undocumented."""

from app.language.functions import BUILTIN_USAGE, CONSTRUCTOR_USAGE, OP_FUNCTIONS
from app.language.reference import MODE_WORDS, SYNTAX, reference
from app.language.syntax import ALLOWED
from app.language.training import PROGRAM_MODES
from engine import MODES


def test_every_admitted_syntax_has_an_entry():
    assert set(SYNTAX) == set(ALLOWED)


def test_every_function_op_constructor_and_mode_is_listed(client):
    ref = client.get("/api/language").json()
    assert ref == reference()
    assert {f["name"] for f in ref["ops"]} == set(OP_FUNCTIONS)
    assert {f["name"] for f in ref["functions"]} == set(BUILTIN_USAGE)
    assert {f["name"] for f in ref["constructors"]} == set(CONSTRUCTOR_USAGE)
    assert [m["name"] for m in ref["modes"]] == [*MODES, *PROGRAM_MODES]
    assert set(MODE_WORDS) == set(MODES) | set(PROGRAM_MODES)
    assert all(op["rule"] for op in ref["ops"]) and all(s["example"] for s in ref["syntax"])


def test_the_api_accepts_exactly_the_engines_modes():
    from typing import get_args

    from app.schemas import Mode

    assert get_args(Mode) == (*MODES, *PROGRAM_MODES)
