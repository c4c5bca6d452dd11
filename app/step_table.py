"""The backward pass as a table for a handout: one row per event of the graph record's backward_steps.

Columns: the step, the node that fires, the edge, the input it sends to, the contribution, the
input's gradient before and after, and whether the gradient was summed (+=) rather than set.
"""

import csv
import io
from typing import Any

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8"}
COLUMNS = ("step", "fires", "edge", "to", "contribution", "grad before", "grad after", "summed")


def short(value: Any) -> str:
    """A value as one cell: numbers to 6 significant digits, arrays by their first entries."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # an array summary
        return f"array {tuple(value['shape'])}, mean {short(value['mean'])}"
    flat = value
    while flat and isinstance(flat[0], list):
        flat = [x for row in flat for x in row]
    head = ", ".join(short(x) for x in flat[:4])
    return f"[{head}{', ...' if len(flat) > 4 else ''}]"


def rows(graph: dict[str, Any]) -> list[tuple[str, ...]]:
    """One tuple of cells per backward event."""
    names: dict[str, str] = {n["id"]: n["label"] or n["op"] or n["id"] for n in graph["nodes"]}
    out: list[tuple[str, ...]] = []
    for k, step in enumerate(graph["backward_steps"], 1):
        for ev in step["events"]:
            out.append((str(k), names[step["node"]], ev["edge"], names[ev["to"]], short(ev["contribution"]),
                        short(ev["grad_before"]), short(ev["grad_after"]), "yes" if ev["accumulated"] else "no"))
    return out


def step_table_csv(graph: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(graph))
    return out.getvalue().encode()


def step_table_markdown(graph: dict[str, Any]) -> bytes:
    """A Markdown table; `|` in labels is escaped so a cell stays a cell."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows(graph)]
    return ("\n".join(lines) + "\n").encode()
