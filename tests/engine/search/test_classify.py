"""Style features and neighbours on generated dancers whose style (rhythm, amplitude, which limbs) is known."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from engine.analysis.style_features import BANDS_HZ, FEATURE_NAMES, window_features
from engine.library import open_library
from engine.search.classify import MIN_STYLES, ClipWindows, classify, evaluate, load_clip_windows
from tests.conftest import REPO
from tests.factories import L, _swing_frames, cached_library, t_pose

FPS = 30.0
ARMS = ((L.LEFT_SHOULDER, (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)),
        (L.RIGHT_SHOULDER, (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB)))
LEGS = ((L.LEFT_HIP, (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)),
        (L.RIGHT_HIP, (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)))
#: style -> (limbs that move, rhythm Hz, amplitude degrees)
STYLES = {"waltzy": (ARMS, 0.6, 50.0), "shaky": (ARMS, 3.0, 20.0), "stompy": (LEGS, 1.5, 35.0)}


def dancer(style: str, seed: int, seconds: float = 12.0) -> np.ndarray:
    """(N, 33, 4): a T-pose whose `style` limbs swing at the style's rhythm, with this dancer's own
    amplitude (+-20 %), tempo (+-10 %), phase and 5 mm jitter."""
    rng = np.random.default_rng(seed)
    limbs, hz, amp = STYLES[style]
    n = int(seconds * FPS)
    t = np.arange(n) / FPS
    world = np.repeat(t_pose()[None], n, axis=0)
    hz *= rng.uniform(0.9, 1.1)
    amp *= rng.uniform(0.8, 1.2)
    for k, (pivot, moved) in enumerate(limbs):
        phase = rng.uniform(0, 2 * np.pi)
        _swing_frames(world, pivot, moved, np.radians(amp) * np.sin(2 * np.pi * hz * t + phase) * (-1) ** k, "z")
    world[..., :3] += rng.normal(0, 0.005, world[..., :3].shape).astype(np.float32)
    return world


def test_features_see_rhythm_speed_and_expansion():
    slow = window_features(dancer("waltzy", 0), FPS)
    fast = window_features(dancer("shaky", 0), FPS)
    assert slow.shape == (5, len(FEATURE_NAMES))          # 12 s: windows at 0, 2, 4, 6, 8 s
    band = {f"band_{lo:g}_{hi:g}_hz": k for k, (lo, hi) in enumerate(BANDS_HZ)}
    col = {name: k for k, name in enumerate(FEATURE_NAMES)}
    # Rhythm: the energy of a 0.6 Hz swing (speed peaks twice a cycle, 1.2 Hz) lies in 1-2 Hz; 3 Hz -> 4-8 Hz.
    assert slow[:, col["band_1_2_hz"]].mean() > 0.6 and fast[:, col["band_4_8_hz"]].mean() > 0.6
    assert set(band) <= set(col)
    # Angular speed of the shoulder: peak 2 pi f A, on average 2/pi of it -> 4 A f = 120 degrees/s for
    # 50 degrees at 0.6 Hz, within this dancer's +-20 % amplitude and +-10 % tempo.
    slow_speed = slow[:, col["speed_mean_left_shoulder"]].mean()
    fast_speed = fast[:, col["speed_mean_left_shoulder"]].mean()
    assert 0.8 * 0.9 * 120 < slow_speed < 1.2 * 1.1 * 120 and fast_speed > slow_speed
    # Legs still: the knees move only by the jitter.
    assert slow[:, col["speed_mean_left_knee"]].mean() < 0.15 * slow_speed


def test_a_short_or_empty_track_has_no_window():
    assert window_features(dancer("waltzy", 0, seconds=1.5), FPS).shape == (0, len(FEATURE_NAMES))
    assert window_features(dancer("waltzy", 0, seconds=3.0), FPS).shape == (1, len(FEATURE_NAMES))
    nobody = np.full((200, 33, 4), np.nan, np.float32)
    assert len(window_features(nobody, FPS)) == 0


def _library(n_dancers: int = 3) -> list[ClipWindows]:
    out = []
    for s, style in enumerate(STYLES):
        for d in range(n_dancers):
            seed = 10 * s + d
            out.append(ClipWindows(sha256=f"{seed:064x}", file_name=f"{style}{d}.mp4", dancer=f"{style}-dancer{d}",
                                   style=style, windows=window_features(dancer(style, seed), FPS)))
    return out


def test_leave_one_dancer_out_on_three_generated_styles():
    ev = evaluate(_library())
    assert (ev.clips, ev.dancers, ev.guessed) == (9, 9, 9)
    assert ev.accuracy >= 8 / 9
    assert sum(sum(r.values()) for r in ev.confusion.values()) == 9
    table = ev.table()
    assert "waltzy" in table and "rows: true" in table


def test_a_guess_names_its_neighbours_and_what_it_rests_on():
    lib = _library()
    guess = classify(window_features(dancer("shaky", 99), FPS), lib)
    assert guess.style == "shaky" and guess.confidence > 0.5
    assert guess.neighbours[0].style == "shaky"
    assert [n.distance for n in guess.neighbours] == sorted(n.distance for n in guess.neighbours)
    assert guess.labelled_clips == 9 and guess.styles == {"shaky": 3, "stompy": 3, "waltzy": 3}


def test_fewer_than_three_styles_says_what_is_missing():
    lib = [c for c in _library() if c.style != "stompy"]
    guess = classify(window_features(dancer("shaky", 99), FPS), lib)
    assert guess.style is None and guess.confidence is None
    assert f"at least {MIN_STYLES} styles" in guess.missing and "shaky (3), waltzy (3)" in guess.missing
    assert guess.neighbours[0].style == "shaky"                 # the neighbours are still shown


@pytest.mark.slow
def test_cli_classify_and_evaluate(tmp_path):
    cache = tmp_path / "cache"
    tracks = [(dancer(style, 10 * s + d), {"style": style, "dancer": f"{style}-{d}", "file": f"{style}{d}.mp4"})
              for s, style in enumerate(STYLES) for d in range(2)]
    tracks.append((dancer("stompy", 77), {"file": "new.mp4"}))       # unlabelled: not used
    cached_library(cache, tracks)
    with open_library(cache) as lib:
        assert len(load_clip_windows(lib.list_clips())) == 7
    env = {**os.environ, "DANCE_CACHE_DIR": str(cache)}
    out = tmp_path / "eval.json"
    done = subprocess.run([sys.executable, "-m", "engine", "classify", "--evaluate", "--json", str(out)], env=env,
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "leave-one-dancer-out accuracy:" in done.stdout and "rows: true" in done.stdout
    result = json.loads(out.read_text())
    assert result["clips"] == 6 and result["dancers"] == 6 and result["guessed"] == 6
    assert result["accuracy"] == result["correct"] / 6
    bad = subprocess.run([sys.executable, "-m", "engine", "classify"], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "give a CLIP, or --evaluate" in bad.stderr
