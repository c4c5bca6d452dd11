"""Finished responses by request: the app is deterministic, so a class of 60 students opening the same
link costs one evaluation, not 60."""

import threading
from collections import OrderedDict
from collections.abc import Callable

# Per server process. A gallery response is 5-50 KB and a 500-node graph ~0.5 MB, so this holds the
# links a class shares many times over while keeping the server's memory flat under load.
MAX_CACHE_BYTES = 16 * 1024 * 1024
MAX_ENTRY_BYTES = 2 * 1024 * 1024


class ResponseCache:
    """A least-recently-used map from request key to response bytes, bounded by total size."""

    def __init__(self, max_bytes: int = MAX_CACHE_BYTES, max_entry_bytes: int = MAX_ENTRY_BYTES) -> None:
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
