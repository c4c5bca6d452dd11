"""A checked syntax tree reused when a program comes back with only its numbers changed.

A slider, or a student editing a value, sends the same program with other numbers; parsing and checking
it again is ~0.5 ms of a 114-node request's ~6 (the most of a 7-node one's). The text with every digit
written 0 is the key: a program with the same key has every character in the same place, so its tree
is the cached one with other values in the number literals, which are rewritten in place (no copy).
Everything but the literals the tree was matched against must be the same text (a digit in a name, a
string, a comment or `1_000` changes the key only when written 0, so it is compared as it is).
"""

import ast
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from app.language.syntax import Outline, checked_text, checked_tree

# a decimal int or float literal (no `_`, no leading `.`: those stay as text); a pattern for re's functions,
# which keep it compiled
LITERAL = r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?"
ZEROS = str.maketrans("123456789", "000000000")
TEMPLATES_KEPT = 16  # per thread; a tree of the largest program allowed is a few MB


@dataclass
class Template:
    """A checked tree; `literals` the number constants it is matched against, with their (start, end)
    in `text`, in order."""

    text: str
    tree: ast.Module
    outline: Outline
    literals: list[tuple[int, int, ast.Constant]]


kept = threading.local()  # a thread's trees: a tree's values are rewritten by the next program of its shape


def parse(source: str) -> tuple[ast.Module, list[str], Outline]:
    """app.language.syntax.parse's answer, from a cached tree when a program of the same shape was parsed in
    this thread. The tree is shared with later calls: use it before this thread parses another program."""
    text, lines = checked_text(source)
    templates: OrderedDict[str, Template] = kept.__dict__.setdefault("templates", OrderedDict())
    key = text.translate(ZEROS)
    template = templates.get(key)
    if template is not None and fill(template, text):
        templates.move_to_end(key)
        return template.tree, lines, template.outline
    tree, outline = checked_tree(text, lines)
    templates[key] = Template(text, tree, outline, literals(tree, text, lines))
    if len(templates) > TEMPLATES_KEPT:
        templates.popitem(last=False)
    return tree, lines, outline


def fill(template: Template, text: str) -> bool:
    """Write `text`'s numbers into the template's tree, if it differs from the template's text only in
    them (same length and digit places: the key says so); False, touching nothing, if not."""
    old, at = template.text, 0
    values = []
    for start, end, _ in template.literals:
        value = literal_value(text[start:end])
        if value is None or text[at:start] != old[at:start]:
            return False
        values.append(value)
        at = end
    if text[at:] != old[at:]:
        return False
    for (_, _, constant), value in zip(template.literals, values, strict=True):
        constant.value = value
    template.text = text
    return True


def literals(tree: ast.Module, text: str, lines: list[str]) -> list[tuple[int, int, ast.Constant]]:
    """The number constants written as a plain literal on one line, with their place in `text`; those in an
    f-string are left out (Python 3.11 places them unreliably), and so is any whose text reads otherwise."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    found = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.JoinedStr):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.lineno == node.end_lineno \
                and node.end_col_offset is not None:
            start = starts[node.lineno - 1] + node.col_offset
            end = starts[node.lineno - 1] + node.end_col_offset
            value = literal_value(text[start:end])
            if value is not None and type(value) is type(node.value) and value == node.value:
                found.append((start, end, node))
        stack.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda item: item[0])


def literal_value(written: str) -> int | float | None:
    """The value Python gives a decimal literal, or None if `written` is not one (`007` is a SyntaxError)."""
    if re.fullmatch(LITERAL, written) is None:
        return None
    if "." in written or "e" in written or "E" in written:
        return float(written)
    if written[0] == "0" and written.strip("0"):
        return None
    return int(written)
