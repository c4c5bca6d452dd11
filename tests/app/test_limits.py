"""One place per fact: app/limits.py is the table of every bound, and the README's limits table is that table."""

import re
from pathlib import Path

import pytest

from app import limits

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
UNITS = {"": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "s": 1}


def public_limits() -> dict[str, int | float]:
    return {name: value for name, value in vars(limits).items()
            if name.isupper() and not name.startswith("_") and isinstance(value, (int, float))}


def readme_limits() -> dict[str, str]:
    """`name` -> value cell of each row of the table under "## Limits"."""
    section = README.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]+?) \|", section, flags=re.MULTILINE)
    assert rows, "the README's Limits section has no table of `NAME` | value rows"
    return dict(rows)


def parse_value(cell: str) -> float:
    """20,000 or 20_000 or 256 KiB or 1.5 s, as a number."""
    match = re.fullmatch(r"([0-9][0-9,_]*(?:\.[0-9]+)?)\s*(KiB|MiB|GiB|s)?", cell.strip())
    assert match, f"cannot read the value {cell!r}"
    return float(match[1].replace(",", "").replace("_", "")) * UNITS[match[2] or ""]


@pytest.mark.parametrize("cell, value", [
    ("20,000", 20_000), ("20_000", 20_000), ("4", 4), ("256 KiB", 262_144), ("1 GiB", 1 << 30), ("1.5 s", 1.5),
])
def test_values_are_read_as_written(cell, value):
    assert parse_value(cell) == value


def test_readme_lists_exactly_the_limits():
    documented, code = readme_limits(), public_limits()
    missing, extra = sorted(set(code) - set(documented)), sorted(set(documented) - set(code))
    assert missing == [], "add a row `| `NAME` | value | what it bounds |` to the README's Limits table for each"
    assert extra == [], "README Limits rows that are not constants of app/limits.py"
    wrong = {name: (cell, code[name]) for name, cell in documented.items() if parse_value(cell) != code[name]}
    assert wrong == {}, "README value differs from app/limits.py"


def test_each_limit_says_what_it_bounds():
    # an attribute docstring under each constant: the table's third column, said once in the code
    source = Path(limits.__file__).read_text()
    undocumented = [name for name in public_limits()
                    if not re.search(rf"^{name} = .+\n\"\"\"", source, flags=re.MULTILINE)]
    assert undocumented == []
