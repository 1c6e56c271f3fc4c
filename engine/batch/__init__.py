"""Batch extraction: every video under some folders, on a local pool of processes or a Dask cluster.

`find_videos(paths)` -> `run_batch(videos, cache_dir=..., workers=N | scheduler="tcp://...")` ->
`record_outcomes(library, result)`. Sits beside `live` and `demo` (uses io and library).
"""

from engine.batch._task import VideoOutcome, extract_video
from engine.batch.runner import (
    ENV_SCHEDULER,
    VIDEO_SUFFIXES,
    BatchResult,
    connect,
    find_videos,
    record_outcomes,
    run_batch,
)

__all__ = [
    "ENV_SCHEDULER", "VIDEO_SUFFIXES", "BatchResult", "VideoOutcome", "connect", "extract_video", "find_videos",
    "record_outcomes", "run_batch",
]
