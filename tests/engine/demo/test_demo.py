"""engine.demo: drawn sample clips with known truth.

The demo is rendered once per module; MediaPipe runs once per clip. Videos are decoded with
PyAV directly and MediaPipe is called directly, so these tests check the clips themselves,
independently of the engine's own decoding and extraction.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from engine.core.body import ANGLE_TRIPLETS
from engine.demo import STUDENT_FILE, TEACHER_FILE, TRUTH_FILE, DemoTruth, make_demo

MIN_DETECTED = 0.95            # share of frames in which MediaPipe must find the figure
ARM_TOLERANCE_DEG = 12.0       # measured arm error may differ this much from the injected one
CLEAN_MAX_DEG = 8.0            # |mean| left-shoulder difference where nothing was injected
ONSET_GAP_S = 0.15             # onsets closer than this are one onset
ONSET_LEVEL = 0.3              # onset threshold, share of the clip's loudest transient
ONSET_HOP_S = 0.001
FREEZE_STILL_PX = 3.0          # the frozen student's wrists move less than this per frame
REQUIRED_KEYS = {"fps", "teacher_duration_s", "student_duration_s", "offset_s", "bpm", "time_map",
                 "tempo_sections", "arm_error", "freeze", "moves"}


# ------------------------------------------------------------------------------------ helpers

def _video_frames(path: Path):
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def _audio(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples and the sample rate."""
    with av.open(str(path)) as container:
        sr = container.streams.audio[0].rate
        chunks = [f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)]
    return np.concatenate(chunks), sr


def _mediapipe_landmarks(path: Path) -> np.ndarray:
    """(N, 33, 4) image landmarks per frame (NaN where nobody was found), legacy video mode."""
    import mediapipe as mp

    rows = []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1,
                                enable_segmentation=True) as pose:
        for rgb in _video_frames(path):
            result = pose.process(rgb)
            if result.pose_landmarks is None:
                rows.append(np.full((33, 4), np.nan))
            else:
                rows.append([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark])
    return np.asarray(rows, dtype=float)


def _angle_deg(lm: np.ndarray, joint: str, width: int, height: int) -> np.ndarray:
    """2D joint angle in pixel space from image landmarks (N, 33, 4) -> (N,) degrees."""
    a, v, b = ANGLE_TRIPLETS[joint]
    px = lm[:, :, :2] * np.array([width, height])
    u, w = px[:, a] - px[:, v], px[:, b] - px[:, v]
    cos = (u * w).sum(1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(w, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _onsets(x: np.ndarray, sr: int) -> np.ndarray:
    """Times (s) where sharp transients start: the first-difference envelope crosses a level."""
    hop = int(sr * ONSET_HOP_S)
    env = np.abs(np.diff(x))
    env = env[: env.size // hop * hop].reshape(-1, hop).max(axis=1)
    times, last = [], -np.inf
    for i in np.flatnonzero(env > ONSET_LEVEL * env.max()):
        t = i * hop / sr
        if t - last > ONSET_GAP_S:
            times.append(t)
        last = t
    return np.array(times)


# ----------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    calls: list[tuple[float, str]] = []
    truth = make_demo(out, seed=0, progress=lambda fraction, message: calls.append((fraction, message)))
    return out, truth, calls


@pytest.fixture(scope="module")
def landmarks(demo):
    out, _, _ = demo
    return {"teacher": _mediapipe_landmarks(out / TEACHER_FILE),
            "student": _mediapipe_landmarks(out / STUDENT_FILE)}


# ---------------------------------------------------------------------------------- the files

def test_files_exist_and_truth_round_trips(demo):
    out, truth, _ = demo
    for name in (TEACHER_FILE, STUDENT_FILE, TRUTH_FILE):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert not list(out.glob(".*.part")), "temporary files were left behind"
    loaded = json.loads((out / TRUTH_FILE).read_text())
    assert REQUIRED_KEYS <= loaded.keys()
    assert loaded == truth.to_json()
    assert DemoTruth.from_json(loaded) == truth
    assert loaded["arm_error"]["joint"] == "left_shoulder" and loaded["arm_error"]["delta_deg"] < 0
    assert loaded["offset_s"] < 0, "the student starts with a lead-in"


def test_durations_match_decoded_files(demo):
    out, truth, _ = demo
    clips = ((TEACHER_FILE, truth.teacher_duration_s), (STUDENT_FILE, truth.student_duration_s))
    for name, duration in clips:
        with av.open(str(out / name)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert float(stream.average_rate) == pytest.approx(truth.fps)
            assert (stream.width, stream.height) == (truth.width, truth.height)
        n = sum(1 for _ in _video_frames(out / name))
        assert n / truth.fps == pytest.approx(duration, abs=1e-6), name
        x, sr = _audio(out / name)
        assert sr == truth.audio_sr
        # AAC codes whole 1024-sample frames, so the track may run a little past the last sample.
        assert x.size / sr == pytest.approx(duration, abs=0.05), name
    assert len(truth.time_map) == round(truth.student_duration_s * truth.fps)


def test_progress_is_reported_in_order(demo):
    _, _, calls = demo
    fractions = [f for f, _ in calls]
    assert len(calls) > 2 and all(isinstance(m, str) and m for _, m in calls)
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_time_map_follows_the_documented_sections(demo):
    _, truth, _ = demo
    tm = np.array(truth.time_map)
    s, t = tm[:, 0], tm[:, 1]
    assert np.all(np.diff(s) > 0) and np.all(np.diff(t) >= 0)
    ease = 0.1   # rate changes are eased over +-0.05 s; stay clear of the edges
    on_time = np.ones(s.size, bool)
    sections = [*truth.tempo_sections, truth.freeze.catch_up]
    for sec in sections:
        (a, b), (c, d) = sec.student_s, sec.teacher_s
        assert d - c == pytest.approx(sec.rate * (b - a), abs=1e-6)
        inside = (s > a + ease) & (s < b - ease)
        assert np.allclose(np.diff(t[inside]) / np.diff(s[inside]), sec.rate, atol=1e-3)
        on_time &= (s < a - ease) | (s > b + ease)
    (a, b), held = truth.freeze.student_s, truth.freeze.held_teacher_s
    frozen = (s > a + ease) & (s < b - ease)
    assert frozen.sum() >= 10 and np.allclose(t[frozen], held, atol=1e-6)
    assert truth.freeze.teacher_s[1] - truth.freeze.teacher_s[0] == pytest.approx(b - a)
    on_time &= (s < a - ease) | (s > b + ease)
    assert np.allclose(t[on_time], s[on_time] + truth.offset_s, atol=1e-6)
    # The body is late in the slow section and back on time after the fast one.
    slow = truth.tempo_sections[0]
    assert slow.rate < 1 < truth.tempo_sections[1].rate
    assert np.interp(slow.student_s[1], s, t) < slow.student_s[1] + truth.offset_s - 0.3
    # The arm error sits where the student is on time, inside the arms_up move.
    arm = truth.arm_error
    assert np.allclose(np.interp(arm.student_s, s, t), arm.teacher_s, atol=1e-6)
    arms_up = next(m for m in truth.moves if m.name == "arms_up")
    assert arms_up.teacher_s[0] < arm.teacher_s[0] - arm.ramp_s
    assert arm.teacher_s[1] + arm.ramp_s < arms_up.teacher_s[1]


# ---------------------------------------------------------------------------- what MediaPipe sees

@pytest.mark.parametrize("clip", ["teacher", "student"])
def test_mediapipe_finds_the_figure_facing_the_camera(landmarks, clip):
    lm = landmarks[clip]
    found = np.isfinite(lm[:, 0, 0])
    assert found.mean() >= MIN_DETECTED, f"{clip}: pose found in only {found.mean():.1%} of frames"
    # The figure faces the camera: its own left shoulder is on the image's right.
    left, right = ANGLE_TRIPLETS["left_shoulder"][1], ANGLE_TRIPLETS["right_shoulder"][1]
    assert (lm[found, left, 0] > lm[found, right, 0]).mean() >= MIN_DETECTED


def test_left_arm_error_is_measured_where_injected(demo, landmarks):
    _, truth, _ = demo
    tm = np.array(truth.time_map)
    teacher_angle = _angle_deg(landmarks["teacher"], "left_shoulder", truth.width, truth.height)
    student_angle = _angle_deg(landmarks["student"], "left_shoulder", truth.width, truth.height)

    def mean_delta(student_window: tuple[float, float]) -> float:
        rows = np.flatnonzero((tm[:, 0] >= student_window[0]) & (tm[:, 0] <= student_window[1]))
        assert rows.size >= 10
        teacher_rows = np.clip(np.round(tm[rows, 1] * truth.fps).astype(int), 0, teacher_angle.size - 1)
        return float(np.nanmean(student_angle[rows] - teacher_angle[teacher_rows]))

    arm = truth.arm_error
    injected = mean_delta(arm.student_s)
    assert injected == pytest.approx(arm.delta_deg, abs=ARM_TOLERANCE_DEG)
    # Same move, arms already up (one beat into arms_up), before the error ramps in.
    arms_up = next(m for m in truth.moves if m.name == "arms_up")
    lag = arm.student_s[0] - arm.teacher_s[0]
    clean = mean_delta((arms_up.teacher_s[0] + 0.6 + lag, arm.teacher_s[0] - arm.ramp_s - 0.05 + lag))
    assert abs(clean) < CLEAN_MAX_DEG


def test_student_freezes_while_the_teacher_moves(demo, landmarks):
    _, truth, _ = demo
    wrists = [ANGLE_TRIPLETS["left_elbow"][2], ANGLE_TRIPLETS["right_elbow"][2]]
    size = np.array([truth.width, truth.height])

    def motion(lm: np.ndarray, window: tuple[float, float]) -> float:
        """Median per-frame wrist travel (px) over frames inside the window."""
        a, b = (int(round(x * truth.fps)) for x in window)
        px = lm[a + 2:b - 1, wrists, :2] * size           # clear of the eased edges
        return float(np.nanmedian(np.linalg.norm(np.diff(px, axis=0), axis=2)))

    assert motion(landmarks["student"], truth.freeze.student_s) < FREEZE_STILL_PX
    assert motion(landmarks["teacher"], truth.freeze.teacher_s) > 2 * FREEZE_STILL_PX


# -------------------------------------------------------------------------------------- audio

def test_student_music_is_the_teacher_music_shifted_by_the_offset(demo):
    out, truth, _ = demo
    teacher = _onsets(*_audio(out / TEACHER_FILE))
    student = _onsets(*_audio(out / STUDENT_FILE))
    beat_s = 60.0 / truth.bpm
    assert teacher.size == round(truth.teacher_duration_s / beat_s)
    assert np.abs(teacher - np.arange(teacher.size) * beat_s).max() < 1.0 / truth.fps
    assert student.size == teacher.size
    assert np.abs(student - (teacher - truth.offset_s)).max() < 1.0 / truth.fps


# -------------------------------------------------------------------------------- determinism

def test_same_seed_gives_identical_truth(demo, tmp_path):
    out, _, _ = demo
    again = make_demo(tmp_path, seed=0)
    assert (tmp_path / TRUTH_FILE).read_bytes() == (out / TRUTH_FILE).read_bytes()
    assert again.to_json() == json.loads((out / TRUTH_FILE).read_text())
