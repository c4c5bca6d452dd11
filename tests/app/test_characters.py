"""check_characters' shortcut (plainly_within_limits) lets a program through only when the character-by-character
check finds nothing in it: tried on random text near small limits, and taken by the gallery's programs."""

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.examples import EXAMPLES
from app.language import characters
from app.language.characters import check_characters, plainly_within_limits
from app.language.errors import ExpressionError

# what the limits count (brackets, unary operators, digits and underscores), blanks, comments, line ends, a
# letter, and characters refused outside comments or everywhere
ALPHABET = "([{)]}+-~_0123 \t\n#ax\u2212\x01\ud800"


@settings(max_examples=2_000, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=40))
def test_the_shortcut_passes_only_what_the_full_check_passes(text):
    lines = text.split("\n")
    with mock.patch.object(characters, "MAX_NESTING", 3), mock.patch.object(characters, "MAX_NUMBER_DIGITS", 3):
        if plainly_within_limits(lines):
            check_characters(lines)  # raises if the shortcut let something through


@pytest.mark.parametrize("text", ["x = ((((1))))", "x = 1 -\n# (\n- - - 1", "x = 1_0_0_0", "x = (1))(((("])
def test_text_over_the_small_limits_is_refused_by_both(text):
    lines = text.split("\n")
    with mock.patch.object(characters, "MAX_NESTING", 3), mock.patch.object(characters, "MAX_NUMBER_DIGITS", 3):
        assert not plainly_within_limits(lines)
        with pytest.raises(ExpressionError):
            check_characters(lines)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_the_gallery_takes_the_shortcut(example):
    assert plainly_within_limits(example.source.split("\n"))
