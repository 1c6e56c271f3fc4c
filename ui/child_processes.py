"""Heavy job functions run in child processes, so the web server's own process stays free for pages.

Why: Streamlit serves every page from one process, whose event loop needs the GIL to answer a
page. A comparison (sync + DTW, ~0.3-1 s of NumPy) or a side-by-side render (~2-4 s of Python
drawing and encoding) in a thread of that process takes the GIL in 5-ms turns against every page
script; with 8 people getting results at once, pages went 2-5 s without an answer (BENCHMARKS.md,
issue 16). A child process has its own interpreter and GIL.

    children = ChildProcesses(max_workers=4)
    analysis = children.call(analyze, teacher, student, progress=job.report, cache_dir=...)

`call` blocks its caller (a job thread of `ui.jobs.Jobs`, which keeps the fair turns) until the
child returns; the child's progress(fraction, message) calls come back to `progress` in this
process. `fn`, its arguments and its result travel by pickle (an Analysis of two 12-s clips:
~14 MB, ~10 ms each way). Exceptions come back as raised; a child that dies (killed, out of
memory) fails its call with `ChildProcessDied` and the pool is started afresh for the next one.
Children are started on first use ("spawn": a fresh interpreter, no copy of the server's threads)
and kept, with `PRELOAD` imported once each, at a lower priority than the server
(`CHILD_NICENESS`).

`ThreadedChild` is the other shape: one child process that runs any number of calls at once,
each in a thread of its own, for work whose sharing happens inside one process (pose extraction:
every clip's segments take turns on that process's one fair pose pool, `engine.io.extract`).

    poses = ThreadedChild(preload=("engine.io.store",))
    perf = poses.call(load_or_extract, path, progress=job.report, cache_dir=..., masks=False)

Pure multiprocessing: no Streamlit.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any

from engine.core.progress import Progress

logger = logging.getLogger("dance.app")

#: Modules a child imports when it starts, before its first call (their import time is then
#: paid once per child, in the child, not on a user's first comparison).
PRELOAD = ("engine.analysis.compare", "engine.present.render")
#: Children run at this niceness (Linux/macOS: 0 normal .. 19 lowest): on a busy machine the
#: server's own threads, which answer the pages, get the processors first.
CHILD_NICENESS = 10
#: A child sends at most one update per this many seconds while only the fraction moves (a new
#: message, and 100 %, always go at once).
PROGRESS_EVERY_S = 0.1
#: How long a finished call waits for its child's last progress updates to be passed on, seconds.
DELIVERY_WAIT_S = 5.0


class ChildProcessDied(RuntimeError):
    """The child running a call stopped without an answer (killed, or out of memory)."""


class ChildProcesses:
    """A pool of `max_workers` child processes whose calls report progress back.

    Thread-safe: any number of threads may `call` at once; past `max_workers` calls wait for a
    free child in the order they came (give the pool as many children as callers' threads, so
    nothing waits here unseen).
    """

    def __init__(self, max_workers: int, *, preload: tuple[str, ...] = PRELOAD) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.max_workers = int(max_workers)
        self._context = multiprocessing.get_context("spawn")
        self._updates = self._context.SimpleQueue()   # (call id, fraction, message) from the children
        self._preload = tuple(preload)
        self._listeners: dict[int, tuple[Progress, threading.Event]] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        threading.Thread(target=self._forward_progress, name="child-progress", daemon=True).start()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.max_workers, mp_context=self._context, initializer=_start_child,
                                   initargs=(self._updates, self._preload))

    def call(self, fn: Callable[..., Any], /, *args: Any, progress: Progress | None = None, **kwargs: Any) -> Any:
        """fn(*args, progress=..., **kwargs) in a child; its return value, or its exception raised here.

        `fn` must be importable by name (a module-level function); `progress`, if given, receives
        the child's progress calls in this process (from another thread), every one of them
        before `call` returns."""
        call_id = next(self._ids)
        delivered = threading.Event()   # set when the child's last update has been passed on
        with self._lock:
            pool = self._pool
            if progress is not None:
                self._listeners[call_id] = (progress, delivered)
        try:
            value = pool.submit(_run_in_child, call_id, fn, args, kwargs, progress is not None).result()
        except BrokenProcessPool as exc:
            with self._lock:
                if self._pool is pool:  # the first caller to see it starts a new pool
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
            name = getattr(fn, "__name__", repr(fn))
            logger.error("a child process died while running %s", name)
            raise ChildProcessDied(f"the process running {name} stopped unexpectedly (out of memory?)") from exc
        except BaseException:
            self._wait_delivered(progress, delivered)
            raise
        else:
            self._wait_delivered(progress, delivered)
            return value
        finally:
            with self._lock:
                self._listeners.pop(call_id, None)

    @staticmethod
    def _wait_delivered(progress: Progress | None, delivered: threading.Event) -> None:
        if progress is not None and not delivered.wait(DELIVERY_WAIT_S):
            logger.warning("a child's progress updates did not all arrive within %.0f s", DELIVERY_WAIT_S)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the children once their calls in progress end (`wait`: until then)."""
        with self._lock:
            self._pool.shutdown(wait=wait)

    def _forward_progress(self) -> None:
        while True:
            call_id, fraction, message = self._updates.get()
            with self._lock:
                listener = self._listeners.get(call_id)
            if listener is None:
                continue
            progress, delivered = listener
            if fraction is None:   # the call's last update
                delivered.set()
                continue
            try:
                progress(fraction, message)
            except Exception:  # a page's callback must not stop the forwarding
                logger.exception("a progress callback failed")


# --- in the child ---------------------------------------------------------------------------

_updates = None  # the child's end of ChildProcesses._updates


def _start_child(updates, preload: tuple[str, ...]) -> None:
    """A child's initializer: keep the progress queue, leave Ctrl+C to the server, step back
    (`CHILD_NICENESS`), import `preload`."""
    global _updates
    _updates = updates
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its children on exit
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)
    for name in preload:
        importlib.import_module(name)


def _run_in_child(call_id: int, fn: Callable[..., Any], args: tuple, kwargs: dict, report: bool) -> Any:
    if not report:
        return fn(*args, **kwargs)
    try:
        return fn(*args, progress=_Reporter(lambda fraction, message: _updates.put((call_id, fraction, message))),
                  **kwargs)
    finally:
        _updates.put((call_id, None, None))   # after every update of this call (one queue, in order)


class _Reporter:
    """A progress callback that passes updates on to `send(fraction, message)` (towards the
    parent): every new message, and the fraction of the same message at most once per
    PROGRESS_EVERY_S (and at 100 %). Thread-safe if `send` is."""

    def __init__(self, send: Callable[[float, str], None]) -> None:
        self.send = send
        self._last_sent = -float("inf")
        self._last_message: str | None = None

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        message = str(message)
        if message != self._last_message or now - self._last_sent >= PROGRESS_EVERY_S or fraction >= 1.0:
            self._last_sent, self._last_message = now, message
            self.send(float(fraction), message)


# --- one child, many calls at once ----------------------------------------------------------
# Messages on the pipe. Parent -> child: (call id, pickled (fn, args, kwargs, report)). Child ->
# parent: ("progress", call id, fraction, message), then ("result" | "error", call id, pickled
# value or exception). Payloads travel pickled inside the message, so one that cannot be pickled
# or unpickled fails its own call, never the pipe.


class ThreadedChild:
    """One child process that runs any number of calls at once, each in a thread of its own.

    The calls share the child's interpreter: use it for work that releases the GIL (MediaPipe,
    the video decoder) or that must share one pool inside one process. Thread-safe; the child
    starts on the first call, at `niceness`, with `preload` imported. If it dies (killed, out of
    memory), its calls in progress fail with `ChildProcessDied` and the next call starts a new one.
    """

    def __init__(self, *, preload: tuple[str, ...] = (), niceness: int = CHILD_NICENESS,
                 name: str = "dance-child") -> None:
        self._context = multiprocessing.get_context("spawn")
        self._preload, self._niceness, self._name = tuple(preload), int(niceness), name
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._child: _Child | None = None

    def call(self, fn: Callable[..., Any], /, *args: Any, progress: Progress | None = None, **kwargs: Any) -> Any:
        """fn(*args, progress=..., **kwargs) in the child; its return value, or its exception raised here.

        `fn` must be importable by name; `progress`, if given, receives the child's progress calls
        (thinned as `ChildProcesses` does) from another thread, all of them before `call` returns."""
        payload = pickle.dumps((fn, args, kwargs, progress is not None), pickle.HIGHEST_PROTOCOL)
        return self.start().call(next(self._ids), payload, progress, getattr(fn, "__name__", repr(fn)))

    def start(self) -> _Child:
        """The running child, started now if there is none (it imports `preload` meanwhile)."""
        with self._lock:
            if self._child is None or not self._child.alive:
                self._child = _Child(self._context, self._preload, self._niceness, self._name)
            return self._child

    @property
    def pid(self) -> int | None:
        """The running child's process id (None before the first call or after it died)."""
        child = self._child
        return child.process.pid if child is not None and child.alive else None

    def shutdown(self) -> None:
        """Stop the child now; calls in progress fail with `ChildProcessDied`."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.stop()


class _Call:
    """A call waiting for its answer: progress passed on as it comes, then the outcome."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.answered = threading.Event()
        self.outcome: tuple[str, Any] = ("died", None)


class _Child:
    """One started child process, the parent's end of its pipe, and the thread reading answers."""

    def __init__(self, context, preload: tuple[str, ...], niceness: int, name: str) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end, preload, niceness), name=name, daemon=True)
        self.process.start()
        child_end.close()
        self.alive = True
        self.calls: dict[int, _Call] = {}
        self.lock = threading.Lock()        # guards alive and calls
        self.send_lock = threading.Lock()   # one message on the pipe at a time
        threading.Thread(target=self._read_answers, name=f"{name}-answers", daemon=True).start()

    def call(self, call_id: int, payload: bytes, progress: Progress | None, name: str) -> Any:
        waiting = _Call(progress)
        with self.lock:
            alive = self.alive
            if alive:
                self.calls[call_id] = waiting
        if not alive:
            waiting.answered.set()
        else:
            try:
                with self.send_lock:
                    self.conn.send((call_id, payload))
            except (OSError, ValueError):   # the pipe is broken or closed: the child is gone
                self._died()
        waiting.answered.wait()
        kind, value = waiting.outcome
        if kind == "result":
            return pickle.loads(value)
        if kind == "error":
            raise pickle.loads(value)
        logger.error("the child process %s stopped while running %s", self.process.name, name)
        raise ChildProcessDied(f"the process running {name} stopped unexpectedly (out of memory?)")

    def _read_answers(self) -> None:
        try:
            while True:
                kind, call_id, *rest = self.conn.recv()
                with self.lock:
                    waiting = self.calls.get(call_id)
                if waiting is None:
                    continue
                if kind == "progress":
                    if waiting.progress is not None:
                        try:
                            waiting.progress(*rest)
                        except Exception:  # a page's callback must not stop the answers
                            logger.exception("a progress callback failed")
                    continue
                with self.lock:
                    del self.calls[call_id]
                waiting.outcome = (kind, rest[0])
                waiting.answered.set()
        except (EOFError, OSError):
            pass
        self._died()

    def _died(self) -> None:
        """Fail every call still waiting (their outcome stays "died")."""
        with self.lock:
            self.alive = False
            left, self.calls = list(self.calls.values()), {}
        for waiting in left:
            waiting.answered.set()

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=5)
        self.conn.close()


def _serve(conn: Connection, preload: tuple[str, ...], niceness: int) -> None:
    """The child's main loop: each call received runs in a new thread; the child ends when the
    parent's end of the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its children on exit
    if hasattr(os, "nice") and niceness:
        os.nice(niceness)
    for name in preload:
        importlib.import_module(name)
    send_lock = threading.Lock()

    def send(message: tuple) -> None:
        with send_lock:
            conn.send(message)

    while True:
        try:
            call_id, payload = conn.recv()
        except (EOFError, OSError):
            os._exit(0)   # the server is gone: so are its calls
        threading.Thread(target=_answer, args=(send, call_id, payload), name=f"call-{call_id}", daemon=True).start()


def _answer(send: Callable[[tuple], None], call_id: int, payload: bytes) -> None:
    """Run one call in the child and send its answer (a value or exception that cannot be
    pickled becomes a RuntimeError naming it)."""
    try:
        fn, args, kwargs, report = pickle.loads(payload)
        if report:
            kwargs = {**kwargs, "progress": _Reporter(lambda f, m: send(("progress", call_id, f, m)))}
        kind, value = "result", fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 (raised again in the parent)
        exc.add_note("raised in the child process at:\n" + "".join(traceback.format_tb(exc.__traceback__)))
        kind, value = "error", exc
    try:
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001
        kind, data = "error", pickle.dumps(RuntimeError(f"{type(value).__name__} could not be sent back: {exc}"))
    send((kind, call_id, data))
