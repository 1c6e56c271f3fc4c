"""engine.live.overlay: the reference panel beside the user's, with the guide drawn on."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.core.body import Landmark as L
from engine.live import GUIDE_ALPHA, GUIDE_COLOR
from engine.live.overlay import PLAIN_BACKGROUND, Overlay
from tests.engine.live.helpers import FakeCamera, session
from tests.factories import (
    LEFT_ARM,
    H,
    W,
    camera_frame,
    reference_of,
    static_reference,
    swing,
    to_image,
)


@pytest.mark.parametrize("size", [(640, 480), (321, 241)])
def test_output_frame_is_reference_panel_then_user_panel_with_even_sides(t_pose, size):
    ref = replace(static_reference(t_pose), size=(576, 1280))            # a portrait reference
    cam = FakeCamera(t_pose(), hip=(0.5 * size[0], 0.55 * size[1]))
    out = session(ref, cam).process(camera_frame(*size))
    w, h = size
    panel = 2 * round(h * 576 / 1280 / 2)
    assert out.dtype == np.uint8 and out.shape[0] % 2 == 0 and out.shape[1] % 2 == 0
    assert out.shape[:2] == (h + h % 2, panel + w + w % 2)


def guide_pixels(panel: np.ndarray) -> np.ndarray:
    """(n, 2) x, y of pixels in the guide's blended colour over the grey-40 camera frame."""
    want = GUIDE_ALPHA * np.array(GUIDE_COLOR) + (1 - GUIDE_ALPHA) * 40.0
    ys, xs = np.nonzero((np.abs(panel.astype(float) - want) <= 3).all(axis=2))
    return np.stack([xs, ys], axis=1)


@pytest.mark.parametrize("selfie", [True, False])
def test_guide_is_drawn_in_its_colour_on_the_user_after_the_selfie_flip(t_pose, selfie):
    teacher = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 60.0)
    cam = FakeCamera(t_pose(), hip=(180.0, 260.0), px_per_m=200.0)       # user on the image's left
    out = session(reference_of(np.repeat(teacher[None], 30, axis=0)), cam, selfie_view=selfie).process(camera_frame())
    user = out[:, W:]                                                     # reference panel is 640 wide here
    pts = guide_pixels(user)
    assert len(pts) > 300
    assert (np.median(pts[:, 0]) > W / 2 + 50) if selfie else (np.median(pts[:, 0]) < W / 2 - 50)
    # The lowered guide wrist: the teacher's left arm is drawn on the user's left side, which is
    # on the image's right (x > hip) unflipped and on the left after the selfie flip.
    wrist = to_image(teacher, px_per_m=200.0, hip_px=(180.0, 260.0))[L.LEFT_WRIST, :2] * (W, H)
    wx = W - wrist[0] if selfie else wrist[0]
    near = np.hypot(pts[:, 0] - wx, pts[:, 1] - wrist[1]) < 12
    assert near.sum() > 10


def test_without_display_frames_the_reference_skeleton_is_drawn_on_a_plain_panel(t_pose):
    ref = replace(static_reference(t_pose), size=(640, 480))             # frames=None
    overlay = Overlay(ref, selfie_view=False)
    panel = overlay.reference_panel(0.5, 15, 240)
    assert panel.shape == (240, 320, 3)
    assert tuple(panel[2, 2]) == PLAIN_BACKGROUND                         # a corner: background
    assert (panel == GUIDE_COLOR).all(axis=2).sum() > 100                 # the skeleton in the guide colour
    panel[:] = 0                                                          # a fresh copy each time
    assert tuple(overlay.reference_panel(0.5, 15, 240)[2, 2]) == PLAIN_BACKGROUND


def test_countdown_digit_is_drawn_on_both_panels(t_pose):
    ref = static_reference(t_pose)
    out = Overlay(ref, selfie_view=False).draw(camera_frame(), "countdown", 2.3, 0.0, 0, None, None,
                                               None, None, None)
    digit = (out == GUIDE_COLOR).all(axis=2)                              # "3" in the guide colour
    left, right = digit[:, :W], digit[:, W:]
    assert left[H // 3:2 * H // 3, W // 3:2 * W // 3].sum() > 200
    assert right[H // 3:2 * H // 3, W // 3:2 * W // 3].sum() > 200
