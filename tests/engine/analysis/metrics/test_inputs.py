"""engine.analysis.metrics: no metric modifies its inputs."""

from __future__ import annotations

import numpy as np

from engine.analysis.metrics import (
    angle_errors,
    dynamics_scores,
    hits,
    joint_angles,
    motion_energy,
    silhouette_scores,
    torso_scale_xy,
    trajectory_scores,
)
from tests.factories import FPS, body_mask, frozen, line_xy, moving_world, spiky_energy


def test_no_function_mutates_its_inputs():
    # Read-only inputs raise on any in-place write; the value check catches sneakier changes.
    world = moving_world(30)
    world[3, 5] = np.nan
    energy = spiky_energy()
    xy = line_xy(30, (1.0, 0.0))
    masks = np.stack([body_mask()] * 3)
    path = np.array([[0, 0], [1, 1], [1, 2], [2, 2]])
    inputs = [world, energy, xy, masks, path]
    before = [x.copy() for x in inputs]
    w, e, p_xy, m, p = (frozen(x) for x in inputs)
    angles = joint_angles(w)
    angle_errors(angles, angles, p)
    motion_energy(w, FPS)
    hits(e, FPS)
    dynamics_scores(e, e, p, FPS)
    torso_scale_xy(w, 640, 480)
    trajectory_scores(p_xy, p_xy, p, fps=FPS, teacher_scale=0.2, student_scale=0.2, mirror=True)
    ok = frozen(np.ones(3, bool))
    silhouette_scores(m, m, p, mirror=True, teacher_ok=ok, student_ok=ok, stride=2)
    for x, b in zip(inputs, before):
        np.testing.assert_array_equal(x, b)
