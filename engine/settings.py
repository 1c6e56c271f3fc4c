"""Settings in one place: extraction, cleaning, and comparison, each a frozen dataclass."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

#: Bumped whenever the cached arrays' meaning changes; part of every fingerprint.
CACHE_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ExtractSettings:
    """What changes the extracted arrays (and so the cache key)."""

    analysis_fps: float = 30.0          # frames/s; sources above it are decimated
    model_complexity: int = 1           # MediaPipe pose: 0 lite, 1 full, 2 heavy
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    mask_size: int = 128                # person-centred mask crop side, pixels
    max_side: int = 960                 # frames are decoded with the long side at most this, pixels
    min_duration_s: float = 1.0         # shorter clips are refused

    def fingerprint(self, model: str) -> str:
        """Short hash of these settings, the model name and the schema version."""
        blob = json.dumps({**asdict(self), "model": model, "schema": CACHE_SCHEMA_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class CleanSettings:
    """Gap filling and smoothing applied after loading (not cached: cheap to redo)."""

    visibility_threshold: float = 0.5   # joints seen less surely than this become gaps
    max_gap_s: float = 0.5              # longer gaps stay NaN, seconds
    smooth_window_s: float = 0.23       # Savitzky-Golay window, seconds (7 frames at 30 fps)
    smooth_polyorder: int = 2
