"""The Library page's "Which routine is this?" panel under AppTest, on a library of pose tracks:
a mirrored cut of a routine is placed in it; a foreign dance is "no match"."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.analysis.normalize import mirror_world
from tests.conftest import REPO
from tests.factories import cached_library, dance_clip

PAGE = str(REPO / "app_pages" / "2_Library.py")


@pytest.fixture
def shas(tmp_path, monkeypatch) -> list[str]:
    monkeypatch.delenv("DANCE_DB_URL", raising=False)
    monkeypatch.setenv("DANCE_CACHE_DIR", str(tmp_path / "cache"))
    salsa, pop = dance_clip(600, seed=11), dance_clip(600, seed=12)
    foreign = dance_clip(180, seed=99)
    foreign[:, 11:23, 1] -= 0.6
    return cached_library(tmp_path / "cache", [
        (salsa, {"routine": "Salsa 1", "file": "salsa.mp4"}),
        (pop, {"routine": "Pop 1", "file": "pop.mp4"}),
        (mirror_world(pop[240:420]), {"file": "pop_cut_mirrored.mp4"}),      # pop 8-14 s, mirrored
        (foreign, {"file": "foreign.mp4"}),
    ])


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_cut_is_placed_in_its_routine_and_a_foreign_dance_is_no_match(shas) -> None:
    at = run(AppTest.from_file(PAGE, default_timeout=120))
    assert "Which routine is this?" in [h.value for h in at.subheader]
    at.selectbox(key="lib_find_clip").set_value(shas[2])
    at.button(key="lib_find_go").click()
    run(at)
    [table] = [d.value for d in at.dataframe if "Mirrored" in d.value.columns]
    first = table.iloc[0]
    assert (first["Clip"], first["Routine"], first["Mirrored"]) == ("pop.mp4", "Pop 1", "yes")
    assert first["From (s)"] == pytest.approx(8.0, abs=0.2) and first["To (s)"] == pytest.approx(14.0, abs=0.2)
    assert list(table["Cost"]) == sorted(table["Cost"])
    assert "foreign.mp4" not in set(table["Clip"])

    at.selectbox(key="lib_find_clip").set_value(shas[3])
    at.button(key="lib_find_go").click()
    run(at)
    [info] = [i.value for i in at.info if "No match" in i.value]
    assert "No match in 3 clip(s)" in info and "above the no-match cost" in info
    assert not np.isnan(float(info.split("cost ")[1].split(",")[0]))


def test_style_panel_says_what_is_missing_with_one_style(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DANCE_DB_URL", raising=False)
    monkeypatch.setenv("DANCE_CACHE_DIR", str(tmp_path / "cache"))
    shas = cached_library(tmp_path / "cache", [
        (dance_clip(300, seed=1), {"style": "salsa", "dancer": "Ana", "file": "a.mp4"}),
        (dance_clip(300, seed=2), {"style": "salsa", "dancer": "Ben", "file": "b.mp4"}),
        (dance_clip(300, seed=3), {"file": "new.mp4"}),
    ])
    at = run(AppTest.from_file(PAGE, default_timeout=120))
    at.selectbox(key="lib_style_clip").set_value(shas[2])
    at.button(key="lib_style_go").click()
    run(at)
    [info] = [i.value for i in at.info if "No style guess" in i.value]
    assert "at least 3 styles" in info and "salsa (2)" in info
    [table] = [d.value for d in at.dataframe if "Distance" in d.value.columns]
    assert sorted(table["Clip"]) == ["a.mp4", "b.mp4"] and list(table["Distance"]) == sorted(table["Distance"])
