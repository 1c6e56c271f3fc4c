"""Tests for engine.core.settings: defaults, validation messages, TOML files over the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.body import DEFAULT_JOINT_WEIGHT, DEFAULT_TOLERANCE_DEG
from engine.core.errors import SettingsError
from engine.core.settings import (
    COMPONENTS,
    DEFAULT_COMPONENT_WEIGHTS,
    MIRROR_CHOICES,
    SYNC_CHOICES,
    AlignSettings,
    ExtractSettings,
    ScoreSettings,
    load_settings,
)
from tests.conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_defined_once():
    s = ScoreSettings()
    assert s.weights == DEFAULT_COMPONENT_WEIGHTS and set(s.weights) == set(COMPONENTS)
    assert s.tolerance_deg == DEFAULT_TOLERANCE_DEG and s.joint_weights == DEFAULT_JOINT_WEIGHT
    assert (s.timing_tolerance_s, s.max_moments) == (0.15, 8)
    assert AlignSettings() == AlignSettings(band=0.2, mirror="auto", sync="auto", backend="exact")
    assert MIRROR_CHOICES == ("auto", "on", "off") and SYNC_CHOICES == ("auto", "audio", "motion", "none")


def test_defaults_are_copies_not_shared():
    a = ScoreSettings()
    a.weights["pose"] = 1.0
    assert ScoreSettings().weights["pose"] == DEFAULT_COMPONENT_WEIGHTS["pose"] != 1.0


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"band": 0.0}, r"band must be in \(0, 1\] \(a fraction of the clip length\), got 0.0"),
    ({"band": 1.5}, r"band must be in \(0, 1\] \(a fraction of the clip length\), got 1.5"),
    ({"band": float("nan")}, r"band must be in \(0, 1\]"),
    ({"mirror": "yes"}, r"mirror must be one of auto, on, off; got 'yes'"),
    ({"sync": "beat"}, r"sync must be one of auto, audio, motion, none; got 'beat'"),
    ({"backend": "fast"}, r"backend must be one of exact, fastdtw; got 'fast'"),
])
def test_align_settings_errors(kwargs, message):
    with pytest.raises(SettingsError, match=message):
        AlignSettings(**kwargs)


@pytest.mark.parametrize("band, mirror, sync", [(1.0, "on", "none"), (0.02, "off", "audio"), (0.5, "auto", "motion")])
def test_align_settings_accepts_the_edges_and_choices(band, mirror, sync):
    s = AlignSettings(band=band, mirror=mirror, sync=sync)
    assert (s.band, s.mirror, s.sync) == (band, mirror, sync)


ZERO = {c: 0.0 for c in COMPONENTS}


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": {"pose": 1.0, "style": 2.0}}, r"unknown score components \['style'\]; known: pose, timing"),
    ({"weights": {"pose": -1.0}}, r"weights and tolerances must be >= 0, got \{'pose': -1.0\}"),
    ({"weights": {"pose": float("nan")}}, r"weights and tolerances must be >= 0, got \{'pose': nan\}"),
    ({"tolerance_deg": {"hips": -5.0}}, r"must be >= 0, got \{'hips': -5.0\}"),
    ({"joint_weights": {"knees": -1.0}}, r"must be >= 0, got \{'knees': -1.0\}"),
    ({"weights": ZERO}, (r"all score component weights are zero, so there is no overall score; give at least one "
                         r"of pose, timing, trajectory, silhouette, dynamics a weight above zero")),
    ({"weights": {}}, r"all score component weights are zero"),
    ({"timing_tolerance_s": -0.1}, r"timing_tolerance_s must be >= 0 seconds, got -0.1"),
    ({"max_moments": -1}, r"max_moments must be a whole number >= 0, got -1"),
    ({"max_moments": 2.5}, r"max_moments must be a whole number >= 0, got 2.5"),
])
def test_score_settings_errors(kwargs, message):
    with pytest.raises(SettingsError, match=message):
        ScoreSettings(**kwargs)


def test_one_weighted_component_is_enough():
    assert ScoreSettings(weights={**ZERO, "dynamics": 5.0}).weights["dynamics"] == 5.0


def test_extract_fingerprint_changes_with_settings_and_model():
    base = ExtractSettings().fingerprint("m")
    assert len(base) == 12 and base == ExtractSettings().fingerprint("m")
    assert ExtractSettings(max_side=480).fingerprint("m") != base
    assert ExtractSettings().fingerprint("other") != base


# --- TOML files -----------------------------------------------------------------------------

def test_toml_overrides_only_what_it_names(tmp_path):
    path = write(tmp_path, """
[align]
band = 0.5
mirror = "on"

[score]
timing_tolerance_s = 0.25
max_moments = 3

[score.weights]
pose = 70

[score.tolerance_deg]
elbows = 22

[score.joint_weights]
knees = 2.0
""")
    align, score = load_settings(path)
    assert align == AlignSettings(band=0.5, mirror="on")
    assert score.weights == {**DEFAULT_COMPONENT_WEIGHTS, "pose": 70}
    assert score.tolerance_deg == {**DEFAULT_TOLERANCE_DEG, "elbows": 22}
    assert score.joint_weights == {**DEFAULT_JOINT_WEIGHT, "knees": 2.0}
    assert (score.timing_tolerance_s, score.max_moments) == (0.25, 3)


def test_empty_toml_gives_the_defaults(tmp_path):
    assert load_settings(write(tmp_path, "")) == (AlignSettings(), ScoreSettings())


def test_the_example_file_is_the_defaults():
    assert load_settings(REPO / "settings.example.toml") == (AlignSettings(), ScoreSettings())


@pytest.mark.parametrize("text, message", [
    ("[align]\nsync = \"beat\"\n", r"sync must be one of auto, audio, motion, none; got 'beat'"),
    ("[align]\nband = 2\n", r"band must be in \(0, 1\]"),
    ("[align]\nspeed = 2\n", r"settings.toml: .*unexpected keyword argument 'speed'"),
    ("[score]\nstrictness = 2\n", r"settings.toml: .*unexpected keyword argument 'strictness'"),
    ("[score.weights]\nstyle = 1\n", r"unknown score components \['style'\]"),
    ("[score.weights]\npose = 0\ntiming = 0\ntrajectory = 0\nsilhouette = 0\ndynamics = 0\n",
     r"all score component weights are zero"),
    ("[score]\ntiming_tolerance_s = -1\n", r"timing_tolerance_s must be >= 0 seconds"),
    ("[align\nband = 0.2\n", r"Cannot read settings file .*settings.toml"),
])
def test_toml_errors_name_the_problem(tmp_path, text, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(write(tmp_path, text))


def test_missing_toml_file(tmp_path):
    with pytest.raises(SettingsError, match=r"Cannot read settings file .*nope.toml"):
        load_settings(tmp_path / "nope.toml")
