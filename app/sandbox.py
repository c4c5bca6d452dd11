"""Run a function in a pre-started worker process under a hard time and memory limit.

A signal cannot interrupt a long NumPy call; killing the process that runs it can. Each worker
is started from a forkserver that has already imported NumPy, the engine and the language, so a
start costs a fork and a call costs a round trip through a pipe (about a millisecond). Idle
workers wait in a queue, so any number of threads may call `run` at once; a worker that times
out, runs out of memory or dies is replaced and the call answers an ExpressionError of kind
"limit", never hangs.
"""

import multiprocessing
import pickle
import queue
import resource
import signal
import threading
import traceback
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from app.language import ExpressionError
from app.limits import EVALUATION_MEMORY_BYTES, EVALUATION_TIMEOUT_S, SANDBOX_WORKERS

PRELOAD = ["numpy", "engine", "app.sandbox"]  # imported once in the forkserver, inherited by every worker
STOP = None  # sent instead of a call: the worker exits


class SandboxTimeout(ExpressionError):
    """The call took longer than the sandbox's timeout; its worker was killed."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__("limit", f"evaluation took longer than {timeout_s:g} s")
        self.timeout_s = timeout_s

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.timeout_s,))


def memory_words(n: int) -> str:
    """1 GiB, 512 MiB: a byte count as a person reads it."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def exit_words(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def address_space() -> int:
    """This process's virtual memory size in bytes (what RLIMIT_AS bounds)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def serve(conn: Connection, memory_bytes: int) -> None:
    """A worker's life: limit memory, then answer calls until told to stop.

    The limit is on top of what the worker already maps after start-up, so `memory_bytes` is
    what one evaluation may add. A MemoryError under it becomes a limit error here, where the
    worker knows the limit.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent decides
    # Python's parser warns about some typos (`1if`) on stderr; the user gets our error instead, and
    # a worker runs one call at a time, so filtering here is safe
    warnings.simplefilter("ignore", SyntaxWarning)
    limit = address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        message = conn.recv_bytes()
        try:
            call = pickle.loads(message)  # inside the try: a function that fails to import is an error too
            if call is STOP:
                return
            fn, args = call
            reply = ("ok", fn(*args))
        except MemoryError:
            reply = ("error", ExpressionError("limit", f"evaluation needed more than {memory_words(memory_bytes)}"))
        except Exception as e:  # every failure goes back to the caller, who raises it
            if not isinstance(e, ExpressionError):  # a bug: its traceback, for the server's log, goes along
                e.add_note(f"sandbox worker {traceback.format_exc()}")
            reply = ("error", e)
        try:
            conn.send(reply)
        except Exception as e:  # an unpicklable result or exception: say so instead
            conn.send(("error", RuntimeError(f"the sandbox could not send back the {reply[0]!r} reply: {e!r}")))


class Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context: multiprocessing.context.ForkServerContext, memory_bytes: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, memory_bytes), daemon=True, name="sandbox-worker")
        self.process.start()
        child.close()

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], timeout_s: float) -> tuple[str, Any]:
        """("ok", result) or ("error", exception); raises if the worker is too slow or dies."""
        try:
            self.conn.send((fn, args))
            if not self.conn.poll(timeout_s):
                raise SandboxTimeout(timeout_s)
            return self.conn.recv()
        except (EOFError, OSError):
            self.process.join()
            raise ExpressionError("limit", f"evaluation stopped: the worker process died "
                                           f"({exit_words(self.process.exitcode)})") from None

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        """Ask the worker to exit; kill it if it does not within a second."""
        try:
            self.conn.send(STOP)
        except OSError:
            pass  # it is already gone: join below returns at once
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class Sandbox:
    """A pool of worker processes; `run(fn, *args)` calls a picklable top-level function in one."""

    def __init__(self, workers: int = SANDBOX_WORKERS, timeout_s: float = EVALUATION_TIMEOUT_S,
                 memory_bytes: int = EVALUATION_MEMORY_BYTES) -> None:
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(PRELOAD)
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.lock = threading.Lock()
        self.closed = False
        for _ in range(workers):
            self.idle.put(Worker(self.context, memory_bytes))

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) in a worker: its result, or the exception it raised, raised here.

        Raises SandboxTimeout after `timeout_s`, or an ExpressionError of kind "limit" if the
        worker ran out of memory or died; either way the worker is replaced by a fresh one.
        """
        worker = self.take()
        try:
            status, payload = worker.call(fn, args, self.timeout_s)
        except BaseException:
            worker.kill()
            self.give_back(Worker(self.context, self.memory_bytes))
            raise
        self.give_back(worker)
        if status == "error":
            raise payload
        return payload

    def take(self) -> Worker:
        """An idle worker, waiting for one if all are busy."""
        while not self.closed:
            try:
                return self.idle.get(timeout=0.1)
            except queue.Empty:
                continue  # look at `closed` again
        raise RuntimeError("the sandbox is closed")

    def give_back(self, worker: Worker) -> None:
        with self.lock:
            if not self.closed:
                self.idle.put(worker)
                return
        worker.stop()

    def close(self) -> None:
        """Stop the idle workers now; busy ones stop when their call returns."""
        with self.lock:
            self.closed = True
            idle = []
            while not self.idle.empty():
                idle.append(self.idle.get_nowait())
        for worker in idle:
            worker.stop()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
