"""Fixtures for engine tests: hand-built skeletons in MediaPipe world coordinates (see tests.factories)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests import factories


@pytest.fixture
def t_pose() -> Callable[[], np.ndarray]:
    """Factory: () -> (33, 4) float32 front-facing T-pose, world metres, visibility 0.9."""
    return factories.t_pose


@pytest.fixture
def dance_clip() -> Callable[..., np.ndarray]:
    """Factory: (n=90, fps=30.0, seed=0) -> (n, 33, 4) float32 moving skeleton, world metres."""
    return factories.dance_clip


@pytest.fixture
def rotate_y() -> Callable[[np.ndarray, float], np.ndarray]:
    """Factory: (world (..., 33, 4), degrees) -> copy turned about the vertical axis."""
    return factories.rotate_y
