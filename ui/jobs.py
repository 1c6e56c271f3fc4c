"""Background jobs shared by every session of the app: extraction, alignment, rendering.

Why: a Streamlit script run is stopped whenever the user touches a widget. Work done inside it
(40 s of pose extraction) would be thrown away and started again; a job here keeps running, and
the next run (of this or another session) finds it by its key and shows its progress. Two
sessions asking for the same clip share one job. Pure threading, no Streamlit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

#: Finished jobs nobody collected are forgotten after this long, seconds.
KEEP_FINISHED_S = 600.0


@dataclass(eq=False)
class Job:
    """One piece of work and its latest progress (written by the worker, read by pages)."""

    key: Hashable
    future: Future = field(repr=False)
    fraction: float = 0.0
    message: str = "waiting to start"
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def report(self, fraction: float, message: str) -> None:
        """A progress(fraction, message) callback for the engine."""
        self.fraction, self.message = float(fraction), str(message)

    @property
    def done(self) -> bool:
        return self.future.done()

    def result(self) -> Any:
        """The job's return value; re-raises its exception."""
        return self.future.result()

    def error(self) -> BaseException | None:
        return self.future.exception() if self.future.done() else None


class Jobs:
    """A thread pool whose jobs are found again by key.

    Parameters
    ----------
    max_workers : threads; 2 lets the teacher and the student clip be extracted at once
    """

    def __init__(self, max_workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="dance-job")
        self._jobs: dict[Hashable, Job] = {}
        self._lock = threading.Lock()

    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
        """The job under `key`: the running or finished one if there is one, else a new one.

        `fn` is called as fn(*args, progress=job.report, **kwargs). A job that failed is not
        reused: submitting its key again starts afresh (the user may have fixed the cause).
        """
        with self._lock:
            self._forget_stale()
            job = self._jobs.get(key)
            if job is not None and not (job.done and job.error() is not None):
                return job
            future: Future = Future()
            job = Job(key=key, future=future)
            self._jobs[key] = job

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                value = fn(*args, progress=job.report, **kwargs)
            except BaseException as exc:  # handed to whoever collects the job
                job.finished = time.monotonic()
                future.set_exception(exc)
            else:
                job.finished = time.monotonic()
                future.set_result(value)

        self._pool.submit(run)
        return job

    def get(self, key: Hashable) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def forget(self, key: Hashable) -> None:
        """Drop a finished job (its result has been collected)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.done:
                del self._jobs[key]

    def _forget_stale(self) -> None:
        now = time.monotonic()
        for key in [k for k, j in self._jobs.items()
                    if j.finished is not None and now - j.finished > KEEP_FINISHED_S]:
            del self._jobs[key]


def extraction_function(local: Callable[..., Any]) -> Callable[..., Any]:
    """What an extraction job runs: `local` (``store.load_or_extract``), or the same on the Dask
    cluster when ``DANCE_DASK_SCHEDULER`` is set, so a hosted app's web process stays light."""
    from engine.batch.cluster import cluster_address, load_or_extract_on_cluster

    return load_or_extract_on_cluster if cluster_address() else local
