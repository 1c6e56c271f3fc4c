"""FairExecutor: groups take turns; a newcomer starts within one task; results and errors arrive."""

from __future__ import annotations

import threading
from concurrent.futures import wait

import pytest

from engine.core.fair import FairExecutor


def _gated(order: list[str], gate: threading.Event, label: str) -> str:
    gate.wait(10)
    order.append(label)
    return label


def _until_running(pool: FairExecutor, n: int) -> None:
    for _ in range(1000):
        if pool.load()[0] == n:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"{n} task(s) never started")


def test_a_short_group_starts_within_one_task_of_a_long_one() -> None:
    pool = FairExecutor(1, name="t")
    order: list[str] = []
    gates = [threading.Event() for _ in range(9)]
    long = [pool.submit("long", _gated, order, gates[0], "L0")]
    _until_running(pool, 1)
    long += [pool.submit("long", _gated, order, gates[i], f"L{i}") for i in range(1, 8)]
    # "L0" is running (the worker holds it); L1..L7 queued. The short clip arrives now.
    short = pool.submit("short", _gated, order, gates[8], "S0")
    assert pool.ahead(short) == 0                      # next, ahead of the long clip's 7 queued segments
    assert pool.ahead(long[1]) == 1 and pool.ahead(long[7]) == 7
    for g in gates:
        g.set()
    wait([*long, short], timeout=10)
    assert order[:2] == ["L0", "S0"]                   # FIFO would have given L0..L7 first
    assert [f.result() for f in long] == [f"L{i}" for i in range(8)]   # each group keeps its own order
    assert pool.ahead(short) is None                   # done: no longer queued


def test_groups_alternate_round_robin() -> None:
    pool = FairExecutor(1)
    order: list[str] = []
    block = threading.Event()
    first = pool.submit("x", _gated, order, block, "blocker")
    _until_running(pool, 1)
    futures = [pool.submit(g, _gated, order, threading.Event(), f"{g}{i}")
               for g in ("a", "b") for i in range(3)]
    assert [pool.ahead(f) for f in futures] == [1, 3, 5, 0, 2, 4]   # b arrived last, so it goes first
    for f in futures:
        f.cancel()
    block.set()
    assert first.result(timeout=10) == "blocker"
    assert order == ["blocker"]                        # cancelled while queued: never ran


def test_errors_reach_the_future_and_the_worker_goes_on() -> None:
    pool = FairExecutor(2)

    def boom() -> None:
        raise RuntimeError("segment failed")

    bad = pool.submit("a", boom)
    with pytest.raises(RuntimeError, match="segment failed"):
        bad.result(timeout=10)
    assert pool.submit("a", lambda: 42).result(timeout=10) == 42
    assert pool.load() == (0, 0)


@pytest.mark.parametrize("workers", [0, -1])
def test_needs_a_worker(workers: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FairExecutor(workers)
