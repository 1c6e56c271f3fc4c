"""Where both pages keep their files, and the extraction settings they share (one definition).

Read from the environment on every call (each page run), so a changed ``DANCE_CACHE_DIR`` (tests,
a restarted server) is seen without re-importing this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.core.settings import ExtractSettings
from engine.io import store

EXTRACT_SETTINGS = ExtractSettings()
#: The pose cache key part both pages use (extraction jobs are shared across pages by it).
FINGERPRINT = store.fingerprint(EXTRACT_SETTINGS)


@dataclass(frozen=True)
class Folders:
    """cache: pose cache (HDF5); samples: built-in clips; uploads: per-session uploads;
    renders: side-by-side videos; live: recorded live-practice attempts."""

    cache: Path
    samples: Path
    uploads: Path
    renders: Path
    live: Path


def folders() -> Folders:
    """The folders under ``DANCE_CACHE_DIR`` (default: the engine's ./cache)."""
    cache = Path(os.environ.get("DANCE_CACHE_DIR") or store.DEFAULT_CACHE_DIR)
    return Folders(cache=cache, samples=cache / "samples", uploads=cache / "uploads", renders=cache / "renders",
                   live=cache / "live")
