"""Background jobs shared fairly: owners take turns, a per-owner limit, and where a queued job stands."""

from __future__ import annotations

import threading
import time

import pytest

from ui.jobs import JobLimitError, Jobs


def _until(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_a_second_user_is_not_stuck_behind_the_first_users_queue() -> None:
    jobs = Jobs(max_workers=1)
    order: list[str] = []
    gate = threading.Event()

    def work(label: str, *, progress) -> str:
        progress(0.5, f"{label} halfway")
        gate.wait(10)
        order.append(label)
        return label

    first = jobs.submit("a0", work, "a0", owner="ana")
    _until(lambda: first.started is not None)
    queued = [jobs.submit(f"a{i}", work, f"a{i}", owner="ana") for i in range(1, 4)]
    ben = jobs.submit("b0", work, "b0", owner="ben")
    assert jobs.ahead(ben) == 0 and [jobs.ahead(j) for j in queued] == [1, 2, 3]
    assert jobs.status_text(ben) == "queued: 0 jobs ahead"          # no job has finished yet: no estimate
    assert jobs.status_text(queued[2]) == "queued: 3 jobs ahead"
    _until(lambda: first.message == "a0 halfway")
    assert jobs.status_text(first) == "a0 halfway"                  # running: its own progress
    gate.set()
    assert ben.future.result(timeout=10) == "b0"
    _until(lambda: all(j.done for j in queued))
    assert order == ["a0", "b0", "a1", "a2", "a3"]                  # FIFO would have put b0 last


def test_the_wait_is_estimated_from_recent_jobs() -> None:
    jobs = Jobs(max_workers=1)
    jobs.submit("quick", lambda *, progress: time.sleep(0.2), owner="ana").future.result(timeout=10)
    gate = threading.Event()
    running = jobs.submit("long", lambda *, progress: gate.wait(10), owner="ana")
    _until(lambda: running.started is not None)
    waiting = jobs.submit("next", lambda *, progress: None, owner="ben")
    estimate = jobs.wait_estimate_s(waiting)       # one running ahead of it, at ~0.2 s a job
    assert estimate is not None and 0.15 < estimate < 1.0
    assert jobs.status_text(waiting).startswith("queued: 0 jobs ahead, about 0 s until it starts")
    gate.set()
    waiting.future.result(timeout=10)
    assert jobs.wait_estimate_s(waiting) is None


def test_an_owner_over_the_limit_is_refused_with_a_message() -> None:
    jobs = Jobs(max_workers=1)
    gate = threading.Event()
    held = [jobs.submit(f"k{i}", lambda *, progress: gate.wait(10), owner="ana", limit=2) for i in range(2)]
    assert jobs.submit("k0", lambda *, progress: None, owner="ana", limit=2) is held[0]   # the same job again
    with pytest.raises(JobLimitError, match=r"2 job\(s\) queued or running.*\(2\)"):
        jobs.submit("k2", lambda *, progress: None, owner="ana", limit=2)
    other = jobs.submit("b", lambda *, progress: "ok", owner="ben", limit=2)        # others are not held up
    gate.set()
    assert other.future.result(timeout=10) == "ok"
    _until(lambda: all(j.done for j in held))
    assert jobs.submit("k2", lambda *, progress: "now", owner="ana", limit=2).future.result(timeout=10) == "now"


def test_a_job_queued_elsewhere_starts_at_once_takes_no_worker_and_counts_towards_the_limit() -> None:
    jobs = Jobs(max_workers=1)
    gate = threading.Event()
    busy = jobs.submit("render", lambda *, progress: gate.wait(10), owner="ana", limit=3)
    _until(lambda: busy.started is not None)
    waits = [jobs.submit(f"extract{i}", lambda i, *, progress: (progress(0.5, f"clip {i}: frame 5"), gate.wait(10)),
                         i, owner="ana", limit=3, queued_elsewhere=True) for i in range(2)]
    _until(lambda: all(j.started is not None for j in waits))       # the one worker is still busy
    assert [jobs.ahead(j) for j in waits] == [None, None]
    _until(lambda: [jobs.status_text(j) for j in waits] == ["clip 0: frame 5", "clip 1: frame 5"])
    with pytest.raises(JobLimitError):
        jobs.submit("extract2", lambda *, progress: None, owner="ana", limit=3, queued_elsewhere=True)
    later = jobs.submit("compare", lambda *, progress: "done", owner="ben")
    assert jobs.ahead(later) == 0                                   # the waiting ones are not ahead of it
    gate.set()
    assert later.future.result(timeout=10) == "done"
    _until(lambda: all(j.done for j in waits))
