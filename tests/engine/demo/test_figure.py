"""engine.demo.figure: the skeleton shows the pose parameters; frames are RGB of the clip size."""

from __future__ import annotations

import numpy as np
import pytest

from engine.demo.choreography import NEUTRAL, PARAM_INDEX, POSE_PARAMS
from engine.demo.figure import HEIGHT, STUDENT_LOOK, TEACHER_LOOK, WIDTH, frames, skeleton


def _params(**changes: float) -> np.ndarray:
    p = dict(NEUTRAL, **changes)
    return np.array([p[name] for name in POSE_PARAMS])


def _angle(a: np.ndarray, v: np.ndarray, b: np.ndarray) -> float:
    u, w = a - v, b - v
    return float(np.degrees(np.arccos(np.dot(u, w) / np.linalg.norm(u) / np.linalg.norm(w))))


@pytest.mark.parametrize("shoulder", [30.0, 90.0, 140.0])
def test_drawn_shoulder_angle_is_the_parameter(shoulder):
    j = skeleton(_params(l_shoulder=shoulder, lean=5.0), TEACHER_LOOK)
    assert _angle(j["l_hip"], j["l_shoulder"], j["l_elbow"]) == pytest.approx(shoulder, abs=1e-6)


def test_figure_faces_the_camera_and_stands_on_the_floor():
    j = skeleton(_params(), STUDENT_LOOK)
    assert j["l_shoulder"][0] > j["r_shoulder"][0]         # own left on the image's right
    assert j["head"][1] < j["pelvis"][1] < j["l_ankle"][1] < STUDENT_LOOK.ground_y


def test_frames_are_lazy_rgb_images_with_progress():
    calls = []
    params = np.stack([_params(), _params(l_shoulder=90.0)])
    out = list(frames(params, TEACHER_LOOK, "teacher", lambda f, m: calls.append(f), 0.0, 0.5))
    assert [f.shape for f in out] == [(HEIGHT, WIDTH, 3)] * 2 and out[0].dtype == np.uint8
    assert not np.array_equal(out[0], out[1]) and calls == [0.0]
    assert PARAM_INDEX["l_shoulder"] == POSE_PARAMS.index("l_shoulder")
