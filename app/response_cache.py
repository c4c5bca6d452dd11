"""Finished responses by request: the app is deterministic, so a class of 60 students opening the same
link costs one evaluation, not 60."""

import threading
from collections import OrderedDict
from collections.abc import Callable

from app.limits import RESPONSE_CACHE_BYTES, RESPONSE_CACHE_ENTRY_BYTES


class ResponseCache:
    """A least-recently-used map from request key to response bytes, bounded by total size."""

    def __init__(self, max_bytes: int = RESPONSE_CACHE_BYTES,
                 max_entry_bytes: int = RESPONSE_CACHE_ENTRY_BYTES) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get_or_compute(self, key: str, compute: Callable[[], bytes]) -> bytes:
        """The cached bytes for `key`, or `compute()`'s, remembered. Errors are not cached."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        body = compute()
        if len(body) <= self.max_entry_bytes:
            with self.lock:
                if key not in self.entries:
                    self.entries[key] = body
                    self.size += len(body)
                while self.size > self.max_bytes:
                    _, evicted = self.entries.popitem(last=False)
                    self.size -= len(evicted)
        return body
