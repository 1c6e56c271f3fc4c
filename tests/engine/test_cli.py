"""Tests for engine.cli without video: the compare command on a hand-made Analysis."""

from __future__ import annotations

import json

import numpy as np
import pytest

import engine.analysis.compare
from engine import cli
from engine.analysis.score import score
from engine.core.settings import MIRROR_CHOICES, SYNC_CHOICES
from engine.present.report import joint_table_csv
from tests.engine.analysis.metrics.posekit import dance
from tests.factories import make_analysis, make_performance

N = 90


def _analysis(**_kwargs):
    slip = np.zeros(N)
    slip[30:60] = 40.0               # the student's left arm 40 degrees lower for 1 s
    a = make_analysis(make_performance(dance(N)), make_performance(dance(N, left_arm_error=slip)),
                      np.stack([np.arange(N), np.arange(N)], axis=1))
    return a


@pytest.fixture
def fake_analyze(monkeypatch):
    monkeypatch.setenv("ENGINE_NATIVE_LOGS", "1")   # keep fd 2 for pytest
    calls = []

    def analyze(teacher, student, *, settings, **kwargs):
        calls.append(settings)
        return _analysis()
    monkeypatch.setattr(engine.analysis.compare, "analyze", analyze)
    return calls


def _choices(option: str) -> tuple:
    compare = cli.build_parser()._subparsers._group_actions[0].choices["compare"]
    return tuple(next(a for a in compare._actions if option in a.option_strings).choices)


def test_mirror_and_sync_choices_come_from_the_settings():
    assert _choices("--mirror") == MIRROR_CHOICES and _choices("--sync") == SYNC_CHOICES


def test_compare_writes_the_joint_csv_and_the_report(fake_analyze, tmp_path, capsys):
    out_csv, out_json = tmp_path / "joints.csv", tmp_path / "report.json"
    rc = cli.main(["compare", "t.mp4", "s.mp4", "--csv", str(out_csv), "--json", str(out_json),
                   "--sync", "none", "--quiet"])
    assert rc == 0
    assert fake_analyze[0].sync == "none"
    expected = joint_table_csv(score(_analysis()))
    assert out_csv.read_text(encoding="utf-8") == expected
    assert "left_elbow,elbows," in expected.splitlines()[1]
    report = json.loads(out_json.read_text(encoding="utf-8"))
    assert report["moments"][0]["detail"] == "left arm 40 degrees lower than the teacher"
    out = capsys.readouterr().out
    assert "[form] left arm 40 degrees lower than the teacher" in out
    # A hand-made analysis has no music: the summary says times are in seconds only, and why.
    assert f"counts: none, times in seconds only ({report['counts']['reason']})" in out
    assert report["beats_s"] == [] and report["moments"][0]["teacher_count"] is None


def test_compare_with_all_zero_weights_exits_2_with_one_line(fake_analyze, tmp_path, capsys):
    config = tmp_path / "zero.toml"
    config.write_text("[score.weights]\npose = 0\ntiming = 0\ntrajectory = 0\nsilhouette = 0\ndynamics = 0\n")
    rc = cli.main(["compare", "t.mp4", "s.mp4", "--config", str(config), "--csv", str(tmp_path / "j.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: all score component weights are zero") and err.count("\n") == 1
    assert not (tmp_path / "j.csv").exists()
