"""Who runs next and who waits: a fair share of the sandbox workers and of the Graphviz processes.

A request's *cost* is the time limit it runs under, the time it may hold a worker. A `Gate` hands out
a fixed number of slots (workers, Graphviz processes) by three rules:

- Lanes. A request estimated cheap (`cheap_shape`: a short program whose numbers are all small, so
  no big loop or tensor) runs in a priority lane under a short limit. The priority lane goes first
  and has slots of its own (`reserved`), so a cheap request never waits behind expensive ones; one
  that overruns its short limit runs again in the other lane, and so do programs of its shape from
  then on (see `Sandbox.run`).
- A cap per client address on the cost it has waiting or running in each lane. Cost, not count: a
  class behind one NAT address still gets its small programs answered while one of them, or an
  attacker, sends programs that run to the limit.
- A deadline on waiting: a request not started within its lane's wait is answered 503 with
  Retry-After instead of queueing for half a minute.

Among the waiters of a lane, the client with the fewest requests running goes first, then the one
that came first.

The gates, the caps and what they count live in one server process's memory. That is the supported
deployment: one server process per machine (`python -m app serve`, what `make run` starts), whose
sandbox workers and Graphviz runs are its children, so its gates see all the work the machine does;
more cores are used with more sandbox workers (CHAINRULE_SANDBOX_WORKERS), not more server
processes. `serve --workers N` starts N processes, each with its own workers and caps: a client could
then hold N times its share, and the machine would run N times the workers.
"""

import math
import os
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from app.limits import (
    CHEAP_MAX_NUMBER,
    CHEAP_MAX_SOURCE_CHARS,
    CLIENT_MAX_COST_S,
    GRAPHVIZ_QUEUE_WAIT_S,
    LAYOUT_TIMEOUT_S,
    MAX_GRAPHVIZ_PROCESSES,
)

client_address: ContextVar[str | None] = ContextVar("client_address", default=None)
"""The address of the client being answered (set by app.middleware.ClientAddress); None for the server's
own calls (the command line, tests), which are not capped."""


class Busy(Exception):
    """Answered 503 with Retry-After: the client is over its cap, or no slot freed in time."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = max(1, math.ceil(retry_after_s))


@dataclass(frozen=True)
class Lane:
    name: str
    cost_s: float  # what one request in this lane may hold a slot for: its time limit
    wait_s: float  # the longest a request waits for a slot before it is answered 503
    priority: bool = False  # goes first, and may use the reserved slots


@dataclass(eq=False)
class Ticket:
    lane: Lane
    client: str | None
    cost_s: float
    arrived: int


@dataclass
class Gate:
    """`slots` things to hand out (worker processes, Graphviz runs), `reserved` of them for priority lanes."""

    what: str  # in messages: "evaluations", "Graphviz runs"
    slots: int
    reserved: int = 0
    client_max_cost_s: float = CLIENT_MAX_COST_S
    waiting: list[Ticket] = field(default_factory=list)
    running: list[Ticket] = field(default_factory=list)
    cost: defaultdict[tuple[str | None, str], float] = field(default_factory=lambda: defaultdict(float))
    arrivals: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self.reserved = max(0, min(self.reserved, self.slots - 1))  # the other lane keeps at least one slot

    @contextmanager
    def admitted(self, lane: Lane, cost_s: float | None = None) -> Iterator[None]:
        """Hold a slot for the duration of the block; raises Busy instead of waiting past `lane.wait_s`."""
        ticket = self.enter(lane, lane.cost_s if cost_s is None else cost_s)
        try:
            yield
        finally:
            self.leave(ticket)

    def enter(self, lane: Lane, cost_s: float) -> Ticket:
        with self.changed:
            ticket = self.arrive(lane, cost_s)
            deadline = time.monotonic() + lane.wait_s
            while self.next_up() is not ticket:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.turn_away(ticket)
                    raise Busy(f"the server is busy: no {self.what} slot freed within {lane.wait_s:g} s; "
                               f"try again in a moment", lane.cost_s)
                self.changed.wait(remaining)
            self.start(ticket)
            return ticket

    def enter_at_once(self, lane: Lane, cost_s: float) -> Ticket | None:
        """`enter` for a caller that must not wait (the event loop): None where `enter` would wait, and
        the caller then enters from a thread, in its turn; Busy over the client's cap, as `enter`."""
        with self.changed:
            ticket = self.arrive(lane, cost_s)
            if self.next_up() is not ticket:
                self.turn_away(ticket)
                return None
            self.start(ticket)
            return ticket

    def arrive(self, lane: Lane, cost_s: float) -> Ticket:
        """A new waiter, its cost counted; Busy if that puts its client over the cap."""
        client = client_address.get()
        held = self.cost.get((client, lane.name), 0.0)
        if client is not None and held + cost_s > self.client_max_cost_s + 1e-9:
            raise Busy(f"this address already has {held:g} s of {self.what} waiting or running (at most "
                       f"{self.client_max_cost_s:g} s at once); try again in a moment", lane.cost_s)
        self.arrivals += 1
        ticket = Ticket(lane, client, cost_s, self.arrivals)
        self.cost[(client, lane.name)] += cost_s
        self.waiting.append(ticket)
        return ticket

    def start(self, ticket: Ticket) -> None:
        self.waiting.remove(ticket)
        self.running.append(ticket)
        self.changed.notify_all()  # another waiter may fit in a slot still free

    def turn_away(self, ticket: Ticket) -> None:
        self.waiting.remove(ticket)
        self.release(ticket)

    def leave(self, ticket: Ticket) -> None:
        with self.changed:
            self.running.remove(ticket)
            self.release(ticket)

    def release(self, ticket: Ticket) -> None:
        key = (ticket.client, ticket.lane.name)
        self.cost[key] -= ticket.cost_s
        if self.cost[key] <= 1e-9:
            del self.cost[key]
        self.changed.notify_all()

    def next_up(self) -> Ticket | None:
        """The waiter to start now, if a slot is free for it: priority lanes first; the others only while
        they hold fewer than the unreserved slots; in a lane, the client running least, then the first come."""
        if len(self.running) >= self.slots:
            return None
        for priority in (True, False):
            candidates = [t for t in self.waiting if t.lane.priority == priority]
            if not candidates:
                continue
            if not priority and sum(not t.lane.priority for t in self.running) >= self.slots - self.reserved:
                return None
            running = Counter((t.client, t.lane.name) for t in self.running)
            return min(candidates, key=lambda t: (running[(t.client, t.lane.name)], t.arrived))
        return None

    def in_flight(self, client: str | None, lane: Lane) -> float:
        """Seconds of cost `client` has waiting or running in `lane`."""
        with self.changed:
            return self.cost.get((client, lane.name), 0.0)


# ---- the quick static estimate ------------------------------------------------------------------

COMMENT = re.compile(r"[ \t]*#[^\n]*")
SEED = re.compile(r"seed\s*[=(]\s*[0-9_]+")  # randn(..., seed=1234), random.seed(1337): a number, not a size
# A number: a digit not after a letter, digit, `_` or `.` (the lookbehind comes after the first digit, so re
# skips to digits in C instead of trying it at every character: 4x faster on a 100-line program)
NUMBER = re.compile(r"[0-9](?<![\w.][0-9])[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?")
POWER = re.compile(rf"({NUMBER.pattern})\s*\*\*\s*({NUMBER.pattern})")  # 10**9: small numbers, a big one


def cheap_shape(source: str) -> str | None:
    """A quick static estimate, linear in the text: when a short program's numbers are all small (seeds
    aside), so it builds no big tensor and runs no long loop, its shape (the text with every number 0,
    without comments), which `Sandbox.run` remembers if it overruns the cheap lane; else None. A program
    that fools it (`range(9 * 9 * 9 * 9 * 9)`) costs the cheap lane's short limit once per shape."""
    if len(source) > CHEAP_MAX_SOURCE_CHARS:
        return None
    text = SEED.sub("seed=0", COMMENT.sub("", source) if "#" in source else source)
    if any(number(n) >= CHEAP_MAX_NUMBER for n in NUMBER.findall(text)):
        return None
    # every base is below CHEAP_MAX_NUMBER by now: 100 ** 64 is a float
    if any(number(base) ** min(number(exponent), 64.0) >= CHEAP_MAX_NUMBER for base, exponent in POWER.findall(text)):
        return None
    return NUMBER.sub("0", text)


def number(text: str) -> float:
    return float(text.replace("_", ""))


# ---- Graphviz -----------------------------------------------------------------------------------

LAYOUTS = Lane("layout", LAYOUT_TIMEOUT_S, GRAPHVIZ_QUEUE_WAIT_S, priority=True)
DRAWINGS = Lane("drawing", 2 * LAYOUT_TIMEOUT_S, GRAPHVIZ_QUEUE_WAIT_S)

graphviz_runs = Gate("Graphviz runs", slots=min(MAX_GRAPHVIZ_PROCESSES, os.cpu_count() or 1), reserved=1)
"""Every `dot` process of the server goes through this gate (app.layout.run_dot): no more at once than
the cores, one kept for the layouts of the page's views, so drawings (PNG, SVG, GIF) never crowd them out."""
