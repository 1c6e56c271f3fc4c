"""Pose extraction on real footage (accuracy, detection) and on bad input (clear errors, empty cache)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from engine.analysis.clean import clean
from engine.core.body import Landmark
from engine.core.errors import ClipTooShortError, NoPersonError, VideoError
from engine.io.store import load_or_extract
from tests.conftest import REPO, footage, needs_footage
from tests.factories import write_grey_clip

AIST_CLIP = "aist/gBR_sBM_c01_d04_mBR0_ch01_first3s.mp4"
AIST_GT = "aist/keypoints_aistpp/gBR_sBM_cAll_d04_mBR0_ch01.pkl"
#: MediaPipe landmark for each COCO-17 keypoint, in COCO order.
MP_FOR_COCO = [Landmark.NOSE, Landmark.LEFT_EYE, Landmark.RIGHT_EYE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR,
               Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_ELBOW, Landmark.RIGHT_ELBOW,
               Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST, Landmark.LEFT_HIP, Landmark.RIGHT_HIP,
               Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE]


def pck(image: np.ndarray, gt: np.ndarray, width: int, height: int, alpha: float) -> float:
    """Share of keypoints within alpha * torso of the annotation (torso: shoulder-mid to hip-mid).

    image : (N, 33, 4) normalized landmarks; gt : (N, 17, >=2) pixels. Unknown predictions count as misses.
    """
    pred = image[:, MP_FOR_COCO, :2] * np.array([width, height])
    g = gt[..., :2]
    torso = np.linalg.norm(0.5 * (g[:, 5] + g[:, 6]) - 0.5 * (g[:, 11] + g[:, 12]), axis=1)
    dist = np.linalg.norm(pred - g, axis=2)
    annotated = np.isfinite(g).all(axis=2) & np.isfinite(torso)[:, None]
    hit = np.where(np.isfinite(dist), dist, np.inf) <= alpha * torso[:, None]
    return float((hit & annotated).sum() / annotated.sum())


@needs_footage
@pytest.mark.slow
def test_pose_accuracy_against_aist_ground_truth(load_clip):
    perf = load_clip(AIST_CLIP)
    with open(footage(AIST_GT), "rb") as f:
        keypoints = pickle.load(f)["keypoints2d"][0]     # camera c01, 60 fps annotation
    gt = keypoints[2 * np.arange(perf.n_frames)]          # video frame k = annotation frame 2k
    w, h = perf.source.width, perf.source.height
    assert (w, h) == (1920, 1080)
    raw = (pck(perf.image, gt, w, h, 0.2), pck(perf.image, gt, w, h, 0.1))
    cleaned = clean(perf)
    ours = (pck(cleaned.image, gt, w, h, 0.2), pck(cleaned.image, gt, w, h, 0.1))
    assert ours[0] >= 0.97 and ours[1] >= 0.88, f"PCK@0.2, PCK@0.1 = {ours}"
    assert ours[0] >= raw[0] - 0.005 and ours[1] >= raw[1] - 0.005, f"cleaning made it worse: {raw} -> {ours}"


@needs_footage
@pytest.mark.slow
@pytest.mark.parametrize("clip", ["pairs/callme404_teacher_douyin.mp4", "pairs/callme404_student_studio.mp4"])
def test_detection_ratio_on_the_main_pair(load_clip, clip):
    perf = load_clip(clip)
    assert perf.detected_ratio >= 0.9
    assert perf.source.height > perf.source.width        # portrait phone clips stay upright
    assert perf.fps == 30.0 and abs(perf.n_frames - perf.source.duration_s * 30) <= 2
    assert perf.mask.shape[1:] == (128, 128) and perf.mask[perf.detected].mean() > 10
    assert np.isnan(perf.world[~perf.detected]).all()     # missing is NaN, never zeros


@needs_footage
@pytest.mark.slow
def test_several_people_one_is_followed_consistently(load_clip):
    """The fitness class has ~15 people: tracking must stay on one dancer, not hop between them."""
    perf = load_clip("multi/fitness_class_group_15s.mp4")
    assert perf.detected_ratio >= 0.9
    hips = perf.hip_xy[perf.detected]
    jumps = np.linalg.norm(np.diff(hips, axis=0), axis=1)
    # A dancer's hips move a few percent of the frame per frame at most; a hop to another person
    # in the class is a jump of a large part of the frame.
    assert np.quantile(jumps, 0.99) < 0.05, f"hip jumps: max {jumps.max():.3f}"
    assert np.ptp(hips[:, 0]) < 0.35


# ---------------------------------------------------------------------------------------- bad input

def _text(tmp):
    p = tmp / "notes.mp4"
    p.write_text("this is a shopping list, not a video\n" * 50)
    return p


def _empty(tmp):
    p = tmp / "empty.mp4"
    p.write_bytes(b"")
    return p


def _truncated(tmp):
    whole = write_grey_clip(tmp / "whole.mp4", seconds=4)
    p = tmp / "half.mp4"
    p.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return p


def _audio_only(tmp):
    return write_grey_clip(tmp / "song.mp4", seconds=2, audio_only=True)


def _nobody(tmp):
    return write_grey_clip(tmp / "empty_room.mp4", seconds=2)


def _too_short(tmp):
    return write_grey_clip(tmp / "blink.mp4", seconds=0.5)


BAD_INPUTS = [
    (_text, VideoError, "not a video"),
    (_empty, VideoError, "empty"),
    (_truncated, VideoError, "truncated|incomplete|cut off"),
    (_audio_only, VideoError, "no video stream"),
    (_nobody, NoPersonError, "person"),
    (_too_short, ClipTooShortError, "at least"),
]


@pytest.mark.parametrize("make, error, message", BAD_INPUTS, ids=[m.__name__.strip("_") for m, *_ in BAD_INPUTS])
def test_bad_input_gets_a_specific_error_and_nothing_is_cached(tmp_path, make, error, message):
    path = make(tmp_path)
    cache = tmp_path / "cache"
    with pytest.raises(error, match=message):
        load_or_extract(path, cache_dir=cache)
    assert not cache.exists() or list(cache.iterdir()) == []


@pytest.mark.parametrize("make", [_text, _nobody], ids=["text", "nobody"])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, make):
    path = make(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "engine", "extract", str(path), "--cache-dir", str(tmp_path / "c")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and path.name in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_errors_name_the_file_as_the_user_knows_it(tmp_path):
    stored = _text(tmp_path)                      # e.g. an upload kept under a hashed name
    with pytest.raises(VideoError, match="my dance.mp4") as info:
        load_or_extract(stored, cache_dir=tmp_path / "c", display_name="my dance.mp4")
    assert stored.name not in str(info.value)


def test_sha256_file_is_the_content_hash_and_follows_every_change(tmp_path, monkeypatch):
    import hashlib
    import os

    import engine.io.extract as extract_module

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"first version")
    assert extract_module.sha256_file(clip) == hashlib.sha256(b"first version").hexdigest()
    reads = []
    real_open = open
    monkeypatch.setattr(extract_module, "open", lambda *a, **k: reads.append(a[0]) or real_open(*a, **k),
                        raising=False)
    assert extract_module.sha256_file(clip) == hashlib.sha256(b"first version").hexdigest()
    assert reads == []                                        # the same version: not read again
    clip.write_bytes(b"second, longer version")              # new size and time
    assert extract_module.sha256_file(clip) == hashlib.sha256(b"second, longer version").hexdigest()
    st = clip.stat()
    clip.write_bytes(b"third, longer version!")              # same size ...
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # ... a different time
    assert extract_module.sha256_file(clip) == hashlib.sha256(b"third, longer version!").hexdigest()
    assert len(reads) == 2
