"""engine.present.draw: the drawing primitives, checked on the pixels they draw."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.core.body import Landmark as L
from engine.present.draw import (
    BAD_COLOR,
    BONE_COLOR,
    DRAW_MIN_VISIBILITY,
    FONT,
    draw_skeleton,
    even,
    fit_scale,
    label,
    outlined_centred,
    put_text,
    text_thickness,
)

W, H = 200, 160


def upper_arm(shoulder=(0.25, 0.5), elbow=(0.75, 0.5), visibility=1.0) -> np.ndarray:
    """(33, 4) image landmarks with only the left shoulder and elbow placed, the rest unseen."""
    lm = np.full((33, 4), np.nan, np.float32)
    lm[L.LEFT_SHOULDER] = (*shoulder, 0.0, 1.0)
    lm[L.LEFT_ELBOW] = (*elbow, 0.0, visibility)
    return lm


def colour_at(img: np.ndarray, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in img[y, x])


@pytest.mark.parametrize("x, expected", [(0.0, 2), (1.0, 2), (3.0, 4), (5.0, 4), (7.0, 8), (481.0, 480)])
def test_even_rounds_to_an_even_side_of_at_least_two(x, expected):
    assert even(x) == expected


def test_a_bone_is_drawn_between_its_landmarks_and_nowhere_else():
    img = np.zeros((H, W, 3), np.uint8)
    out = draw_skeleton(img, upper_arm())
    assert out is img                                               # in place
    assert colour_at(img, 100, 80) == BONE_COLOR                    # midpoint of (50, 80)-(150, 80)
    assert colour_at(img, 100, 20) == (0, 0, 0) and colour_at(img, 20, 140) == (0, 0, 0)
    ys, xs = np.nonzero(img.any(axis=2))
    assert ys.min() >= 80 - 6 and ys.max() <= 80 + 6                # a horizontal line, plus joint dots
    assert xs.min() >= 50 - 6 and xs.max() <= 150 + 6


@pytest.mark.parametrize("visibility, drawn", [
    (DRAW_MIN_VISIBILITY - 0.01, False),
    (DRAW_MIN_VISIBILITY, True),
    (np.nan, True),                       # unknown visibility: drawn when the position is known
])
def test_landmarks_below_the_drawing_threshold_are_not_drawn(visibility, drawn):
    img = np.zeros((H, W, 3), np.uint8)
    draw_skeleton(img, upper_arm(visibility=visibility))
    assert (colour_at(img, 100, 80) == BONE_COLOR) is drawn
    assert (colour_at(img, 150, 80) != (0, 0, 0)) is drawn          # the elbow's dot


def test_a_bad_joint_is_drawn_in_red_over_its_bones():
    lm = upper_arm()
    lm[L.LEFT_HIP] = (0.25, 0.9, 0.0, 1.0)
    img = np.zeros((H, W, 3), np.uint8)
    draw_skeleton(img, lm, ["left_shoulder"])                       # hip - shoulder - elbow
    assert colour_at(img, 100, 80) == BAD_COLOR
    assert colour_at(img, 50, 112) == BAD_COLOR                     # on the shoulder-hip bone


def test_the_bone_colour_can_be_chosen():
    img = np.zeros((H, W, 3), np.uint8)
    draw_skeleton(img, upper_arm(), color=(1, 2, 3), thickness=4)
    assert colour_at(img, 100, 80) == (1, 2, 3)


def text_width(text: str, scale: float) -> int:
    return cv2.getTextSize(text, FONT, scale, text_thickness(scale))[0][0]


def test_fit_scale_shrinks_long_text_into_the_width():
    text = "Step back: your feet are out of view"
    assert text_width(text, 1.0) > 150
    scale = fit_scale(text, 150, 1.0)
    assert 0.25 < scale < 1.0 and text_width(text, scale) <= 150
    assert fit_scale("ok", 150, 1.0) == 1.0                         # fits: unchanged
    assert fit_scale(text, 5, 1.0) == 0.25                          # never below the floor
    assert fit_scale(text, 5, 1.0, min_scale=0.3) == 0.3


def test_put_text_draws_from_its_origin_and_returns_where_it_ends():
    img = np.zeros((60, 300, 3), np.uint8)
    end = put_text(img, "SCORE 87", (10, 40), 1.0, (0, 255, 0))
    assert end == 10 + text_width("SCORE 87", 1.0)
    ys, xs = np.nonzero(img[..., 1] > 128)
    assert xs.min() >= 10 and xs.max() <= end + 1 and ys.max() <= 40 + 2
    assert not img[..., 0].any() and not img[..., 2].any()          # green only


def test_label_darkens_its_box_and_anchors_right():
    img = np.full((60, 300, 3), 200, np.uint8)
    height = label(img, "42", (290, 40), 1.0, (255, 0, 0), anchor_right=True)
    assert height > 20
    row = img[44]                                                   # under the baseline, inside the box
    dark = np.flatnonzero((row == 50).all(axis=1))                  # 200 >> 2
    assert dark.size > 0 and dark.max() <= 294 and dark.min() >= 290 - text_width("42", 1.0) - 4
    assert colour_at(img, 10, 40) == (200, 200, 200)                # left of the box: untouched
    assert (img[..., 0] > 240).any()                                # the red text itself


def test_outlined_centred_text_is_centred_with_a_black_outline():
    img = np.full((90, 120, 3), 128, np.uint8)
    outlined_centred(img, "3", 1.5, (255, 190, 0))
    fill = (img == (255, 190, 0)).all(axis=2)
    ys, xs = np.nonzero(fill)
    assert abs(xs.mean() - 60) < 6 and abs(ys.mean() - 45) < 8
    assert (img == 0).all(axis=2).sum() > fill.sum() / 4            # the outline around it
