"""The live score: one user pose against the reference's joint angles around the current time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.analysis.metrics import joint_angles
from engine.analysis.score import POSE_HALF_DEG, falloff, joint_tables, student_joint
from engine.core.body import ANGLE_POINTS, JOINT_GROUP, N_LANDMARKS, SCORED_JOINTS
from engine.core.settings import ScoreSettings
from engine.live.reference import LiveReference
from engine.live.visibility import seen
from engine.present.render import HIGHLIGHT_BELOW

#: Fewer visible scored joints than this and a frame gets no score.
MIN_SCORED_JOINTS = 4
#: Half-width of the reference window a pose is matched in, seconds (being late is not wrong).
WINDOW_S = 0.3
#: A joint is named as "worst" only when it scores below this (same threshold as the video).
WORST_BELOW = HIGHLIGHT_BELOW

#: (J, 33) bool: the landmarks each scored angle is computed from.
_ANGLE_MEMBERS = np.zeros((len(SCORED_JOINTS), N_LANDMARKS), dtype=bool)
for _j, _pts in enumerate(ANGLE_POINTS):
    _ANGLE_MEMBERS[_j, list(_pts)] = True


@dataclass(frozen=True)
class LiveScore:
    """One camera frame's score against the reference.

    score : 0..100, joint-weighted mean over the visible joints
    joint_scores : the user's own joint name -> 0..100, visible joints only
    worst_joint : lowest-scoring joint, or None when every joint scores >= WORST_BELOW
    ref_index : the best-matching reference frame in the window
    """

    score: float
    joint_scores: dict[str, float]
    worst_joint: str | None
    ref_index: int


def pick_worst_joint(joint_scores: dict[str, float], settings: ScoreSettings = ScoreSettings()) -> str | None:
    """The lowest-scoring joint below WORST_BELOW (ties: the heavier-weighted one), or None."""
    low = [(v, -settings.joint_weights[JOINT_GROUP[k]], k) for k, v in joint_scores.items() if v < WORST_BELOW]
    return min(low)[2] if low else None


class LiveScorer:
    """Joint-angle similarity of single user poses against a reference, with a time window.

    The user's angles (engine.analysis.metrics.joint_angles of the world landmarks) are compared with
    every reference frame within +-window_s of the reference time; the best-matching frame wins
    (so a user a few frames late is not marked wrong). Per joint, the Compare page's curve
    (engine.analysis.score): an error within the joint group's tolerance scores 100, beyond it
    ``falloff(error - tolerance, POSE_HALF_DEG)``. Overall: mean weighted by the joint weights
    over joints whose landmarks all have visibility >= `visibility.MIN_VISIBILITY`. With `mirror`, the
    user's left joint is compared with the teacher's right one; names are always the user's.
    """

    def __init__(self, reference: LiveReference, settings: ScoreSettings = ScoreSettings(), *,
                 window_s: float = WINDOW_S, mirror: bool = False) -> None:
        if not window_s >= 0:
            raise ValueError(f"window_s must be >= 0 seconds, got {window_s}")
        self.reference, self.settings, self.window_s, self.mirror = reference, settings, float(window_s), mirror
        self._tol, self._w = joint_tables(settings)   # per group, so equal for both sides
        cols = [SCORED_JOINTS.index(student_joint(j, mirror)) for j in SCORED_JOINTS]
        self._ref = reference.angles[:, cols].astype(np.float64)    # columns: the user's own joints
        self._t = reference.t.astype(np.float64)

    def _window(self, ref_t: float) -> np.ndarray:
        """Reference frame indices within the window, nearest to ref_t first."""
        lo = int(np.searchsorted(self._t, ref_t - self.window_s, side="left"))
        hi = int(np.searchsorted(self._t, ref_t + self.window_s, side="right"))
        if lo >= hi:                                  # before the start / after the end
            return np.array([self.reference.index_at(ref_t)])
        idx = np.arange(lo, hi)
        return idx[np.argsort(np.abs(self._t[idx] - ref_t), kind="stable")]

    def score(self, user_world: np.ndarray, ref_t: float) -> LiveScore | None:
        """Score one pose: (33, 4) world landmarks (metres, visibility) at reference time ref_t
        (s). None when fewer than MIN_SCORED_JOINTS joints are visible (or nobody is)."""
        user = np.asarray(user_world, dtype=np.float64)
        if user.shape != (N_LANDMARKS, 4):
            raise ValueError(f"LiveScorer.score: user_world must be ({N_LANDMARKS}, 4), got {user.shape}")
        hidden = ~seen(user)
        angles = joint_angles(user[None, :, :3])[0].astype(np.float64)
        ok = ~(_ANGLE_MEMBERS & hidden).any(axis=1) & np.isfinite(angles)
        if ok.sum() < MIN_SCORED_JOINTS:
            return None
        idx = self._window(ref_t)
        per = falloff(np.abs(self._ref[idx] - angles) - self._tol, POSE_HALF_DEG)      # (K, J)
        valid = ok & np.isfinite(per)
        weights = np.where(valid, self._w, 0.0)
        cover = weights.sum(axis=1)
        if not cover.max() > 0:
            return None
        overall = (np.where(valid, per, 0.0) * weights).sum(axis=1) / np.maximum(cover, 1e-12)
        # Only frames where the reference shows every joint the user shows compete.
        overall[cover < cover.max() - 1e-9] = -np.inf
        k = int(np.argmax(overall))
        joints = {SCORED_JOINTS[j]: round(float(per[k, j]), 1) for j in np.flatnonzero(valid[k])}
        return LiveScore(score=round(float(overall[k]), 1), joint_scores=joints,
                         worst_joint=pick_worst_joint(joints, self.settings), ref_index=int(idx[k]))


