"""Finished responses by request: the app is deterministic, so a class of 60 students opening the same
link costs one evaluation, not 60, even when they all ask at once (the first computes, the others wait
for its answer).

Only results are kept: an exception is never cached, and neither is an answer that came out the way it
did because the machine was busy (`depends_on_load`: a view collapsed because Graphviz timed out).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

from app.admission import Busy
from app.limits import RESPONSE_CACHE_BYTES, RESPONSE_CACHE_ENTRY_BYTES

load_marks = threading.local()


def depends_on_load() -> None:
    """Say that the answer this thread is computing depends on how busy the machine is: it is returned
    but not kept, so the same request is computed again next time."""
    load_marks.count = getattr(load_marks, "count", 0) + 1


class ResponseCache:
    """A least-recently-used map from request key to response bytes, bounded by total size."""

    def __init__(self, max_bytes: int = RESPONSE_CACHE_BYTES,
                 max_entry_bytes: int = RESPONSE_CACHE_ENTRY_BYTES) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.size = 0
        self.computing: dict[str, Future[bytes]] = {}
        self.lock = threading.Lock()

    def peek(self, key: str) -> bytes | None:
        """The cached bytes for `key`, or None (not cached, or still being computed): never waits."""
        with self.lock:
            body = self.entries.get(key)
            if body is not None:
                self.entries.move_to_end(key)
            return body

    def get_or_compute(self, key: str, compute: Callable[[], bytes]) -> bytes:
        """The cached bytes for `key`, or `compute()`'s, remembered; while another thread computes the same
        key, its answer (or its exception). Errors and load-dependent answers are not cached."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
            pending = self.computing.get(key)
            first = pending is None
            if pending is None:
                pending = self.computing[key] = Future()
        if not first:
            try:
                return pending.result()
            except Busy:  # a refusal for the first caller's client, not necessarily this one's
                return self.get_or_compute(key, compute)
        marks = getattr(load_marks, "count", 0)
        try:
            body = compute()
        except BaseException as e:
            with self.lock:
                del self.computing[key]
            pending.set_exception(e)
            raise
        keep = len(body) <= self.max_entry_bytes and getattr(load_marks, "count", 0) == marks
        with self.lock:
            del self.computing[key]
            if keep and key not in self.entries:
                self.entries[key] = body
                self.size += len(body)
            while self.size > self.max_bytes:
                _, evicted = self.entries.popitem(last=False)
                self.size -= len(evicted)
        pending.set_result(body)
        return body
