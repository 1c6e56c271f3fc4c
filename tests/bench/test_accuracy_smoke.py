"""The accuracy harness's own arithmetic and set-building, without MediaPipe or footage.

AUC / margin against hand-computed truths, the time maps of the derived copies, the alignment
error on synthetic paths, the pair list (holdout and --fast selections) and the criteria."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
import accuracy as acc


@pytest.mark.parametrize("pos, neg, expected", [
    ([90, 80], [50, 40], 1.0),               # separated
    ([90, 40], [50, 30], 0.75),              # 40 < 50: one of four pairs wrong
    ([50], [50], 0.5),                       # a tie counts a half
    ([60, 50], [50, 70], (0 + 1 + 0.5 + 0) / 4),
    ([10], [20, 30], 0.0),
])
def test_auc_hand_computed(pos, neg, expected):
    assert acc.auc(pos, neg) == pytest.approx(expected)


def test_auc_and_margin_empty_are_nan():
    assert math.isnan(acc.auc([], [1.0])) and math.isnan(acc.margin([1.0], []))


@pytest.mark.parametrize("pos, neg, expected", [([90, 82], [40, 55], 27.0), ([70, 99], [75], -5.0)])
def test_margin_hand_computed(pos, neg, expected):
    assert acc.margin(pos, neg) == pytest.approx(expected)


def test_alignment_error_on_a_synthetic_path():
    # Truth: teacher = student + 0.1 s. A path that is right for 3 pairs and 0.2 s late on one.
    map_s, map_t = np.array([0.0, 10.0]), np.array([0.1, 10.1])
    student = np.array([0.0, 1.0, 2.0, 3.0])
    teacher = np.array([0.1, 1.1, 2.3, 3.1])
    assert acc.alignment_error_ms(teacher, student, map_s, map_t) == pytest.approx(1000 * 0.2 / 4)
    assert acc.alignment_error_ms(student + 0.1, student, map_s, map_t) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        acc.alignment_error_ms(teacher[:2], student, map_s, map_t)


def test_alignment_error_of_a_frozen_copy():
    # Student frames 3..5 all show teacher frame 3 (a hold); a path mapping them there is exact.
    fps = 10.0
    idx = np.array([0, 1, 2, 3, 3, 3, 6, 7])
    map_s, map_t = np.arange(idx.size) / fps, idx / fps
    assert acc.alignment_error_ms(idx / fps, np.arange(idx.size) / fps, map_s, map_t) == pytest.approx(0.0)
    # Mapping the held frames to real time instead costs 0.1 and 0.2 s on two of eight pairs.
    real = np.arange(idx.size) / fps
    assert acc.alignment_error_ms(real, real, map_s, map_t) == pytest.approx(1000 * 0.3 / 8)


def test_source_index_maps():
    fps, n = 30.0, 300
    assert np.array_equal(acc.source_index_map("mirror", n, fps), np.arange(n))
    warp = acc.source_index_map("warp", n, fps)
    assert np.all(np.diff(warp) >= 0) and warp.max() <= n - 1      # monotone, inside the source
    s = np.arange(warp.size) / fps
    assert np.max(np.abs(warp / fps - (s + acc.WARP_AMP_S * np.sin(2 * np.pi * s / acc.WARP_PERIOD_S)))) <= 0.5 / fps
    assert np.max(np.abs(warp / fps - s)) > 0.25                     # really warped
    freeze = acc.source_index_map("freeze", n, fps)
    a, b = int(acc.FREEZE_AT_S * fps), int((acc.FREEZE_AT_S + acc.FREEZE_S) * fps)
    assert np.all(freeze[a:b] == a) and np.array_equal(freeze[b:], np.arange(b, n))
    with pytest.raises(ValueError):
        acc.source_index_map("warp", 0, fps)


def test_pairs_cover_the_issue():
    pairs = acc.build_pairs(Path("demo"))
    ids = {p.id for p in pairs}
    assert len(ids) == len(pairs)                                    # unique ids
    groups = {p.group for p in pairs if p.kind == "positive"}
    assert {"real", "crowd", "warp", "mirror", "freeze", "half", "self", "sample"} <= groups
    n = len(acc.NEGATIVE_CLIPS)
    negatives = [p for p in pairs if p.kind == "negative"]
    assert len(negatives) == n * (n - 1) // 2
    assert all(p.teacher.name != p.student.name for p in negatives)
    hard = [p for p in negatives if {p.teacher.name, p.student.name} == {"studio_cropTop_solo_23s", "feelsreal_dancerA"}]
    assert len(hard) == 1 and hard[0].soundtrack == "unrelated"
    aist = [p for p in negatives if "ch01_first3s" in p.id and "ch03_first3s" in p.id]
    assert aist[0].soundtrack == "identical"
    modified = {p.id for p in pairs if p.kind == "modified"}
    assert modified == {"fitness_blue_vs_tank", "fitness_grey_vs_tank"}
    holdout = acc.select(pairs, which="holdout")
    assert 3 <= len(holdout) <= 4 and all(p.group in acc.DERIVED_RECIPES for p in holdout)
    main = acc.select(pairs)
    assert not {p.id for p in main} & {p.id for p in holdout}
    assert len(acc.select(pairs, which="all")) == len(pairs)
    fast = acc.select(pairs, fast=True)
    assert 3 <= len(fast) <= 6 and {p.kind for p in fast} == {"positive", "negative"}
    with pytest.raises(ValueError):
        acc.select(pairs, which="tuning")


def _row(id, kind, group, overall, **kw):
    base = {"id": id, "kind": kind, "group": group, "overall": overall, "mirror": None, "mirror_truth": None,
            "align_err_ms": None, "sync_method": None, "sync_confidence": None, "offset_err_ms": None,
            "audio_confidence": None, "soundtrack": None}
    return {**base, **kw}


def test_evaluate_criteria():
    rows = [_row("self", "positive", "self", 99.0, mirror=False, mirror_truth=False),
            _row("m", "positive", "mirror", 91.0, mirror=True, mirror_truth=True),
            _row("w", "positive", "warp", 85.0, align_err_ms=40.0),
            _row("n1", "negative", "cross", 50.0, soundtrack="unrelated", audio_confidence=0.1),
            _row("n2", "negative", "cross", None, soundtrack="unrelated")]      # refused
    summary, crits = acc.evaluate(rows)
    assert summary["auc"] == 1.0 and summary["margin"] == pytest.approx(35.0)
    assert summary["negatives_refused"] == 1
    by = {c.name: c for c in crits}
    assert by["same-choreography pairs >= 80"].passed
    assert by["different-dance pairs <= 55 (refused = pass)"].passed
    assert by["margin (worst positive - best negative)"].passed
    warp = by["time-warped copies: mean alignment error <= 33 ms"]
    assert not warp.passed and warp.failing == ["w"] and warp.value == 40.0
    assert by["mirrored copies detected (--mirror auto)"].passed
    assert by["sample student <= 92"].passed is None                     # no such pair in this run
    assert by["unrelated soundtracks: audio confidence <= 0.2"].passed


def test_modified_pairs_count_for_sync_and_mirror_but_not_for_the_score_truth():
    rows = [_row("pos", "positive", "crowd", 90.0, mirror=False, mirror_truth=False, sync_method="audio",
                 sync_confidence=1.0, offset_err_ms=0.0),
            _row("mod", "modified", "crowd", 20.0, mirror=True, mirror_truth=False, sync_method="audio",
                 sync_confidence=0.5, offset_err_ms=0.0),
            _row("neg", "negative", "cross", 40.0)]
    summary, crits = acc.evaluate(rows)
    assert summary["auc"] == 1.0 and summary["margin"] == pytest.approx(50.0) and summary["modified"] == {"mod": 20.0}
    by = {c.name: c for c in crits}
    assert by["same-choreography pairs >= 80"].passed and by["same-choreography pairs >= 80"].n == 1
    assert by["mirror decision = truth (all pairs with a known truth)"].failing == ["mod"]
    conf = by["identical soundtracks (fitness crops): confidence >= 0.9"]
    assert conf.failing == ["mod"] and conf.n == 2
    assert "modified (no score truth, not in AUC or margin): mod 20.0" in acc.criteria_table(summary, crits)


def test_injected_mistakes_are_named_only_by_a_matching_moment():
    from engine.analysis.score import Moment
    truth = {"arm_error": {"side": "left", "student_s": [3.2, 4.2]},
             "freeze": {"student_s": [9.3, 9.9]},
             "tempo_sections": [{"student_s": [4.7, 6.7]}, {"student_s": [6.7, 8.3]}]}

    def m(kind, span, joint=None):
        facts = {"error_deg": None, "late_s": None, **{"form": {"error_deg": -30.0}, "timing": {"late_s": 0.3},
                                                         "freeze": {"still_s": 0.5}}[kind]}
        return Moment(teacher_s=span, student_s=span, kind=kind, joint=joint, severity=1.0, **facts)
    found = [m("form", (3.3, 4.3), "left_elbow"), m("freeze", (9.35, 9.8)), m("timing", (5.0, 7.2))]
    assert acc.mistakes_named(found, truth) == {"arm": True, "freeze": True, "late": True}
    wrong = [m("form", (3.3, 4.3), "right_shoulder"), m("form", (6.0, 6.5), "left_shoulder"),
             m("timing", (9.3, 9.9)), m("freeze", (1.0, 1.5))]
    assert acc.mistakes_named(wrong, truth) == {"arm": False, "freeze": False, "late": False}
    rows = [_row("sample", "positive", "sample", 91.0, mistakes_named={"arm": True, "freeze": False, "late": True})]
    crit = {c.name: c for c in acc.evaluate(rows)[1]}["sample: each injected mistake named (arm, freeze, late)"]
    assert not crit.passed and crit.value == pytest.approx(2 / 3, abs=1e-3) and crit.failing == ["sample"]
