"""Settings in one place: extraction, cleaning, and comparison, each a frozen dataclass."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

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
    max_side: int = 640                 # frames are decoded with the long side at most this, pixels
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


#: Score components, in the order the UI shows them.
COMPONENTS: tuple[str, ...] = ("pose", "timing", "trajectory", "silhouette", "dynamics")
#: Default component weights (relative; a component that cannot be computed gives its weight
#: to the others in proportion). The overall must follow the calibrated scale (`score.SCALE`:
#: 100 = indistinguishable, 85+ = right choreography, 50 or less = an unrelated dance). Only
#: pose (limb co-movement, less clear mistakes) separates dances on real footage: unrelated
#: dances 2-50, the same choreography 79-88 (issue #12); timing is measured against the music.
#: Trajectory, silhouette and dynamics are not calibrated: they give 40-80 to unrelated dances
#: AND 39-82 to real same-dance pairs, so any weight on them pulls both towards the middle. They
#: stay computed, shown and weightable (their sliders start at 0).
DEFAULT_COMPONENT_WEIGHTS: dict[str, float] = {
    "pose": 85.0, "timing": 15.0, "trajectory": 0.0, "silhouette": 0.0, "dynamics": 0.0}

MIRROR_CHOICES = ("auto", "on", "off")
SYNC_CHOICES = ("auto", "audio", "motion", "none")
BACKENDS = ("exact", "fastdtw")


def _default_tolerances() -> dict[str, float]:
    from engine.core.body import DEFAULT_TOLERANCE_DEG
    return dict(DEFAULT_TOLERANCE_DEG)


def _default_joint_weights() -> dict[str, float]:
    from engine.core.body import DEFAULT_JOINT_WEIGHT
    return dict(DEFAULT_JOINT_WEIGHT)


# --- the sync decision ("auto"; see engine.analysis.sync.audio_lag.decide_sync) ---------------
#: Audio confidence (share of independent 4 s windows that agree on the lag, beyond chance) from
#: which the audio lag is used whatever motion says. On the shared clips unrelated audio stays
#: <= 0.07, the same music from two recordings >= 0.86, a simulated room re-recording at 0 dB SNR
#: >= 0.85 (bench/sync_experiment.py); 0.35 leaves room for worse recordings.
MIN_AUDIO_SYNC_CONFIDENCE = 0.35
#: Motion confidence (`sync.motion_offset`) from which motion is used when audio is not. Below
#: both, no offset is trusted: each clip's whole active range is aligned by DTW alone and no
#: timing score is given.
MIN_MOTION_SYNC_CONFIDENCE = 0.3
#: Audio and motion lags this close agree, seconds: a student may dance a few tenths of a second
#: behind the music, which moves the motion lag but not the audio one.
SYNC_AGREE_S = 0.4


@dataclass(frozen=True)
class AlignSettings:
    """Changing these re-runs sync and DTW (extraction stays cached)."""

    band: float = 0.2                   # Sakoe-Chiba band, fraction of the longer clip (0.02..1)
    mirror: str = "auto"                # auto | on | off
    sync: str = "auto"                  # auto | audio | motion | none
    backend: str = "exact"              # exact | fastdtw (approximate, for comparison only)

    def __post_init__(self) -> None:
        from engine.core.errors import SettingsError
        if not 0.0 < self.band <= 1.0:
            raise SettingsError(f"band must be in (0, 1] (a fraction of the clip length), got {self.band}")
        for name, value, choices in (("mirror", self.mirror, MIRROR_CHOICES), ("sync", self.sync, SYNC_CHOICES),
                                     ("backend", self.backend, BACKENDS)):
            if value not in choices:
                raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


@dataclass(frozen=True)
class ScoreSettings:
    """Changing these only rescores (no extraction, no DTW): weights and tolerances."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_COMPONENT_WEIGHTS))
    tolerance_deg: dict[str, float] = field(default_factory=_default_tolerances)   # per joint group, degrees
    joint_weights: dict[str, float] = field(default_factory=_default_joint_weights)
    timing_tolerance_s: float = 0.15    # early/late within this is on time, seconds
    max_moments: int = 8                # most important moments listed

    def __post_init__(self) -> None:
        from engine.core.errors import SettingsError
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise SettingsError(f"unknown score components {sorted(unknown)}; known: {', '.join(COMPONENTS)}")
        for table in (self.weights, self.tolerance_deg, self.joint_weights):
            bad = {k: v for k, v in table.items() if not v >= 0}
            if bad:
                raise SettingsError(f"weights and tolerances must be >= 0, got {bad}")
        if not sum(self.weights.values()) > 0:
            raise SettingsError("all score component weights are zero, so there is no overall score; "
                                f"give at least one of {', '.join(COMPONENTS)} a weight above zero")
        if not self.timing_tolerance_s >= 0:
            raise SettingsError(f"timing_tolerance_s must be >= 0 seconds, got {self.timing_tolerance_s}")
        if not (isinstance(self.max_moments, int) and self.max_moments >= 0):
            raise SettingsError(f"max_moments must be a whole number >= 0, got {self.max_moments!r}")


def load_settings(path: str | Path) -> tuple[AlignSettings, ScoreSettings]:
    """Read a TOML settings file (see settings.example.toml) over the defaults."""
    from engine.core.errors import SettingsError
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"Cannot read settings file {path}: {exc}") from exc
    align = data.get("align", {})
    score = data.get("score", {})
    try:
        base = ScoreSettings()
        score_settings = ScoreSettings(
            weights={**base.weights, **score.get("weights", {})},
            tolerance_deg={**base.tolerance_deg, **score.get("tolerance_deg", {})},
            joint_weights={**base.joint_weights, **score.get("joint_weights", {})},
            **{k: v for k, v in score.items() if k not in ("weights", "tolerance_deg", "joint_weights")})
        return AlignSettings(**align), score_settings
    except TypeError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
