"""The command line, run as a user runs it: `python -m app render SOURCE -o FILE`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "a = 2; b = 3; L = a*b + a"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".dot", b"digraph")])
def test_render_writes_a_drawing(tmp_path, suffix, magic):
    out = tmp_path / f"graph{suffix}"
    done = run_cli("render", SOURCE, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(magic)


def test_render_json_is_the_api_record(tmp_path):
    out = tmp_path / "graph.json"
    assert run_cli("render", SOURCE, "-o", str(out), "--mode", "overwrite").returncode == 0
    graph = json.loads(out.read_text())
    a = next(n for n in graph["nodes"] if n["label"] == "a")
    assert graph["mode"] == "overwrite" and a["grad"] == 3.0 and graph["compare"]["correct"][a["id"]] == 4.0
    assert graph["layout"]["nodes"]


def test_render_reports_errors_with_position(tmp_path):
    done = run_cli("render", "a = 2\nL = a * c", "-o", str(tmp_path / "g.svg"))
    assert done.returncode == 1
    assert "(name) at 2:9" in done.stderr and "'c'" in done.stderr


def test_unknown_output_format_is_refused(tmp_path):
    done = run_cli("render", SOURCE, "-o", str(tmp_path / "g.gif"))
    assert done.returncode == 2 and ".svg" in done.stderr


def test_history_csv_has_a_row_per_backward_call(tmp_path):
    from app.examples import EXAMPLES_BY_ID

    program = tmp_path / "fit.py"
    program.write_text(EXAMPLES_BY_ID["training-zero-grad"].source)
    history = tmp_path / "history.csv"
    done = run_cli("render", f"@{program}", "-o", str(tmp_path / "g.json"), "--history", str(history))
    assert done.returncode == 0, done.stderr
    rows = history.read_text().splitlines()
    assert rows[0].startswith("call,line,root_value,grad_norm,grad_norm_clipped,w.data,b.data")
    assert len(rows) == 16 and rows[1].startswith("1,") and rows[-1].startswith("15,")
    assert float(rows[-1].split(",")[2]) < float(rows[1].split(",")[2])
