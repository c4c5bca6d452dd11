"""Checks on the program text made before Python's parser sees it: size, characters, nesting.

Everything outside a comment must be printable ASCII (tabs allowed): this rejects lookalike
characters with a hint (U+2212 MINUS SIGN for "-"), keeps NFKC identifier tricks such as
`x._\uFE4Dclass__` away from the parser, and makes the parser's byte columns equal character
columns. A comment runs from `#` to the end of its line; strings, where `#` would not start one,
are not part of the language.
"""

import re
import unicodedata
from itertools import accumulate

from app.language.errors import ExpressionError
from app.limits import MAX_NESTING, MAX_NUMBER_DIGITS, MAX_SOURCE_CHARS

# Characters that text editors and word processors put in place of ASCII ones; anything else
# whose NFKC form is ASCII (fullwidth letters and brackets, U+FE4D DASHED LOW LINE...) is
# suggested from that form.
LOOKALIKES = {
    "\u2212": "-",  # MINUS SIGN
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",  # hyphens, dashes
    "\u00d7": "*", "\u22c5": "*", "\u00b7": "*", "\u2217": "*", "\u2219": "*",  # times, dot operators
    "\u00f7": "/", "\u2215": "/", "\u2044": "/",  # division sign and slashes
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",  # single quotes, prime
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',  # double quotes
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u3000": " ",  # no-break and other spaces
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",  # invisible characters
    "\u00b2": "**2", "\u00b3": "**3",  # superscripts
}

UNARY_OPERATORS = "+-~"
OPEN_BRACKETS = "([{"
CLOSE_BRACKETS = ")]}"
# patterns for re's functions, which keep them compiled
NOT_PRINTABLE_ASCII = r"[^\t\x20-\x7e]"
COMMENT = r"#.*"  # to the end of its line: '.' stops at a newline
NOT_BRACKET = r"[^()\[\]{}]+"


def normalize_newlines(source: str) -> str:
    """Lines end in "\\n" only; positions count lines split on it."""
    return source.replace("\r\n", "\n").replace("\r", "\n")


def check_size(source: str) -> None:
    """A source over the limit: status 413, pointing at the first character past it."""
    if len(source) <= MAX_SOURCE_CHARS:
        return
    head = normalize_newlines(source[:MAX_SOURCE_CHARS + 1])
    line = head.count("\n") + 1
    col = len(head) - (head.rfind("\n") + 1)
    raise ExpressionError("limit",
                          f"the program has {len(source):,} characters; at most {MAX_SOURCE_CHARS:,} are allowed",
                          line, col, col + 1, status=413)


def describe(ch: str) -> str:
    """U+2212 (MINUS SIGN): a character as a user can look it up."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def character_error(ch: str, line: int, col: int) -> ExpressionError:
    where = f"{line}:{col}"
    if ch == "\0":
        message = f"null byte at {where} is not allowed"
    elif ch < " " or ch == "\x7f":
        message = f"control character {describe(ch)} at {where} is not allowed"
    elif "\ud800" <= ch <= "\udfff":
        message = f"{describe(ch)} at {where} is half of a surrogate pair, not a character"
    else:
        ascii_form = LOOKALIKES.get(ch)
        if ascii_form is None:
            nfkc = unicodedata.normalize("NFKC", ch)
            ascii_form = nfkc if nfkc.isascii() and nfkc.isprintable() else None
        if ascii_form == "":
            message = f"invisible character {describe(ch)} at {where}: delete it"
        elif ascii_form is not None:
            quoted = f"'{ascii_form}'" if '"' in ascii_form else f'"{ascii_form}"'
            message = f"{describe(ch)} at {where}, did you mean {quoted}?"
        else:
            message = (f"{describe(ch)} at {where} is not allowed: write programs in ASCII "
                       "(comments may use any character)")
    return ExpressionError("syntax", message, line, col, col + 1)


def plainly_within_limits(lines: list[str]) -> bool:
    """True when check_characters would find nothing, by a few passes in C (a 100-line program: ~0.3 ms of
    check_characters' loop, ~0.03 ms of these); False means look closer, not that something is wrong.

    Every character printable ASCII (what a comment allows is a superset); outside comments, the bracket
    depth never under zero (so the clamp at zero never applies) and never over MAX_NESTING; no run of more
    than MAX_NESTING unary operators with only blanks and line ends between (the loop's count goes on across
    lines and comments); no run of more than MAX_NUMBER_DIGITS digits with only underscores between, in a line.
    """
    if re.search(NOT_PRINTABLE_ASCII, "".join(lines)):
        return False
    code = re.sub(COMMENT, "", "\n".join(lines))
    depths = list(accumulate(1 if ch in OPEN_BRACKETS else -1 for ch in re.sub(NOT_BRACKET, "", code)))
    if depths and (min(depths) < 0 or max(depths) > MAX_NESTING):
        return False
    unary_run = rf"[{re.escape(UNARY_OPERATORS)}](?:[ \t\n]*[{re.escape(UNARY_OPERATORS)}]){{{MAX_NESTING}}}"
    digit_run = rf"[0-9](?:_*[0-9]){{{MAX_NUMBER_DIGITS}}}"
    return re.search(unary_run, code) is None and re.search(digit_run, code) is None


def check_characters(lines: list[str]) -> None:
    """Characters, bracket depth, unary operators in a row and digits in a row, in one pass.

    The last three keep Python's parser away from its own limits (it answers "too many nested
    parentheses", MemoryError or a 4300-digit integer error), with a position to show.
    """
    if plainly_within_limits(lines):
        return
    depth = 0
    unary_run = 0
    for line_no, text in enumerate(lines, 1):
        in_comment = False
        digit_run = digits_from = 0
        for col, ch in enumerate(text, 1):
            in_comment = in_comment or ch == "#"
            if in_comment:
                # any character is fine in a comment, except those the parser cannot take at all
                if (ch < " " and ch != "\t") or "\ud800" <= ch <= "\udfff":
                    raise character_error(ch, line_no, col)
                continue
            if not (" " <= ch < "\x7f" or ch == "\t"):
                raise character_error(ch, line_no, col)
            if ch in OPEN_BRACKETS:
                depth += 1
                if depth > MAX_NESTING:
                    raise ExpressionError("limit", f"brackets are nested more than {MAX_NESTING} deep",
                                          line_no, col, col + 1)
            elif ch in CLOSE_BRACKETS:
                depth = max(depth - 1, 0)
            if ch in UNARY_OPERATORS:
                unary_run += 1
                if unary_run > MAX_NESTING:
                    raise ExpressionError("limit", f"more than {MAX_NESTING} operators in a row", line_no, col, col + 1)
            elif ch not in " \t":
                unary_run = 0
            if ch.isdigit():
                digits_from = digits_from if digit_run else col
                digit_run += 1
                if digit_run > MAX_NUMBER_DIGITS:
                    raise ExpressionError("limit", f"a number with more than {MAX_NUMBER_DIGITS} digits",
                                          line_no, digits_from, col + 1)
            elif ch != "_":
                digit_run = 0
