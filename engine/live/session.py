"""Live practice: a dancer in front of a camera against a reference clip, frame by frame.

Per camera frame (`PracticeSession.process`, called from the camera's worker thread): pose
(MediaPipe) -> pose guide (the reference's pose at the current reference time, fitted to the
user's body) -> live score (joint angles against the reference around that time) -> drawing
(reference panel | user panel) -> the raw frame to a background H.264 writer.

Reference clock: it starts when the first camera frame arrives. `countdown_s` of countdown
follow (the reference shows its first frame, the guide its first pose, so the user can get into
position), then reference time runs from the reference's first frame at wall-clock speed; once
it passes the reference's end the phase is "finished" and the page calls `finish()`, which
returns the recording for the normal comparison pipeline. Recording time t corresponds to
reference time ``t + reference.start_s`` (``start_s`` is 0 for nearly every file), to within one
camera frame.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from engine.analysis.clean import clean
from engine.analysis.metrics import joint_angles
from engine.analysis.normalize import MIN_TORSO_M, mirror_world, normalize_details
from engine.analysis.score import ANGLE_POINTS, POSE_HALF_DEG, falloff, joint_tables, student_joint
from engine.core.body import JOINT_GROUP, N_LANDMARKS, SCORED_JOINTS, hip_centre
from engine.core.body import Landmark as L
from engine.core.errors import EngineError
from engine.core.performance import Performance
from engine.core.settings import ScoreSettings
from engine.io.encode import PIX_FMT, _h264_encoder  # the project's one encoder choice
from engine.io.video import frames as decode_frames
from engine.io.video import probe
from engine.present.render import BAD_COLOR, HIGHLIGHT_BELOW, draw_skeleton

#: A landmark counts as seen at this visibility or above (as the scorer and cleaner use).
MIN_VISIBILITY = 0.5
#: Fewer visible scored joints than this and a frame gets no score.
MIN_SCORED_JOINTS = 4
#: Half-width of the reference window a pose is matched in, seconds (being late is not wrong).
WINDOW_S = 0.3
#: A joint is named as "worst" only when it scores below this (same threshold as the video).
WORST_BELOW = HIGHLIGHT_BELOW
#: Time constant of the on-screen score smoothing, seconds.
SCORE_SMOOTH_S = 0.25
#: Points kept for the rolling chart; process() times averaged for `ms_per_frame`.
HISTORY_LEN = 600
TIMING_FRAMES = 50
#: Recording: queue length (frames; full -> the frame is dropped), nominal rate (the last
#: frame's duration), shortest kept recording (seconds), libx264 settings.
RECORD_QUEUE = 8
RECORD_RATE = 30
MIN_RECORDING_S = 1.0
RECORD_CRF = 23
RECORD_PRESET = "veryfast"
#: Reference frames are kept as JPEG of this quality (~20 KB each at 480 px high).
JPEG_QUALITY = 80
#: Drawing (RGB): the guide is translucent amber over the camera picture.
GUIDE_COLOR = (255, 190, 0)
GUIDE_ALPHA = 0.6
TEXT_COLOR = (255, 255, 255)
PLAIN_BACKGROUND = (32, 32, 36)
FONT = cv2.FONT_HERSHEY_SIMPLEX

_TORSO = np.array([L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP], dtype=np.intp)
_LEGS = np.array([L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE], dtype=np.intp)
#: (J, 33) bool: the landmarks each scored angle is computed from.
_ANGLE_MEMBERS = np.zeros((len(SCORED_JOINTS), N_LANDMARKS), dtype=bool)
for _j, _pts in enumerate(ANGLE_POINTS):
    _ANGLE_MEMBERS[_j, list(_pts)] = True


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


def _seen(landmarks: np.ndarray) -> np.ndarray:
    """(33, >=4) landmarks -> (33,) bool: finite position and visibility >= MIN_VISIBILITY."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(landmarks[:, :3]).all(axis=1) & (landmarks[:, 3] >= MIN_VISIBILITY)


# --- the reference ----------------------------------------------------------------------------

class ReferenceFrames:
    """A reference video's frames, decoded once at display size and kept as JPEG bytes.

    10-20 KB a frame at 480 px high (the 21.7 s callme404 teacher, 216x480: 11 MB); `frame_at`
    decodes one in ~1 ms and caches the last one, so a camera faster than the clip does not
    decode twice.
    """

    def __init__(self, times: np.ndarray, jpegs: list[bytes], size: tuple[int, int]) -> None:
        if len(times) != len(jpegs) or not jpegs:
            raise ValueError(f"ReferenceFrames: need as many times as frames (> 0), got {len(times)}, {len(jpegs)}")
        self._t = np.asarray(times, dtype=np.float64)
        self._jpegs = jpegs
        self.size = size                        # (width, height) of every frame, pixels
        self._last: tuple[int, np.ndarray | None] = (-1, None)

    @classmethod
    def from_video(cls, path: str | Path, *, fps: float = 30.0, height: int = 480,
                   quality: int = JPEG_QUALITY) -> ReferenceFrames:
        """Decode `path` at (at most) `fps`, scaled to `height` px (even sides), as JPEG. VideoError."""
        info = probe(path)
        height = _even(height)
        width = _even(height * info.width / max(info.height, 1))
        max_side = math.ceil(max(info.width, info.height) * height / max(info.height, 1))
        times, jpegs = [], []
        for t, rgb in decode_frames(path, fps=fps, max_side=max(max_side, 2)):
            if rgb.shape[:2] != (height, width):
                rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                raise EngineError(f"{Path(path).name}: could not compress frame {len(jpegs)} for display")
            times.append(t)
            jpegs.append(buf.tobytes())
        return cls(np.array(times), jpegs, (width, height))

    def __len__(self) -> int:
        return len(self._jpegs)

    @property
    def nbytes(self) -> int:
        return sum(len(j) for j in self._jpegs)

    def index_at(self, t: float) -> int:
        """Index of the frame shown at reference time t, seconds: the last one starting at or
        before t (the first frame for earlier t)."""
        return max(int(np.searchsorted(self._t, t + 1e-6, side="right")) - 1, 0)

    def frame_at(self, t: float) -> np.ndarray:
        """(H, W, 3) uint8 RGB, read-only: the frame shown at reference time t, seconds."""
        i = self.index_at(t)
        last_i, img = self._last
        if i != last_i or img is None:
            img = cv2.cvtColor(cv2.imdecode(np.frombuffer(self._jpegs[i], np.uint8), cv2.IMREAD_COLOR),
                               cv2.COLOR_BGR2RGB)
            img.flags.writeable = False
            self._last = (i, img)
        return img


@dataclass(frozen=True, eq=False)
class LiveReference:
    """What live practice needs of a reference clip, precomputed once.

    t : (N,) float32 seconds from the reference file's start
    image, world : (N, 33, 4) float32 cleaned (engine.analysis.clean) image / world landmarks
    angles : (N, J) float32 joint angles, degrees (`body.SCORED_JOINTS` columns)
    fps : analysis frame rate, frames/s
    frames : display frames, or None (the panel then shows the skeleton on a plain background)
    size : (width, height) of the source video, pixels: the plain panel's aspect ratio
    """

    name: str
    t: np.ndarray
    image: np.ndarray
    world: np.ndarray
    angles: np.ndarray
    fps: float
    frames: ReferenceFrames | None
    size: tuple[int, int] = (640, 480)

    def __post_init__(self) -> None:
        n = self.t.shape[0] if self.t.ndim == 1 else -1
        for name, arr, shape in (("image", self.image, (n, N_LANDMARKS, 4)), ("world", self.world, (n, N_LANDMARKS, 4)),
                                 ("angles", self.angles, (n, len(SCORED_JOINTS)))):
            if arr.shape != shape:
                raise ValueError(f"LiveReference.{name}: expected shape {shape}, got {arr.shape}")
        if n < 1 or not self.fps > 0:
            raise ValueError(f"LiveReference needs >= 1 frame and fps > 0, got {n} frames at {self.fps}")

    @property
    def start_s(self) -> float:
        """Time of the first frame, seconds (where the reference clock starts)."""
        return float(self.t[0])

    @property
    def duration_s(self) -> float:
        """End of the analyzed span, seconds from the file start (last timestamp + one frame)."""
        return float(self.t[-1]) + 1.0 / self.fps

    def index_at(self, t: float) -> int:
        """Index of the frame shown at reference time t, seconds (clamped to the clip)."""
        return max(int(np.searchsorted(self.t, t + 1e-6, side="right")) - 1, 0)

    @classmethod
    def from_performance(cls, perf: Performance, video_path: str | Path | None, *,
                         display_height: int = 480) -> LiveReference:
        """Clean `perf`, compute its joint angles, and decode `video_path` for display (None: no
        video, the skeleton is shown instead). Raises VideoError for an unreadable video."""
        cleaned = clean(perf)
        shown = None if video_path is None else ReferenceFrames.from_video(video_path, fps=perf.fps,
                                                                           height=display_height)
        return cls(name=perf.source.file, t=perf.t.astype(np.float32), image=cleaned.image, world=cleaned.world,
                   angles=joint_angles(cleaned.world), fps=float(perf.fps), frames=shown,
                   size=(int(perf.source.width), int(perf.source.height)))


# --- the pose guide ---------------------------------------------------------------------------

def _facing(xyz: np.ndarray) -> float | None:
    """Yaw of a (33, 3) pose's left-right line, radians from +x toward +z (engine.analysis.normalize's
    convention: 0 faces the camera); None when it cannot be measured."""
    arr = np.concatenate([xyz, np.ones((N_LANDMARKS, 1))], axis=1)[None]
    yaw = float(normalize_details(arr).yaw_rad[0])
    return yaw if np.isfinite(yaw) else None


def fit_guide(reference_world: np.ndarray, user_image: np.ndarray, frame_size: tuple[int, int], *,
              mirror: bool = False, user_world: np.ndarray | None = None,
              face_user: bool = True) -> np.ndarray | None:
    """The reference's pose drawn onto the user's body.

    The reference world landmarks (metres, hip-centred, y down) are optionally mirrored
    (`normalize.mirror_world`: the user copies the teacher like a mirror image), turned about
    the vertical to face the way the user faces (`face_user`), projected orthographically onto
    the image plane, scaled so that the reference's 3D torso length equals the user's torso
    length in pixels, and placed with its hip centre on the user's. A reference bending toward
    the camera is therefore shown foreshortened, not enlarged to the user's on-screen torso;
    the user's torso is measured on screen, so a user bending toward the camera gets a smaller
    guide while they bend (upright users, the usual case, get an exact fit).

    Parameters
    ----------
    reference_world : (33, 4) reference world landmarks: x, y, z metres, visibility
    user_image : (33, 4) the user's image landmarks: x, y normalized to the frame, z, visibility
    frame_size : (width, height) of the user's frame, pixels
    mirror : mirror the reference left <-> right first
    user_world : (33, 4) the user's world landmarks; when given, the user's facing is measured
        on them (better than the image landmarks' relative z)
    face_user : turn the reference to face the way the user faces

    Returns
    -------
    (33, 4) float32 guide landmarks in the user's image coordinates (x, y in 0..1 of the frame,
    z relative like x, the reference's visibility), for `render.draw_skeleton`; None when the
    user's shoulders and hips are not all visible or the reference has no torso.
    """
    ref = np.asarray(reference_world, dtype=np.float64)
    user = np.asarray(user_image, dtype=np.float64)
    for name, arr in (("reference_world", ref), ("user_image", user)):
        if arr.shape != (N_LANDMARKS, 4):
            raise ValueError(f"fit_guide: {name} must be ({N_LANDMARKS}, 4), got {arr.shape}")
    if not _seen(user)[_TORSO].all():
        return None
    if mirror:
        ref = mirror_world(ref[None])[0].astype(np.float64)
    w, h = frame_size
    xyz = ref[:, :3] - 0.5 * (ref[L.LEFT_HIP, :3] + ref[L.RIGHT_HIP, :3])
    torso_m = float(np.linalg.norm(0.5 * (xyz[L.LEFT_SHOULDER] + xyz[L.RIGHT_SHOULDER])))
    if not (np.isfinite(torso_m) and torso_m > MIN_TORSO_M):
        return None
    if face_user:
        mine = _facing(user_world[:, :3]) if user_world is not None else _facing(user[:, :3] * (w, h, w))
        theirs = _facing(xyz)
        if mine is not None and theirs is not None:
            c, s = math.cos(mine - theirs), math.sin(mine - theirs)
            xyz[:, 0], xyz[:, 2] = c * xyz[:, 0] - s * xyz[:, 2], s * xyz[:, 0] + c * xyz[:, 2]
    px = user[:, :2] * (w, h)
    user_hip = hip_centre(px[None])[0]
    torso_px = float(np.linalg.norm(0.5 * (px[L.LEFT_SHOULDER] + px[L.RIGHT_SHOULDER]) - user_hip))
    scale = torso_px / torso_m                                  # pixels per reference metre
    out = np.empty((N_LANDMARKS, 4), dtype=np.float32)
    out[:, 0] = (user_hip[0] + scale * xyz[:, 0]) / w
    out[:, 1] = (user_hip[1] + scale * xyz[:, 1]) / h
    out[:, 2] = scale * xyz[:, 2] / w
    out[:, 3] = ref[:, 3]
    return out


# --- the live score ---------------------------------------------------------------------------

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
    over joints whose landmarks all have visibility >= MIN_VISIBILITY. With `mirror`, the
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
        hidden = ~_seen(user)
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


# --- recording --------------------------------------------------------------------------------

class _Recorder:
    """Raw camera frames -> H.264 MP4 (variable frame rate, real timestamps) on its own thread.

    `put` never blocks: a full queue drops the frame and counts it. The file is written to a
    hidden temporary name beside `path`; after `stop`, `keep` renames it into place, `discard`
    deletes it.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:12]}.part")
        self._queue: queue.Queue = queue.Queue(maxsize=RECORD_QUEUE)
        self._thread: threading.Thread | None = None
        self._open = True
        self.dropped = self.written = 0
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.error: BaseException | None = None

    def put(self, rgb: np.ndarray, t: float) -> None:
        """Queue a copy of one frame taken at recording time t (s); drops it if the queue is full."""
        if not self._open or self.error is not None:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="live-recorder", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((rgb.copy(), t))
        except queue.Full:
            self.dropped += 1

    def stop(self) -> float:
        """Flush and stop the writer (blocks until it is done). Returns the recorded span,
        seconds: first to last frame plus one nominal frame; 0 when nothing was written."""
        if self._open:
            self._open = False
            while self._thread is not None and self._thread.is_alive():
                try:
                    self._queue.put(None, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if self._thread is not None:
                self._thread.join()
        if self.first_t is None or self.last_t is None:
            return 0.0
        return self.last_t - self.first_t + 1.0 / RECORD_RATE

    def keep(self) -> Path:
        os.replace(self._tmp, self.path)
        return self.path

    def discard(self) -> None:
        self._tmp.unlink(missing_ok=True)

    def _run(self) -> None:
        out = stream = None
        last_pts = -1
        try:
            while (item := self._queue.get()) is not None:
                rgb, t = item
                if out is None:
                    out = av.open(str(self._tmp), mode="w", format="mp4")
                    stream = out.add_stream(_h264_encoder(), rate=RECORD_RATE)
                    stream.width, stream.height = rgb.shape[1] // 2 * 2, rgb.shape[0] // 2 * 2
                    stream.pix_fmt = PIX_FMT
                    # zerolatency: no B-frames, so variable-rate timestamps give the right duration.
                    stream.options = {"crf": str(RECORD_CRF), "preset": RECORD_PRESET, "tune": "zerolatency"}
                    stream.codec_context.time_base = Fraction(1, 1000)
                if rgb.shape[:2] != (stream.height, stream.width):
                    rgb = cv2.resize(rgb, (stream.width, stream.height), interpolation=cv2.INTER_AREA)
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = last_pts = max(int(round(t * 1000)), last_pts + 1)
                frame.time_base = Fraction(1, 1000)
                out.mux(stream.encode(frame))
                self.first_t = t if self.first_t is None else self.first_t
                self.last_t = t
                self.written += 1
            if out is not None:
                out.mux(stream.encode(None))
        except (av.FFmpegError, OSError, ValueError, EngineError) as exc:
            self.error = exc
        finally:
            if out is not None:
                try:
                    out.close()
                except (av.FFmpegError, OSError) as exc:
                    self.error = self.error or exc


# --- the session ------------------------------------------------------------------------------

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


class PracticeSession:
    """One live practice attempt. process() is called from streamlit-webrtc's worker thread,
    state()/finish()/close() from the page's script thread: thread-safe.

    Per frame (bounded work, nothing queued): pose, guide, score (dancing only), drawing, and
    during "dancing" the raw, unflipped camera frame to the recorder. The on-screen score and
    per-joint scores are smoothed exponentially (SCORE_SMOOTH_S on the session clock).
    `selfie_view` flips the user panel for display (drawings are placed after the flip).
    `estimator`: an object with .process(rgb) -> pose.PoseFrame and .close(); default: a
    MediaPipe PoseEstimator(model_complexity=1) created in the worker thread on the first frame.
    `clock`: seconds, monotonic (tests pass a fake one).
    """

    def __init__(self, reference: LiveReference, settings: ScoreSettings = ScoreSettings(), *,
                 countdown_s: float = 3.0, mirror: bool = False, selfie_view: bool = True,
                 record_path: str | Path | None = None, estimator=None, clock=time.monotonic) -> None:
        if not countdown_s >= 0:
            raise ValueError(f"countdown_s must be >= 0 seconds, got {countdown_s}")
        self.reference, self.settings = reference, settings
        self.mirror, self.selfie_view, self.countdown_s = mirror, selfie_view, float(countdown_s)
        self._scorer = LiveScorer(reference, settings, mirror=mirror)
        self._estimator, self._clock = estimator, clock
        self._recorder = _Recorder(record_path) if record_path is not None else None
        self._lock = threading.Lock()          # everything state() reads
        self._pose_lock = threading.Lock()     # the model: one user at a time, never after close
        self._finish_lock = threading.Lock()
        self._t0: float | None = None
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
        self._panel_cache: tuple[tuple[int, int], np.ndarray] | None = None
        #: ms spent in each stage of the last process() call: pose, fit_score, draw, record.
        self.last_timings: dict[str, float] = {}

    # -- clock --

    def _timeline(self, now: float) -> tuple[str, float, float]:
        """(phase, countdown left s, reference time s) at session-clock time `now`. Lock held."""
        start = self.reference.start_s
        if self._t0 is None:
            return "waiting", self.countdown_s, start
        elapsed = now - self._t0
        if elapsed < self.countdown_s:
            return ("finished" if self._stopped else "countdown"), self.countdown_s - elapsed, start
        ref_t = start + elapsed - self.countdown_s
        end = self.reference.duration_s
        over = ref_t >= end - 1e-6          # t is float32: its last frame + 1/fps may round up
        return ("finished" if self._stopped or over else "dancing"), 0.0, min(ref_t, end)

    # -- per frame --

    def process(self, rgb: np.ndarray) -> np.ndarray:
        """Camera frame (H, W, 3) uint8 RGB -> annotated (reference panel | user panel), uint8
        RGB, even sides. Never blocks on the recorder."""
        started = time.perf_counter()
        if not (isinstance(rgb, np.ndarray) and rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8):
            raise ValueError(f"process: expected an (H, W, 3) uint8 RGB frame, got "
                             f"{getattr(rgb, 'shape', type(rgb))} {getattr(rgb, 'dtype', '')}")
        now = self._clock()
        with self._lock:
            if self._t0 is None:
                self._t0 = now
            phase, countdown, ref_t = self._timeline(now)
        pose = self._pose(rgb) if phase != "finished" else None
        t_pose = time.perf_counter()

        h, w = rgb.shape[:2]
        idx = self.reference.index_at(ref_t)
        guide = live = None
        if pose is not None and pose.detected:
            guide = fit_guide(self.reference.world[idx], pose.image, (w, h), mirror=self.mirror,
                              user_world=pose.world)
            if phase == "dancing":
                live = self._scorer.score(pose.world, ref_t)
        t_fit = time.perf_counter()

        with self._lock:
            self._update(now, phase, ref_t, pose, live)
            score, worst, message = self._score, self._worst, self._message
        out = self._draw(rgb, phase, countdown, ref_t, idx, pose, guide, score, worst, message)
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

    def _pose(self, rgb: np.ndarray):
        with self._pose_lock:
            if self._closed:
                return None
            if self._estimator is None:
                from engine.io.pose import PoseEstimator  # created here: in the thread that uses it
                self._estimator = PoseEstimator(model_complexity=1, segmentation=False)
            return self._estimator.process(rgb)

    def _update(self, now: float, phase: str, ref_t: float, pose, live: LiveScore | None) -> None:
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
        self._worst = pick_worst_joint(self._joint_ema, self.settings)
        self._message = _advice(phase, pose, live)

    def state(self) -> LiveState:
        """Snapshot for the page; phase and reference time are read from the clock now."""
        with self._lock:
            phase, countdown, ref_t = self._timeline(self._clock())
            score = None if self._score is None else round(self._score, 1)
            return LiveState(phase=phase, countdown_s=countdown, ref_t=ref_t, score=score,
                             worst_joint=self._worst, history=tuple(self._history), frames_in=self._frames_in,
                             frames_scored=self._frames_scored,
                             ms_per_frame=float(np.mean(self._ms)) if self._ms else 0.0,
                             message=self._message)

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

    # -- drawing --

    def _reference_panel(self, ref_t: float, idx: int, height: int) -> np.ndarray:
        """The reference at ref_t scaled to `height` px (even width): a fresh, writable array."""
        shown = self.reference.frames
        if shown is None:
            width = _even(height * self.reference.size[0] / max(self.reference.size[1], 1))
            key = (-1, height)
            if self._panel_cache is None or self._panel_cache[0] != key:
                self._panel_cache = (key, np.full((height, width, 3), PLAIN_BACKGROUND, np.uint8))
            return draw_skeleton(self._panel_cache[1].copy(), self.reference.image[idx], color=GUIDE_COLOR)
        img = shown.frame_at(ref_t)
        if img.shape[0] == height:
            return img.copy()
        key = (shown.index_at(ref_t), height)
        if self._panel_cache is None or self._panel_cache[0] != key:
            width = _even(height * img.shape[1] / img.shape[0])
            self._panel_cache = (key, cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA))
        return self._panel_cache[1].copy()

    def _draw(self, rgb, phase, countdown, ref_t, idx, pose, guide, score, worst, message) -> np.ndarray:
        h, w = rgb.shape[:2]
        ref = self._reference_panel(ref_t, idx, h)
        rw = ref.shape[1]
        out = np.empty((h + h % 2, rw + w + w % 2, 3), np.uint8)
        out[:h, :rw] = ref
        out[:h, rw:rw + w] = cv2.flip(rgb, 1) if self.selfie_view else rgb   # cv2: 30x numpy's [:, ::-1]
        if h % 2:
            out[h] = out[h - 1]
        if w % 2:
            out[:, -1] = out[:, -2]
        user = out[:h, rw:rw + w]
        flip = _flip_x if self.selfie_view else (lambda lm: lm)
        if guide is not None:
            _draw_guide(user, flip(guide))
        if pose is not None and pose.detected:
            draw_skeleton(user, flip(pose.image), [worst] if worst else [])
        _draw_user_text(user, phase, score, worst, message)
        _draw_reference_text(out[:h, :rw], self.reference, ref_t)
        if phase == "countdown":
            for panel in (out[:h, :rw], user):
                _centred(panel, str(max(1, math.ceil(countdown))), panel.shape[0] / 90.0)
        return out


def _advice(phase: str, pose, live: LiveScore | None) -> str | None:
    """One line of plain advice for the current frame, or None."""
    if phase == "finished":
        return "Finished: press stop to see your results"
    if pose is None or not pose.detected:
        return "Nobody in view: step into the frame"
    seen = _seen(pose.world)
    if not seen[_TORSO].all():
        return "Show your shoulders and hips to the camera"
    if not seen[_LEGS].all():
        return "Step back: your feet are out of view"
    if phase == "dancing" and live is None:
        return "Too little of you is visible: step back"
    return None


# --- drawing helpers (all in place on RGB panels) ---------------------------------------------

def _flip_x(landmarks: np.ndarray) -> np.ndarray:
    """Image landmarks of the horizontally flipped frame (x -> 1 - x); a copy."""
    out = np.array(landmarks, dtype=np.float32, copy=True)
    out[:, 0] = 1.0 - out[:, 0]
    return out


def _draw_guide(panel: np.ndarray, guide: np.ndarray) -> None:
    """The guide skeleton, GUIDE_ALPHA-translucent; only its bounding box is blended."""
    h, w = panel.shape[:2]
    thick = max(3, round(h / 80))
    pts = guide[np.isfinite(guide[:, :2]).all(axis=1), :2] * (w, h)
    if pts.size == 0:
        return
    pad = 3 * thick + 4
    x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int) - pad, 0, (w, h))
    x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int) + pad, 0, (w, h))
    if x1 <= x0 or y1 <= y0:
        return
    layer = panel.copy()
    draw_skeleton(layer, guide, color=GUIDE_COLOR, thickness=thick)
    panel[y0:y1, x0:x1] = cv2.addWeighted(layer[y0:y1, x0:x1], GUIDE_ALPHA, panel[y0:y1, x0:x1],
                                          1.0 - GUIDE_ALPHA, 0.0)


def _label(img: np.ndarray, text: str, org: tuple[int, int], scale: float, color=TEXT_COLOR,
           anchor_right: bool = False) -> int:
    """Text on a dark box at baseline-left `org` (or ending at org's x); returns its height px."""
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    x = org[0] - tw if anchor_right else org[0]
    y0, y1 = max(org[1] - th - 4, 0), min(org[1] + base + 2, img.shape[0])
    x0, x1 = max(x - 4, 0), min(x + tw + 4, img.shape[1])
    if y1 > y0 and x1 > x0:
        img[y0:y1, x0:x1] = (img[y0:y1, x0:x1] >> 1) >> 1    # darken to a quarter
    cv2.putText(img, text, (x, org[1]), FONT, scale, color, thick, cv2.LINE_AA)
    return th + base + 6


def _fit_scale(text: str, max_width: int, scale: float) -> float:
    """The largest font scale <= `scale` at which `text` is at most `max_width` pixels wide."""
    (tw, _), _ = cv2.getTextSize(text, FONT, scale, max(1, round(scale * 2)))
    return scale if tw <= max_width else max(scale * max_width / max(tw, 1), 0.3)


def _centred(img: np.ndarray, text: str, scale: float) -> None:
    """Big countdown digit in the middle of a panel, outlined so it reads on any picture."""
    thick = max(2, round(scale * 2.5))
    (tw, th), _ = cv2.getTextSize(text, FONT, scale, thick)
    org = ((img.shape[1] - tw) // 2, (img.shape[0] + th) // 2)
    cv2.putText(img, text, org, FONT, scale, (0, 0, 0), thick + 6, cv2.LINE_AA)
    cv2.putText(img, text, org, FONT, scale, GUIDE_COLOR, thick, cv2.LINE_AA)


def _draw_user_text(panel: np.ndarray, phase: str, score: float | None, worst: str | None,
                    message: str | None) -> None:
    """Score big in the top-right corner, the worst joint under it, advice along the bottom."""
    h, w = panel.shape[:2]
    base = h / 480.0
    right, y = w - 10, int(60 * base)
    if phase == "dancing":
        y += _label(panel, "--" if score is None else f"{score:.0f}", (right, y), 2.0 * base, anchor_right=True)
        if worst:
            _label(panel, worst.replace("_", " "), (right, y + int(10 * base)), 0.8 * base, BAD_COLOR,
                   anchor_right=True)
    if message:
        _label(panel, message, (10, h - int(14 * base)), _fit_scale(message, w - 28, 0.7 * base))


def _draw_reference_text(panel: np.ndarray, reference: LiveReference, ref_t: float) -> None:
    h, w = panel.shape[:2]
    text = f"REFERENCE {ref_t:5.1f} / {reference.duration_s:.1f} s"
    scale = _fit_scale(text, w - 20, 0.6 * h / 480.0)
    _label(panel, text, (6, int(24 * h / 480.0)), scale)
