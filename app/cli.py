"""The command line: `python -m app serve` and `python -m app render SOURCE -o FILE`."""

import argparse
import csv
import io
import os
import sys
from pathlib import Path
from typing import get_args

from app.language import ExpressionError
from app.layout import LayoutUnavailable
from app.render import render
from app.sandbox import Sandbox
from app.schemas import GraphRequest, Mode
from app.service import compute_graph, to_json
from app.settings import settings

FORMATS = ("svg", "png", "dot", "json")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="uvicorn worker processes; each has its own sandbox workers and fair-share caps, so "
                            "one (the default) per machine is the supported deployment (see app/admission.py)")
    draw = commands.add_parser("render", help="draw a program's graph to a file")
    draw.add_argument("source", help="the program, e.g. 'a = 2; b = 3; L = a*b + a' (or @file to read a file)")
    draw.add_argument("-o", "--output", required=True, type=Path, help="output file: .svg, .png, .dot or .json")
    draw.add_argument("--mode", default="correct", choices=get_args(Mode))
    draw.add_argument("--root", default=None, help="variable to backpropagate from (default: the last statement)")
    draw.add_argument("--call", type=int, default=None, help="which backward() call of a training loop to draw")
    draw.add_argument("--history", type=Path, default=None,
                      help="also write the training loop's history (one row per backward call) to this .csv file")
    return parser.parse_args(argv)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    # Requests run in a thread pool; glibc gives each thread its own malloc arena and keeps freed
    # memory in them, so a burst would leave every worker permanently larger. Two arenas keep the
    # server's memory flat under load (inherited by the worker processes uvicorn starts).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    # httptools and uvloop, not h11 and asyncio's own loop: about a millisecond less on every request, a
    # quarter of a small graph request's time (bench/api.py prints the floor)
    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers,
                timeout_keep_alive=30, limit_concurrency=512, http="httptools", loop="uvloop")
    return 0


def render_file(args: argparse.Namespace) -> int:
    fmt = args.output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        print(f"error: output must end in one of {', '.join('.' + f for f in FORMATS)}", file=sys.stderr)
        return 2
    source = Path(args.source[1:]).read_text() if args.source.startswith("@") else args.source
    request = GraphRequest(source=source, root=args.root, mode=args.mode, call=args.call, layout=fmt == "json")
    sandbox = Sandbox(workers=1, timeout_s=settings.eval_timeout_s, memory_bytes=settings.eval_memory_bytes)
    try:
        graph = compute_graph(sandbox, request)
        args.output.write_bytes(to_json(graph) if fmt == "json" else render(graph, None, fmt))
        if args.history is not None:
            args.history.write_text(history_csv(graph))
    except ExpressionError as e:
        d = e.to_dict()
        where = f" at {d['line']}:{d['col']}" if d["line"] else ""
        print(f"error ({d['kind']}){where}: {d['message']}", file=sys.stderr)
        return 1
    except LayoutUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        sandbox.close()
    print(f"wrote {args.output}")
    return 0


def history_csv(graph: dict) -> str:
    """One row per backward call: the loss, the gradient norm before and after clipping, and each
    listed leaf's value and gradient (columns named by the leaf's label, else its node id)."""
    history = graph.get("history") or {"calls": [], "leaves": []}
    names = {n["id"]: n["label"] or n["id"] for n in graph["nodes"]}
    leaves = [names[i] for i in history["leaves"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["call", "line", "root_value", "grad_norm", "grad_norm_clipped",
                     *[f"{name}.data" for name in leaves], *[f"{name}.grad" for name in leaves]])
    for c in history["calls"]:
        writer.writerow([c["call"], c["line"], c["root_value"], c["grad_norm"], c["grad_norm_clipped"],
                         *c["values"], *c["grads"]])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return serve(args) if args.command == "serve" else render_file(args)
