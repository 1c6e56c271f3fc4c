"""Shared test fixtures: where the third-party footage lives, and skip markers for it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Tests never write to a developer's own library database: those that need one set DANCE_DB_URL
# themselves; the others get the default, library.db in their temporary cache folder.
os.environ.pop("DANCE_DB_URL", None)
# Nor to a developer's cache: whatever a test runs without naming a cache folder (the CLI, the
# pages) writes into a throwaway one. Tests that want their own still set DANCE_CACHE_DIR.
os.environ["DANCE_CACHE_DIR"] = tempfile.mkdtemp(prefix="dance-test-cache-")

REPO = Path(__file__).resolve().parents[1]
#: Real dance footage (third-party, never copied into this repo). See its SOURCES.md.
SHARED_VIDEOS = REPO.parent / "shared" / "data" / "videos"

needs_footage = pytest.mark.skipif(
    not SHARED_VIDEOS.is_dir(),
    reason=f"real footage folder {SHARED_VIDEOS} is missing (it sits beside the repo in CI)",
)


def footage(rel: str) -> Path:
    """Path of a shared clip, e.g. footage('pairs/callme404_teacher_douyin.mp4')."""
    return SHARED_VIDEOS / rel


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory) -> Path:
    """One HDF5 cache folder for the whole test session, so each real clip is extracted once."""
    return tmp_path_factory.mktemp("pose-cache")


@pytest.fixture(scope="session")
def load_clip(session_cache):
    """load_clip('pairs/x.mp4') -> the cached Performance of a shared clip (extracted at most once)."""
    from engine.io.store import load_or_extract

    def _load(rel: str):
        path = footage(rel)
        if not path.is_file():
            pytest.skip(f"shared clip {rel} is missing")
        return load_or_extract(path, cache_dir=session_cache)
    return _load


#: After the last test, how long threads and child processes a test left behind may take to end, seconds.
LEFTOVER_GRACE_S = 30.0


@pytest.fixture(scope="session", autouse=True)
def _stop_app_children():
    """After the last test, stop the child processes the pages' jobs started (`ui.job_view`'s
    `shared_children` and `shared_pose_process`)."""
    yield
    import sys

    job_view = sys.modules.get("ui.job_view")
    if job_view is not None:
        job_view.shared_children.clear()
        job_view.shared_pose_process.clear()


def pytest_unconfigure(config) -> None:
    """Never let a test's leftover keep the run from ending (CI would wait until its time limit).

    Python waits at exit for every non-daemon thread and every multiprocessing child. Whatever is
    still alive after `LEFTOVER_GRACE_S` is named on stderr; children are terminated, and if
    threads remain the process exits at once with a failing status, so the leak is seen and fixed.
    """
    import multiprocessing
    import sys
    import threading
    import time

    deadline = time.monotonic() + LEFTOVER_GRACE_S
    for child in multiprocessing.active_children():
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            sys.stderr.write(f"\ntests left a child process running: {child!r}; terminated\n")
            child.terminate()
            child.join(10)
    threads = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t for t in threads if t.is_alive()]
    if stuck:
        sys.stderr.write(f"\ntests left non-daemon threads running: {[t.name for t in stuck]}; exiting without "
                         "waiting for them\n")
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(3)
