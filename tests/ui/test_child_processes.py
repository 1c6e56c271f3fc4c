"""ui.child_processes: heavy job functions run in child processes and report progress back."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time

import pytest

from engine.core.errors import CompareError
from ui.child_processes import ChildProcessDied, ChildProcesses, ThreadedChild
from ui.jobs import Jobs

# --- functions the children run (module level: a child imports them by name) ----------------


def pid_and_sum(values, *, scale=1, progress=None):
    """This process's id and scale * sum(values), with a progress call per value."""
    total = 0
    for i, v in enumerate(values):
        total += v
        if progress is not None:
            progress((i + 1) / len(values), f"value {i + 1} of {len(values)}")
    return os.getpid(), scale * total


def many_updates(n, *, progress=None):
    """n progress calls with one message, then a last one with another: as a frame loop reports."""
    for i in range(n):
        progress(i / n, "tracking")
    progress(1.0, "done")


def refuse(name, *, progress=None):
    raise CompareError(f"{name}: nothing in common")


def die(*, progress=None):
    os.kill(os.getpid(), signal.SIGKILL)


def sleep_then_pid(seconds, *, progress=None):
    time.sleep(seconds)
    return os.getpid()


def meet(folder, n, *, per_thread=False, progress=None, timeout_s=60.0):
    """Leave this process's id (`per_thread`: this thread's) in `folder` and wait until `n` have:
    (pid, how many met)."""
    (folder / str(threading.get_ident() if per_thread else os.getpid())).touch()
    deadline = time.monotonic() + timeout_s
    while len(list(folder.iterdir())) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    return os.getpid(), len(list(folder.iterdir()))


def unpicklable_result(*, progress=None):
    return threading.Lock()


@pytest.fixture
def children():
    pool = ChildProcesses(max_workers=2, preload=())
    yield pool
    pool.shutdown()


def test_call_runs_in_another_process_and_returns_its_value(children):
    pid, total = children.call(pid_and_sum, [1, 2, 3, 4], scale=10)
    assert total == 100
    assert pid != os.getpid()


def test_every_new_message_of_the_child_reaches_the_callback_in_order_before_call_returns(children):
    seen = []
    children.call(pid_and_sum, [5, 6, 7], progress=lambda fraction, message: seen.append((fraction, message)))
    assert seen == [(1 / 3, "value 1 of 3"), (2 / 3, "value 2 of 3"), (1.0, "value 3 of 3")]


def test_a_fast_loops_repeated_message_is_thinned_but_the_last_update_arrives(children):
    seen = []
    children.call(many_updates, 20000, progress=lambda fraction, message: seen.append((fraction, message)))
    assert seen[0] == (0.0, "tracking") and seen[-1] == (1.0, "done")
    assert len(seen) < 200       # at most one "tracking" per 0.1 s, not 20000
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_the_childs_exception_is_raised_with_its_type_and_message(children):
    with pytest.raises(CompareError, match="clip.mp4: nothing in common"):
        children.call(refuse, "clip.mp4")
    # the child survives an exception: the next call is served
    assert children.call(pid_and_sum, [2])[1] == 2


def test_a_child_that_dies_fails_its_call_and_the_next_call_gets_a_new_child(children):
    first = children.call(sleep_then_pid, 0.0)
    with pytest.raises(ChildProcessDied, match="die stopped unexpectedly"):
        children.call(die)
    second = children.call(sleep_then_pid, 0.0)
    assert second not in (first, os.getpid())


def test_calls_from_two_threads_run_at_once_in_two_children(children, tmp_path):
    results = []
    threads = [threading.Thread(target=lambda: results.append(children.call(meet, tmp_path, 2))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pids = [pid for pid, _ in results]
    assert [met for _, met in results] == [2, 2]   # each saw the other running at the same time
    assert len(set(pids)) == 2 and os.getpid() not in pids


def test_a_job_running_in_a_child_shows_the_childs_progress_and_result(children):
    import functools

    jobs = Jobs(max_workers=1)
    job = jobs.submit("sum", functools.partial(children.call, pid_and_sum), [1, 2], scale=3)
    pid, total = job.future.result(timeout=60)
    assert (total, pid != os.getpid()) == (9, True)
    assert (job.fraction, job.message) == (1.0, "value 2 of 2")


# --- ThreadedChild: one child, many calls at once ---------------------------------------------


@pytest.fixture
def one_child():
    child = ThreadedChild(name="test-child")
    yield child
    child.shutdown()


def test_threaded_child_runs_calls_at_once_in_one_other_process(one_child, tmp_path):
    results = []
    threads = [threading.Thread(target=lambda: results.append(one_child.call(meet, tmp_path, 3, per_thread=True)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [met for _, met in results] == [3, 3, 3]   # all three were running at the same time
    assert {pid for pid, _ in results} == {one_child.pid} and one_child.pid != os.getpid()


def test_threaded_child_passes_progress_on_in_order_before_returning(one_child):
    seen = []
    pid, total = one_child.call(pid_and_sum, [5, 6, 7], scale=2, progress=lambda f, m: seen.append((f, m)))
    assert (pid, total) == (one_child.pid, 36)
    assert seen == [(1 / 3, "value 1 of 3"), (2 / 3, "value 2 of 3"), (1.0, "value 3 of 3")]
    many = []
    one_child.call(many_updates, 20000, progress=lambda f, m: many.append((f, m)))
    assert many[0] == (0.0, "tracking") and many[-1] == (1.0, "done") and len(many) < 200


def test_threaded_child_raises_the_calls_exception_and_keeps_serving(one_child):
    with pytest.raises(CompareError, match="clip.mp4: nothing in common") as raised:
        one_child.call(refuse, "clip.mp4")
    assert str(raised.value) == "clip.mp4: nothing in common"               # what a page shows
    assert ", in refuse\n" in raised.value.__notes__[0]                     # what the server log shows
    with pytest.raises(RuntimeError, match="lock could not be sent back"):
        one_child.call(unpicklable_result)
    with pytest.raises((TypeError, AttributeError, pickle.PicklingError)):
        one_child.call(pid_and_sum, [1], progress=None, scale=threading.Lock())   # never leaves this process
    assert one_child.call(pid_and_sum, [2])[1] == 2


def test_threaded_child_that_dies_fails_every_call_in_progress_and_the_next_call_starts_a_new_one(one_child):
    first = one_child.call(sleep_then_pid, 0.0)
    outcomes = []

    def slow_call():
        try:
            one_child.call(sleep_then_pid, 30.0)
        except ChildProcessDied as exc:
            outcomes.append(str(exc))
    thread = threading.Thread(target=slow_call)
    thread.start()
    time.sleep(0.5)
    with pytest.raises(ChildProcessDied, match="die stopped unexpectedly"):
        one_child.call(die)
    thread.join(timeout=10)
    assert outcomes == ["the process running sleep_then_pid stopped unexpectedly (out of memory?)"]
    second = one_child.call(sleep_then_pid, 0.0)
    assert second not in (first, os.getpid()) and second == one_child.pid



def test_a_threaded_child_started_ahead_serves_the_first_call(one_child):
    one_child.start()
    pid = one_child.pid
    assert pid not in (None, os.getpid())
    assert one_child.call(sleep_then_pid, 0.0) == pid
