"""One video of a batch, as a worker runs it: extract (or find cached) its poses, report what happened.

Runs in a worker process (a local pool's or a Dask worker's), so it takes and returns plain,
picklable values and never raises for a bad file: the failure travels back as `VideoOutcome.error`
and the batch goes on. The cache write itself is `engine.io.store`'s: a unique temporary file
renamed into place, so workers sharing one cache folder never see or leave half a file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from engine.core.errors import EngineError
from engine.core.settings import ExtractSettings
from engine.library import ClipInfo

#: What a worker reports for a file that failed with something other than an `EngineError`.
INTERNAL_PREFIX = "internal error"


@dataclass(frozen=True)
class VideoOutcome:
    """What became of one video of a batch.

    status : "extracted" (poses computed now), "cached" (already in the cache) or "failed"
    clip : the library record of the clip (None when it failed)
    frames, duration_s : analysed frames and the video's length, seconds (0 when it failed)
    wall_s : seconds the worker spent on it
    error : why it failed, in words a user can act on (None otherwise)
    worker : which process did it ("pid@host"), for the batch summary
    """

    video: str
    status: str
    clip: ClipInfo | None = None
    frames: int = 0
    duration_s: float = 0.0
    wall_s: float = 0.0
    error: str | None = None
    worker: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def _worker_name() -> str:
    return f"{os.getpid()}@{os.uname().nodename}"


def warm_up() -> str:
    """Import the pose model and its native libraries once in this worker process (a local
    pool's initializer, a Dask worker's first call), so no video pays for it; returns the model's name."""
    from engine.io.pose import model_name

    return model_name()


def warm_up_scheduler() -> str:
    """Run on the Dask scheduler: succeeds only where this module can be imported (the scheduler
    unpickles the tasks, which name `extract_video`)."""
    return __name__


def extract_video(video: str, cache_dir: str, settings: ExtractSettings = ExtractSettings()) -> VideoOutcome:
    """Extract `video`'s poses into `cache_dir` (or find them there), never raising.

    Parameters
    ----------
    video : path of the video, as this worker sees it (a shared file system for a cluster)
    cache_dir : the pose cache folder, the same one for every worker
    settings : the extraction settings (their fingerprint is part of the cache key)
    """
    from engine.io.extract import sha256_file
    from engine.io.store import cache_path, fingerprint, load_or_extract

    start = time.perf_counter()
    name = Path(video).name
    try:
        sha = sha256_file(video)
        was_cached = cache_path(cache_dir, sha, fingerprint(settings)).is_file()
        # masks=False: the summary needs landmarks only, so memory stays flat with clip length.
        perf = load_or_extract(video, cache_dir=cache_dir, settings=settings, masks=False)
    except EngineError as exc:
        return VideoOutcome(video=video, status="failed", error=str(exc), wall_s=time.perf_counter() - start,
                            worker=_worker_name())
    except FileNotFoundError as exc:
        return VideoOutcome(video=video, status="failed", error=f"{name}: no such file ({exc.strerror})",
                            wall_s=time.perf_counter() - start, worker=_worker_name())
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch; reported with its type
        return VideoOutcome(video=video, status="failed", error=f"{INTERNAL_PREFIX}: {type(exc).__name__}: {exc}",
                            wall_s=time.perf_counter() - start, worker=_worker_name())
    clip = ClipInfo.from_performance(perf, cache_dir=cache_dir, video=video)
    return VideoOutcome(video=video, status="cached" if was_cached else "extracted", clip=clip,
                        frames=perf.n_frames, duration_s=float(perf.source.duration_s),
                        wall_s=time.perf_counter() - start, worker=_worker_name())
