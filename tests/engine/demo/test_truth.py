"""engine.demo.truth: DemoTruth survives a JSON round trip; other layouts are refused."""

from __future__ import annotations

import json

import pytest

from engine.demo.truth import TRUTH_VERSION, ArmError, DemoTruth, Freeze, Move, TempoSection, round_time


def _truth() -> DemoTruth:
    catch_up = TempoSection((9.9, 10.1), (8.6, 9.4), 4.0)
    return DemoTruth(
        seed=3, fps=30.0, width=640, height=480, audio_sr=44100, bpm=120.0,
        teacher_duration_s=12.0, student_duration_s=12.7, offset_s=-0.7,
        time_map=((0.0, -0.7), (1.0, 0.3)), tempo_sections=(TempoSection((4.7, 6.7), (4.0, 5.6), 0.8),),
        arm_error=ArmError("left_shoulder", "left", -40.0, (3.2, 4.2), (2.5, 3.5), 0.15),
        freeze=Freeze((9.3, 9.9), (8.6, 9.2), 8.6, "catch_up", catch_up),
        moves=(Move("ready", (0.0, 1.0)),))


def test_json_round_trip():
    truth = _truth()
    obj = json.loads(json.dumps(truth.to_json()))
    assert obj["version"] == TRUTH_VERSION and obj["freeze"]["catch_up"]["rate"] == 4.0
    assert DemoTruth.from_json(obj) == truth


def test_other_versions_are_refused():
    obj = _truth().to_json() | {"version": TRUTH_VERSION + 1}
    with pytest.raises(ValueError, match="version"):
        DemoTruth.from_json(obj)


@pytest.mark.parametrize("x, expected", [(1 / 3, 0.333333), (-0.7000000001, -0.7), (2, 2.0)])
def test_round_time(x, expected):
    assert round_time(x) == expected
