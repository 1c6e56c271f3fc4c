"""The pose model. The only module that imports mediapipe, so swapping models touches one file.

Uses the legacy `mediapipe.solutions.pose` graph (mediapipe 0.10.21 bundles its model files,
so nothing is downloaded at run time) in video mode: the landmarks of one frame seed the
region of interest of the next, which also keeps it on one person in a crowd.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np

from engine.core.body import N_LANDMARKS

_COMPLEXITY_NAMES = {0: "lite", 1: "full", 2: "heavy"}


def model_name(model_complexity: int = 1) -> str:
    """Name of the pose model, part of the cache fingerprint. Cheap: does not import mediapipe."""
    return f"mediapipe-{version('mediapipe')}-pose-{_COMPLEXITY_NAMES[model_complexity]}"


@dataclass(frozen=True, eq=False)
class PoseFrame:
    """The model's answer for one frame; all NaN when nobody was detected.

    image : (33, 4) float32  x, y normalized to the frame, z relative depth, visibility
    world : (33, 4) float32  x, y, z metres (hip-centred, y down), visibility
    mask : (H, W) float32 or None  person probability 0..1 at the input frame's size
    """

    image: np.ndarray
    world: np.ndarray
    mask: np.ndarray | None

    @property
    def detected(self) -> bool:
        return bool(np.isfinite(self.image[0, 0]))


def _return_freed_memory() -> None:
    """Hand memory freed by a closed graph back to the OS (glibc's `malloc_trim`; a no-op elsewhere).

    A graph frees its buffers on close, but glibc keeps them in its per-thread arenas: making and
    closing 12 graphs in a row grew RSS 247 -> 443 MiB, trimmed 171 -> 189 MiB (extraction makes
    one graph per segment).
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _landmarks_array(landmarks) -> np.ndarray:
    return np.array([(p.x, p.y, p.z, p.visibility) for p in landmarks.landmark], dtype=np.float32)


class PoseEstimator:
    """BlazePose in tracking (video) mode. Not thread-safe: one instance per video stream.

    Parameters
    ----------
    model_complexity : 0, 1 or 2 (lite, full, heavy)
    segmentation : also return the person segmentation mask
    """

    def __init__(self, *, model_complexity: int = 1, segmentation: bool = True,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5) -> None:
        import mediapipe as mp  # imported here so loading a cached result never pays for it

        self.name = model_name(model_complexity)
        self._segmentation = segmentation
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=model_complexity,
            smooth_landmarks=True,
            enable_segmentation=segmentation,
            smooth_segmentation=segmentation,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def process(self, rgb: np.ndarray) -> PoseFrame:
        """Run the model on one upright RGB uint8 frame (H, W, 3)."""
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            empty = np.full((N_LANDMARKS, 4), np.nan, dtype=np.float32)
            return PoseFrame(empty, empty.copy(), None)
        mask = result.segmentation_mask if self._segmentation else None
        return PoseFrame(_landmarks_array(result.pose_landmarks),
                         _landmarks_array(result.pose_world_landmarks), mask)

    def close(self) -> None:
        self._pose.close()
        _return_freed_memory()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
