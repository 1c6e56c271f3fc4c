"""`python -m engine batch`: the demo clips plus a bad file, on a real Dask cluster and on the local pool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.batch import BatchResult, VideoOutcome, find_videos, record_outcomes
from engine.core.errors import EngineError
from engine.library import ClipInfo, open_library
from tests.conftest import REPO

GOOD = ("student.mp4", "teacher.mp4")


def _batch(clips: Path, cache: Path, *args: str) -> tuple[int, dict, str]:
    env = {**os.environ, "DANCE_CACHE_DIR": str(cache)}
    env.pop("DANCE_DASK_SCHEDULER", None)
    done = subprocess.run([sys.executable, "-m", "engine", "batch", str(clips), *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)
    return done.returncode, json.loads(done.stdout), done.stderr


def _cache_files(cache: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in cache.glob("*.h5")}


def _check_first_run(rc: int, out: dict, err: str, cache: Path) -> None:
    assert rc == 2, err
    assert sorted(Path(v).name for v in out["extracted"]) == list(GOOD)
    assert out["cached"] == []
    [bad] = out["failed"]
    assert Path(bad["video"]).name == "bad.mp4"
    assert "not a video file" in bad["reason"]
    assert "bad.mp4" in err and "1 failed" in err       # reported at the end, with its reason
    assert out["frames_extracted"] > 300               # two 12-s clips at the analysis rate
    with open_library(cache) as lib:
        clips = lib.list_clips()
    assert sorted(c.file_name for c in clips) == list(GOOD)
    for c in clips:
        assert c.has_poses and c.has_video
        assert (c.routine, c.dancer, c.style) == ("Demo", "Dot", "drawn")
    assert len(_cache_files(cache)) == 2


def _check_rerun_does_nothing(clips: Path, cache: Path, *args: str) -> None:
    before = _cache_files(cache)
    rc, out, err = _batch(clips, cache, *args)
    assert rc == 2, err
    assert out["extracted"] == [] and out["frames_extracted"] == 0
    assert sorted(Path(v).name for v in out["cached"]) == list(GOOD)
    assert [Path(f["video"]).name for f in out["failed"]] == ["bad.mp4"]
    assert _cache_files(cache) == before                # not one cache file rewritten


LABELS = ("--routine", "Demo", "--dancer", "Dot", "--style", "drawn")


@pytest.mark.slow
def test_batch_on_a_dask_cluster(batch_clips, dask_cluster, tmp_path):
    address, worker_pids = dask_cluster
    cache = tmp_path / "cache"
    rc, out, err = _batch(batch_clips, cache, "--scheduler", address, *LABELS)
    _check_first_run(rc, out, err, cache)
    ran_on = {int(w.split("@")[0]) for w in out["workers"]}
    assert ran_on and ran_on <= worker_pids, (ran_on, worker_pids)    # the cluster's workers did it
    _check_rerun_does_nothing(batch_clips, cache, "--scheduler", address)


@pytest.mark.slow
def test_batch_with_the_local_pool(batch_clips, tmp_path):
    cache = tmp_path / "cache"
    rc, out, err = _batch(batch_clips, cache, "--workers", "2", *LABELS)
    _check_first_run(rc, out, err, cache)
    # Worker processes did it (which of the two took which file depends on their start-up).
    assert 1 <= len(out["workers"]) <= 2 and str(os.getpid()) not in {w.split("@")[0] for w in out["workers"]}
    _check_rerun_does_nothing(batch_clips, cache, "--workers", "2")
    env = {**os.environ, "DANCE_CACHE_DIR": str(cache)}
    only_good = subprocess.run([sys.executable, "-m", "engine", "batch", *(str(batch_clips / g) for g in GOOD)],
                               env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert only_good.returncode == 0, only_good.stderr               # every file succeeded: exit 0


def test_a_folder_without_videos_is_bad_input(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a video, and not named like one")
    env = {**os.environ, "DANCE_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "engine", "batch", str(tmp_path / "empty")], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "no videos under" in done.stderr   # an empty batch is bad input


def test_unreachable_scheduler_is_bad_input(tmp_path, batch_clips):
    env = {**os.environ, "DANCE_CACHE_DIR": str(tmp_path / "cache"), "DANCE_DASK_SCHEDULER": "tcp://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-m", "engine", "batch", str(batch_clips / "bad.mp4")], env=env,
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in done.stderr and "Traceback" not in done.stderr


def test_find_videos(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/one.MP4", "a/b/two.mov", "a/notes.txt", "a/.hidden.mp4", "three.bin"):
        (tmp_path / name).write_bytes(b"x")
    found = find_videos([tmp_path / "a", tmp_path / "three.bin", tmp_path / "a" / "one.MP4"])
    assert [p.name for p in found] == ["two.mov", "one.MP4", "three.bin"]   # one.MP4 named twice: taken once
    with pytest.raises(EngineError, match="no such file or folder"):
        find_videos([tmp_path / "missing"])


def test_record_outcomes_labels_only_the_good_clips(tmp_path):
    good = VideoOutcome(video="/x/a.mp4", status="extracted", frames=10,
                        clip=ClipInfo(sha256="a" * 64, file_name="a.mp4", duration_s=1.0))
    bad = VideoOutcome(video="/x/b.mp4", status="failed", error="nope")
    with open_library(tmp_path) as lib:
        n = record_outcomes(lib, BatchResult([good, bad]), labels={"routine": "R", "dancer": None, "style": "S"})
        [clip] = lib.list_clips()
    assert n == 1
    assert (clip.sha256, clip.routine, clip.dancer, clip.style) == ("a" * 64, "R", None, "S")


@pytest.mark.slow
def test_dashboard_extraction_goes_to_the_cluster(batch_clips, dask_cluster, tmp_path, monkeypatch):
    """With DANCE_DASK_SCHEDULER set, the pages' extraction job runs on the cluster: this process
    never extracts (its extractor would raise), yet gets the Performance, masks included."""
    import engine.io.extract
    from engine.batch.cluster import load_or_extract_on_cluster
    from engine.io import store
    from ui.jobs import extraction_function

    address, _ = dask_cluster
    monkeypatch.delenv("DANCE_DASK_SCHEDULER", raising=False)
    assert extraction_function(store.load_or_extract) is store.load_or_extract
    monkeypatch.setenv("DANCE_DASK_SCHEDULER", address)
    run = extraction_function(store.load_or_extract)
    assert run is load_or_extract_on_cluster

    def no_local_extraction(*args, **kwargs):
        raise AssertionError("extracted in the web process")
    monkeypatch.setattr(engine.io.extract, "extract", no_local_extraction)
    progress = []
    perf = run(batch_clips / "teacher.mp4", cache_dir=tmp_path / "cache", settings=store.ExtractSettings(),
               display_name="My teacher.mp4", progress=lambda f, m: progress.append((f, m)),
               extractor=no_local_extraction)
    assert perf.n_frames > 300 and perf.mask.shape == (perf.n_frames, 128, 128)
    assert perf.source.file == "My teacher.mp4"
    assert "on the cluster" in progress[0][1] and progress[-1][0] == 1.0
    assert len(list((tmp_path / "cache").glob("*.h5"))) == 1
    with pytest.raises(EngineError, match="not a video file"):
        run(batch_clips / "bad.mp4", cache_dir=tmp_path / "cache", display_name="bad.mp4")
