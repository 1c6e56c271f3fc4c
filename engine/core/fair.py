"""A thread pool that serves several groups' tasks in turn instead of first-in first-out.

Why: one pool of pose graphs (or of background jobs) is shared by every clip and every session.
First-in first-out, a 3-minute clip cut into 15 segments makes a 5-second clip submitted a moment
later wait for all 15. Here each group (a clip being extracted, a user) has its own queue and a
free worker takes the next task of the group served least recently, so a newcomer's first task
starts as soon as any worker frees up: within one task's time.

    pool = FairExecutor(max_workers=2, name="pose")
    future = pool.submit("clip-a", track, start_s, stop_s)     # a concurrent.futures.Future
    pool.ahead(future)   # tasks that will start before it (0: next), None once it started
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

_Task = tuple[Future, Callable[..., Any], tuple, dict]


class FairExecutor:
    """`max_workers` daemon threads serving each group's queue in turn (round-robin).

    A group that had nothing queued goes to the front of the turn order (it has waited longest
    for service); a group that was just served goes to the back. Within a group, tasks run in the
    order submitted. Pure threading: no Streamlit, no engine imports.
    """

    def __init__(self, max_workers: int, *, name: str = "fair") -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.max_workers = int(max_workers)
        self._queues: dict[Hashable, deque[_Task]] = {}
        self._turns: deque[Hashable] = deque()     # groups with queued tasks, next to serve first
        self._cv = threading.Condition()
        self._running = 0
        for i in range(self.max_workers):
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True).start()

    def submit(self, group: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Queue fn(*args, **kwargs) for `group`; its Future (cancel() works while it is queued)."""
        future: Future = Future()
        with self._cv:
            queue = self._queues.get(group)
            if queue is None:
                queue = self._queues[group] = deque()
                self._turns.appendleft(group)
            queue.append((future, fn, args, kwargs))
            self._cv.notify()
        return future

    def _next(self) -> _Task:
        """The next task in turn (called with the lock held, when one is queued)."""
        group = self._turns.popleft()
        queue = self._queues[group]
        task = queue.popleft()
        if queue:
            self._turns.append(group)
        else:
            del self._queues[group]
        return task

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._turns:
                    self._cv.wait()
                future, fn, args, kwargs = self._next()
                self._running += 1
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as exc:  # noqa: BLE001 (handed to whoever waits on the future)
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                with self._cv:
                    self._running -= 1

    def ahead(self, future: Future) -> int | None:
        """How many queued tasks will start before `future`'s (0: it is next); None when it is
        not queued (running, done, or not from this pool)."""
        with self._cv:
            turns = list(self._turns)
            left = {g: list(q) for g, q in self._queues.items()}
        count = 0
        while turns:
            group = turns.pop(0)
            task = left[group].pop(0)
            if task[0] is future:
                return count
            count += 1
            if left[group]:
                turns.append(group)
        return None

    def load(self) -> tuple[int, int]:
        """(tasks running, tasks queued) now."""
        with self._cv:
            return self._running, sum(len(q) for q in self._queues.values())
