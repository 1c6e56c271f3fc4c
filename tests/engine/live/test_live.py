"""engine.live: guide fitting, the live scorer, and a practice session driven by a fake camera."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

from engine.analysis.metrics import joint_angles
from engine.analysis.score import POSE_HALF_DEG, falloff
from engine.core.body import DEFAULT_JOINT_WEIGHT, JOINT_GROUP, SCORED_JOINTS
from engine.core.body import Landmark as L
from engine.core.errors import EngineError
from engine.core.settings import ScoreSettings
from engine.io.encode import write_mp4
from engine.io.pose import PoseFrame
from engine.io.video import frames as decode_frames
from engine.io.video import probe
from engine.live import (
    GUIDE_ALPHA,
    GUIDE_COLOR,
    LiveReference,
    LiveScorer,
    PracticeSession,
    ReferenceFrames,
    fit_guide,
)
from engine.live import session as live
from tests.factories import make_perf

FPS = 30.0
W, H = 640, 480
LEFT_ARM = (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)
RIGHT_ARM = (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB)
LEGS = (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL,
        L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


def swing(world: np.ndarray, pivot: L, moved: tuple[L, ...], degrees: float) -> np.ndarray:
    """Copy of a (33, 4) pose with `moved` turned rigidly about `pivot` in the image plane
    (positive: clockwise on screen, i.e. a left arm held sideways goes down)."""
    out = world.copy()
    a = np.radians(degrees)
    d = out[list(moved), :2] - out[pivot, :2]
    out[list(moved), 0] = out[pivot, 0] + np.cos(a) * d[:, 0] - np.sin(a) * d[:, 1]
    out[list(moved), 1] = out[pivot, 1] + np.sin(a) * d[:, 0] + np.cos(a) * d[:, 1]
    return out


def to_image(world: np.ndarray, *, px_per_m: float = 300.0, hip_px=(320.0, 260.0)) -> np.ndarray:
    """Image landmarks of a world pose seen head-on: hip centre at hip_px, px_per_m pixels a metre."""
    img = world.copy()
    hip = 0.5 * (world[L.LEFT_HIP, :3] + world[L.RIGHT_HIP, :3])
    img[:, 0] = (hip_px[0] + px_per_m * (world[:, 0] - hip[0])) / W
    img[:, 1] = (hip_px[1] + px_per_m * (world[:, 1] - hip[1])) / H
    img[:, 2] = px_per_m * (world[:, 2] - hip[2]) / W
    return img


def reference_of(world: np.ndarray, frames: ReferenceFrames | None = None) -> LiveReference:
    """A LiveReference straight from (N, 33, 4) world landmarks at FPS (no cleaning)."""
    n = world.shape[0]
    return LiveReference(name="ref.mp4", t=(np.arange(n) / FPS).astype(np.float32),
                         image=np.stack([to_image(w) for w in world]).astype(np.float32),
                         world=world.astype(np.float32), angles=joint_angles(world), fps=FPS, frames=frames)


def torso_px(image: np.ndarray) -> float:
    px = image[:, :2] * (W, H)
    return float(np.linalg.norm(0.5 * (px[L.LEFT_SHOULDER] + px[L.RIGHT_SHOULDER])
                                - 0.5 * (px[L.LEFT_HIP] + px[L.RIGHT_HIP])))


def hip_px(image: np.ndarray) -> np.ndarray:
    return 0.5 * (image[L.LEFT_HIP, :2] + image[L.RIGHT_HIP, :2]) * (W, H)


# --- fit_guide ------------------------------------------------------------------------------

def test_guide_sits_on_the_user_hips_with_the_user_torso_length(t_pose):
    user_world = t_pose()
    user = to_image(user_world, px_per_m=300.0, hip_px=(400.0, 250.0))      # torso 0.5 m -> 150 px
    ref = t_pose()
    ref[:, :3] = 1.3 * ref[:, :3] + (0.05, -0.02, 0.1)      # a bigger teacher, origin off the hips
    guide = fit_guide(ref, user, (W, H), user_world=user_world)
    np.testing.assert_allclose(hip_px(guide), (400.0, 250.0), atol=1e-3)
    assert torso_px(guide) == pytest.approx(150.0, abs=1e-2)
    # Same shape as the user: the guide lies exactly on them.
    np.testing.assert_allclose(guide[:, :2], user[:, :2], atol=1e-5)
    np.testing.assert_allclose(guide[:, 3], ref[:, 3])


def test_guide_shows_a_sideways_lean_as_a_tilt_of_the_same_length(t_pose):
    user = to_image(t_pose(), px_per_m=300.0)
    ref = swing(t_pose(), L.LEFT_HIP, tuple(lm for lm in L if lm not in (L.LEFT_HIP, L.RIGHT_HIP) + LEGS), 30.0)
    guide = fit_guide(ref, user, (W, H), face_user=False)
    # Projected torso of a teacher leaning 30 degrees in the image plane keeps its length...
    assert torso_px(guide) == pytest.approx(150.0, rel=2e-2)
    # ...and tilts: the shoulders' midpoint moves sideways off the hips by ~sin(30) torso.
    sh = 0.5 * (guide[L.LEFT_SHOULDER, :2] + guide[L.RIGHT_SHOULDER, :2]) * (W, H)
    assert abs(sh[0] - hip_px(guide)[0]) > 0.4 * 150.0


def test_guide_of_a_teacher_bending_toward_the_camera_is_foreshortened_not_enlarged(t_pose):
    user = to_image(t_pose(), px_per_m=300.0)
    ref = t_pose()
    upper = [lm for lm in L if lm not in (L.LEFT_HIP, L.RIGHT_HIP) + LEGS]
    a = np.radians(40.0)                                       # bend 40 degrees toward the camera
    y, z = ref[upper, 1].copy(), ref[upper, 2].copy()
    ref[upper, 1], ref[upper, 2] = np.cos(a) * y + np.sin(a) * z, -np.sin(a) * y + np.cos(a) * z
    guide = fit_guide(ref, user, (W, H), face_user=False)
    # Scaled by the 3D torso (0.5 m -> 150 px), so its projection is 150 cos(40) px on screen.
    assert torso_px(guide) == pytest.approx(150.0 * np.cos(a), rel=1e-3)


def test_guide_turns_to_face_the_way_the_user_faces(t_pose, rotate_y):
    user_world = t_pose()
    user = to_image(user_world)
    turned = rotate_y(t_pose(), 60.0)
    faced = fit_guide(turned, user, (W, H), user_world=user_world)
    np.testing.assert_allclose(faced[:, :2], user[:, :2], atol=1e-4)
    as_is = fit_guide(turned, user, (W, H), face_user=False)
    width = abs(as_is[L.LEFT_SHOULDER, 0] - as_is[L.RIGHT_SHOULDER, 0])
    assert width == pytest.approx(0.5 * abs(user[L.LEFT_SHOULDER, 0] - user[L.RIGHT_SHOULDER, 0]), rel=0.05)


def test_mirror_swaps_sides(t_pose):
    ref = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 60.0)           # teacher's left arm down
    user = to_image(t_pose())
    plain = fit_guide(ref, user, (W, H))
    mirrored = fit_guide(ref, user, (W, H), mirror=True)
    hip = hip_px(user) / (W, H)
    assert plain[L.LEFT_WRIST, 1] > user[L.LEFT_WRIST, 1] + 0.1          # lowered on the left
    np.testing.assert_allclose(mirrored[L.RIGHT_WRIST, 1], plain[L.LEFT_WRIST, 1], atol=1e-5)
    np.testing.assert_allclose(mirrored[L.RIGHT_WRIST, 0] - hip[0], -(plain[L.LEFT_WRIST, 0] - hip[0]), atol=1e-5)
    np.testing.assert_allclose(mirrored[L.LEFT_WRIST, :2], user[L.LEFT_WRIST, :2], atol=1e-4)


@pytest.mark.parametrize("landmark, visibility", [(L.LEFT_HIP, 0.1), (L.RIGHT_SHOULDER, 0.2), (L.RIGHT_HIP, np.nan)])
def test_no_guide_without_the_user_torso(t_pose, landmark, visibility):
    user = to_image(t_pose())
    user[landmark, 3] = visibility
    assert fit_guide(t_pose(), user, (W, H)) is None


def test_no_guide_when_nobody(t_pose):
    assert fit_guide(t_pose(), np.full((33, 4), np.nan, np.float32), (W, H)) is None


def test_fit_guide_checks_shapes(t_pose):
    with pytest.raises(ValueError, match=r"user_image must be \(33, 4\)"):
        fit_guide(t_pose(), np.zeros((17, 4)), (W, H))


# --- LiveScorer -----------------------------------------------------------------------------

def arm_sweep(n: int = 45, deg_per_s: float = 240.0) -> np.ndarray:
    """T-poses whose left arm sweeps up and down at deg_per_s (shoulder angle ~24..174 deg)."""
    t = np.arange(n) / FPS
    phase = (t * deg_per_s) % 300.0
    angle = np.where(phase < 150.0, phase, 300.0 - phase) - 75.0         # triangle, -75..75 deg
    from tests.engine.conftest import _t_pose
    return np.stack([swing(_t_pose(), L.LEFT_SHOULDER, LEFT_ARM, a) for a in angle]).astype(np.float32)


def static_reference(t_pose, n: int = 60) -> LiveReference:
    return reference_of(np.repeat(t_pose()[None], n, axis=0))


def total_weight(joints=SCORED_JOINTS) -> float:
    return sum(DEFAULT_JOINT_WEIGHT[JOINT_GROUP[j]] for j in joints)


def test_the_reference_frame_scores_100_at_its_own_time():
    ref = reference_of(arm_sweep())
    scorer = LiveScorer(ref)
    for k in (5, 20, 40):
        s = scorer.score(ref.world[k], float(ref.t[k]))
        assert s.score == 100.0 and s.ref_index == k and s.worst_joint is None
        assert set(s.joint_scores) == set(SCORED_JOINTS) and min(s.joint_scores.values()) == 100.0


def test_three_frames_late_still_scores_100_thanks_to_the_window():
    ref = reference_of(arm_sweep())                           # 24 degrees of arm travel in 3 frames
    k = 10                                                    # mid-sweep, far from a turn
    late = LiveScorer(ref).score(ref.world[k - 3], float(ref.t[k]))
    # Frames k-4..k-2 are within the 15 degree tolerance (8 degrees a frame); the nearest wins.
    assert late.score == 100.0 and late.ref_index == k - 2
    strict = LiveScorer(ref, window_s=0.0).score(ref.world[k - 3], float(ref.t[k]))
    assert strict.ref_index == k
    expected = falloff(np.array(24.0 - 15.0), POSE_HALF_DEG)              # 91.7
    assert strict.joint_scores["left_shoulder"] == pytest.approx(expected, abs=1.0)
    assert strict.score < 100.0 and strict.worst_joint is None            # 91.7 >= WORST_BELOW


def test_a_lowered_left_arm_lowers_the_left_shoulder(t_pose):
    ref = static_reference(t_pose)
    user = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)              # 40 degrees lower
    s = LiveScorer(ref).score(user, 1.0)
    # Tolerance 15 (shoulders), then 100 / (1 + (excess / 30)^2): 25 degrees past it -> 59.0.
    bound = float(falloff(np.array(40.0 - 15.0 - 1.0), POSE_HALF_DEG))   # 61.0, one degree of slack
    assert s.joint_scores["left_shoulder"] < bound
    assert s.joint_scores["left_shoulder"] == pytest.approx(59.0, abs=0.5)
    assert s.worst_joint == "left_shoulder"
    assert all(v == 100.0 for k, v in s.joint_scores.items() if k != "left_shoulder")
    expected = 100.0 - 1.5 * (100.0 - 59.02) / total_weight()            # shoulders weigh 1.5
    assert s.score == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("tolerance, weight, shoulder, overall", [
    (45.0, 1.5, 100.0, 100.0),                       # within a generous tolerance: free
    (0.0, 1.5, 100.0 / (1.0 + (40.0 / 30.0) ** 2), None),   # no tolerance: the whole 40 degrees count
    (15.0, 0.0, 59.02, 100.0),                       # shoulders weigh nothing in the overall score
])
def test_tolerances_and_weights_come_from_score_settings(t_pose, tolerance, weight, shoulder, overall):
    base = ScoreSettings()
    settings = ScoreSettings(tolerance_deg={**base.tolerance_deg, "shoulders": tolerance},
                             joint_weights={**base.joint_weights, "shoulders": weight})
    user = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)
    s = LiveScorer(static_reference(t_pose), settings).score(user, 1.0)
    assert s.joint_scores["left_shoulder"] == pytest.approx(shoulder, abs=0.5)
    if overall is not None:
        assert s.score == pytest.approx(overall, abs=0.05)
    else:
        assert s.score < 95.0


def test_mirror_names_the_user_own_side(t_pose):
    teacher = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)          # the teacher's left arm is low
    ref = reference_of(np.repeat(teacher[None], 30, axis=0))
    straight = t_pose()
    assert LiveScorer(ref).score(straight, 0.5).worst_joint == "left_shoulder"
    mirrored = LiveScorer(ref, mirror=True).score(straight, 0.5)
    assert mirrored.worst_joint == "right_shoulder"                      # the user's right copies it
    assert mirrored.joint_scores["left_shoulder"] == 100.0
    copy = swing(t_pose(), L.RIGHT_SHOULDER, RIGHT_ARM, -40.0)           # the user's right arm low
    assert LiveScorer(ref, mirror=True).score(copy, 0.5).score == 100.0


def test_invisible_legs_are_left_out(t_pose):
    user = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)
    user[list(LEGS), 3] = 0.1
    s = LiveScorer(static_reference(t_pose)).score(user, 1.0)
    legs = {"left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"}
    assert set(s.joint_scores) == set(SCORED_JOINTS) - legs
    upper = [j for j in SCORED_JOINTS if j not in legs]
    assert s.score == pytest.approx(100.0 - 1.5 * (100.0 - 59.02) / total_weight(upper), abs=0.1)


def test_no_score_for_nobody_or_too_little(t_pose):
    scorer = LiveScorer(static_reference(t_pose))
    assert scorer.score(np.full((33, 4), np.nan, np.float32), 1.0) is None
    few = t_pose()
    few[:, 3] = 0.1
    few[[L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_HIP], 3] = 0.9   # one shoulder angle only
    assert scorer.score(few, 1.0) is None


def test_scorer_does_not_modify_its_input(t_pose):
    user = t_pose()
    before = user.copy()
    LiveScorer(static_reference(t_pose)).score(user, 0.5)
    np.testing.assert_array_equal(user, before)


# --- LiveReference --------------------------------------------------------------------------

def test_reference_from_performance_decodes_display_frames(tmp_path):
    n = 20
    levels = [30 + 10 * i for i in range(n)]
    video = tmp_path / "ref.mp4"
    write_mp4(video, (np.full((96, 128, 3), v, np.uint8) for v in levels), FPS, crf=10)
    ref = LiveReference.from_performance(make_perf(n, FPS), video, display_height=48)
    assert ref.frames is not None and len(ref.frames) == n and ref.frames.size == (64, 48)
    assert ref.angles.shape == (n, len(SCORED_JOINTS)) and ref.duration_s == pytest.approx(n / FPS, abs=1e-5)
    img = ref.frames.frame_at(10.5 / FPS)                                 # frame 10 is showing
    assert img.shape == (48, 64, 3) and abs(float(img.mean()) - levels[10]) < 4
    assert float(ref.frames.frame_at(-1.0).mean()) == pytest.approx(levels[0], abs=4)
    assert not img.flags.writeable


def test_reference_checks_shapes(t_pose):
    ref = static_reference(t_pose, n=10)
    with pytest.raises(ValueError, match="LiveReference.angles"):
        replace(ref, angles=ref.angles[:5])


# --- PracticeSession ------------------------------------------------------------------------

class FakeCamera:
    """A fake clock and a fake pose model: each process() call sees `pose` (33, 4) world."""

    def __init__(self, pose: np.ndarray | None, hip=(320.0, 260.0), px_per_m: float = 300.0) -> None:
        self.now = 0.0
        self.world = pose
        self.hip, self.px_per_m = hip, px_per_m
        self.closed = 0
        self.calls = 0

    def clock(self) -> float:
        return self.now

    def process(self, rgb: np.ndarray) -> PoseFrame:
        self.calls += 1
        if self.world is None:
            empty = np.full((33, 4), np.nan, np.float32)
            return PoseFrame(empty, empty.copy(), None)
        image = to_image(self.world, px_per_m=self.px_per_m, hip_px=self.hip)
        return PoseFrame(image.astype(np.float32), self.world.astype(np.float32), None)

    def close(self) -> None:
        self.closed += 1


def session(ref, cam, **kw) -> PracticeSession:
    return PracticeSession(ref, countdown_s=kw.pop("countdown_s", 1.0), estimator=cam, clock=cam.clock, **kw)


def camera_frame(w: int = W, h: int = H) -> np.ndarray:
    return np.full((h, w, 3), 40, np.uint8)


def run(s: PracticeSession, cam: FakeCamera, until: float, fps: float = 25.0, frame=None) -> np.ndarray:
    out = None
    frame = camera_frame() if frame is None else frame
    while cam.now < until - 1e-9:
        out = s.process(frame)
        cam.now = round(cam.now + 1.0 / fps, 9)
    return out


def test_phases_follow_the_clock(t_pose):
    ref = static_reference(t_pose, n=60)                                  # 2.0 s
    cam = FakeCamera(t_pose())
    s = session(ref, cam)
    st = s.state()
    assert st.phase == "waiting" and st.frames_in == 0 and st.score is None
    cam.now = 5.0                                                         # the clock starts at the first frame
    s.process(camera_frame())
    st = s.state()
    assert (st.phase, st.countdown_s, st.ref_t) == ("countdown", 1.0, 0.0)
    cam.now = 5.6
    assert s.state().phase == "countdown" and s.state().countdown_s == pytest.approx(0.4)
    cam.now = 6.0
    s.process(camera_frame())
    st = s.state()
    assert (st.phase, st.ref_t) == ("dancing", 0.0) and st.frames_in == 2 and st.frames_scored == 1
    assert st.score == 100.0 and st.history == ((0.0, 100.0),) and st.message is None
    cam.now = 7.5
    assert s.state().ref_t == pytest.approx(1.5)
    cam.now = 8.0
    s.process(camera_frame())
    assert s.state().phase == "finished" and cam.calls == 2                # no pose work once finished
    assert s.state().message.startswith("Finished")


@pytest.mark.parametrize("size", [(640, 480), (321, 241)])
def test_output_frame_is_reference_panel_then_user_panel_with_even_sides(t_pose, size):
    ref = replace(static_reference(t_pose), size=(576, 1280))            # a portrait reference
    cam = FakeCamera(t_pose(), hip=(0.5 * size[0], 0.55 * size[1]))
    out = session(ref, cam).process(camera_frame(*size))
    w, h = size
    panel = 2 * round(h * 576 / 1280 / 2)
    assert out.dtype == np.uint8 and out.shape[0] % 2 == 0 and out.shape[1] % 2 == 0
    assert out.shape[:2] == (h + h % 2, panel + w + w % 2)


def guide_pixels(panel: np.ndarray) -> np.ndarray:
    """(n, 2) x, y of pixels in the guide's blended colour over the grey-40 camera frame."""
    want = GUIDE_ALPHA * np.array(GUIDE_COLOR) + (1 - GUIDE_ALPHA) * 40.0
    ys, xs = np.nonzero((np.abs(panel.astype(float) - want) <= 3).all(axis=2))
    return np.stack([xs, ys], axis=1)


@pytest.mark.parametrize("selfie", [True, False])
def test_guide_is_drawn_in_its_colour_on_the_user_after_the_selfie_flip(t_pose, selfie):
    teacher = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 60.0)
    cam = FakeCamera(t_pose(), hip=(180.0, 260.0), px_per_m=200.0)       # user on the image's left
    out = session(reference_of(np.repeat(teacher[None], 30, axis=0)), cam, selfie_view=selfie).process(camera_frame())
    user = out[:, W:]                                                     # reference panel is 640 wide here
    pts = guide_pixels(user)
    assert len(pts) > 300
    assert (np.median(pts[:, 0]) > W / 2 + 50) if selfie else (np.median(pts[:, 0]) < W / 2 - 50)
    # The lowered guide wrist: the teacher's left arm is drawn on the user's left side, which is
    # on the image's right (x > hip) unflipped and on the left after the selfie flip.
    wrist = to_image(teacher, px_per_m=200.0, hip_px=(180.0, 260.0))[L.LEFT_WRIST, :2] * (W, H)
    wx = W - wrist[0] if selfie else wrist[0]
    near = np.hypot(pts[:, 0] - wx, pts[:, 1] - wrist[1]) < 12
    assert near.sum() > 10


def test_session_scores_the_upper_body_when_the_legs_are_out_of_view(t_pose):
    user = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)
    user[list(LEGS), 3] = 0.05
    cam = FakeCamera(user)
    s = session(static_reference(t_pose), cam, countdown_s=0.0)
    run(s, cam, 0.5)
    st = s.state()
    assert st.message == "Step back: your feet are out of view"
    assert st.frames_scored == st.frames_in and st.worst_joint == "left_shoulder"
    assert 90.0 < st.score < 100.0


def test_session_says_when_nobody_is_in_view(t_pose):
    cam = FakeCamera(None)
    s = session(static_reference(t_pose), cam, countdown_s=0.0)
    run(s, cam, 0.2)
    st = s.state()
    assert st.message == "Nobody in view: step into the frame" and st.score is None and st.frames_scored == 0


def test_recording_has_the_dancing_span_and_raw_frames(t_pose, tmp_path, monkeypatch):
    monkeypatch.setattr(live, "RECORD_QUEUE", 1000)   # frames come faster than real time here: drop none
    ref = static_reference(t_pose, n=60)                                  # 2.0 s
    cam = FakeCamera(t_pose())
    out_path = tmp_path / "attempt.mp4"
    s = session(ref, cam, record_path=out_path)
    run(s, cam, 3.4)                                                      # 1 s countdown, 2 s dancing, then finished
    assert s.state().phase == "finished"
    path = s.finish()
    assert path == out_path and s.finish() == out_path                   # idempotent
    info = probe(path)
    assert info.n_frames == 50 and s.frames_dropped == 0                  # 2.0 s at 25 fps
    assert info.duration_s == pytest.approx(1.96 + 1 / live.RECORD_RATE, abs=0.02)
    _, first = next(decode_frames(path))
    assert first.shape == (H, W, 3) and abs(float(first.mean()) - 40.0) < 3   # raw: no drawing
    assert [p.name for p in tmp_path.iterdir()] == ["attempt.mp4"]        # no temporary file left
    s.close()
    s.close()
    assert cam.closed == 1


def test_recording_shorter_than_a_second_is_dropped(t_pose, tmp_path):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, record_path=tmp_path / "short.mp4")
    run(s, cam, 1.6)                                                      # 0.6 s of dancing
    assert s.finish() is None and s.finish() is None
    assert list(tmp_path.iterdir()) == []
    run(s, cam, 1.8)                                       # frames after finish(): finished, not recorded
    assert s.state().phase == "finished"
    s.close()


def test_no_recording_without_a_path(t_pose):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam)
    run(s, cam, 2.0)
    assert s.finish() is None and s.frames_dropped == 0


def test_recorder_drops_frames_instead_of_blocking(tmp_path, monkeypatch):
    release = threading.Event()
    original = live._Recorder._run

    def slow_run(self):
        release.wait(5.0)
        original(self)

    monkeypatch.setattr(live._Recorder, "_run", slow_run)
    rec = live._Recorder(tmp_path / "r.mp4")
    frame = camera_frame(64, 48)
    for k in range(20):
        rec.put(frame, k / 25)
    assert rec.dropped == 20 - live.RECORD_QUEUE
    release.set()
    assert rec.stop() == pytest.approx((live.RECORD_QUEUE - 1) / 25 + 1 / live.RECORD_RATE)
    assert rec.written == live.RECORD_QUEUE
    rec.discard()


def test_a_writer_failure_is_reported_by_finish(t_pose, tmp_path):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, countdown_s=0.0, record_path=tmp_path / "missing" / "a.mp4")
    run(s, cam, 1.5)
    with pytest.raises(EngineError, match="could not be written"):
        s.finish()
    s.close()


def test_close_without_finish_discards_the_recording(t_pose, tmp_path):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, countdown_s=0.0, record_path=tmp_path / "a.mp4")
    run(s, cam, 1.5)
    s.close()
    assert list(tmp_path.iterdir()) == [] and cam.closed == 1


def test_state_is_safe_to_read_while_frames_are_processed(t_pose):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, countdown_s=0.0)
    worker = threading.Thread(target=run, args=(s, cam, 1.5))
    worker.start()
    seen = []
    while worker.is_alive():
        seen.append(s.state().frames_in)
    worker.join()
    assert seen == sorted(seen) and s.state().frames_in == 38
    assert s.state().ms_per_frame > 0
