import pytest

from app import layout, sandbox, service
from app.response_cache import ResponseCache


def test_repeated_key_is_computed_once():
    cache, calls = ResponseCache(), []
    for _ in range(3):
        assert cache.get_or_compute("k", lambda: calls.append(1) or b"body") == b"body"
    assert len(calls) == 1


def test_least_recently_used_entries_go_first_when_over_budget():
    cache = ResponseCache(max_bytes=10, max_entry_bytes=10)
    cache.get_or_compute("a", lambda: b"aaaa")
    cache.get_or_compute("b", lambda: b"bbbb")
    cache.get_or_compute("a", lambda: b"unused")  # a is now the most recent
    cache.get_or_compute("c", lambda: b"cccc")
    assert list(cache.entries) == ["a", "c"] and cache.size == 8


def test_oversized_bodies_and_errors_are_not_kept():
    cache = ResponseCache(max_bytes=100, max_entry_bytes=4)
    assert cache.get_or_compute("big", lambda: b"0123456789") == b"0123456789"
    with pytest.raises(ValueError):
        cache.get_or_compute("bad", lambda: (_ for _ in ()).throw(ValueError("no")))
    assert cache.entries == {} and cache.size == 0


def test_a_cached_graph_answer_never_leaves_the_event_loop(client, monkeypatch):
    source = "a = 2.5\nb = a * a + 1.25\n"
    first = client.post("/api/graph", json={"source": source})

    async def no_thread(*args, **kwargs):
        raise AssertionError("a cached answer went to a thread")

    monkeypatch.setattr(service, "run_in_threadpool", no_thread)
    again = client.post("/api/graph", json={"source": source})
    assert again.status_code == 200 and again.content == first.content


def test_a_new_cheap_program_whose_layout_is_cached_is_answered_without_a_thread(client, monkeypatch):
    """The worker is awaited on the event loop, and the last fields are written there (no dot to run):
    the same bytes as when a thread did part of the work."""
    def program(a):
        return f"a = {a}\nb = a * a + 0.75\nL = b * a  # answered on the loop\n"
    client.post("/api/graph", json={"source": program(1.5)})  # lays the structure out

    async def no_thread(*args, **kwargs):
        raise AssertionError("a thread was used")

    with monkeypatch.context() as patched:
        patched.setattr(service, "run_in_threadpool", no_thread)
        patched.setattr(sandbox, "run_in_threadpool", no_thread)
        on_loop = client.post("/api/graph", json={"source": program(2.5)})
    assert on_loop.status_code == 200 and on_loop.json()["layout"] is not None
    monkeypatch.setattr(service, "responses", ResponseCache())
    layout.layout_structure.cache_clear()
    again = client.post("/api/graph", json={"source": program(2.5)})  # laid out by dot, in a thread
    assert again.content == on_loop.content
