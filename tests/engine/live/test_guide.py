"""engine.live.guide: the reference's pose fitted onto the user's body."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.body import Landmark as L
from engine.live import fit_guide
from tests.engine.live.helpers import hip_px, torso_px
from tests.factories import LEFT_ARM, LEGS, H, W, swing, to_image


def test_guide_sits_on_the_user_hips_with_the_user_torso_length(t_pose):
    user_world = t_pose()
    user = to_image(user_world, px_per_m=300.0, hip_px=(400.0, 250.0))      # torso 0.5 m -> 150 px
    ref = t_pose()
    ref[:, :3] = 1.3 * ref[:, :3] + (0.05, -0.02, 0.1)      # a bigger teacher, origin off the hips
    guide = fit_guide(ref, user, (W, H), user_world=user_world)
    np.testing.assert_allclose(hip_px(guide), (400.0, 250.0), atol=1e-3)
    assert torso_px(guide) == pytest.approx(150.0, abs=1e-2)
    # Same shape as the user: the guide lies exactly on them.
    np.testing.assert_allclose(guide[:, :2], user[:, :2], atol=1e-5)
    np.testing.assert_allclose(guide[:, 3], ref[:, 3])


def test_guide_shows_a_sideways_lean_as_a_tilt_of_the_same_length(t_pose):
    user = to_image(t_pose(), px_per_m=300.0)
    ref = swing(t_pose(), L.LEFT_HIP, tuple(lm for lm in L if lm not in (L.LEFT_HIP, L.RIGHT_HIP) + LEGS), 30.0)
    guide = fit_guide(ref, user, (W, H), face_user=False)
    # Projected torso of a teacher leaning 30 degrees in the image plane keeps its length...
    assert torso_px(guide) == pytest.approx(150.0, rel=2e-2)
    # ...and tilts: the shoulders' midpoint moves sideways off the hips by ~sin(30) torso.
    sh = 0.5 * (guide[L.LEFT_SHOULDER, :2] + guide[L.RIGHT_SHOULDER, :2]) * (W, H)
    assert abs(sh[0] - hip_px(guide)[0]) > 0.4 * 150.0


def test_guide_of_a_teacher_bending_toward_the_camera_is_foreshortened_not_enlarged(t_pose):
    user = to_image(t_pose(), px_per_m=300.0)
    ref = t_pose()
    upper = [lm for lm in L if lm not in (L.LEFT_HIP, L.RIGHT_HIP) + LEGS]
    a = np.radians(40.0)                                       # bend 40 degrees toward the camera
    y, z = ref[upper, 1].copy(), ref[upper, 2].copy()
    ref[upper, 1], ref[upper, 2] = np.cos(a) * y + np.sin(a) * z, -np.sin(a) * y + np.cos(a) * z
    guide = fit_guide(ref, user, (W, H), face_user=False)
    # Scaled by the 3D torso (0.5 m -> 150 px), so its projection is 150 cos(40) px on screen.
    assert torso_px(guide) == pytest.approx(150.0 * np.cos(a), rel=1e-3)


def test_guide_turns_to_face_the_way_the_user_faces(t_pose, rotate_y):
    user_world = t_pose()
    user = to_image(user_world)
    turned = rotate_y(t_pose(), 60.0)
    faced = fit_guide(turned, user, (W, H), user_world=user_world)
    np.testing.assert_allclose(faced[:, :2], user[:, :2], atol=1e-4)
    as_is = fit_guide(turned, user, (W, H), face_user=False)
    width = abs(as_is[L.LEFT_SHOULDER, 0] - as_is[L.RIGHT_SHOULDER, 0])
    assert width == pytest.approx(0.5 * abs(user[L.LEFT_SHOULDER, 0] - user[L.RIGHT_SHOULDER, 0]), rel=0.05)


def test_mirror_swaps_sides(t_pose):
    ref = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 60.0)           # teacher's left arm down
    user = to_image(t_pose())
    plain = fit_guide(ref, user, (W, H))
    mirrored = fit_guide(ref, user, (W, H), mirror=True)
    hip = hip_px(user) / (W, H)
    assert plain[L.LEFT_WRIST, 1] > user[L.LEFT_WRIST, 1] + 0.1          # lowered on the left
    np.testing.assert_allclose(mirrored[L.RIGHT_WRIST, 1], plain[L.LEFT_WRIST, 1], atol=1e-5)
    np.testing.assert_allclose(mirrored[L.RIGHT_WRIST, 0] - hip[0], -(plain[L.LEFT_WRIST, 0] - hip[0]), atol=1e-5)
    np.testing.assert_allclose(mirrored[L.LEFT_WRIST, :2], user[L.LEFT_WRIST, :2], atol=1e-4)


@pytest.mark.parametrize("landmark, visibility", [(L.LEFT_HIP, 0.1), (L.RIGHT_SHOULDER, 0.2), (L.RIGHT_HIP, np.nan)])
def test_no_guide_without_the_user_torso(t_pose, landmark, visibility):
    user = to_image(t_pose())
    user[landmark, 3] = visibility
    assert fit_guide(t_pose(), user, (W, H)) is None


def test_no_guide_when_nobody(t_pose):
    assert fit_guide(t_pose(), np.full((33, 4), np.nan, np.float32), (W, H)) is None


def test_fit_guide_checks_shapes(t_pose):
    with pytest.raises(ValueError, match=r"user_image must be \(33, 4\)"):
        fit_guide(t_pose(), np.zeros((17, 4)), (W, H))
