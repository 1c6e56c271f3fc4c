"""export-dataset and `PoseDataset`: a library of synthetic clips with known labels, written and read back
in two worker processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from engine.core.body import Landmark, mid_hip, mid_shoulder
from engine.dataset import ANGLE_NAMES, DatasetError, PoseDataset
from engine.dataset.export import assign_splits, export_dataset
from engine.library import ClipFilter, open_library
from tests.conftest import REPO
from tests.factories import cached_library, dance_clip

#: (dancer, routine, style, frames) of the synthetic library; Ana has two clips.
CLIPS = [("Ana", "Salsa 1", "salsa", 90), ("Ana", "Salsa 2", "salsa", 60), ("Ben", "Salsa 1", "salsa", 75),
         ("Cai", "Pop 1", "pop", 80), ("Dee", "Pop 1", "pop", 70), ("Eve", "Jazz 1", "jazz", 65)]


@pytest.fixture
def library_dir(tmp_path) -> Path:
    """A cache folder with one cache file per CLIPS row (a dancing skeleton 1.7x the T-pose's size,
    2 m to the side, nobody seen in frame 5) and a library that knows them with their labels."""
    tracks = []
    for k, (dancer, routine, style, n) in enumerate(CLIPS):
        world = dance_clip(n, seed=k)
        world[..., :3] = world[..., :3] * 1.7 + np.array([2.0, 0.0, 0.0], np.float32)
        world[5, :, :3] = np.nan
        tracks.append((world, {"dancer": dancer, "routine": routine, "style": style, "file": f"{dancer}_{k}.mp4"}))
    cached_library(tmp_path / "cache", tracks)
    return tmp_path / "cache"


def _read_items(ds: PoseDataset, items: list[int], queue) -> None:
    """In a worker process: read items and send back what the test checks."""
    out = []
    for i in items:
        item = ds[i]
        out.append({"i": i, "pid": os.getpid(), "dancer": item["dancer"], "routine": item["routine"],
                    "style": item["style"], "split": item["split"], "frames": item["frames"],
                    "shapes": {k: item[k].shape for k in ("image", "world", "norm", "angles", "valid", "t")},
                    "norm_sum": float(np.nansum(item["norm"]))})
    queue.put(out)


def test_export_and_read_back_in_two_processes(library_dir, tmp_path):
    out = tmp_path / "poses.h5"
    with open_library(library_dir) as lib:
        clips = lib.list_clips(ClipFilter(newest_first=False))
    result = export_dataset(out, clips, split_by="dancer")
    assert result.clips == len(CLIPS) and result.frames == sum(c[3] for c in CLIPS) and result.skipped == []

    with h5py.File(out, "r") as f:                       # plain h5py opens it
        index = f["index"][()]
        assert [x.decode() for x in index["dancer"]] == [c[0] for c in CLIPS]
        assert list(f.attrs["angle_names"]) == list(ANGLE_NAMES)
        by_split = {s: set(f["splits"][s][()].tolist()) for s in ("train", "val", "test")}
        g = f["clips/00000"]
        assert g["norm"].dtype == np.float32 and g.attrs["sha256"] == "00" * 32
    # Every clip in exactly one split, every split used, no dancer in two splits.
    assert sorted(i for rows in by_split.values() for i in rows) == list(range(len(CLIPS)))
    assert all(by_split.values())
    dancers = {s: {CLIPS[i][0] for i in rows} for s, rows in by_split.items()}
    assert not (dancers["train"] & dancers["val"] or dancers["train"] & dancers["test"] or dancers["val"] & dancers["test"])

    ds = PoseDataset(out)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    halves = [list(range(0, len(CLIPS), 2)), list(range(1, len(CLIPS), 2))]
    workers = [ctx.Process(target=_read_items, args=(ds, h, queue)) for h in halves]
    for w in workers:
        w.start()
    got = [x for _ in workers for x in queue.get(timeout=120)]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    assert len({g["pid"] for g in got}) == 2 and os.getpid() not in {g["pid"] for g in got}
    for g in sorted(got, key=lambda g: g["i"]):
        dancer, routine, style, n = CLIPS[g["i"]]
        assert (g["dancer"], g["routine"], g["style"], g["frames"]) == (dancer, routine, style, n)
        assert g["shapes"] == {"image": (n, 33, 4), "world": (n, 33, 4), "norm": (n, 33, 3),
                               "angles": (n, len(ANGLE_NAMES)), "valid": (n,), "t": (n,)}
        assert g["split"] in {s for s, rows in by_split.items() if g["i"] in rows}
        assert g["norm_sum"] == pytest.approx(float(np.nansum(ds[g["i"]]["norm"])), rel=1e-5)

    # norm is hip-centred and in torso lengths: the 1.7x skeleton 2 m aside has its hips at 0 and a torso of 1.
    item = ds[0]
    norm = item["norm"]
    assert not item["valid"][5] and np.isnan(norm[5]).all() and item["valid"][6]
    ok = item["valid"]
    np.testing.assert_allclose(mid_hip(norm[ok]), 0.0, atol=1e-5)
    torso = np.linalg.norm(mid_shoulder(norm[ok]) - mid_hip(norm[ok]), axis=-1)
    assert np.median(torso) == pytest.approx(1.0, abs=0.02)
    elbow = ANGLE_NAMES.index("left_elbow")
    assert np.nanmax(item["angles"][:, elbow]) <= 180.0 and np.nanmin(item["angles"][:, elbow]) > 90.0
    assert item["world"][0, Landmark.LEFT_HIP, 0] > 1.5                  # world keeps metres and place

    train = PoseDataset(out, split="train", fields=("angles",))
    assert len(train) == len(by_split["train"]) and set(train[0]) >= {"angles", "dancer", "fps"}
    assert "norm" not in train[0]


def test_cli_export_filters_and_reports(library_dir, tmp_path):
    out = tmp_path / "pop.h5"
    env = {**os.environ, "DANCE_CACHE_DIR": str(library_dir)}
    done = subprocess.run([sys.executable, "-m", "engine", "export-dataset", str(out), "--routine", "Pop 1",
                           "--quiet"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["clips"] == 2 and summary["frames"] == 150
    assert {d for s in summary["splits"].values() for d in s["dancers"]} == {"dancer=Cai", "dancer=Dee"}
    with h5py.File(out, "r") as f:
        assert sorted(x.decode() for x in f["index"]["routine"]) == ["Pop 1", "Pop 1"]
    none = subprocess.run([sys.executable, "-m", "engine", "export-dataset", str(out), "--routine", "Tango"],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert none.returncode == 2 and "no clips in the library with routine 'Tango'" in none.stderr


def test_a_clip_without_poses_or_video_is_left_out_and_named(library_dir, tmp_path):
    with open_library(library_dir) as lib:
        clips = lib.list_clips(ClipFilter(newest_first=False))
    Path(clips[1].cache_file).unlink()
    result = export_dataset(tmp_path / "d.h5", clips)
    assert result.clips == len(CLIPS) - 1
    assert [s["file"] for s in result.skipped] == [clips[1].file_name]
    assert "neither its pose cache file nor its video" in result.skipped[0]["reason"]


@pytest.mark.parametrize(("groups", "frames_per_split"), [
    ({"a": 100}, (100, 0, 0)),
    ({"a": 100, "b": 10}, (100, 10, 0)),
    ({"a": 700, "b": 150, "c": 150}, (700, 150, 150)),
    # Largest first, one to each split, then each to the split furthest below its share.
    ({"a": 300, "b": 300, "c": 100, "d": 100, "e": 100}, (500, 300, 100)),
])
def test_assign_splits(groups, frames_per_split):
    for seed in range(3):                                # ties are broken by the seed, the totals are not
        got = assign_splits(groups, seed=seed)
        assert set(got) == set(groups)
        assert tuple(sum(n for g, n in groups.items() if got[g] == s) for s in ("train", "val", "test")) == \
            frames_per_split


def test_assign_splits_rejects_bad_fractions():
    with pytest.raises(Exception, match="val and test fractions"):
        assign_splits({"a": 1}, (0.6, 0.5))


def test_reader_rejects_what_it_cannot_read(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["schema_version"] = 99
    with pytest.raises(DatasetError, match="not a pose dataset of schema 1"):
        PoseDataset(other)
    with pytest.raises(DatasetError, match="cannot open"):
        PoseDataset(tmp_path / "missing.h5")
