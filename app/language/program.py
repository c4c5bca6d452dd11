"""parse_program: a program's text in, its evaluated engine graph out."""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from app.language.errors import ExpressionError, Span
from app.language.groups import Group, GroupTracker
from app.language.statements import Interpreter
from app.language.templates import parse
from app.language.training import History, Snapshot, StopAtCall
from app.limits import OPENING_VIEW_MAX_BOXES
from engine import BackwardRecord, Tensor


@dataclass
class Program:
    """An evaluated program.

    `variables` holds each top-level name's latest tensor, in order of first assignment; `leaves`
    every leaf (Value(...), a named number, list or constructor, const(...)) in creation order, also
    those the root does not use; `nodes` every tensor created, in creation order (a topological
    order; keeping them here keeps their ids unique while the Program lives); `spans` maps
    id(tensor) to the (line, col, end_col) of the expression that made it; `group_of` maps id(tensor)
    to the innermost group (function call or long statement) it was made in; `output` is what
    print() wrote.
    """

    root: Tensor
    root_name: str | None
    variables: dict[str, Tensor]
    leaves: list[Tensor]
    spans: dict[int, Span]
    nodes: list[Tensor]
    groups: list[Group] = field(default_factory=list)
    group_of: dict[int, Group | None] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    history: History = field(default_factory=History)
    snapshot: Snapshot | None = None  # the leaves as the shown backward call found them
    literal_spans: dict[int, Span] = field(default_factory=dict)  # id(scalar leaf) -> where its number is, if
    # written once for that leaf alone
    record: BackwardRecord | None = None  # the program's own backward call's, when it is the root's only call and
    # the program changed no .grad or .data: what backward from the snapshot would record again


def parse_program(source: str, root: str | None = None, mode: str = "correct", call: int | None = None) -> Program:
    """Parse, check and run `source`; the root is `root` if given, else the value draw_dot(v) shows,
    else the value of the last v.backward() call (or of call number `call`, where the program then
    stops), else the last value a top-level statement made. `mode` "no_zero_grad" runs the program
    with that bug: `p.grad = 0` and calls of a function named zero_grad do nothing.

    Raises ExpressionError for anything wrong with the program. NaN and inf results are not errors.
    """
    tree, lines, outline = parse(source)
    if not tree.body:
        raise ExpressionError("syntax", "the program is empty: write statements such as x = 2 and y = x * x")
    run = Interpreter(lines, micrograd=outline.micrograd, statement_groups=not outline.functions, mode=mode,
                      stop_at_call=call)
    with np.errstate(all="ignore"):
        try:
            run.run(tree.body)
        except StopAtCall:
            pass
        except RecursionError:
            raise ExpressionError("limit", "the program nests calls and expressions too deeply") from None
    if call is not None and run.history.total_calls < call:
        raise ExpressionError("request", f"the program calls backward() {run.history.total_calls} times; "
                                         f"there is no call {call}")
    drop_numbers_used_as_numbers(run)
    if not outline.functions and len(run.nodes) <= OPENING_VIEW_MAX_BOXES:
        run.groups = GroupTracker()  # a small program is shown whole: its statements need no boxes
    value: Tensor | None
    if root is not None:
        if root not in run.variables:
            raise ExpressionError("name", f"root '{root}' is not a variable of the program")
        value = run.variables[root]
    else:
        value = run.shown if run.shown is not None and call is None else run.backward_root or run.last
    if value is None:
        raise ExpressionError("type", "the program makes no value of the graph: assign one, e.g. L = a * b, "
                                      "or call L.backward()")
    root_name = root or next((name for name, t in reversed(run.variables.items()) if t is value), None)
    snapshot = run.snapshot if run.snapshot is not None and run.snapshot.root is value else None
    record = run.first_record if snapshot is not None and run.history.total_calls == 1 and not run.rewritten else None
    written = Counter(run.literal_spans.values())  # a number inside a function makes a leaf per call
    literals = {i: span for i, span in run.literal_spans.items() if written[span] == 1}
    return Program(value, root_name, run.variables, run.leaves, run.spans, run.nodes, run.groups.groups,
                   run.groups.of, run.output.result(), run.history, snapshot, literals, record)


def drop_numbers_used_as_numbers(run: Interpreter) -> None:
    """A name assigned a number and only ever read as a plain number (a loop count, an exponent) is
    not an input of the graph: forget its leaf."""
    plain = run.read_plainly
    if not plain:
        return
    consumed = {id(t) for node in run.nodes for t in node.inputs}
    dropped = {i for i in plain if i not in consumed}
    run.leaves = [t for t in run.leaves if id(t) not in dropped]
    run.nodes = [t for t in run.nodes if id(t) not in dropped]
    run.variables = {name: t for name, t in run.variables.items() if id(t) not in dropped}
    for i in dropped:
        del run.spans[i]
    if run.last is not None and id(run.last) in dropped:
        run.last = None
