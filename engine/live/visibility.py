"""Which landmarks of one live pose count as seen, and the body parts live practice checks."""

from __future__ import annotations

import numpy as np

from engine.core.body import Landmark as L
from engine.core.settings import CleanSettings

#: A landmark counts as seen at this visibility or above: the analysis threshold (the cleaner
#: turns less surely seen joints into gaps), so live and offline agree on what is visible.
MIN_VISIBILITY = CleanSettings().visibility_threshold

TORSO = np.array([L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP], dtype=np.intp)
LEGS = np.array([L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE], dtype=np.intp)


def seen(landmarks: np.ndarray) -> np.ndarray:
    """(33, >=4) landmarks -> (33,) bool: finite position and visibility >= MIN_VISIBILITY."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(landmarks[:, :3]).all(axis=1) & (landmarks[:, 3] >= MIN_VISIBILITY)
