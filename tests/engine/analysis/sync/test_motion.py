"""engine.analysis.sync.motion: motion energy and signature, motion offset, active ranges."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.normalize import mirror_world
from engine.analysis.sync import (
    MOTION_GROUPS,
    active_range,
    motion_energy,
    motion_offset,
    motion_signature,
)
from engine.core.body import Landmark
from tests.engine.analysis.sync.signals import FPS, bursty_energy, lead_dance_tail


def test_motion_energy_of_a_known_motion(t_pose):
    """Every core joint moving 1 cm per frame along x at 30 fps -> 0.3 m/s."""
    clip = np.repeat(t_pose()[None], 10, axis=0)
    clip[..., 0] += 0.01 * np.arange(10, dtype=np.float32)[:, None]
    np.testing.assert_allclose(motion_energy(clip, FPS), 0.3, rtol=1e-4)
    per = motion_energy(clip, FPS, per_group=True)
    assert per.shape == (10, len(MOTION_GROUPS))
    np.testing.assert_allclose(per, 0.3, rtol=1e-4)


def test_motion_signature_of_a_known_motion(t_pose):
    """Both wrists rising 1 cm per frame at 30 fps -> wrist channel -0.3 (y is down)."""
    clip = np.repeat(t_pose()[None], 10, axis=0)
    clip[:, [Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST], 1] -= 0.01 * np.arange(10, dtype=np.float32)[:, None]
    sig = motion_signature(clip, FPS)
    assert sig.shape == (10, 6)
    wrists = MOTION_GROUPS.index((Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST))
    np.testing.assert_allclose(sig[:, wrists], -0.3, rtol=1e-4)
    np.testing.assert_allclose(np.delete(sig, wrists, axis=1), 0.0, atol=1e-6)


def test_motion_signature_ignores_camera_yaw_and_mirroring(dance_clip, rotate_y):
    clip = dance_clip(n=40)
    sig = motion_signature(clip, FPS)
    np.testing.assert_allclose(motion_signature(rotate_y(clip, 60.0), FPS), sig, atol=1e-4)
    np.testing.assert_allclose(motion_signature(mirror_world(clip), FPS), sig, atol=1e-4)


def test_motion_energy_gaps(dance_clip):
    clip = dance_clip(n=60)
    clip[20:23] = np.nan          # a 0.1 s dropout: interpolated
    clip[40:60] = np.nan          # nobody in view until the end: no motion
    before = clip.copy()
    e = motion_energy(clip, FPS)
    np.testing.assert_array_equal(clip, before)
    assert np.isfinite(e).all()
    assert (e[20:24] > 0).all()
    assert (e[40:] == 0).all()


@pytest.mark.parametrize("offset_s", [2.5, -1.3])
def test_motion_offset_recovers_a_known_shift(offset_s):
    rng = np.random.default_rng(7)
    base = bursty_energy(900, rng)
    k = int(round(abs(offset_s) * FPS))
    teacher, student = (base[:600], base[k:k + 600]) if offset_s > 0 else (base[k:k + 600], base[:600])
    student = student * 1.5 + rng.normal(0, 0.05, student.size)  # another dancer, bigger moves
    got, conf = motion_offset(teacher, student, FPS)
    assert got == pytest.approx(offset_s, abs=1.0 / FPS)
    assert conf > 0.5


@pytest.mark.parametrize("mirrored", [False, True])
def test_motion_offset_from_signatures(dance_clip, rotate_y, mirrored):
    """A student filmed from another angle (maybe mirrored), 1.5 s later in their file."""
    base = dance_clip(n=420, seed=6)
    teacher = base[:360]
    student = rotate_y(base[45:405], 35.0) * np.float32(1.3)  # starts 1.5 s into the dance
    if mirrored:
        student = mirror_world(student)
    got, conf = motion_offset(motion_signature(teacher, FPS), motion_signature(student, FPS), FPS)
    assert got == pytest.approx(1.5, abs=1.0 / FPS)
    # Each limb of the factory's dance is a sum of two sines: nearly periodic, so a lag one
    # period away fits almost as well and the confidence is (rightly) only moderate.
    assert conf > 0.3


def test_motion_offset_of_unrelated_dances_is_unsure():
    rng = np.random.default_rng(8)
    _, conf = motion_offset(bursty_energy(600, rng), bursty_energy(500, rng), FPS)
    assert conf < 0.3


# --- active range -----------------------------------------------------------------------

def test_active_range_finds_lead_in_and_tail_out():
    e, t = lead_dance_tail(np.random.default_rng(0))
    start, end = active_range(e, t)
    assert start == pytest.approx(3.0, abs=0.1)
    assert end == pytest.approx(13.0, abs=0.1)


def test_active_range_does_not_depend_on_units_or_dance_share():
    """Not a fraction of the maximum: scaling the energy or a mostly-dancing clip is fine."""
    e, t = lead_dance_tail(np.random.default_rng(1))
    np.testing.assert_allclose(active_range(e * 1000.0, t), active_range(e, t))
    keep = t >= 2.5                                                   # only 0.5 s of lead-in
    start, end = active_range(e[keep], t[keep])
    assert start == pytest.approx(3.0, abs=0.1) and end == pytest.approx(13.0, abs=0.1)


def test_active_range_averages_channels():
    e, t = lead_dance_tail(np.random.default_rng(3))
    assert active_range(np.stack([e, 2 * e], axis=1), t) == active_range(e, t)


def test_active_range_of_a_clip_that_is_all_dance():
    rng = np.random.default_rng(2)
    t = np.arange(300) / FPS
    e = np.abs(rng.normal(1.0, 0.3, t.size))
    assert active_range(e, t) == (0.0, pytest.approx(t[-1]))


def test_active_range_rejects_bad_input():
    with pytest.raises(ValueError):
        active_range(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError):
        active_range(np.zeros(0), np.zeros(0))
