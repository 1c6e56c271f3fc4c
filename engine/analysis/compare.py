"""The expensive half of a comparison: load both clips, sync, normalize, align, measure per pair.

`analyze` -> `Analysis` holds everything that does not depend on weights or tolerances, so the
dashboard rescores (`score.score`) without re-extracting and without rerunning DTW, and draws its
charts from it without recomputing anything (`Analysis.cost_grid` for the warp path).
`analyze_against_reference` compares with a reference whose video may be gone (cached poses only).
"""

from __future__ import annotations

import threading
import warnings
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from engine.analysis import metrics
from engine.analysis.align import Alignment, cost_matrix, dtw
from engine.analysis.beats import NO_AUDIO, BeatGrid, beat_grid, no_beats
from engine.analysis.clean import clean
from engine.analysis.metrics import limbs
from engine.analysis.normalize import (
    choose_mirror,
    joint_features,
    mirror_image,
    mirror_world,
    normalize,
    shown_core_joints,
)
from engine.analysis.soundtrack import AUDIO_SR, clip_soundtrack
from engine.analysis.sync import OnsetEnvelope, SyncResult, motion_energy, motion_signature, sync
from engine.core.arrays import thin_indices
from engine.core.body import CORE_JOINTS
from engine.core.errors import CacheError, CompareError, VideoError
from engine.core.performance import Performance
from engine.core.progress import Progress
from engine.core.settings import AlignSettings, CleanSettings, ExtractSettings
from engine.io.store import DEFAULT_CACHE_DIR, load, load_or_extract

#: Shortest stretch of common dancing that can be compared, seconds.
MIN_OVERLAP_S = 1.0
#: Active spans differing more than this factor are not two takes of the same section.
MAX_LENGTH_RATIO = 4.0
#: Silhouettes are compared on every this-many path pairs (and interpolated between).
SILHOUETTE_STRIDE = 2
#: Frames per axis of the pose-distance grid kept for the warp-path chart (browsers stay fast).
COST_GRID_SIDE = 240
#: Rolling window of each limb's typical direction error (the dancer's style, `Analysis.limb_baseline`),
#: seconds: several dance moves, so one mistake (a move, about 1 s) is less than half of it and
#: does not raise the median it is measured against.
STYLE_BASELINE_S = 4.0
#: A dancer faces away from the camera when the body's forward axis has a component along the
#: camera's viewing direction (MediaPipe world z grows away from the camera) above this: turned
#: more than 90 degrees. MediaPipe then often labels the body as if seen from the front (left
#: and right exchanged), so the body frame, and every limb direction in it, cannot be trusted.
FACING_AWAY_Z = 0.0
#: A limb is in view when both clips show it on at least this much of the aligned path, seconds
#: (fewer pairs carry no meaningful co-movement).
MIN_IN_VIEW_S = 1 / 3


@dataclass(frozen=True, eq=False)
class CostGrid:
    """The local pose distance between teacher and student frames over the aligned span, thinned.

    Attributes
    ----------
    teacher_frames : (P,) increasing frame indices into the cleaned teacher track, P <= side
    student_frames : (Q,) the same for the student
    cost : (P, Q) float64 Euclidean distance of the 12 core joints' normalized positions (unit
        weights), torso lengths: `align.cost_matrix` of the sampled frames
    """

    teacher_frames: np.ndarray
    student_frames: np.ndarray
    cost: np.ndarray


def cost_grid(teacher_norm: np.ndarray, student_norm: np.ndarray, path: np.ndarray, *,
              side: int = COST_GRID_SIDE) -> CostGrid:
    """Sample at most `side` frames per axis of the span `path` covers and measure their distances.

    Parameters
    ----------
    teacher_norm (N, 33, 4), student_norm (M, 33, 4) : whole normalized tracks (`normalize.normalize`)
    path : (K, 2) (teacher frame, student frame) indices
    """
    t_idx = np.arange(int(path[:, 0].min()), int(path[:, 0].max()) + 1)
    s_idx = np.arange(int(path[:, 1].min()), int(path[:, 1].max()) + 1)
    t_idx = t_idx[thin_indices(t_idx.size, side)]
    s_idx = s_idx[thin_indices(s_idx.size, side)]
    cost = cost_matrix(joint_features(teacher_norm[t_idx]), joint_features(student_norm[s_idx]))
    return CostGrid(teacher_frames=t_idx, student_frames=s_idx, cost=cost)


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything about a teacher/student pair that weights and tolerances do not change.

    Index conventions: `alignment.path` (K, 2) holds (teacher frame, student frame) indices into
    the full cleaned tracks. `student` itself is NOT mirrored; the derived student arrays are
    when `mirror` is True, so their joint columns line up with the teacher's (the student's
    right arm in the teacher's left column).

    Attributes
    ----------
    teacher, student : cleaned Performances (not normalized)
    sync : offset and active ranges
    mirror, mirror_confidence : whether the student danced mirrored, and how sure (0..1)
    alignment : DTW path and cost
    cost_grid : local pose distance over the aligned span, thinned for the warp-path chart
    teacher_angles (N, J), student_angles (M, J) : joint angles, degrees, SCORED_JOINTS order
    angle_error : (K, J) signed student - teacher angle per aligned pair, degrees
    limb_error : (K, L) float32 angle between the student's and the teacher's limb directions in
        each body's own frame (`metrics.limbs`, `body.LIMBS`, L = J, same columns), degrees;
        NaN where either clip does not show the limb or the tracker glitched
    limb_signed : (K, L, 3) float32 signed direction differences (out, up, forward), degrees
        (`limbs.pair_errors`)
    limb_comove : (L, 3) float64 co-movement sums (num, dt, ds) per limb over the compared
        pairs (`limbs.comovement_sums`): num / sqrt(dt ds) is the limb's correlation
    limb_pairs : (L,) int pairs compared per limb
    limb_in_view : (L,) bool, both clips show the limb on at least MIN_IN_VIEW_S of the path
    glitches : tracker glitches left out: "teacher_frames", "student_frames" (frames with any
        limb flagged on the path) and "limb_pairs" (pair x limb entries excluded, in view otherwise)
    trajectory, silhouette, dynamics : (K,) per-pair component scores 0..100 (NaN = unknown)
    dynamics_summary : energy ratio and hit statistics
    teacher_energy (N,), student_energy (M,) : motion energy, torso lengths per second
    beats : the teacher's beats and 8-counts (`beats.beat_grid`); empty, with the reason, when
        the teacher's clip has no audio or no steady beat
    """

    teacher: Performance
    student: Performance
    sync: SyncResult
    mirror: bool
    mirror_confidence: float
    alignment: Alignment
    cost_grid: CostGrid
    teacher_angles: np.ndarray
    student_angles: np.ndarray
    angle_error: np.ndarray
    limb_error: np.ndarray
    limb_signed: np.ndarray
    limb_comove: np.ndarray
    limb_pairs: np.ndarray
    limb_in_view: np.ndarray
    glitches: dict
    trajectory: np.ndarray
    silhouette: np.ndarray
    dynamics: np.ndarray
    dynamics_summary: dict
    teacher_energy: np.ndarray
    student_energy: np.ndarray
    settings: AlignSettings
    # A default, so Analyses pickled before counts existed load (and show seconds only).
    beats: BeatGrid = no_beats("the comparison was made before dance counts existed")

    @property
    def path(self) -> np.ndarray:
        return self.alignment.path

    @cached_property
    def limb_baseline(self) -> np.ndarray:
        """(K, L) rolling median of `limb_error` over STYLE_BASELINE_S along the path, degrees:
        the difference the dancer keeps anyway (style, body shape). Unseen and glitched pairs
        (NaN) are left out of the median, not counted as 0; NaN where a window holds none.
        Computed once per Analysis (in `analyze_performances`, so it travels with a pickled
        copy): it is the slowest part of a rescore."""
        err = self.limb_error.astype(np.float64)
        if err.shape[0] == 0:
            return err
        half = max(int(STYLE_BASELINE_S * self.teacher.fps), 1) // 2
        padded = np.pad(err, ((half, half), (0, 0)), constant_values=np.nan)
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0)    # (K, L, W)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)             # a window with nothing seen: NaN
            return np.nanmedian(windows, axis=-1)

    @cached_property
    def facing_away(self) -> np.ndarray:
        """(K,) bool: at this pair the teacher or the student faces away from the camera
        (`FACING_AWAY_Z`), so left and right, and the limb directions, are unreliable."""
        def away(p: Performance) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                return limbs.body_frames(p.world)[:, 2, 2] > FACING_AWAY_Z    # NaN (no shoulders): False
        return away(self.teacher)[self.path[:, 0]] | away(self.student)[self.path[:, 1]]

    @property
    def teacher_s(self) -> np.ndarray:
        """(K,) teacher time of each aligned pair, seconds from the start of the teacher file."""
        return self.teacher.t[self.path[:, 0]].astype(np.float64)

    @property
    def student_s(self) -> np.ndarray:
        return self.student.t[self.path[:, 1]].astype(np.float64)

    @property
    def late_s(self) -> np.ndarray:
        """(K,) how late the student is at each pair against the music, seconds (negative: early).

        The student danced the teacher's moment `teacher_s` at `student_s`; the music says it was
        due at `teacher_s - offset_s`.
        """
        return self.student_s + self.sync.offset_s - self.teacher_s

    @property
    def timing_reference(self) -> bool:
        """Whether `late_s` is meaningful (a trusted offset exists)."""
        return self.sync.method != "none"


def _segment(t: np.ndarray, lo: float, hi: float) -> tuple[int, int]:
    """[start, stop) frame indices with lo <= t <= hi."""
    start = int(np.searchsorted(t, lo - 1e-6, side="left"))
    stop = int(np.searchsorted(t, hi + 1e-6, side="right"))
    return start, stop


def _segments(teacher: Performance, student: Performance, s: SyncResult) -> tuple[tuple[int, int], tuple[int, int]]:
    """Frame ranges of the dancing both clips share (in each clip's own frames)."""
    (ta, tb), (sa, sb) = s.teacher_active_s, s.student_active_s
    t_len, s_len = tb - ta, sb - sa
    names = f"teacher ({teacher.source.file}) and student ({student.source.file})"
    if min(t_len, s_len) < MIN_OVERLAP_S:
        who = "teacher" if t_len < s_len else "student"
        raise CompareError(f"The {who} clip has only {min(t_len, s_len):.1f} s of dancing; at least "
                           f"{MIN_OVERLAP_S:.0f} s is needed.")
    if max(t_len, s_len) > MAX_LENGTH_RATIO * min(t_len, s_len):
        raise CompareError(f"The {names} dance for {t_len:.1f} s and {s_len:.1f} s: too different to be the "
                           "same section. Trim both clips to the same part of the choreography.")
    if s.method != "none":
        lo, hi = max(ta, sa + s.offset_s), min(tb, sb + s.offset_s)
        if hi - lo < MIN_OVERLAP_S:
            raise CompareError(
                f"Once synced by {s.method} (student {s.offset_s:+.2f} s), the {names} share only "
                f"{max(hi - lo, 0):.1f} s of dancing. Check that both clips show the same part of the choreography, "
                "or set sync to 'none'.")
        ta, tb, sa, sb = lo, hi, lo - s.offset_s, hi - s.offset_s
    return _segment(teacher.t, ta, tb), _segment(student.t, sa, sb)


def measure_limbs(teacher: Performance, student: Performance, path: np.ndarray, *, mirror: bool,
                  raw_teacher: Performance | None = None, raw_student: Performance | None = None,
                  visibility_threshold: float = CleanSettings().visibility_threshold) -> dict:
    """The limb facts of an `Analysis` (its `limb_*` and `glitches` fields, as keyword arguments).

    Directions come from the cleaned tracks; tracker glitches are found on the raw ones
    (smoothing smears a left/right flip below the speed limit) and left out of every limb fact.

    Parameters
    ----------
    teacher, student : cleaned Performances; the student NOT mirrored (mirrored here when `mirror`)
    path : (K, 2) (teacher frame, student frame) indices
    raw_teacher, raw_student : the same clips before cleaning (default: the cleaned ones)
    visibility_threshold : `CleanSettings.visibility_threshold`
    """
    def dirs(p: Performance, flip: bool) -> np.ndarray:
        world, image = (mirror_world(p.world), mirror_image(p.image)) if flip else (p.world, p.image)
        return limbs.limb_directions(world, image, visibility_threshold=visibility_threshold)

    fps = teacher.fps
    t_dirs, s_dirs = dirs(teacher, False), dirs(student, mirror)
    t_glitch, _ = limbs.glitch_mask(dirs(teacher if raw_teacher is None else raw_teacher, False), fps)
    s_glitch, _ = limbs.glitch_mask(dirs(student if raw_student is None else raw_student, mirror), fps)
    ti, si = path[:, 0], path[:, 1]
    seen = np.isfinite(t_dirs[ti]).all(-1) & np.isfinite(s_dirs[si]).all(-1)          # (K, L)
    glitched = t_glitch[ti] | s_glitch[si]
    t_dirs[t_glitch], s_dirs[s_glitch] = np.nan, np.nan
    err, signed = limbs.pair_errors(t_dirs, s_dirs, path)
    sums, counts = limbs.comovement_sums(t_dirs[ti], s_dirs[si])
    return {"limb_error": err.astype(np.float32), "limb_signed": signed.astype(np.float32), "limb_comove": sums,
            "limb_pairs": counts, "limb_in_view": counts >= max(MIN_IN_VIEW_S * fps, 1.0),
            "glitches": {"teacher_frames": int(t_glitch[np.unique(ti)].any(axis=1).sum()),
                         "student_frames": int(s_glitch[np.unique(si)].any(axis=1).sum()),
                         "limb_pairs": int((glitched & seen).sum())}}


def analyze_performances(teacher: Performance, student: Performance, *, settings: AlignSettings = AlignSettings(),
                         teacher_audio: np.ndarray | None = None, student_audio: np.ndarray | None = None,
                         sr: int = AUDIO_SR, clean_settings: CleanSettings = CleanSettings(),
                         teacher_envelope: OnsetEnvelope | None = None,
                         student_envelope: OnsetEnvelope | None = None,
                         beats: BeatGrid | None = None) -> Analysis:
    """Compare two raw (uncleaned) Performances. Pure: inputs are not modified.

    Each clip's sound is given as its audio (mono at `sr` Hz) or as its `sync_envelope` made
    ahead (what `analyze` does while the poses load); None: the clip has no audio. The teacher's
    `beats` (made ahead too) default to `beat_grid` of `teacher_audio` (no counts without it).

    Raises
    ------
    CompareError
        No common dancing, or spans too different to be the same section.
    """
    if abs(teacher.fps - student.fps) > 1e-6:
        raise CompareError(f"Analysis rates differ ({teacher.fps} vs {student.fps} fps); re-extract both clips "
                           "with the same settings.")
    fps = teacher.fps
    if beats is None:
        beats = beat_grid(teacher_audio, sr) if teacher_audio is not None else no_beats(NO_AUDIO)
    raw_teacher, raw_student = teacher, student
    teacher, student = clean(teacher, clean_settings), clean(student, clean_settings)
    s = sync(teacher_t=teacher.t, teacher_energy=motion_energy(teacher.world, fps),
             student_t=student.t, student_energy=motion_energy(student.world, fps), fps=fps,
             teacher_motion=motion_signature(teacher.world, fps), student_motion=motion_signature(student.world, fps),
             teacher_audio=teacher_audio, student_audio=student_audio, sr=sr, method=settings.sync,
             teacher_envelope=teacher_envelope, student_envelope=student_envelope)
    (t0, t1), (s0, s1) = _segments(teacher, student, s)

    if settings.mirror == "auto":
        shown = shown_core_joints((teacher.world[t0:t1], teacher.image[t0:t1]),
                                  (student.world[s0:s1], student.image[s0:s1]),
                                  visibility_threshold=clean_settings.visibility_threshold)
        mirror, mirror_conf = choose_mirror(teacher.world[t0:t1], student.world[s0:s1], joints=shown)
    else:
        mirror, mirror_conf = settings.mirror == "on", 1.0
    t_norm = normalize(teacher.world)
    s_norm = normalize(student.world, mirror=mirror)

    # Joints the model saw clearly count more in the alignment than half-guessed ones.
    core = [int(j) for j in CORE_JOINTS]
    vis = 0.5 * (np.nanmean(t_norm[t0:t1, core, 3], axis=0) + np.nanmean(s_norm[s0:s1, core, 3], axis=0))
    weights = np.repeat(np.nan_to_num(vis, nan=0.0).clip(0.05, 1.0), 3)
    seg = dtw(joint_features(t_norm[t0:t1]), joint_features(s_norm[s0:s1]), band=settings.band,
              weights=weights, backend=settings.backend)
    path = seg.path + np.array([t0, s0])
    alignment = Alignment(path=path, cost=seg.cost, total_cost=seg.total_cost, backend=seg.backend, band=seg.band)

    t_angles, s_angles = metrics.joint_angles(t_norm), metrics.joint_angles(s_norm)
    t_energy, s_energy = metrics.motion_energy(t_norm, fps), metrics.motion_energy(s_norm, fps)
    dyn, dyn_summary = metrics.dynamics_scores(t_energy, s_energy, path, fps)
    result = Analysis(
        teacher=teacher, student=student, sync=s, mirror=bool(mirror), mirror_confidence=float(mirror_conf),
        alignment=alignment, cost_grid=cost_grid(t_norm, s_norm, path), teacher_angles=t_angles, student_angles=s_angles,
        angle_error=metrics.angle_errors(t_angles, s_angles, path),
        **measure_limbs(teacher, student, path, mirror=bool(mirror), raw_teacher=raw_teacher, raw_student=raw_student,
                        visibility_threshold=clean_settings.visibility_threshold),
        trajectory=metrics.trajectory_scores(
            teacher.hip_xy, student.hip_xy, path, fps=fps, mirror=mirror,
            teacher_scale=metrics.torso_scale_xy(teacher.image, teacher.source.width, teacher.source.height),
            student_scale=metrics.torso_scale_xy(student.image, student.source.width, student.source.height),
            teacher_aspect=teacher.source.width / teacher.source.height,
            student_aspect=student.source.width / student.source.height),
        silhouette=metrics.silhouette_scores(teacher.mask, student.mask, path, mirror=mirror,
                                             teacher_ok=teacher.detected, student_ok=student.detected,
                                             stride=SILHOUETTE_STRIDE),
        dynamics=dyn, dynamics_summary=dyn_summary, teacher_energy=t_energy, student_energy=s_energy,
        settings=settings, beats=beats)
    result.limb_baseline  # noqa: B018 -- computed now, so every rescore finds them ready
    result.facing_away  # noqa: B018
    return result


class _Cancelled(Exception):
    """Raised inside one clip's extraction when the other clip has failed."""


def _load_both(paths: tuple[str | Path, str | Path], names: tuple[str | None, str | None], *,
               cache_dir: str | Path, settings: ExtractSettings, progress: Progress | None
               ) -> tuple[Performance, Performance]:
    """Load or extract two clips at once, in two threads.

    MediaPipe and the decoder release the GIL, so on two cores the pair takes about as long as
    its longer clip. Progress is the mean of the two (mapped to 0..0.9) with both clips' latest
    messages. When one clip fails, the other is stopped at its next progress report, so a bad
    file is reported at once, not after the good one finished.
    """
    lock = threading.Lock()
    fractions, messages = [0.0, 0.0], ["", ""]
    failed = threading.Event()

    def reporter(k: int) -> Progress:
        def report(fraction: float, message: str) -> None:
            if failed.is_set():
                raise _Cancelled
            if progress is not None:
                with lock:
                    fractions[k], messages[k] = fraction, message
                    progress(0.45 * (fractions[0] + fractions[1]), "; ".join(m for m in messages if m))
        return report

    def load(k: int) -> Performance:
        try:
            return load_or_extract(paths[k], cache_dir=cache_dir, settings=settings, display_name=names[k],
                                   progress=reporter(k))
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="extract") as pool:
        futures = [pool.submit(load, k) for k in (0, 1)]
        wait(futures, return_when=FIRST_EXCEPTION)
    errors = [f.exception() for f in futures]
    for exc in errors:  # the clip that failed first, never the one we stopped
        if exc is not None and not isinstance(exc, _Cancelled):
            raise exc
    return futures[0].result(), futures[1].result()


def _sound(path: str | Path, *, cache_dir: str | Path, envelope: bool) -> tuple[OnsetEnvelope | None, BeatGrid]:
    """The clip's `sync_envelope` (None when it has no audio, or when not asked for) and its
    `beat_grid`, cached by content (`soundtrack.clip_soundtrack`).

    Audio that cannot be decoded is an error when the envelope is asked for (sync needs it);
    otherwise only the counts are lost."""
    try:
        sound = clip_soundtrack(path, cache_dir=cache_dir)
    except VideoError as exc:
        if envelope:
            raise
        # Only the counts needed the sound: the comparison goes on in seconds.
        return None, no_beats(f"the teacher's audio cannot be read ({exc})")
    return (sound.envelope if envelope else None), sound.beats


def analyze(teacher_path: str | Path, student_path: str | Path, *, settings: AlignSettings = AlignSettings(),
            cache_dir: str | Path = DEFAULT_CACHE_DIR, extract_settings: ExtractSettings = ExtractSettings(),
            teacher_name: str | None = None, student_name: str | None = None,
            progress: Progress | None = None) -> Analysis:
    """Load (or extract and cache, both clips at once) and compare them. See `analyze_performances`."""
    wants_audio = settings.sync in ("auto", "audio")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="audio") as pool:
        # The soundtracks' envelopes and the teacher's beats load (or, the first time a clip is
        # seen, are decoded and made) alongside the poses.
        teacher_sound = pool.submit(_sound, teacher_path, cache_dir=cache_dir, envelope=wants_audio)
        student_sound = pool.submit(_sound, student_path, cache_dir=cache_dir, envelope=True) if wants_audio else None
        teacher, student = _load_both((teacher_path, student_path), (teacher_name, student_name),
                                      cache_dir=cache_dir, settings=extract_settings, progress=progress)
        teacher_env, beats = teacher_sound.result()
        student_env = student_sound.result()[0] if student_sound is not None else None
    if progress is not None:
        progress(0.92, "syncing and aligning")
    result = analyze_performances(teacher, student, settings=settings,
                                  teacher_envelope=teacher_env, student_envelope=student_env, beats=beats)
    if progress is not None:
        progress(1.0, "compared")
    return result


def analyze_against_reference(teacher_video: str | Path | None, student_path: str | Path, *,
                              teacher_cache_file: str | Path | None = None, teacher_sha256: str | None = None,
                              teacher_name: str | None = None, student_name: str | None = None,
                              settings: AlignSettings = AlignSettings(), cache_dir: str | Path = DEFAULT_CACHE_DIR,
                              extract_settings: ExtractSettings = ExtractSettings(),
                              progress: Progress | None = None) -> Analysis:
    """Compare a student clip with a reference: from both videos when the reference's video is on
    disk (as `analyze`), else from the reference's cached poses (no audio sync then).

    Parameters
    ----------
    teacher_video : the reference's video, or None when it is no longer stored
    teacher_cache_file, teacher_sha256 : the reference's pose cache file and content hash,
        used when its video is missing
    teacher_name, student_name : file names to show

    Raises
    ------
    CacheError
        Neither the reference's video nor readable cached poses exist (the message says to
        choose another reference). Also any `analyze` error.
    """
    name = teacher_name or (Path(teacher_video).name if teacher_video is not None else "the reference")
    if teacher_video is not None and Path(teacher_video).is_file():
        return analyze(teacher_video, student_path, settings=settings, cache_dir=cache_dir,
                       extract_settings=extract_settings, teacher_name=teacher_name, student_name=student_name,
                       progress=progress)
    if teacher_cache_file is None:
        raise CacheError(f"{name}: neither the video nor its poses are stored any more; choose another reference.")
    try:
        teacher = load(teacher_cache_file, sha256=teacher_sha256, display_name=name)
    except CacheError as exc:
        raise CacheError(f"{name}: its cached poses cannot be read ({exc.__cause__ or exc}) and the video is gone; "
                         "choose another reference.") from exc
    student = load_or_extract(student_path, cache_dir=cache_dir, settings=extract_settings,
                              display_name=student_name,
                              progress=None if progress is None else lambda f, m: progress(0.9 * f, m))
    if progress is not None:
        progress(0.92, "aligning your attempt with the reference")
    return analyze_performances(teacher, student, settings=settings,
                                beats=no_beats("the reference's video, and with it its music, is no longer stored"))
