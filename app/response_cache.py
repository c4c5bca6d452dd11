"""Finished responses by request: the app is deterministic, so a class of 60 students opening the same
link costs one evaluation, not 60, even when they all ask at once (the first computes, the others wait
for its answer).

Only results are kept: an exception is never cached, and neither is an answer that came out the way it
did because the machine was busy (`depends_on_load`: a view collapsed because Graphviz timed out).
"""

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar

from app.admission import Busy
from app.limits import RESPONSE_CACHE_BYTES, RESPONSE_CACHE_ENTRY_BYTES

load_marks: ContextVar[list[bool] | None] = ContextVar("load_marks", default=None)
"""The depends_on_load() calls of the answer being computed. A context variable, not a thread's: an answer
computed on the event loop hands parts of its work to threads, which run in a copy of its context (the
same list), while other requests' answers are computed on the same thread, each in a context of its own."""


def depends_on_load() -> None:
    """Say that the answer being computed depends on how busy the machine is: it is returned but not
    kept, so the same request is computed again next time."""
    marks = load_marks.get()
    if marks is not None:
        marks.append(True)


@contextmanager
def watching_load() -> Iterator[list[bool]]:
    """The depends_on_load() calls made in the block; they count for an answer computed around it too."""
    around = load_marks.get()
    marks: list[bool] = []
    token = load_marks.set(marks)
    try:
        yield marks
    finally:
        load_marks.reset(token)
        if around is not None:
            around.extend(marks)


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

    def get_or_compute(self, key: str, compute: Callable[[], bytes]) -> bytes:
        """The cached bytes for `key`, or `compute()`'s, remembered; while another caller computes the same
        key, its answer (or its exception). Errors and load-dependent answers are not cached."""
        found, mine = self.claim(key)
        if isinstance(found, bytes):
            return found
        if not mine:
            try:
                return found.result()
            except Busy:  # a refusal for the first caller's client, not necessarily this one's
                return self.get_or_compute(key, compute)
        with watching_load() as marks:
            try:
                body = compute()
            except BaseException as e:
                self.abandon(key, found, e)
                raise
        self.settle(key, found, body, keep=not marks)
        return body

    async def get_or_compute_from_loop(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        """get_or_compute for a caller on the event loop: `compute()` is awaited, and so is another caller's
        computation of the same key (in a thread or on the loop), so the loop never waits."""
        found, mine = self.claim(key)
        if isinstance(found, bytes):
            return found
        if not mine:
            try:
                return await asyncio.wrap_future(found)
            except Busy:
                return await self.get_or_compute_from_loop(key, compute)
        with watching_load() as marks:
            try:
                body = await compute()
            except BaseException as e:
                self.abandon(key, found, e)
                raise
        self.settle(key, found, body, keep=not marks)
        return body

    def claim(self, key: str) -> tuple[bytes | Future[bytes], bool]:
        """The cached bytes (a use: they become the most recent), or the future of the key's computation,
        and whether that computation is this caller's to do (no one else is doing it)."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key], False
            pending = self.computing.get(key)
            if pending is not None:
                return pending, False
            pending = self.computing[key] = Future()
            return pending, True

    def abandon(self, key: str, pending: Future[bytes], error: BaseException) -> None:
        with self.lock:
            del self.computing[key]
        pending.set_exception(error)

    def settle(self, key: str, pending: Future[bytes], body: bytes, keep: bool) -> None:
        with self.lock:
            del self.computing[key]
            if keep and len(body) <= self.max_entry_bytes and key not in self.entries:
                self.entries[key] = body
                self.size += len(body)
            while self.size > self.max_bytes:
                _, evicted = self.entries.popitem(last=False)
                self.size -= len(evicted)
        pending.set_result(body)
