"""The command line: `python -m app serve` and `python -m app render SOURCE -o FILE`."""

import argparse
import os
import sys
from pathlib import Path

from app.language import ExpressionError
from app.layout import LayoutUnavailable
from app.render import render
from app.sandbox import Sandbox
from app.schemas import GraphRequest
from app.service import compute_graph, to_json
from app.settings import settings

FORMATS = ("svg", "png", "dot", "json")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (the app is stateless)")
    draw = commands.add_parser("render", help="draw a program's graph to a file")
    draw.add_argument("source", help="the program, e.g. 'a = 2; b = 3; L = a*b + a' (or @file to read a file)")
    draw.add_argument("-o", "--output", required=True, type=Path, help="output file: .svg, .png, .dot or .json")
    draw.add_argument("--mode", default="correct", choices=["correct", "overwrite", "no_unbroadcast", "alias"])
    draw.add_argument("--root", default=None, help="variable to backpropagate from (default: the last statement)")
    return parser.parse_args(argv)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    # Requests run in a thread pool; glibc gives each thread its own malloc arena and keeps freed
    # memory in them, so a burst would leave every worker permanently larger. Two arenas keep the
    # server's memory flat under load (inherited by the worker processes uvicorn starts).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers,
                timeout_keep_alive=30, limit_concurrency=512)
    return 0


def render_file(args: argparse.Namespace) -> int:
    fmt = args.output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        print(f"error: output must end in one of {', '.join('.' + f for f in FORMATS)}", file=sys.stderr)
        return 2
    source = Path(args.source[1:]).read_text() if args.source.startswith("@") else args.source
    request = GraphRequest(source=source, root=args.root, mode=args.mode, layout=fmt == "json")
    sandbox = Sandbox(workers=1, timeout_s=settings.eval_timeout_s, memory_bytes=settings.eval_memory_bytes)
    try:
        graph = compute_graph(sandbox, request)
        args.output.write_bytes(to_json(graph) if fmt == "json" else render(graph, None, fmt))
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return serve(args) if args.command == "serve" else render_file(args)
