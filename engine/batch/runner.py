"""Run a folder of videos through pose extraction: a local pool of worker processes or a Dask cluster.

    videos = find_videos(["clips/", "one.mp4"])
    result = run_batch(videos, cache_dir=cache, workers=2)                     # local processes
    result = run_batch(videos, cache_dir=cache, scheduler="tcp://host:8786")  # a Dask cluster

What the cache already holds is found here, in the calling process, and never sent to a worker,
so a rerun does only what is missing. Everything else is one task per video (`extract_video`);
a file that fails comes back as a failed `VideoOutcome` and never stops the batch. The caller
records the outcomes in the library (`record_outcomes`); workers only write cache files.

A Dask cluster's workers must see the videos at the same paths and share the cache folder
(`DANCE_CACHE_DIR`) with this process: the tasks carry paths, not video bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from engine.batch._task import VideoOutcome, extract_video, warm_up, warm_up_scheduler
from engine.core.errors import CacheError, EngineError, SettingsError
from engine.library import LABELS, ClipInfo, Library

#: File name endings taken for videos when a folder is walked (case-insensitive).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm")
#: The environment variable naming a Dask scheduler (DESIGN.md), e.g. tcp://10.0.0.5:8786.
ENV_SCHEDULER = "DANCE_DASK_SCHEDULER"
#: The folder that holds the `engine` package: a cluster's processes need it on PYTHONPATH.
PROJECT_DIR = Path(__file__).resolve().parents[2]
#: How long to wait for a Dask scheduler to answer, seconds.
CONNECT_TIMEOUT_S = 10.0

#: on_outcome(outcome, done, total): called in the calling process as each video finishes.
OutcomeCallback = Callable[[VideoOutcome, int, int], None]


@dataclass
class BatchResult:
    """Every video's outcome, in the order the videos were given."""

    outcomes: list[VideoOutcome] = field(default_factory=list)

    def of(self, status: str) -> list[VideoOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[VideoOutcome]:
        return self.of("failed")

    def to_json(self) -> dict:
        return {
            "extracted": [o.video for o in self.of("extracted")],
            "cached": [o.video for o in self.of("cached")],
            "failed": [{"video": o.video, "reason": o.error} for o in self.failed],
            "frames_extracted": sum(o.frames for o in self.of("extracted")),
            "video_s_extracted": round(sum(o.duration_s for o in self.of("extracted")), 3),
            "workers": sorted({o.worker for o in self.outcomes if o.worker}),
        }


def find_videos(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The videos named or found (recursively, by `VIDEO_SUFFIXES`) under `paths`, sorted, once each.

    A file named explicitly is taken whatever its ending; a path that does not exist raises
    `EngineError` (a typo should not pass as an empty batch).
    """
    found: dict[Path, None] = {}
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES and not f.name.startswith("."):
                    found.setdefault(f.resolve())
        elif p.is_file():
            found.setdefault(p.resolve())
        else:
            raise EngineError(f"{p}: no such file or folder")
    return list(found)


def _cached_outcome(video: Path, cache_dir: str) -> VideoOutcome | None:
    """The outcome of a video whose poses the cache already holds (read, not extracted), else None."""
    from engine.io.extract import sha256_file
    from engine.io.store import cache_path, fingerprint, load

    try:
        sha = sha256_file(video)
    except OSError:
        return None     # the worker reports the reason
    fp = fingerprint()
    target = cache_path(cache_dir, sha, fp)
    if not target.is_file():
        return None
    try:
        perf = load(target, sha256=sha, fingerprint=fp, masks=False, display_name=video.name)
    except CacheError:
        return None     # unreadable: re-extracted by a worker
    return VideoOutcome(video=str(video), status="cached", frames=perf.n_frames,
                        duration_s=float(perf.source.duration_s),
                        clip=ClipInfo.from_performance(perf, cache_dir=cache_dir, video=video))


def _local_worker_init(pose_workers: int) -> None:
    # N processes each running a pool of every core would oversubscribe the CPU N times over.
    os.environ.setdefault("DANCE_POSE_WORKERS", str(pose_workers))
    warm_up()


def _run_local(todo: Sequence[Path], cache_dir: str, workers: int, emit: Callable[[VideoOutcome], None]) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # spawn, not fork: a forked copy of a process with MediaPipe's and the decoder's threads can hang.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_local_worker_init,
                             initargs=(max(1, cores // workers),)) as pool:
        pending = {pool.submit(extract_video, str(v), cache_dir): v for v in todo}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                video = pending.pop(fut)
                emit(_outcome_of(fut, video))


def _outcome_of(fut, video: Path) -> VideoOutcome:
    """A finished future's outcome; a worker that died (out of memory, a crash) is a failure of its video."""
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, KilledWorker, ...: reported, never raised
        return VideoOutcome(video=str(video), status="failed",
                            error=f"the worker processing it stopped ({type(exc).__name__}: {exc})")


def connect(scheduler: str, timeout_s: float = CONNECT_TIMEOUT_S):
    """A `distributed.Client` of the Dask scheduler at `scheduler` (tcp://HOST:PORT).

    Raises `SettingsError` (a message naming the address) when it does not answer in time.
    """
    from distributed import Client

    try:
        return Client(scheduler, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SettingsError(f"no Dask scheduler answers at {scheduler} ({exc}); start one with `dask scheduler` "
                            f"and workers with `dask worker {scheduler}`, or unset {ENV_SCHEDULER}") from exc


def _check_cluster(client, scheduler: str) -> None:
    """Fail early, with what to do, when the cluster cannot run the engine's tasks (the scheduler
    unpickles task graphs too, so it needs the engine importable as much as the workers)."""
    try:
        client.run_on_scheduler(warm_up_scheduler)
    except Exception as exc:
        raise SettingsError(f"the Dask scheduler at {scheduler} cannot import this engine ({type(exc).__name__}: "
                            f"{exc}); start it with the project on its path: PYTHONPATH={PROJECT_DIR} dask scheduler") from exc
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except TimeoutError as exc:
        raise SettingsError(f"the Dask scheduler at {scheduler} has no workers; start some with "
                            f"`PYTHONPATH={PROJECT_DIR} dask worker {scheduler}` (with this DANCE_CACHE_DIR)") from exc
    try:
        client.run(warm_up)           # each worker loads the pose model once, before any video
    except Exception as exc:
        raise SettingsError(f"the Dask workers of {scheduler} cannot run the engine ({type(exc).__name__}: {exc}); "
                            f"start them with the project on their path: PYTHONPATH={PROJECT_DIR} dask worker {scheduler}") from exc


def _run_dask(todo: Sequence[Path], cache_dir: str, scheduler: str, emit: Callable[[VideoOutcome], None]) -> None:
    from distributed import as_completed

    client = connect(scheduler)
    try:
        _check_cluster(client, scheduler)
        futures = {client.submit(extract_video, str(v), cache_dir, pure=False, key=f"extract-{v.name}-{i}"): v
                   for i, v in enumerate(todo)}
        for fut in as_completed(futures, loop=client.loop):
            emit(_outcome_of(fut, futures[fut]))
    finally:
        client.close()


def run_batch(videos: Sequence[Path], *, cache_dir: str | os.PathLike[str], workers: int = 1,
              scheduler: str | None = None, on_outcome: OutcomeCallback | None = None) -> BatchResult:
    """Extract every video the cache does not hold yet; returns each video's outcome.

    Parameters
    ----------
    videos : the files (`find_videos`)
    cache_dir : the pose cache folder (shared by every worker)
    workers : local worker processes (ignored with a scheduler: the cluster has its own)
    scheduler : address of a Dask scheduler (tcp://HOST:PORT); None runs a local pool
    on_outcome : on_outcome(outcome, done, total) in this process as each video finishes
    """
    if workers < 1:
        raise SettingsError(f"--workers must be at least 1, got {workers}")
    cache_dir = str(cache_dir)
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"Cannot create the cache folder {cache_dir}: {exc}") from exc
    total = len(videos)
    by_video: dict[str, VideoOutcome] = {}

    def emit(outcome: VideoOutcome) -> None:
        by_video[outcome.video] = outcome
        if on_outcome is not None:
            on_outcome(outcome, len(by_video), total)

    todo = []
    for v in videos:
        cached = _cached_outcome(v, cache_dir)
        if cached is None:
            todo.append(v)
        else:
            emit(cached)
    if todo:
        if scheduler:
            _run_dask(todo, cache_dir, scheduler, emit)
        else:
            _run_local(todo, cache_dir, min(workers, len(todo)), emit)
    return BatchResult([by_video[str(v)] for v in videos])


def record_outcomes(library: Library, result: BatchResult, *, labels: dict[str, str] | None = None) -> int:
    """Record every clip of a batch in `library`, with `labels` (routine / dancer / style) when
    given; returns how many were recorded."""
    given = {k: v for k, v in (labels or {}).items() if k in LABELS and v is not None}
    n = 0
    for o in result.outcomes:
        if o.clip is None:
            continue
        library.record_clip(o.clip)
        if given:
            library.set_labels(o.clip.sha256, **given)
        n += 1
    return n
