"""How big a graph record's JSON will be, estimated from the graph before any of it is written, and
how much detail to drop so it fits MAX_RESPONSE_BYTES.

A small program can ask for a huge answer (a 64x64 tensor negated 240 times records 240 events of
four 4,096-number arrays: 42 MB). The estimate counts the numbers each array will be written as
(an array too big to inline becomes a summary of a few dozen) plus a fixed overhead per object.
Detail goes in this order: events and edges show big arrays as summaries, then fewer paths are
listed; if even that is too much, the request is refused.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from operator import attrgetter, is_not

from app.limits import MAX_INLINE_ELEMENTS, MAX_RESPONSE_BYTES, SUMMARY_HEAD
from engine import BackwardRecord, Tensor
from engine.ops import Value

BYTES_PER_NUMBER = 20  # "-0.1234567890123456," and the odd bracket
SUMMARY_NUMBERS = SUMMARY_HEAD + 8  # the head, min, max, mean, shape, size
OBJECT_BYTES = {"node": 300, "edge": 100, "event": 150, "step": 50, "path": 50, "path_node": 6}
SMALL_INLINE = 16
"""Past the budget, event and edge arrays larger than this are written as summaries."""


@dataclass(frozen=True)
class Detail:
    """What the writer inlines: arrays up to `event_inline` numbers in events and edges, `max_paths`
    paths per leaf, node values and gradients up to `node_inline` numbers; `reduced` says in words
    what was left out."""

    event_inline: int = MAX_INLINE_ELEMENTS
    max_paths: int | None = None
    node_inline: int = MAX_INLINE_ELEMENTS
    reduced: tuple[str, ...] = ()


FULL_DETAIL = Detail()


class ResponseTooLarge(Exception):
    """Even the reduced answer would pass MAX_RESPONSE_BYTES."""


def numbers(a: Value | None, inline: int = MAX_INLINE_ELEMENTS) -> int:
    if a is None:
        return 0
    return int(a.size) if a.size <= inline else SUMMARY_NUMBERS


def numbers_of(arrays: Iterable[Value | None], inline: int = MAX_INLINE_ELEMENTS) -> int:
    """sum(numbers(a, inline) for a in arrays), in C when no array is summarized, the common case: a
    114-node graph's estimate reads ~800 arrays, and a Python call for each took most of its time."""
    sizes = list(map(SIZE, filter(IS_NOT_NONE, arrays)))
    if not sizes or max(sizes) <= inline:
        return sum(sizes)
    return sum(size if size <= inline else SUMMARY_NUMBERS for size in sizes)


SIZE = attrgetter("size")
IS_NOT_NONE = partial(is_not, None)
EVENT_ARRAYS = {name: attrgetter(name) for name in ("contribution", "contribution_raw", "grad_before", "grad_after")}


def estimate(nodes: list[Tensor], record: BackwardRecord, paths: Mapping, detail: Detail, compare: bool) -> int:
    """Bytes of the record's JSON, to within a small factor, without writing it."""
    inline, max_paths, node_inline = detail.event_inline, detail.max_paths, detail.node_inline
    total = OBJECT_BYTES["node"] * len(nodes) + BYTES_PER_NUMBER * (
        numbers_of([t.data for t in nodes], node_inline)
        + numbers_of([t.grad for t in nodes], node_inline) * (2 if compare else 1))
    edges = sum(len(t.inputs) for t in nodes)
    events = [ev for step in record.steps for ev in step.events]
    total += OBJECT_BYTES["edge"] * edges + OBJECT_BYTES["step"] * len(record.steps)
    total += BYTES_PER_NUMBER * numbers_of([step.grad for step in record.steps], inline)
    # each event: contribution, raw contribution (only under no_unbroadcast), gradient before and after;
    # its edge repeats the contribution
    event_numbers = {name: numbers_of(map(read, events), inline) for name, read in EVENT_ARRAYS.items()}
    total += OBJECT_BYTES["event"] * len(events) + BYTES_PER_NUMBER * (
        2 * event_numbers["contribution"] + event_numbers["contribution_raw"]
        + event_numbers["grad_before"] + event_numbers["grad_after"])
    if record.mode == "alias":  # an in-place add also gives the values before it (app/shared_gradients.py)
        total += sum(2 * BYTES_PER_NUMBER * numbers(ev.grad_after, inline) for ev in events if ev.accumulated)
    total += path_bytes([path for p in paths.values() for path in p.paths[:max_paths]])
    return total


def path_bytes(shown: list) -> int:
    # a path's length is known without reading its nodes back; a factor per edge at most
    nodes = sum(path.length + 1 for path in shown)
    return (OBJECT_BYTES["path"] * len(shown) + OBJECT_BYTES["path_node"] * nodes
            + BYTES_PER_NUMBER * (nodes - len(shown) + numbers_of([path.value for path in shown])))


def choose_detail(nodes: list[Tensor], record: BackwardRecord, paths: Mapping, compare: bool) -> Detail:
    """The most detail that fits: everything, else summarized events, else fewer paths, else summarized
    values too, else refuse."""
    for detail in less_and_less_detail():
        size = estimate(nodes, record, paths, detail, compare)
        if size <= MAX_RESPONSE_BYTES:
            return detail
    raise ResponseTooLarge(f"the answer would be about {size / 1e6:.0f} MB even with every array summarized and "
                           f"no paths listed; at most {MAX_RESPONSE_BYTES // 1_000_000} MB are sent: make the "
                           "program smaller")


def less_and_less_detail() -> Iterator[Detail]:
    """choose_detail's steps, each made only when the one before did not fit (most answers fit whole)."""
    yield FULL_DETAIL
    summarized = (f"event and edge arrays over {SMALL_INLINE} numbers are summarized to keep the answer under "
                  f"{MAX_RESPONSE_BYTES // 1_000_000} MB")
    yield Detail(SMALL_INLINE, None, reduced=(summarized,))
    for k in (8, 1, 0):
        fewer = f"at most {k} path{'s' * (k != 1)} per leaf listed (their count is exact)"
        yield Detail(SMALL_INLINE, k, reduced=(summarized, fewer))
    values = f"values and gradients over {SMALL_INLINE} numbers are summarized too"
    yield Detail(SMALL_INLINE, 0, SMALL_INLINE, (summarized, fewer, values))
