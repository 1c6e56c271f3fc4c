"""Background jobs shared by every session of the app: extraction, alignment, rendering.

Why: a Streamlit script run is stopped whenever the user touches a widget. Work done inside it
(40 s of pose extraction) would be thrown away and started again; a job here keeps running, and
the next run (of this or another session) finds it by its key and shows its progress. Two
sessions asking for the same clip share one job.

Fair and bounded: each job belongs to an owner (a user, or a session); owners take turns for the
workers (`engine.core.fair.FairExecutor`: round-robin, a newcomer first), so one user's long
queue never holds up another's short job, and `submit(..., limit=N)` refuses an owner's job past
N queued or running ones (`JobLimitError`, a message for the page). `status_text` says where a
queued job stands ("queued: 2 jobs ahead, about 40 s"). Pure threading, no Streamlit.

The one entry point is `Jobs.submit`; another backend (a Dask cluster) can stand behind it as
long as it returns a `Job` whose `future` is a ``concurrent.futures.Future``.
"""

from __future__ import annotations

import functools
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from engine.core.errors import EngineError
from engine.core.fair import FairExecutor

#: Finished jobs nobody collected are forgotten after this long, seconds.
KEEP_FINISHED_S = 600.0
#: How many recent job durations the waiting-time estimate averages.
RECENT_JOBS = 20
#: The owner of jobs submitted without one (the local, single-user app).
NOBODY = "local"


class JobLimitError(EngineError):
    """An owner asked for more jobs at once than they may have."""


@dataclass(eq=False)
class Job:
    """One piece of work and its latest progress (written by the worker, read by pages)."""

    key: Hashable
    future: Future = field(repr=False)
    owner: Hashable = NOBODY
    fraction: float = 0.0
    message: str = "waiting to start"
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    runner: Future | None = field(default=None, repr=False)   # the pool's task that runs it

    def report(self, fraction: float, message: str) -> None:
        """A progress(fraction, message) callback for the engine."""
        self.fraction, self.message = float(fraction), str(message)

    @property
    def done(self) -> bool:
        return self.future.done()

    @property
    def queued(self) -> bool:
        return self.started is None and not self.done

    def result(self) -> Any:
        """The job's return value; re-raises its exception."""
        return self.future.result()

    def error(self) -> BaseException | None:
        return self.future.exception() if self.future.done() else None


class Jobs:
    """Workers whose jobs are found again by key, served fairly across owners.

    Parameters
    ----------
    max_workers : jobs running at once (2 lets the teacher and the student clip be extracted at once)
    """

    def __init__(self, max_workers: int = 2) -> None:
        self._pool = FairExecutor(max_workers, name="dance-job")
        self._jobs: dict[Hashable, Job] = {}
        self._lock = threading.Lock()
        self._durations: deque[float] = deque(maxlen=RECENT_JOBS)

    @property
    def max_workers(self) -> int:
        return self._pool.max_workers

    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any, owner: Hashable = NOBODY,
               limit: int | None = None, queued_elsewhere: bool = False, **kwargs: Any) -> Job:
        """The job under `key`: the running or finished one if there is one, else a new one.

        `fn` is called as fn(*args, progress=job.report, **kwargs) (so `owner`, `limit` and
        `queued_elsewhere` are this method's, never passed on). A new job is queued for `owner`;
        with `limit`, an owner who already has that many jobs queued or running gets
        `JobLimitError` instead. A job that failed is not reused: submitting its key again starts
        afresh (the user may have fixed the cause).

        `queued_elsewhere`: `fn` only waits for work that is shared out fairly somewhere else (pose
        extraction: clips take turns segment by segment on the pose pool), so it starts at once in
        a thread of its own and takes none of the workers; it still counts towards `limit`.
        """
        with self._lock:
            self._forget_stale()
            job = self._jobs.get(key)
            if job is not None and not (job.done and job.error() is not None):
                return job
            if limit is not None:
                busy = sum(1 for j in self._jobs.values() if j.owner == owner and not j.done)
                if busy >= limit:
                    raise JobLimitError(
                        f"You already have {busy} job(s) queued or running, the most one person may have at once "
                        f"({limit}). This one starts when you ask again after one of them has finished.")
            future: Future = Future()
            job = Job(key=key, future=future, owner=owner)
            self._jobs[key] = job

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            job.started = time.monotonic()
            try:
                value = fn(*args, progress=job.report, **kwargs)
            except BaseException as exc:  # handed to whoever collects the job
                job.finished = time.monotonic()
                future.set_exception(exc)
            else:
                job.finished = time.monotonic()
                self._durations.append(job.finished - job.started)
                future.set_result(value)

        if queued_elsewhere:
            threading.Thread(target=run, name="dance-job-waiting", daemon=True).start()
        else:
            job.runner = self._pool.submit(owner, run)
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

    def ahead(self, job: Job) -> int | None:
        """Queued jobs that start before `job` (0: it is next), in the pool's own turns; None
        once it has started."""
        if not job.queued or job.runner is None:
            return None
        return self._pool.ahead(job.runner)

    def wait_estimate_s(self, job: Job) -> float | None:
        """About how long until `job` starts, seconds (None: unknown yet, or already started):
        the jobs ahead of it and those running, at the recent jobs' mean duration."""
        ahead = self.ahead(job)
        if ahead is None or not self._durations:
            return None
        mean = statistics.fmean(self._durations)
        running = self._pool.load()[0]
        rounds = (ahead + running) / self.max_workers
        return max(rounds, 1.0) * mean

    def status_text(self, job: Job) -> str:
        """What a page shows for `job`: its progress message, or where it stands in the queue."""
        ahead = self.ahead(job)
        if ahead is None:
            return job.message
        eta = self.wait_estimate_s(job)
        return (f"queued: {ahead} job{'s' if ahead != 1 else ''} ahead"
                + (f", about {eta:.0f} s until it starts" if eta is not None else ""))

    def _forget_stale(self) -> None:
        now = time.monotonic()
        for key in [k for k, j in self._jobs.items()
                    if j.finished is not None and now - j.finished > KEEP_FINISHED_S]:
            del self._jobs[key]


def extraction_function(local: Callable[..., Any], child: Any = None, *,
                        on_cluster: bool | None = None) -> Callable[..., Any]:
    """What an extraction job runs: the same as `local` (``store.load_or_extract``) on the Dask
    cluster when `on_cluster` (by default: when ``DANCE_DASK_SCHEDULER`` is set); else in `child`
    (a `ui.child_processes.ThreadedChild` whose fair pose pool every clip shares) when one is
    given; else `local` in this process. The first two keep the web process free of decoding and
    pose models."""
    from engine.batch.cluster import cluster_address, load_or_extract_on_cluster

    if on_cluster is None:
        on_cluster = cluster_address() is not None
    if on_cluster:
        return load_or_extract_on_cluster
    return local if child is None else functools.partial(child.call, local)
