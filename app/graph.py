"""The graph record: a program evaluated, backpropagated and written down as plain JSON-ready data.

This runs inside a sandbox worker; everything it returns is plain dicts and lists, so it crosses
the process boundary cheaply and is byte-identical for the same request.
"""

from collections import Counter
from dataclasses import dataclass
from types import NoneType
from typing import Any

import numpy as np

from app.encode import encode_array, encode_scalar, to_json
from app.language import ExpressionError, Program, parse_program
from app.language.groups import Group, reverse_creation_order
from app.language.training import PROGRAM_MODES, History
from app.limits import GRADCHECK_MAX_ELEMENTS, GRADCHECK_MAX_FLOPS
from app.response_budget import FULL_DETAIL, Detail, ResponseTooLarge, choose_detail
from app.sandbox import free_after_reply
from app.shared_gradients import InPlaceAdd, shared_gradients
from engine import BackwardRecord, Tensor, backward
from engine.backward import fan_out
from engine.diagnostics import Diagnostics, all_finite, diagnose
from engine.gradcheck import SWEEP_EPSILONS, gradcheck
from engine.ops import Value
from engine.paths import Path, PathList, SearchEdges, top_paths

GRADCHECK_EPS = 1e-6
SWEEP_REPLAYS_PER_ELEMENT = 2 * len(SWEEP_EPSILONS)
SWEEP_MAX_ELEMENTS = 64  # the epsilon plot needs a few entries, not every one
OP_CALL_FLOPS = 4_000  # an op call costs ~2 us in Python, about what NumPy does in 4,000 multiply-adds


@dataclass(frozen=True)
class GraphOptions:
    mode: str = "correct"
    max_paths: int = 64
    gradcheck: bool = False
    call: int | None = None  # which backward call of a training loop to show (default: the last)


def graph_order(program: Program) -> list[Tensor]:
    """The nodes shown, in creation order (a topological order): the root's graph, every leaf and every
    top-level variable, with what they were computed from."""
    reached = {program.root, *program.variables.values(), *program.leaves}
    order = []
    for t in reversed(program.nodes):
        if t in reached:
            order.append(t)
            reached.update(t.inputs)
    return order[::-1]


def seed_for(root: Tensor, mode: str) -> np.ndarray | None:
    """ones for a non-scalar root, as in `d.backward(ones)`; a raw array, so the alias bug can bite."""
    return np.ones(root.shape) if root.shape or mode == "alias" else None


def run_backward(program: Program, nodes: list[Tensor], mode: str) -> BackwardRecord:
    """Backward in reverse creation order, so each group's nodes fire one after another. After a
    training loop, the leaves start from what they held when the shown call ran."""
    if mode == "correct" and program.record is not None:
        return program.record  # the program's own call, with every gradient still as it left them
    root = program.root
    for t in nodes:
        t.grad = None
    if program.snapshot is not None:
        program.snapshot.restore()
    record = backward(root, seed_for(root, mode), mode=mode, record=True, order=reverse_creation_order(root, nodes))
    assert record is not None
    return record


def build_graph(source: str, root: str | None = None, options: GraphOptions = GraphOptions()) -> dict[str, Any]:
    """Evaluate `source`, backpropagate in the requested mode, and describe every step as data."""
    return graph_and_sources(source, root, options)[0]


def graph_and_sources(source: str, root: str | None, options: GraphOptions) -> tuple[dict[str, Any], tuple]:
    """build_graph's record, and what it was written from (the program and its tensors, the backward record,
    the paths), for a sandbox worker to free after it has answered (app.sandbox.free_after_reply)."""
    in_program = options.mode in PROGRAM_MODES
    program = parse_program(source, root, options.mode if in_program else "correct", options.call)
    with np.errstate(all="ignore"):
        nodes = graph_order(program)
        ids = {t: f"n{i}" for i, t in enumerate(nodes)}
        correct_history = None
        if in_program:
            record = run_backward(program, nodes, "correct")
            correct_program = parse_program(source, root, "correct", options.call)
            correct_grads = matching_grads(nodes, program, correct_program)
            correct_history = correct_program.history
        else:
            record = run_backward(program, nodes, "correct")
            # kept only to compare a bug mode's gradients with, before its backward replaces them
            correct_grads = {t: t.grad for t in nodes} if options.mode != "correct" else {}
        paths = top_paths(program.root, record.seed, k=options.max_paths)
        check = gradcheck_section(program.root, record.seed, nodes, ids) if options.gradcheck else None
        if options.mode != "correct" and not in_program:
            record = run_backward(program, nodes, options.mode)
        try:
            detail = choose_detail(nodes, record, paths, compare=options.mode != "correct")
        except ResponseTooLarge as e:
            raise ExpressionError("limit", str(e)) from None
        writer = GraphWriter(program, nodes, ids, record, options.mode, detail)
        return writer.write(correct_grads, paths, check, correct_history), (writer, paths, correct_grads)


def record_json(source: str, root: str | None = None, options: GraphOptions = GraphOptions()) -> bytes:
    """build_graph's record as JSON, written where it is built: in a sandbox worker, inside the evaluation's
    time limit, so a huge answer costs the worker's time, not the server's."""
    graph, sources = graph_and_sources(source, root, options)
    free_after_reply(graph, sources)
    return to_json(graph)


def matching_grads(nodes: list[Tensor], program: Program, correct: Program) -> dict[Tensor, Value | None]:
    """The correct run's gradients for the nodes of a run with a program-level bug, matched by position:
    node for node when both runs built the same number of nodes, else leaf for leaf."""
    correct_nodes = graph_order(correct)
    run_backward(correct, correct_nodes, "correct")
    same = len(correct_nodes) == len(nodes)
    pairs = zip(nodes, correct_nodes, strict=True) if same else zip(program.leaves, correct.leaves, strict=False)
    grads: dict[Tensor, Value | None] = {t: t.grad for t in nodes}
    grads.update({t: c.grad for t, c in pairs})
    return grads


# per search (engine.paths.SearchEdges): each edge's source named, and its factor encoded
WrittenEdges = dict[SearchEdges, tuple[list[str], list[float | str | None]]]


class GraphWriter:
    """Turns one recorded backward into the response dict; ids are n0, n1, ... in topological order."""

    def __init__(self, program: Program, nodes: list[Tensor], ids: dict[Tensor, str], record: BackwardRecord,
                 mode: str, detail: Detail = FULL_DETAIL):
        self.program = program
        self.mode = mode
        self.detail = detail
        self.inline = detail.event_inline
        self.nodes = nodes
        self.ids = ids
        self.record = record
        uses = [(consumer, arg) for consumer in nodes for arg in range(len(consumer.inputs))]
        self.edge_ids: dict[tuple[Tensor, int], str] = {use: f"e{i}" for i, use in enumerate(uses)}
        self.fan_out = fan_out(nodes)
        self.received = Counter(ev.target for step in record.steps for ev in step.events)
        self.shared = shared_gradients(record)  # only under the alias bug

    def write(self, correct_grads: dict[Tensor, Value | None], paths: dict, check: dict | None,
              correct_history: History | None = None) -> dict[str, Any]:
        record, ids = self.record, self.ids
        report = diagnose(record, self.program.leaves)
        saturated = [ids[s.node] for s in report.saturated if s.saturated]
        saturated_ids, mismatched = set(saturated), set(record.shape_mismatches)
        groups = self.groups()  # before the nodes, which name the groups it numbers
        nodes = self.written_nodes(saturated_ids, mismatched)
        steps = [self.step(k, s) for k, s in enumerate(record.steps)]
        return {
            "root": ids[record.root],
            "groups": groups,
            "output": self.program.output,
            "root_label": record.root.label,
            "mode": self.mode,
            "seeded_with_ones": record.root.shape != (),
            "nodes": nodes,
            "edges": self.edges(steps),
            "forward_order": [ids[t] for t in self.nodes],
            "backward_steps": steps,
            "paths": self.paths(paths),
            "gradcheck": check,
            "diagnostics": self.diagnostics(report, saturated),
            "compare": None if self.mode == "correct" else self.compare(correct_grads, correct_history),
            "history": self.history(self.program.history),
            "call": self.program.history.total_calls if self.program.snapshot else None,
            "reduced": list(self.detail.reduced),
            # the server lays out the view: last, so it writes them (and the view) after this record's JSON
            "layout": None,
            "layout_reason": None,
        }

    def history(self, history: History) -> dict[str, Any] | None:
        """One entry per backward call of a training loop (bounded), with the first leaves' numbers."""
        if history.total_calls == 0:
            return None
        return {
            "calls": [{**entry, "values": [encode_scalar(v) for v in entry["values"]],
                       "grads": [encode_scalar(g) for g in entry["grads"]],
                       "root_value": encode_scalar(entry["root_value"]),
                       "grad_norm": encode_scalar(entry["grad_norm"]),
                       "grad_norm_clipped": encode_scalar(entry["grad_norm_clipped"])} for entry in history.calls],
            "leaves": [self.ids[t] for t in history.leaves if t in self.ids],
            "total_calls": history.total_calls,
            "left_out_calls": history.total_calls - len(history.calls),
            "left_out_leaves": max(history.total_leaves - len(history.leaves), 0),
        }

    def groups(self) -> list[dict[str, Any]]:
        """The groups holding shown nodes (and their ancestors), numbered g0, g1, ... in the order they began."""
        kept: set[Group] = set()
        for t in self.nodes:
            group = self.program.group_of.get(id(t))
            while group is not None and group not in kept:
                kept.add(group)
                group = group.parent
        listed = [g for g in self.program.groups if g in kept]
        self.group_ids = {g: f"g{i}" for i, g in enumerate(listed)}
        return [{"id": self.group_ids[g], "label": g.label, "kind": g.kind,
                 "parent": self.group_ids[g.parent] if g.parent else None, "index": g.index, "span": list(g.span)}
                for g in listed]

    def written_nodes(self, saturated: set[str], mismatched: set[Tensor]) -> list[dict[str, Any]]:
        """Every node with its flags; one loop with what it reads for each node at hand (like edges)."""
        program, ids, received, fan_out = self.program, self.ids, self.received, self.fan_out
        spans, literals, group_of = program.spans, program.literal_spans, program.group_of
        inline, shared = self.detail.node_inline, self.shared.arrays
        written = []
        for t in self.nodes:
            node_id = ids[t]
            data, grad, op = t.data, t.grad, t.op  # each read once: properties
            value, written_grad = encode_array(data, inline), encode_array(grad, inline)
            flags = []
            if received[t] >= 2:
                flags.append("sum")
            # a number written as a float is finite (encode_array spells the others as strings): a scalar node,
            # the common case, needs no other check
            if not (type(value) is float and type(written_grad) in (float, NoneType)
                    or all_finite(data) and (grad is None or all_finite(grad))):
                troubled = [a for a in (data, grad) if a is not None and not all_finite(a)]
                if any(np.isnan(a).any() for a in troubled):
                    flags.append("nan")
                if any(np.isinf(a).any() for a in troubled):
                    flags.append("inf")
            if node_id in saturated:
                flags.append("saturated")
            if t.requires_grad and grad is None:
                flags.append("unconnected")
            if t in mismatched:
                flags.append("shape_mismatch")
            span, literal, group = spans.get(id(t)), literals.get(id(t)), group_of.get(id(t))
            node = {
                "id": node_id,
                "label": t.label,
                "kind": "op" if op else ("leaf" if t.requires_grad else "const"),
                "op": op.name if op else None,
                "params": {k: list(v) if isinstance(v, tuple) else v for k, v in t.params.items()} if t.params else {},
                "shape": list(data.shape),
                "value": value,
                "grad": written_grad,
                "fan_out": fan_out[t],
                "flags": flags,
                "rule": op.rule if op else None,
                "span": list(span) if span else None,
                "group": None if group is None else self.group_ids.get(group),
                "literal": list(literal) if literal is not None else None,
            }
            if t in shared:
                node["grad_array"] = shared[t]
            written.append(node)
        return written

    def edges(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every use of a node as an input, in the order edge_ids numbered them (consumers, then arguments).
        An edge carries what the last event along it sent, as `steps` wrote it (the same array, not encoded
        a second time)."""
        sent = {event["edge"]: event for step in steps for event in step["events"]}
        ids = self.ids
        edges = []
        for (consumer, arg), edge_id in self.edge_ids.items():
            event = sent.get(edge_id)
            edges.append({
                "id": edge_id,
                "source": ids[consumer.inputs[arg]],
                "target": ids[consumer],
                "arg": arg,
                "contribution": event["contribution"] if event else None,
                "contribution_raw": event["contribution_raw"] if event else None,
            })
        return edges

    def step(self, k: int, step) -> dict[str, Any]:
        ids, edge_ids, inline, adds = self.ids, self.edge_ids, self.inline, self.shared.adds  # read per event
        events = []
        for i, ev in enumerate(step.events):
            # most events have no raw contribution (only no_unbroadcast keeps one) and about half no gradient
            # before (a node's first contribution): those are None, without a call of encode_array
            raw, before = ev.contribution_raw, ev.grad_before
            event = {
                "edge": edge_ids[(ev.source, ev.arg)],
                "to": ids[ev.target],
                "contribution": encode_array(ev.contribution, inline),
                "contribution_raw": None if raw is None else encode_array(raw, inline),
                "grad_before": None if before is None else encode_array(before, inline),
                "grad_after": encode_array(ev.grad_after, inline),
                "accumulated": ev.accumulated,
            }
            if adds and (k, i) in adds:  # only under the alias bug
                event["alias"] = self.in_place_add(adds[(k, i)])
            events.append(event)
        return {"node": ids[step.node], "grad": encode_array(step.grad, inline), "events": events}

    def in_place_add(self, add: InPlaceAdd) -> dict[str, Any]:
        return {
            "before": encode_array(add.before, self.inline),
            "contribution": encode_array(add.contribution, self.inline),
            "views": {self.ids[t]: encode_array(v, self.inline) for t, v in add.views.items() if t in self.ids},
        }

    def paths(self, paths: dict[Tensor, PathList]) -> dict[str, Any]:
        """Each shown leaf's listed paths. Paths share most of their edges, so each edge of the search is
        named and its factor encoded once (`written_edges`) and a path written by looking its edges up:
        reading every path's nodes and factors back and encoding them took 10 of a 1,078-node MLP's ~65 ms."""
        ids = self.ids
        written_edges: WrittenEdges = {}
        return {ids[leaf]: self.leaf_paths(p, written_edges) for leaf, p in paths.items() if leaf in ids}

    def leaf_paths(self, p: PathList, written_edges: WrittenEdges) -> dict[str, Any]:
        shown = p.paths[:self.detail.max_paths]
        left_out = p.left_out + len(p.paths) - len(shown)
        return {
            "count": str(p.total),
            "shown": self.written_paths(shown, written_edges) if shown else [],
            "truncated": left_out > 0,
            "left_out": str(left_out),
        }

    def written_paths(self, shown: list[Path], written_edges: WrittenEdges) -> list[dict[str, Any]]:
        """One leaf's paths (all from one search): `nodes` leaf -> root; `factors` encoded as encode_scalar
        writes them, None when an edge has none (tensors)."""
        edges = shown[0].search_edges
        if edges not in written_edges:
            written_edges[edges] = (list(map(self.ids.__getitem__, edges.sources)),
                                    [None if f is None else encode_scalar(f) for f in edges.factors])
        names, factors = written_edges[edges]
        leaf = self.ids[shown[0].leaf]
        written = []
        for path in shown:
            taken = path.edge_numbers
            local = list(map(factors.__getitem__, taken))
            written.append({
                "nodes": [leaf, *map(names.__getitem__, taken)],
                "factors": None if None in local else local,
                "value": encode_array(path.value),
            })
        return written

    def id_of(self, t: Tensor | None) -> str | None:
        return None if t is None else self.ids.get(t)

    def diagnostics(self, report: Diagnostics, saturated: list[str]) -> dict[str, Any]:
        ids = self.ids
        return {
            "first_nonfinite_forward": self.id_of(report.first_nonfinite_value),
            "first_nonfinite_backward": self.id_of(report.first_nonfinite_grad),
            "unconnected": [ids[t] for t in report.disconnected],
            "saturated": saturated,
            "grad_norms": {ids[t]: encode_scalar(n) for t, n in report.grad_norms.items() if t in ids},
            "messages": self.messages(report),
        }

    def messages(self, report: Diagnostics) -> list[str]:
        """The diagnostics in words, for the page's banner and for API users reading JSON by eye."""
        out = []
        if (t := report.first_nonfinite_value) is not None:
            out.append(f"{self.name(t)} is not finite in the forward pass ({nonfinite_words(t.data)}); "
                       "everything computed from it is suspect")
        if (t := report.first_nonfinite_grad) is not None:
            words = nonfinite_words(self.record.grads[t])
            out.append(f"the gradient first becomes non-finite at {self.name(t)} ({words})")
        for s in report.saturated:
            if s.saturated:
                out.append(f"{self.name(s.node)} is saturated: its local derivative is below 1e-3, "
                           "so almost no gradient passes through it")
        for t in report.disconnected:
            out.append(f"{self.name(t)} is not connected to the root: its grad is None, not 0")
        return out

    def name(self, t: Tensor) -> str:
        what = t.label or (t.op.name if t.op else "constant")
        return f"{what} ({self.ids[t]})"

    def compare(self, correct_grads: dict[Tensor, Value | None],
                correct_history: History | None) -> dict[str, Any]:
        differs = []
        for t in self.nodes:
            good, bad = correct_grads[t], t.grad
            if good is None or bad is None:
                if (good is None) != (bad is None):
                    differs.append(self.ids[t])
            elif good.shape != bad.shape or not np.array_equal(good, bad, equal_nan=True):
                differs.append(self.ids[t])
        correct = {self.ids[t]: encode_array(correct_grads[t], self.detail.node_inline) for t in self.nodes}
        return {"correct": correct, "differs": differs,
                "history": None if correct_history is None else self.history(correct_history)}


def nonfinite_words(a: np.ndarray) -> str:
    kinds = [w for w, present in (("NaN", np.isnan(a).any()), ("inf", np.isposinf(a).any()),
                                  ("-inf", np.isneginf(a).any())) if present]
    return " and ".join(kinds) or "finite"


def forward_flops(nodes: list[Tensor]) -> int:
    """What one forward replay costs, in multiply-adds: a matmul's output times its inner size, any
    other op the larger of its output and its inputs, and every op at least what calling it costs."""
    total = 0
    for t in nodes:
        if t.op is None:
            continue
        if t.op.name == "matmul":
            work = t.data.size * t.inputs[0].shape[-1]
        else:
            work = max(t.data.size, *(x.data.size for x in t.inputs))
        total += max(work, OP_CALL_FLOPS)
    return max(total, 1)


def gradcheck_section(root: Tensor, seed: np.ndarray, nodes: list[Tensor], ids: dict[Tensor, str]) -> dict[str, Any]:
    """Finite differences for leaf entries, as many as GRADCHECK_MAX_FLOPS of forward replays allow:
    each checked entry replays the forward pass twice, each swept one twice per epsilon; half the
    budget for each."""
    flops = forward_flops(nodes)
    max_elements = max(1, min(GRADCHECK_MAX_ELEMENTS, GRADCHECK_MAX_FLOPS // (4 * flops)))
    sweep = min(SWEEP_MAX_ELEMENTS, GRADCHECK_MAX_FLOPS // (2 * SWEEP_REPLAYS_PER_ELEMENT * flops))
    result = gradcheck(root, seed, eps=GRADCHECK_EPS, max_elements=max_elements, sweep_elements=sweep)
    skipped = None
    if result.elements_checked < result.elements_total:
        skipped = (f"checked {result.elements_checked} of {result.elements_total} leaf entries "
                   f"(evenly spaced) to bound the work")
    return {
        "eps": GRADCHECK_EPS,
        "leaves": {
            ids[c.leaf]: {
                "numeric": encode_array(c.numeric),
                "analytic": encode_array(c.analytic),
                "max_rel_error": encode_scalar(c.max_rel_error),
                "passed": c.passed,
                "sweep": [{"eps": h, "max_rel_error": encode_scalar(e)} for h, e in c.sweep],
            }
            for c in result.leaves
        },
        "skipped": skipped,
    }
