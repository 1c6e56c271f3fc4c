"""`find`: windows of library routines found in the right routine at the right time, mirrored or not;
a foreign dance is "no match"."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from engine.analysis.normalize import mirror_world
from engine.core.errors import EngineError
from engine.io.store import cache_path, fingerprint, save
from engine.library import open_library
from engine.search import NO_MATCH_COST, find_routine, load_routines
from tests.conftest import REPO
from tests.factories import cached_library, dance_clip, make_performance

FPS = 30.0


@pytest.fixture
def library(tmp_path):
    """Three routines of 20 s (different random choreographies), the last one unlabelled."""
    tracks = [(dance_clip(600, seed=s), {"routine": r, "file": f"{r or 'plain'}.mp4"})
              for s, r in ((11, "Salsa 1"), (12, "Pop 1"), (13, None))]
    cached_library(tmp_path / "cache", tracks)
    return tmp_path / "cache", [t for t, _ in tracks]


@pytest.mark.parametrize(("routine", "start_s", "mirror"), [(0, 4.0, False), (1, 12.5, True), (2, 7.3, False)])
def test_a_window_is_found_in_its_routine_at_its_time(library, routine, start_s, mirror):
    cache, tracks = library
    with open_library(cache) as lib:
        routines, skipped = load_routines(lib.list_clips())
    assert skipped == [] and len(routines) == 3
    a = int(start_s * FPS)
    window = tracks[routine][a:a + int(6 * FPS)]
    if mirror:
        window = mirror_world(window)
    result = find_routine(window, np.arange(len(window)) / FPS, routines, top=3)
    best = result.matches[0]
    assert best.sha256 == f"{routine:02x}" * 32
    assert best.teacher_s[0] == pytest.approx(start_s, abs=0.15)
    assert best.teacher_s[1] == pytest.approx(start_s + 6.0, abs=0.15)
    assert best.mirror is mirror
    assert best.cost < NO_MATCH_COST and result.searched == 3
    assert [m.cost for m in result.nearest] == sorted(m.cost for m in result.nearest)


def test_a_dance_not_in_the_library_is_no_match(library):
    cache, _ = library
    with open_library(cache) as lib:
        routines, _ = load_routines(lib.list_clips())
    # Another body doing something else: arms held up, legs still, turning slowly.
    other = dance_clip(180, seed=99)
    other[:, 11:23, 1] -= 0.6
    result = find_routine(other, np.arange(180) / FPS, routines)
    assert result.no_match and result.matches == []
    assert result.nearest and result.nearest[0].cost > NO_MATCH_COST


def test_the_query_clip_itself_is_not_a_match(library):
    cache, tracks = library
    with open_library(cache) as lib:
        routines, _ = load_routines(lib.list_clips())
    own = "00" * 32
    result = find_routine(tracks[0][:300], np.arange(300) / FPS, routines, exclude_sha256=own)
    assert own not in {m.sha256 for m in result.nearest} and result.searched == 2


def test_too_short_or_empty_queries_are_refused(library):
    cache, tracks = library
    with open_library(cache) as lib:
        routines, _ = load_routines(lib.list_clips())
    with pytest.raises(EngineError, match="too short"):
        find_routine(tracks[0][:30], np.arange(30) / FPS, routines)
    nobody = np.full((120, 33, 4), np.nan, np.float32)
    with pytest.raises(EngineError, match="nobody was detected"):
        find_routine(nobody, np.arange(120) / FPS, routines)


def test_cli_find_writes_the_json(library, tmp_path):
    """The query is a clip already in the cache (its poses stored under its sha256), searched
    against the others; the video file itself is a stand-in whose hash the cache is keyed by."""
    cache, tracks = library
    video = tmp_path / "query.mp4"
    video.write_bytes(b"stand-in bytes: the cache holds this file's poses")
    sha = hashlib.sha256(video.read_bytes()).hexdigest()
    a = int(8.0 * FPS)
    perf = make_performance(mirror_world(tracks[1][a:a + 150]), file="query.mp4")
    perf = replace(perf, source=replace(perf.source, sha256=sha, fingerprint=fingerprint()))
    save(perf, cache_path(cache, sha, fingerprint()))
    out = tmp_path / "found.json"
    env = {**os.environ, "DANCE_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-m", "engine", "find", str(video), "--top", "2", "--json", str(out),
                           "--quiet"], env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(out.read_text())
    first = found["matches"][0]
    assert (first["clip"], first["mirror"]) == ("Pop 1.mp4", True)
    assert first["teacher_s"][0] == pytest.approx(8.0, abs=0.15)
    assert set(first) >= {"clip", "sha256", "teacher_s", "mirror", "cost"} and len(found["matches"]) <= 2
    assert "Pop 1.mp4" in done.stdout and "mirrored" in done.stdout
