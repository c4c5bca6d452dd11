"""The backward pass as a table: one row per event of the graph record's backward_steps.

Columns: the step, the node that fires, the edge, the input it sends to, the contribution, the
input's gradient before and after, and whether the gradient was summed (+=) rather than set.

The two formats are for different readers, so they write numbers differently, each as the page does
(app/number_format.py): the CSV is for analysis (a spreadsheet, pandas), so its cells keep every digit
and every entry, as the inspector shows them (`0.30000000000000004`, `[[1, 0.5]]`); the Markdown table
is a handout, so its cells read as the nodes on the page do (`0.3`, `[1, 2, …]`).
"""

import csv
import io
from collections.abc import Callable
from typing import Any

from app.number_format import format_value, format_value_full

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8"}
COLUMNS = ("step", "fires", "edge", "to", "contribution", "grad before", "grad after", "summed")


def rows(graph: dict[str, Any], number: Callable[[Any], str]) -> list[tuple[str, ...]]:
    """One tuple of cells per backward event, values written by `number`; no gradient yet is an empty cell."""
    def cell(value: Any) -> str:
        return "" if value is None else number(value)

    names: dict[str, str] = {n["id"]: n["label"] or n["op"] or n["id"] for n in graph["nodes"]}
    out: list[tuple[str, ...]] = []
    for k, step in enumerate(graph["backward_steps"], 1):
        for ev in step["events"]:
            out.append((str(k), names[step["node"]], ev["edge"], names[ev["to"]], cell(ev["contribution"]),
                        cell(ev["grad_before"]), cell(ev["grad_after"]), "yes" if ev["accumulated"] else "no"))
    return out


def step_table_csv(graph: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(graph, format_value_full))
    return out.getvalue().encode()


def step_table_markdown(graph: dict[str, Any]) -> bytes:
    """A Markdown table; `|` in labels is escaped so a cell stays a cell."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows(graph, format_value)]
    return ("\n".join(lines) + "\n").encode()
