"""Scoring metrics: pure, vectorized functions on arrays, one module per metric.

* `angles`: joint angles (degrees) and signed student - teacher errors along a DTW path;
* `trajectory`: hip travel across the floor (direction and speed, torso lengths / s);
* `silhouette`: soft, clothing-tolerant overlap of person-centred masks;
* `dynamics`: motion energy, accents ("hits") and how well their energy and timing match.

Per-pair scores are 0..100 with NaN where unknown; the overall `*_score` helpers return a
float, or None when nothing could be computed (a report's `null`).
"""

from __future__ import annotations

from engine.analysis.metrics.angles import angle_errors, joint_angles
from engine.analysis.metrics.dynamics import dynamics_score, dynamics_scores, hits, motion_energy
from engine.analysis.metrics.silhouette import silhouette_score, silhouette_scores
from engine.analysis.metrics.trajectory import torso_scale_xy, trajectory_score, trajectory_scores

__all__ = [
    "angle_errors",
    "dynamics_score",
    "dynamics_scores",
    "hits",
    "joint_angles",
    "motion_energy",
    "silhouette_score",
    "silhouette_scores",
    "torso_scale_xy",
    "trajectory_score",
    "trajectory_scores",
]
