"""engine.live.reference: a reference clip prepared for live practice."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.core.body import LIMBS
from engine.io.encode import write_mp4
from engine.live import LiveReference
from tests.factories import FPS, make_perf, static_reference


def test_reference_from_performance_decodes_display_frames(tmp_path):
    n = 20
    levels = [30 + 10 * i for i in range(n)]
    video = tmp_path / "ref.mp4"
    write_mp4(video, (np.full((96, 128, 3), v, np.uint8) for v in levels), FPS, crf=10)
    ref = LiveReference.from_performance(make_perf(n, FPS), video, display_height=48)
    assert ref.frames is not None and len(ref.frames) == n and ref.frames.size == (64, 48)
    assert ref.limbs.shape == (n, len(LIMBS), 3) and ref.duration_s == pytest.approx(n / FPS, abs=1e-5)
    img = ref.frames.frame_at(10.5 / FPS)                                 # frame 10 is showing
    assert img.shape == (48, 64, 3) and abs(float(img.mean()) - levels[10]) < 4
    assert float(ref.frames.frame_at(-1.0).mean()) == pytest.approx(levels[0], abs=4)
    assert not img.flags.writeable


def test_reference_checks_shapes(t_pose):
    ref = static_reference(t_pose, n=10)
    with pytest.raises(ValueError, match="LiveReference.limbs"):
        replace(ref, limbs=ref.limbs[:5])
