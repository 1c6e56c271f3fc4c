"""Live practice: a dancer in front of a camera against a reference clip, frame by frame.

Per camera frame (`PracticeSession.process`, called from the camera's worker thread): pose
(MediaPipe) -> pose guide (the reference's pose at the current reference time, fitted to the
user's body) -> live score (`LiveScorer`: how the user's limbs moved with the reference's over
the last `scorer.HISTORY_S` seconds, the full report's pose measure) -> drawing
(reference panel | user panel) -> the raw frame to a background H.264 writer.

Reference clock: it starts when the first camera frame arrives. `countdown_s` of countdown
follow (the reference shows its first frame, the guide its first pose, so the user can get into
position), then reference time runs from the reference's first frame at wall-clock speed; once
it passes the reference's end the phase is "finished" and the page calls `finish()`, which
returns the recording for the normal comparison pipeline. A frame that carries its capture time
(`process(rgb, t=...)`, the WebRTC frame's timestamp) is placed on the reference clock by that
time, not by when it reached the server: a loaded server that processes frames late or unevenly
still compares each picture with the reference at the moment the camera took it. Recording time
t corresponds to reference time ``t + reference.start_s`` (``start_s`` is 0 for nearly every
file), to within one camera frame.

Section practice (`Section`): the reference clock runs over one section of the reference only,
at `speed` (0.5: half speed), and loops it `loops` times; each repetition is scored on its own
(`LiveState.repetition_scores`). A looping clock cannot be recorded against the reference's
timeline, so a section session is not recorded (`record_path` must be None).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.core.errors import EngineError
from engine.core.settings import AlignSettings, ExtractSettings, ScoreSettings
from engine.live.guide import fit_guide
from engine.live.overlay import Overlay
from engine.live.recorder import Recorder
from engine.live.reference import LiveReference
from engine.live.scorer import HISTORY_S, LiveScore, LiveScorer, pick_worst_joint
from engine.live.visibility import LEGS, TORSO, seen

#: Time constant of the on-screen score smoothing, seconds.
SCORE_SMOOTH_S = 0.25
#: Seconds a frame's capture stamp may stray from its arrival before the camera clock is re-anchored.
MAX_CAPTURE_DRIFT_S = 3.0
#: Points kept for the rolling chart; process() times averaged for `ms_per_frame`.
HISTORY_LEN = 600
TIMING_FRAMES = 50
#: Shortest kept recording, seconds.
MIN_RECORDING_S = 1.0


@dataclass(frozen=True)
class Section:
    """A stretch of the reference to practise in a loop.

    start_s, end_s : reference times, seconds from the reference file's start (start < end)
    speed : reference seconds per wall-clock second (0.5 plays it at half speed), > 0
    loops : repetitions, >= 1
    """

    start_s: float
    end_s: float
    speed: float = 1.0
    loops: int = 1

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start_s) and math.isfinite(self.end_s) and self.start_s < self.end_s):
            raise ValueError(f"Section: need start_s < end_s, got {self.start_s}, {self.end_s}")
        if not self.speed > 0:
            raise ValueError(f"Section: speed must be > 0, got {self.speed}")
        if int(self.loops) != self.loops or self.loops < 1:
            raise ValueError(f"Section: loops must be a whole number >= 1, got {self.loops}")

    @property
    def span_s(self) -> float:
        """Length of one repetition in reference time, seconds."""
        return self.end_s - self.start_s

    def wall_s(self) -> float:
        """Wall-clock seconds all repetitions take."""
        return self.loops * self.span_s / self.speed


@dataclass(frozen=True)
class LiveState:
    """A snapshot of a PracticeSession for the page (see PracticeSession)."""

    phase: str                  # "waiting" (no frame yet) | "countdown" | "dancing" | "finished"
    countdown_s: float          # seconds left of the countdown (0 otherwise)
    ref_t: float                # current reference time, seconds from the reference file start
    score: float | None         # latest smoothed live score 0..100 (None: this frame had none)
    worst_joint: str | None     # the user's own joint, e.g. "left_elbow"
    history: tuple[tuple[float, float], ...]   # (ref_t, smoothed score), last HISTORY_LEN
    frames_in: int
    frames_scored: int
    ms_per_frame: float         # mean process() time over the last TIMING_FRAMES frames, ms
    message: str | None         # plain advice, e.g. "Step back: your feet are out of view"
    repetition: int = 0         # section practice: the repetition under way (0-based; the last one once finished)
    repetition_scores: tuple[float | None, ...] = ()   # mean live score of each repetition so far (None: unscored)


class PracticeSession:
    """One live practice attempt. process() is called from streamlit-webrtc's worker thread,
    state()/finish()/close() from the page's script thread: thread-safe.

    Per frame (bounded work, nothing queued): pose, guide, score (dancing only), drawing, and
    during "dancing" the raw, unflipped camera frame to the recorder. The on-screen score and
    per-joint scores are smoothed exponentially (SCORE_SMOOTH_S on the session clock).
    `selfie_view` flips the user panel for display (drawings are placed after the flip).
    `estimator`: an object with .process(rgb) -> pose.PoseFrame and .close(); default: a
    MediaPipe PoseEstimator built from `extract_settings` (model complexity, confidences: the same
    model as offline extraction) in the worker thread on the first frame.
    `clock`: seconds, monotonic (tests pass a fake one).
    """

    def __init__(self, reference: LiveReference, settings: ScoreSettings = ScoreSettings(), *,
                 countdown_s: float = 3.0, mirror: bool = False, selfie_view: bool = True,
                 record_path: str | Path | None = None, estimator=None, clock=time.monotonic,
                 extract_settings: ExtractSettings = ExtractSettings(), section: Section | None = None) -> None:
        if not countdown_s >= 0:
            raise ValueError(f"countdown_s must be >= 0 seconds, got {countdown_s}")
        if section is not None:
            if record_path is not None:
                raise ValueError("a section session loops the reference clock and cannot be recorded: "
                                 "pass record_path=None")
            if section.start_s < reference.start_s - 1e-6 or section.end_s > reference.duration_s + 1e-6:
                raise EngineError(f"The section {section.start_s:.2f}-{section.end_s:.2f} s is not within the "
                                  f"reference ({reference.start_s:.2f}-{reference.duration_s:.2f} s): choose a start "
                                  "and an end inside it.")
        self.section = section
        self.reference, self.settings, self.extract_settings = reference, settings, extract_settings
        self.mirror, self.selfie_view, self.countdown_s = mirror, selfie_view, float(countdown_s)
        # A repetition is scored on windows inside it as far as it can: a section shorter than two
        # windows gets a window half its length (reference seconds).
        window_s = HISTORY_S if section is None else min(HISTORY_S, section.span_s / 2)
        self._scorer = LiveScorer(reference, settings, mirror=mirror, history_s=window_s)
        self._estimator, self._clock = estimator, clock
        self._recorder = Recorder(record_path) if record_path is not None else None
        self._lock = threading.Lock()          # everything state() reads
        self._pose_lock = threading.Lock()     # the model: one user at a time, never after close
        self._finish_lock = threading.Lock()
        self._t0: float | None = None
        self._capture0: tuple[float, float] | None = None   # (camera time, session time) of the anchor frame
        self._stopped = self._closed = False
        self._result: Path | None = None
        self._finished = False
        self._score: float | None = None
        self._joint_ema: dict[str, float] = {}
        self._worst: str | None = None
        self._last_t: float | None = None
        self._history: deque[tuple[float, float]] = deque(maxlen=HISTORY_LEN)
        self._frames_in = self._frames_scored = 0
        self._ms: deque[float] = deque(maxlen=TIMING_FRAMES)
        self._message: str | None = "Waiting for the camera"
        self._rep_sums: list[list[float]] = [[0.0, 0.0] for _ in range(1 if section is None else section.loops)]
        self._overlay = Overlay(reference, selfie_view=selfie_view)
        #: ms spent in each stage of the last process() call: pose, fit_score, draw, record.
        self.last_timings: dict[str, float] = {}

    # -- clock --

    def _clock_at(self, now: float) -> tuple[str, float, float, int]:
        """(phase, countdown left s, reference time s, repetition) at session-clock time `now`. Lock held."""
        sec = self.section
        start = self.reference.start_s if sec is None else sec.start_s
        if self._t0 is None:
            return "waiting", self.countdown_s, start, 0
        elapsed = now - self._t0
        if elapsed < self.countdown_s:
            return ("finished" if self._stopped else "countdown"), self.countdown_s - elapsed, start, 0
        if sec is None:
            ref_t = start + elapsed - self.countdown_s
            end = self.reference.duration_s
            over = ref_t >= end - 1e-6          # t is float32: its last frame + 1/fps may round up
            return ("finished" if self._stopped or over else "dancing"), 0.0, min(ref_t, end), 0
        played = (elapsed - self.countdown_s) * sec.speed          # reference seconds since the first repetition
        rep = int(played // sec.span_s)
        if rep >= sec.loops or played >= sec.loops * sec.span_s - 1e-6:
            return "finished", 0.0, sec.end_s, sec.loops - 1
        return ("finished" if self._stopped else "dancing"), 0.0, start + played - rep * sec.span_s, rep

    # -- per frame --

    def _frame_time(self, now: float, t: float | None) -> float:
        """Session-clock time of a frame captured at camera time `t` (None: it arrived `now`).
        The first frame anchors the camera clock; a stamp that strays more than
        MAX_CAPTURE_DRIFT_S from the arrival time (a stream restarted, a clock reset) re-anchors
        it. Lock held."""
        if t is None or not math.isfinite(t):
            return now
        if self._capture0 is None:
            self._capture0 = (t, now)
        placed = self._capture0[1] + (t - self._capture0[0])
        if abs(placed - now) > MAX_CAPTURE_DRIFT_S:
            self._capture0 = (t, now)
            placed = now
        return placed

    def process(self, rgb: np.ndarray, t: float | None = None) -> np.ndarray:
        """Camera frame (H, W, 3) uint8 RGB -> annotated (reference panel | user panel), uint8
        RGB, even sides. `t`: the frame's capture time on the camera's clock, seconds (any
        origin; None: the time it arrived). Never blocks on the recorder."""
        started = time.perf_counter()
        if not (isinstance(rgb, np.ndarray) and rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8):
            raise ValueError(f"process: expected an (H, W, 3) uint8 RGB frame, got "
                             f"{getattr(rgb, 'shape', type(rgb))} {getattr(rgb, 'dtype', '')}")
        with self._lock:
            now = self._frame_time(self._clock(), t)
            if self._t0 is None:
                self._t0 = now
            phase, countdown, ref_t, rep = self._clock_at(now)
        pose = self._pose(rgb) if phase != "finished" else None
        t_pose = time.perf_counter()

        # Reference seconds danced so far: the scorer's window runs on it, so a looping section
        # keeps its window across the jump back to the section's start.
        danced = ref_t if self.section is None else rep * self.section.span_s + ref_t - self.section.start_s
        h, w = rgb.shape[:2]
        idx = self.reference.index_at(ref_t)
        guide = live = None
        if pose is not None and pose.detected:
            guide = fit_guide(self.reference.world[idx], pose.image, (w, h), mirror=self.mirror,
                              user_world=pose.world)
            if phase == "dancing":
                live = self._scorer.score(pose.world, ref_t, user_image=pose.image, window_t=danced)
        t_fit = time.perf_counter()
        warming_up = phase == "dancing" and not self._scorer.ready(danced)

        with self._lock:
            self._update(now, phase, ref_t, pose, live, warming_up, rep)
            score, worst, message = self._score, self._worst, self._message
        out = self._overlay.draw(rgb, phase, countdown, ref_t, idx, pose, guide, score, worst, message,
                                 note=self._section_note(rep))
        t_draw = time.perf_counter()

        if phase == "dancing" and self._recorder is not None:
            with self._lock:   # finish() closes the recorder under the same lock
                if not self._stopped:
                    self._recorder.put(rgb, ref_t - self.reference.start_s)
        done = time.perf_counter()
        self.last_timings = {"pose": 1e3 * (t_pose - started), "fit_score": 1e3 * (t_fit - t_pose),
                             "draw": 1e3 * (t_draw - t_fit), "record": 1e3 * (done - t_draw)}
        with self._lock:
            self._ms.append(1e3 * (done - started))
        return out

    def _section_note(self, rep: int) -> str | None:
        """What the reference panel adds for a section, e.g. "REP 2/3 0.5x"; None without one."""
        sec = self.section
        return None if sec is None else f"REP {rep + 1}/{sec.loops} {sec.speed:g}x"

    def _pose(self, rgb: np.ndarray):
        with self._pose_lock:
            if self._closed:
                return None
            if self._estimator is None:
                from engine.io.pose import PoseEstimator  # created here: in the thread that uses it
                ex = self.extract_settings
                self._estimator = PoseEstimator(model_complexity=ex.model_complexity, segmentation=False,
                                                min_detection_confidence=ex.min_detection_confidence,
                                                min_tracking_confidence=ex.min_tracking_confidence)
            return self._estimator.process(rgb)

    def _update(self, now: float, phase: str, ref_t: float, pose, live: LiveScore | None,
                warming_up: bool, rep: int = 0) -> None:
        """Counters, smoothed scores, history and advice after one frame. Lock held."""
        self._frames_in += 1
        if live is None:
            self._score, self._joint_ema, self._last_t = None, {}, None
        else:
            self._frames_scored += 1
            dt = 0.0 if self._last_t is None else max(now - self._last_t, 0.0)
            a = 1.0 if self._score is None else 1.0 - math.exp(-dt / SCORE_SMOOTH_S)
            self._score = live.score if self._score is None else self._score + a * (live.score - self._score)
            self._joint_ema = {k: v if k not in self._joint_ema else self._joint_ema[k] + a * (v - self._joint_ema[k])
                               for k, v in live.joint_scores.items()}
            self._last_t = now
            self._history.append((round(ref_t, 3), round(self._score, 1)))
            # Each repetition's own mean of the raw frame scores (the smoothing would carry one into the next).
            self._rep_sums[rep][0] += live.score
            self._rep_sums[rep][1] += 1.0
        self._worst = pick_worst_joint(self._joint_ema, self.settings)
        self._message = _advice(phase, pose, live, warming_up, self._scorer.history_s)

    def state(self) -> LiveState:
        """Snapshot for the page; phase and reference time are read from the clock now."""
        with self._lock:
            phase, countdown, ref_t, rep = self._clock_at(self._clock())
            score = None if self._score is None else round(self._score, 1)
            reps = tuple(None if n == 0 else round(total / n, 1) for total, n in self._rep_sums[:rep + 1])
            return LiveState(phase=phase, countdown_s=countdown, ref_t=ref_t, score=score,
                             worst_joint=self._worst, history=tuple(self._history), frames_in=self._frames_in,
                             frames_scored=self._frames_scored,
                             ms_per_frame=float(np.mean(self._ms)) if self._ms else 0.0,
                             message=self._message, repetition=rep,
                             repetition_scores=reps if self.section is not None else ())

    @property
    def frames_dropped(self) -> int:
        """Camera frames the recorder had to drop (its queue was full)."""
        return 0 if self._recorder is None else self._recorder.dropped

    def finish(self) -> Path | None:
        """Stop, flush and close the recording. Returns the MP4 path, or None when there is no
        recorder or less than MIN_RECORDING_S of dancing was recorded (the file is then deleted).
        Idempotent. Raises EngineError when the recording could not be written."""
        with self._finish_lock:
            if self._finished:
                return self._result
            with self._lock:
                self._stopped = True
            self._finished = True
            rec = self._recorder
            if rec is None:
                return None
            span = rec.stop()
            if rec.error is not None:
                rec.discard()
                raise EngineError(f"The practice recording could not be written to {rec.path}: {rec.error}")
            if span >= MIN_RECORDING_S:
                self._result = rec.keep()
            else:
                rec.discard()
            return self._result

    def close(self) -> None:
        """Release the pose model and the writer (idempotent). A recording not yet returned by
        finish() is discarded."""
        with self._finish_lock:
            if not self._finished and self._recorder is not None:
                with self._lock:
                    self._stopped = True
                self._recorder.stop()
                self._recorder.discard()
                self._finished = True
        with self._pose_lock:
            if self._estimator is not None and not self._closed:
                self._estimator.close()
            self._closed = True

    def __enter__(self) -> PracticeSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def attempt_alignment(settings: AlignSettings) -> AlignSettings:
    """The alignment settings for comparing a recording from `PracticeSession.finish` with its
    reference: sync "auto" becomes "none", since the recording is already on the reference's
    clock (recording time t = reference time t + ``start_s``, 0 for nearly every file) and DTW
    takes up the dancer's reaction lag; a sync method the user chose ("audio", "motion") is kept.

    (Searched again, a recording without music was once put 6.2 s off by a motion offset of
    confidence 0.52 and the reference's own dance scored 20 / 100 instead of ~90.)"""
    return replace(settings, sync="none") if settings.sync == "auto" else settings


def _advice(phase: str, pose, live: LiveScore | None, warming_up: bool = False,
            window_s: float = HISTORY_S) -> str | None:
    """One line of plain advice for the current frame, or None. `warming_up`: dancing, but less
    than the scorer's window has been danced (no score yet)."""
    if phase == "finished":
        return "Finished: press stop to see your results"
    if pose is None or not pose.detected:
        return "Nobody in view: step into the frame"
    visible = seen(pose.world)
    if not visible[TORSO].all():
        return "Show your shoulders and hips to the camera"
    if not visible[LEGS].all():
        return "Step back: your feet are out of view"
    if phase == "dancing" and live is None:
        if warming_up:
            return f"Keep dancing: the live score starts after {window_s:g} s"
        return "Too little of you is visible: step back"
    return None


