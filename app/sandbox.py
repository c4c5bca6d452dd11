"""Run a function in a pre-started worker process under a hard time and memory limit, fairly.

A signal cannot interrupt a long NumPy call; killing the process that runs it can. Each worker
is started from a forkserver that has already imported NumPy, the engine, the language and the
graph record, so a start costs a fork and a call costs a round trip through a pipe (about a
millisecond). Callers wait for a worker at a Gate (app/admission.py): a call estimated cheap runs in
a lane with workers of its own under a short limit, an expensive one waits its turn under a cap per
client and a deadline (503 past it); a worker that times out, runs out of memory or dies is replaced
and the call answers an ExpressionError of kind "limit", never hangs.
"""

import asyncio
import gc
import multiprocessing
import os
import pickle
import queue
import resource
import signal
import struct
import threading
import traceback
import warnings
from collections import OrderedDict
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from starlette.concurrency import run_in_threadpool

from app.admission import Gate, Lane, Ticket
from app.language import ExpressionError
from app.limits import (
    CHEAP_EVALUATION_TIMEOUT_S,
    CHEAP_LANE_WORKERS,
    CHEAP_QUEUE_WAIT_S,
    CLIENT_MAX_COST_S,
    EVALUATION_MEMORY_BYTES,
    EVALUATION_TIMEOUT_S,
    QUEUE_WAIT_S,
    SANDBOX_WORKERS,
)
from app.settings import Settings

# imported once in the forkserver, inherited by every worker (the record and the first view are built there)
PRELOAD = ["numpy", "engine", "app.sandbox", "app.graph", "app.first_view"]
STOP = None  # sent instead of a call: the worker exits
OVERRUNS_REMEMBERED = 1_024
# One core per worker: with BLAS's own threads one worker's matmul takes every core (and OpenBLAS's threads
# spin while they wait), crowding out the cheap lane's worker and the server.
BLAS_THREADS = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"]
# Workers run at a lower scheduling priority than the server: evaluations are batch work, while the
# server's event loop answers every request (and /healthz) and must get a core the moment it wakes.
# Under bench/fairness.py the loop's stalls were mostly time spent runnable, waiting for a core (its
# run-queue time in /proc), with both cores running evaluations; at niceness 10 the kernel's scheduler
# gives the core to the server as soon as it wakes, and the workers the time it leaves.
WORKER_NICENESS = 10
# A call allocates objects that mostly survive it (the program's values, the record being written), and
# collecting the youngest generation after every 700 of them, Python's default, costs ~0.13 ms a time while
# they grow: 5 collections on a 114-node graph (~0.6 of ~6.5 ms), 50 on a 1,078-node one (~8 of ~70 ms).
# After 20,000, none and one. Cycles are still collected, and garbage waiting for a collection stays a few
# megabytes, far under the memory limit.
WORKER_GC_THRESHOLD = 20_000


freed_after_reply: list[Any] = []
"""What the call being answered handed over to be freed once its reply is sent (see free_after_reply)."""


def free_after_reply(*objects: Any) -> None:
    """Keep `objects` until this worker has sent its reply, instead of freeing them as the call returns:
    dropping what a 114-node graph was written from (backward record, paths, the writer's tables, the
    program's tensors unless its interpreter's scopes still hold them) took ~0.45 ms of a ~5 ms call, which
    the caller need not wait for (a round trip ~0.2 ms shorter). Outside a worker they are kept until the
    next call hands over its own."""
    freed_after_reply[:] = objects


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
    os.nice(WORKER_NICENESS)
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])
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
        freed_after_reply.clear()


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
            raise self.died() from None

    async def call_from_loop(self, fn: Callable[..., Any], args: tuple[Any, ...], timeout_s: float) -> tuple[str, Any]:
        """`call`, awaited on the event loop: the reply is read as it arrives, so the loop never waits for
        it. The call itself is sent at once: it must be small (a cheap program's source), or the loop would
        wait for the worker to read it."""
        fd = self.conn.fileno()
        try:
            self.conn.send((fn, args))
            os.set_blocking(fd, False)
            try:
                async with asyncio.timeout(timeout_s):
                    (size,) = struct.unpack("!i", await read_from_loop(fd, 4))  # Connection.send's framing
                    if size == -1:
                        (size,) = struct.unpack("!Q", await read_from_loop(fd, 8))
                    return pickle.loads(await read_from_loop(fd, size))
            finally:
                os.set_blocking(fd, True)  # for `call`, which reads without waiting for readiness again
        except TimeoutError:
            raise SandboxTimeout(timeout_s) from None
        except (EOFError, OSError):
            raise self.died() from None

    def died(self) -> ExpressionError:
        self.process.join()
        return ExpressionError("limit", f"evaluation stopped: the worker process died "
                                        f"({exit_words(self.process.exitcode)})")

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


async def read_from_loop(fd: int, n: int) -> bytes:
    """`n` bytes from a non-blocking `fd`, awaiting each part on the event loop; EOFError if it closes first."""
    parts = []
    while n:
        try:
            part = os.read(fd, n)
        except BlockingIOError:
            await readable(fd)
            continue
        if not part:
            raise EOFError
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


async def readable(fd: int) -> None:
    """Until `fd` has something to read, or is closed."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:  # (called until the reader is removed)
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


class OverranWhileWaiting(Exception):
    """A call like this one overran the cheap lane while this one waited for it."""


def outcome(status: str, payload: Any) -> Any:
    """A worker's reply as its caller sees it: the result, or the exception raised."""
    if status == "error":
        raise payload
    return payload


class Sandbox:
    """A pool of worker processes; `run(fn, *args)` calls a picklable top-level function in one."""

    def __init__(self, workers: int = SANDBOX_WORKERS, timeout_s: float = EVALUATION_TIMEOUT_S,
                 memory_bytes: int = EVALUATION_MEMORY_BYTES, cheap_timeout_s: float = CHEAP_EVALUATION_TIMEOUT_S,
                 cheap_workers: int = CHEAP_LANE_WORKERS, client_max_cost_s: float = CLIENT_MAX_COST_S,
                 queue_wait_s: float = QUEUE_WAIT_S, cheap_queue_wait_s: float = CHEAP_QUEUE_WAIT_S) -> None:
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self.cheap = Lane("cheap", min(cheap_timeout_s, timeout_s), cheap_queue_wait_s, priority=True)
        self.expensive = Lane("expensive", timeout_s, queue_wait_s)
        self.gate = Gate("evaluations", slots=workers, reserved=cheap_workers, client_max_cost_s=client_max_cost_s)
        self.overran: OrderedDict[str, None] = OrderedDict()  # kinds of calls that overran the cheap lane
        for name in BLAS_THREADS:  # read by the forkserver when it starts, inherited by every worker
            os.environ.setdefault(name, "1")
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(PRELOAD)
        # Last in, first out: the worker that answered last answers the next call, its memory still in the CPU's
        # caches; taken in turns, each worker found what the other had left there (a call ~5-20% slower)
        self.idle: queue.LifoQueue[Worker] = queue.LifoQueue()
        self.lock = threading.Lock()
        self.closed = False
        for _ in range(workers):
            self.idle.put(Worker(self.context, memory_bytes))

    @classmethod
    def from_settings(cls, settings: Settings) -> "Sandbox":
        return cls(workers=settings.sandbox_workers, timeout_s=settings.eval_timeout_s,
                   memory_bytes=settings.eval_memory_bytes, cheap_timeout_s=settings.cheap_eval_timeout_s,
                   cheap_workers=settings.cheap_lane_workers, client_max_cost_s=settings.client_max_cost_s,
                   queue_wait_s=settings.queue_wait_s, cheap_queue_wait_s=settings.cheap_queue_wait_s)

    def run(self, fn: Callable[..., Any], *args: Any, cheap: str | None = None) -> Any:
        """fn(*args) in a worker: its result, or the exception it raised, raised here.

        `cheap`: the caller estimates the call cheap, and names what calls like it have in common (for a
        program, its shape). It runs in the cheap lane under the short limit; if it overruns that, it runs
        again in the expensive lane, where calls like it go directly from then on. Raises SandboxTimeout
        after the lane's limit, or an ExpressionError of kind "limit" if the worker ran out of memory or
        died; either way the worker is replaced by a fresh one. Raises Busy when the caller's client is
        over its cap or no worker freed in time.
        """
        if cheap is not None and cheap not in self.overran:
            try:
                return self.run_in(self.cheap, fn, args, kind=cheap)
            except SandboxTimeout:
                if not self.overrun(cheap):
                    raise
            except OverranWhileWaiting:
                pass
        return self.run_in(self.expensive, fn, args)

    async def run_from_loop(self, fn: Callable[..., Any], *args: Any, cheap: str | None = None) -> Any:
        """`run` for a caller on the event loop. A cheap call that finds a slot free at once is sent from the
        loop and its reply awaited there: no thread is woken on the way out or back, where each wake costs
        ~0.3 ms on a machine whose idle cores sleep (a third of what a 114-node graph request spends outside
        its evaluation). Any other call is run by `run` in a thread, in its turn at the gate."""
        if cheap is not None and cheap not in self.overran:
            ticket = self.gate.enter_at_once(self.cheap, self.cheap.cost_s)
            if ticket is not None:
                try:
                    return await self.call_admitted(ticket, fn, args)
                except SandboxTimeout:
                    if not self.overrun(cheap):
                        raise
        return await run_in_threadpool(self.run, fn, *args, cheap=cheap)

    def run_in(self, lane: Lane, fn: Callable[..., Any], args: tuple[Any, ...], kind: str | None = None) -> Any:
        with self.gate.admitted(lane):
            if kind is not None and kind in self.overran:
                raise OverranWhileWaiting  # (many sent at once: the first to overrun tells the others)
            worker = self.take()
            try:
                status, payload = worker.call(fn, args, lane.cost_s)
            except BaseException:
                self.replace(worker)
                raise
            self.give_back(worker)
        return outcome(status, payload)

    async def call_admitted(self, ticket: Ticket, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """run_in's call, on the event loop, for a caller the gate has let in (`ticket`)."""
        try:
            worker = self.take()
            try:
                status, payload = await worker.call_from_loop(fn, args, ticket.lane.cost_s)
            except BaseException:
                self.replace(worker)
                raise
            self.give_back(worker)
        finally:
            self.gate.leave(ticket)
        return outcome(status, payload)

    def overrun(self, kind: str) -> bool:
        """A call of this kind overran the cheap lane: whether it runs again in the other lane (whose limit
        must be longer), where calls of its kind go directly from now on."""
        if self.cheap.cost_s >= self.expensive.cost_s:
            return False
        with self.lock:
            self.overran[kind] = None
            if len(self.overran) > OVERRUNS_REMEMBERED:
                self.overran.popitem(last=False)
        return True

    def replace(self, worker: Worker) -> None:
        """Kill a worker whose call failed (it may be running still, or half way through its reply) and put a
        fresh one in its place, before the caller's slot is freed: the next caller finds it."""
        worker.kill()
        self.give_back(Worker(self.context, self.memory_bytes))

    def take(self) -> Worker:
        """An idle worker: the gate lets no more callers in than there are workers."""
        if self.closed:
            raise RuntimeError("the sandbox is closed")
        return self.idle.get_nowait()

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
