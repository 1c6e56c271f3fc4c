"""The live score: the full report's pose measure (limb co-movement) over the last seconds danced.

Per camera frame the user's limb directions in their own body frame
(`engine.analysis.metrics.limbs.limb_directions` of the world landmarks; NaN where not visible)
are kept with the reference time they were danced at. Over the last HISTORY_S seconds they are
paired with the reference's limb directions (`LiveReference.limbs`) at the same reference times
shifted by one constant lag, the best one from LAG_S early to LATE_S late (a dancer who follows
the reference on screen reacts to it, so being late by a reaction time is not wrong), and
scored exactly as the report scores a whole attempt (`engine.analysis.score`): per limb the
correlation of the two direction tracks after removing each side's mean (a steady personal
difference, i.e. style, cancels), pooled over the limbs with the joint weights to C, and shown as
`comovement_score(C)` = 100 (1 - (1 - max(C, 0))^2). So live and report agree in meaning
(`score.SCALE`): 100 = indistinguishable, >= 85 the right choreography with small differences,
<= 50 what an unrelated dance gets. Until HISTORY_S seconds have been danced there is no score.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from engine.analysis.metrics import limbs as limb_metrics
from engine.analysis.normalize import mirror_image, mirror_world
from engine.analysis.score import STILL_RMS_DEG, comovement_score, correlation, joint_tables, student_joint
from engine.core.body import JOINT_GROUP, N_LANDMARKS, SCORED_JOINTS
from engine.core.settings import ScoreSettings
from engine.live.reference import LiveReference
from engine.live.visibility import MIN_VISIBILITY
from engine.present.render import HIGHLIGHT_BELOW

#: Seconds of dancing the live score looks back over: long enough for a correlation to see a move
#: or two (the server scores 2-25 camera frames a second, so 5-60 frames), short enough that the
#: score follows the dancer.
HISTORY_S = 2.5
#: Largest constant earliness (LAG_S) and lateness (LATE_S) of the user not counted against them,
#: seconds: the window is matched at the best lag in [-LAG_S, +LATE_S]. A dancer following the
#: reference on screen reacts to it, so lateness up to a reaction time plus the camera-to-server
#: delay (measured on the fake camera: 0.3-1 s) is not a pose mistake; being early means guessing
#: ahead, which the old +-0.3 s tolerance already covered.
LAG_S = 0.3
LATE_S = 1.0
#: Fewer camera frames than this in the window carry no meaningful correlation: no score. 5 lets
#: an overloaded machine (2 frames a second) still score; so few frames correlate more by chance
#: (on the shared solo clips an unrelated dance's median rises from ~25 at 8+ frames a second to
#: ~40 at 2.5 a second, the reference itself stays at 99-100).
MIN_FRAMES = 5
#: At most this many of the window's frames, evenly spread, are scored (12 a second over
#: HISTORY_S: dance moves change far slower), so the per-frame cost does not grow with the
#: camera's rate.
MAX_FRAMES = 30
#: A limb counts in a window when it is seen (in both the user's and the reference's frames) on
#: at least this share of the window's frames; otherwise it is out of view, as in the report.
MIN_LIMB_SHARE = 0.5
#: Fewer limbs than this (seen now, and in view over the window) and there is no score.
MIN_SCORED_LIMBS = 4
#: A joint is named as "worst" only when it scores below this (same threshold as the video).
WORST_BELOW = HIGHLIGHT_BELOW

#: Squared radians of direction spread (per frame) under which a limb counts as held still
#: (`score.STILL_RMS_DEG`, as `score.correlation` judges it).
_STILL = np.radians(STILL_RMS_DEG) ** 2


@dataclass(frozen=True)
class LiveScore:
    """The live score after one camera frame: the last HISTORY_S seconds against the reference.

    score : 0..100, `comovement_score` of the pooled limb co-movement over the window
    joint_scores : the user's own joint name -> 0..100, `comovement_score` of that limb's own
        co-movement; only limbs in view that the reference moves in the window (a limb the
        reference holds still has no movement to follow; it still counts in `score`)
    worst_joint : lowest-scoring joint, or None when every joint scores >= WORST_BELOW
    ref_index : the reference frame matched to the newest camera frame (at the best lag)
    lag_s : the best lag, seconds; > 0: the user is late
    """

    score: float
    joint_scores: dict[str, float]
    worst_joint: str | None
    ref_index: int
    lag_s: float = 0.0


def pick_worst_joint(joint_scores: dict[str, float], settings: ScoreSettings = ScoreSettings()) -> str | None:
    """The lowest-scoring joint below WORST_BELOW (ties: the heavier-weighted one), or None."""
    low = [(v, -settings.joint_weights[JOINT_GROUP[k]], k) for k, v in joint_scores.items() if v < WORST_BELOW]
    return min(low)[2] if low else None


class LiveScorer:
    """Windowed limb co-movement of a user against a reference (module docstring). Stateful: feed
    every scored camera frame of one attempt to `score`, in time order; one scorer per attempt.

    With `mirror`, the user's pose is mirrored before measuring (their left limbs are compared
    with the teacher's right ones); joint names are always the user's own.
    """

    def __init__(self, reference: LiveReference, settings: ScoreSettings = ScoreSettings(), *,
                 history_s: float = HISTORY_S, lag_s: float = LAG_S, late_s: float = LATE_S,
                 mirror: bool = False) -> None:
        if not history_s > 0:
            raise ValueError(f"history_s must be > 0 seconds, got {history_s}")
        if not (lag_s >= 0 and late_s >= 0):
            raise ValueError(f"lag_s and late_s must be >= 0 seconds, got {lag_s}, {late_s}")
        self.reference, self.settings, self.mirror = reference, settings, mirror
        self.history_s, self.lag_s, self.late_s = float(history_s), float(lag_s), float(late_s)
        _, self._w = joint_tables(settings)              # per group, so equal for both sides
        self._names = tuple(student_joint(j, mirror) for j in SCORED_JOINTS)
        self._ref = reference.limbs.astype(np.float64)   # (N, L, 3), teacher's columns
        self._t = reference.t.astype(np.float64)
        early, late = round(self.lag_s * reference.fps), round(self.late_s * reference.fps)
        # Candidate lags in reference frames (> 0: the user is late), smallest first (ties go to
        # the smaller lag).
        self._lags = np.array(sorted(range(-early, late + 1), key=lambda k: (abs(k), k)), dtype=np.intp)
        self._times: deque[float] = deque()
        self._base: deque[int] = deque()               # nearest reference frame of each time
        self._dirs: deque[np.ndarray] = deque()        # (L, 3) user directions, teacher's columns
        self._since: float | None = None               # reference time of the first frame kept

    def reset(self) -> None:
        """Forget the frames seen so far (the window fills again)."""
        self._times.clear()
        self._base.clear()
        self._dirs.clear()
        self._since = None

    def ready(self, t: float) -> bool:
        """Whether a full window (HISTORY_S of frames) lies behind window time t (see `score`)."""
        return self._since is not None and t - self._since >= self.history_s - 1e-6

    def _nearest(self, t: float) -> int:
        i = int(np.searchsorted(self._t, t))
        if i >= len(self._t):
            return len(self._t) - 1
        return i - 1 if i > 0 and t - self._t[i - 1] < self._t[i] - t else i

    def _directions(self, world: np.ndarray, image: np.ndarray | None) -> np.ndarray:
        w = world[None]
        im = None if image is None else np.asarray(image, dtype=np.float64)[None]
        if self.mirror:
            w, im = mirror_world(w), None if im is None else mirror_image(im)
        return limb_metrics.limb_directions(w, im, visibility_threshold=MIN_VISIBILITY)[0]

    def score(self, user_world: np.ndarray, ref_t: float, *, user_image: np.ndarray | None = None,
              window_t: float | None = None) -> LiveScore | None:
        """Add one camera frame and score the window behind it.

        Parameters
        ----------
        user_world : (33, 4) world landmarks (metres, visibility) of the user. Not modified.
        ref_t : reference time the frame was danced at, seconds (non-decreasing; an earlier time
            starts a new window)
        user_image : (33, >=2) normalized image landmarks, optional: limbs outside the picture are
            not in view (MediaPipe extrapolates them)
        window_t : the time the window runs on, seconds (non-decreasing; default ref_t). A section
            practised in a loop passes the reference time danced so far, so the window does not
            restart when ref_t jumps back to the section's start.

        Returns
        -------
        LiveScore, or None: fewer than MIN_SCORED_LIMBS limbs visible now or in view over the
        window, or the window is not yet full (`ready`).
        """
        user = np.asarray(user_world, dtype=np.float64)
        if user.shape != (N_LANDMARKS, 4):
            raise ValueError(f"LiveScorer.score: user_world must be ({N_LANDMARKS}, 4), got {user.shape}")
        ref_t = float(ref_t)
        now = ref_t if window_t is None else float(window_t)
        if self._times and now < self._times[-1]:
            self.reset()
        dirs = self._directions(user, user_image)
        if self._since is None:
            self._since = now
        self._times.append(now)
        self._base.append(self._nearest(ref_t))
        self._dirs.append(dirs)
        while self._times[0] <= now - self.history_s:
            self._times.popleft()
            self._base.popleft()
            self._dirs.popleft()
        if np.isfinite(dirs).all(axis=1).sum() < MIN_SCORED_LIMBS or not self.ready(now) \
                or len(self._times) < MIN_FRAMES:
            return None
        return self._window_score()

    def _window_score(self) -> LiveScore | None:
        keep = np.unique(np.linspace(0, len(self._times) - 1, MAX_FRAMES).round().astype(np.intp))
        times = np.fromiter(self._times, dtype=np.float64)[keep]
        user = np.stack([self._dirs[i] for i in keep])                       # (K, L, 3)
        base = np.fromiter(self._base, dtype=np.intp)[keep]
        k, n_limbs = user.shape[:2]
        # Tracker glitches (left/right flips, jumps) at the window's own frame rate, as the
        # report leaves them out; at a low rate only flips faster than the speed limit show.
        rate = (k - 1) / max(times[-1] - times[0], 1e-6)
        glitched, _ = limb_metrics.glitch_mask(user, rate)
        user[glitched] = np.nan
        # Reference frames at every candidate lag: (D, K), clamped to the clip.
        idx = np.clip(base[None, :] - self._lags[:, None], 0, len(self._t) - 1)
        d = len(self._lags)
        ref = self._ref[idx].transpose(1, 0, 2, 3).reshape(k, d * n_limbs, 3)
        sums, counts = limb_metrics.comovement_sums(ref, np.broadcast_to(user[:, None], (k, d, n_limbs, 3))
                                                    .reshape(k, d * n_limbs, 3))
        sums, counts = sums.reshape(d, n_limbs, 3), counts.reshape(d, n_limbs).astype(np.float64)
        in_view = counts >= MIN_LIMB_SHARE * k                                # (D, L)
        w = self._w * in_view
        pooled = correlation(*(np.sum(w * sums[..., c], axis=1) for c in range(3)), np.sum(w * counts, axis=1))
        pooled = np.where(in_view.sum(axis=1) >= MIN_SCORED_LIMBS, pooled, np.nan)
        if not np.isfinite(pooled).any():
            return None
        best = int(np.argmax(np.where(np.isfinite(pooled), pooled, -np.inf)))
        num, dt, ds = sums[best].T
        per = comovement_score(correlation(num, dt, ds, counts[best]))
        moving = in_view[best] & (dt > counts[best] * _STILL)
        joints = {self._names[j]: round(float(per[j]), 1) for j in np.flatnonzero(moving)}
        return LiveScore(score=round(float(comovement_score(pooled[best])), 1), joint_scores=joints,
                         worst_joint=pick_worst_joint(joints, self.settings), ref_index=int(idx[best, -1]),
                         lag_s=round(float(self._lags[best]) / self.reference.fps, 3))
