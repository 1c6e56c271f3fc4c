"""Background jobs as a page sees them: the process's shared pool, progress bars, results or messages."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import streamlit as st

from engine.core.errors import EngineError
from ui.child_processes import ChildProcesses, ThreadedChild
from ui.jobs import Job, Jobs, extraction_function

logger = logging.getLogger("dance.app")

#: The app's icon (64 x 64 PNG, ours), for the browser tab.
FAVICON = Path(__file__).with_name("favicon.png")
#: How often a running job's progress is redrawn, seconds.
POLL_S = 0.25
#: Background jobs running at once (extractions wait for the pose pool; the others each use a child process).
JOB_WORKERS = 4
#: Set to 0 to run pose extraction, comparisons and renders in the server's own threads (no
#: child processes).
ENV_CHILD_PROCESSES = "DANCE_CHILD_PROCESSES"
#: What the pose process imports when it starts (MediaPipe itself comes with the first pose graph).
POSE_PRELOAD = ("engine.io.store",)


@st.cache_resource
def shared_jobs() -> Jobs:
    """The process's background jobs (thread-safe, shared by all sessions and pages)."""
    return Jobs(max_workers=JOB_WORKERS)


@st.cache_resource(on_release=lambda children: children.shutdown(wait=False))
def shared_children() -> ChildProcesses:
    """The process's child processes for heavy jobs, one per job worker (started on first use)."""
    return ChildProcesses(max_workers=JOB_WORKERS)


@st.cache_resource(on_release=lambda child: child.shutdown())
def shared_pose_process() -> ThreadedChild:
    """The process that extracts poses for every session (started on first use): one child whose
    fair pose pool (`engine.io.extract`, ``DANCE_POSE_WORKERS`` graphs) every clip shares, so a
    short clip behind a long one starts within one segment, while the server's own process keeps
    its GIL, its processors' time and its memory (no MediaPipe) for the pages."""
    return ThreadedChild(preload=POSE_PRELOAD, name="dance-poses")


def children_enabled() -> bool:
    """Whether heavy jobs run in child processes (the default; ``DANCE_CHILD_PROCESSES=0``: not)."""
    return os.environ.get(ENV_CHILD_PROCESSES, "").strip() != "0"


def in_child(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` as a job runs it in a child process (`ui.child_processes`), so its work never holds the
    GIL the server needs to answer pages; itself when ``DANCE_CHILD_PROCESSES=0``."""
    return functools.partial(shared_children().call, fn) if children_enabled() else fn


def submit_job(key: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
    """`shared_jobs().submit` for this page's user: signed in, the jobs are the user's and at most
    ``[studio] max_jobs`` at once (`ui.jobs.JobLimitError` past it); local, each browser session
    is its own owner (sessions take turns), with no limit."""
    from ui.auth import current_user, signin_configured, studio_settings

    if signin_configured():
        owner, limit = current_user().id, studio_settings().max_jobs
    else:
        owner, limit = ("session", st.session_state.setdefault("sid", uuid.uuid4().hex)), None
    return shared_jobs().submit(key, fn, *args, owner=owner, limit=limit, **kwargs)


def submit_extraction(key: Hashable, path: Path, **kwargs: Any) -> Job:
    """The job that extracts (or loads from the cache) the poses of the video at `path`:
    ``store.load_or_extract(path, masks=False, **kwargs)`` on the Dask cluster when one is set,
    else in the pose process (`shared_pose_process`), else in this process. Its Performance has
    no masks (the pages need the landmarks and the counts; comparisons read the cache again).
    Off the cluster it takes no job worker: clips take turns on the pose pool, segment by
    segment. On the cluster it does (each job holds a Dask client; the cluster's own queue is
    first-in first-out)."""
    from engine.batch.cluster import cluster_address
    from engine.io import store

    on_cluster = cluster_address() is not None        # decided once, here
    child = shared_pose_process() if not on_cluster and children_enabled() else None
    return submit_job(key, extraction_function(store.load_or_extract, child, on_cluster=on_cluster), path,
                      masks=False, queued_elsewhere=not on_cluster, **kwargs)


def wait(items: list[tuple[Job, st.delta_generator.DeltaGenerator]]) -> None:
    """Redraw each job's progress bar (or its place in the queue) until all are done (a widget
    change stops this run only)."""
    jobs = shared_jobs()
    while True:
        for job, bar in items:
            bar.progress(min(max(job.fraction, 0.0), 1.0), text=jobs.status_text(job))
        if all(job.done for job, _ in items):
            return
        time.sleep(POLL_S)


def collect(job: Job, where, what: str, names: dict[str, str] | None = None):
    """A finished job's result, or None after showing its error `where` (never a traceback).

    Engine messages name files by their path; uploads and recordings are stored under hashed
    names, so each stored file name in `names` is replaced by the name the user knows. The
    message of an EngineError is remembered in `st.session_state["failed"]` under the job's key.
    """
    exc = job.error()
    if exc is None:
        return job.result()
    if isinstance(exc, EngineError):
        message = str(exc)
        for stored, shown in (names or {}).items():
            message = message.replace(stored, shown)
        st.session_state["failed"][job.key] = message
        where.error(message, icon=":material/error:")
    else:
        logger.error("%s failed", what, exc_info=exc)
        where.error(f"Something went wrong while {what} ({type(exc).__name__}). The details are in the "
                    "server log; please try again or report it.", icon=":material/error:")
    return None


def run_job(job: Job, where, text: str, what: str, names: dict[str, str] | None = None):
    """Show `job`'s progress bar (first text `text`) until it ends, then forget the job.

    Returns its result, or None after showing its error (see `collect`). Bar and error go in
    `where` (a container), or in the page at this point when `where` is None.
    """
    with where if where is not None else contextlib.nullcontext():
        bar = st.progress(0.0, text=text)
        wait([(job, bar)])
        bar.empty()
        result = collect(job, st, what, names)
    shared_jobs().forget(job.key)
    return result


@st.cache_resource
def prepare_server_process() -> int:
    """Once per server process, on the first page's run: open the library, then move every object
    alive now (the imported modules of Streamlit, Plotly, NumPy, the engine: ~220 000) out of the
    garbage collector's sight (`gc.freeze`); how many.

    The library: opening it the first time learns the pose cache folder (`ui.library_view`), ~3 s
    on a busy 2-core machine with a few dozen clips, while every other page that records a clip
    waits for it; done here, that happens before the first upload, not when eight people's first
    clips are ready at once (BENCHMARKS.md, issue 16).

    Why: Streamlit runs a full collection after every script run (`runner.postScriptGC`). Over
    those objects it takes ~0.15 s (more on a busy machine), all of it holding the GIL the server
    needs to answer pages: with 8 people at once it was a fifth of the server's Python time
    (BENCHMARKS.md, issue 16). Frozen, they are never scanned; objects made later still are.
    MediaPipe (~56 000 more) is imported first when this process extracts poses itself
    (``DANCE_CHILD_PROCESSES=0`` and no cluster).
    """
    from engine.batch.cluster import cluster_address
    from ui.library_view import get_library
    from ui.locations import folders

    try:
        get_library(folders().cache)
    except EngineError as exc:   # the pages that need it say so
        logger.warning("the library could not be opened: %s", exc)
    if cluster_address() is None and not children_enabled():
        importlib.import_module("engine.io.pose")   # the first extraction would import it anyway
    gc.collect()    # what is garbage now is freed first, not frozen
    gc.freeze()
    return gc.get_freeze_count()


def run_page(main: Callable[[], None], *, title: str, name: str) -> None:
    """Configure the page, let in only a signed-in user when sign-in is configured (`ui.auth.gate`),
    and run `main`; an error it did not catch becomes a message, never a traceback."""
    from ui.auth import gate
    from ui.compat import fix_media_gzip, keep_upload_answers

    prepare_server_process()
    fix_media_gzip()  # until requirements.txt pins a Starlette this Streamlit supports (see ui/compat.py)
    keep_upload_answers()  # a clip dropped while a rerun starts must still upload (see ui/compat.py)
    # A favicon served by the app itself (a page's ":material/" icon would make every visitor's
    # browser fetch it from Google's font servers; see the page list in app.py).
    st.set_page_config(page_title=title, page_icon=str(FAVICON), layout="wide")
    try:
        gate()
        main()
    except EngineError as exc:  # one a section did not catch: still a message
        st.error(str(exc), icon=":material/error:")
    except Exception as exc:
        logger.exception("%s page failed", name)
        st.error(f"Something went wrong ({type(exc).__name__}). The details are in the server log; reload the "
                 "page to try again.", icon=":material/error:")
