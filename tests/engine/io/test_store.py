from __future__ import annotations

import logging
import multiprocessing as mp
import shutil
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest

from engine.core.errors import CacheError, VideoError
from engine.core.settings import CACHE_SCHEMA_VERSION, ExtractSettings
from engine.io.store import cache_path, fingerprint, list_entries, load, load_or_extract, save
from tests.factories import make_perf


class CountingExtractor:
    """Stands in for pose extraction: returns a known Performance and counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path, *, settings, sha256, display_name, progress, mask_sink=None):
        self.calls += 1
        fp = settings.fingerprint("fake")
        perf = make_perf(n=40, seed=self.calls, file=display_name, sha256=sha256, fingerprint=fp)
        return perf


@pytest.fixture()
def video(tmp_path) -> Path:
    p = tmp_path / "in" / "dance.mp4"
    p.parent.mkdir()
    p.write_bytes(b"not really a video, the extractor is faked" * 10)
    return p


@pytest.fixture(autouse=True)
def fake_model_name(monkeypatch):
    monkeypatch.setattr("engine.io.store.model_name", lambda complexity: "fake")


def test_roundtrip_keeps_every_array_and_attribute(tmp_path):
    perf = make_perf(n=25)
    save(perf, tmp_path / "a.h5")
    back = load(tmp_path / "a.h5")
    for k in ("image", "world", "mask", "hip_xy", "t", "detected"):
        np.testing.assert_array_equal(getattr(back, k), getattr(perf, k))
        assert getattr(back, k).dtype == getattr(perf, k).dtype
    assert back.source == perf.source and back.fps == perf.fps


def test_renamed_copy_is_a_cache_hit(tmp_path, video):
    ex = CountingExtractor()
    first = load_or_extract(video, cache_dir=tmp_path / "c", extractor=ex)
    renamed = video.with_name("renamed.mp4")
    shutil.copy(video, renamed)
    second = load_or_extract(renamed, cache_dir=tmp_path / "c", extractor=ex)
    assert ex.calls == 1
    np.testing.assert_array_equal(first.world, second.world)
    assert second.source.file == "renamed.mp4"


def test_changed_settings_are_a_miss(tmp_path, video):
    ex = CountingExtractor()
    load_or_extract(video, cache_dir=tmp_path / "c", extractor=ex)
    load_or_extract(video, cache_dir=tmp_path / "c", extractor=ex, settings=ExtractSettings(analysis_fps=15.0))
    load_or_extract(video, cache_dir=tmp_path / "c", extractor=ex, settings=ExtractSettings(analysis_fps=15.0))
    assert ex.calls == 2
    assert len(list((tmp_path / "c").glob("*.h5"))) == 2


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _garbage(p: Path) -> None:
    p.write_bytes(b"\x00garbage" * 100)


def _old_schema(p: Path) -> None:
    with h5py.File(p, "a") as f:
        f.attrs["schema_version"] = CACHE_SCHEMA_VERSION - 1


def _missing_dataset(p: Path) -> None:
    with h5py.File(p, "a") as f:
        del f["mask"]


def _wrong_shape(p: Path) -> None:
    with h5py.File(p, "a") as f:
        del f["world"]
        f.create_dataset("world", data=np.zeros((3, 33, 4), np.float32))


@pytest.mark.parametrize(("damage", "reason"), [
    (_truncate, "unable to"), (_garbage, "unable to"), (_old_schema, f"schema {CACHE_SCHEMA_VERSION - 1} != "),
    (_missing_dataset, "mask"), (_wrong_shape, "world")])
def test_damaged_cache_file_is_re_extracted_and_logged(tmp_path, video, damage, reason, caplog):
    ex = CountingExtractor()
    load_or_extract(video, cache_dir=tmp_path / "c", extractor=ex)
    (cached,) = (tmp_path / "c").glob("*.h5")
    damage(cached)
    with caplog.at_level(logging.WARNING, logger="engine.io.store"):
        again = load_or_extract(video, cache_dir=tmp_path / "c", extractor=ex)
    assert ex.calls == 2
    assert again.n_frames == 40 and again.source.file == "dance.mp4"
    (record,) = [r for r in caplog.records if r.name == "engine.io.store"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("re-extracting dance.mp4: cache file unreadable (")
    assert reason.lower() in record.getMessage().lower()
    load(cached)  # the damaged file was replaced by a good one


def test_a_cache_hit_logs_nothing(tmp_path, video, caplog):
    ex = CountingExtractor()
    load_or_extract(video, cache_dir=tmp_path / "c", extractor=ex)
    with caplog.at_level(logging.DEBUG, logger="engine.io.store"):
        load_or_extract(video, cache_dir=tmp_path / "c", extractor=ex)
    assert ex.calls == 1 and not [r for r in caplog.records if r.name == "engine.io.store"]


@pytest.mark.parametrize(("damage", "reason"), [(_truncate, "unable to"), (_garbage, "unable to"),
                                                (_old_schema, "schema"), (_wrong_shape, "world")])
def test_load_of_a_damaged_file_is_a_cache_error_naming_the_file(tmp_path, damage, reason):
    save(make_perf(n=25), tmp_path / "a.h5")
    damage(tmp_path / "a.h5")
    with pytest.raises(CacheError, match=r"The cache file a\.h5 cannot be read \(") as info:
        load(tmp_path / "a.h5")
    assert reason.lower() in str(info.value).lower()


@pytest.mark.parametrize(("key", "value"), [("sha256", "f" * 64), ("fingerprint", "other")])
def test_load_of_another_key_is_a_cache_error(tmp_path, key, value):
    save(make_perf(n=25), tmp_path / "a.h5")
    with pytest.raises(CacheError, match=f"{key} does not match"):
        load(tmp_path / "a.h5", **{key: value})


def test_load_display_name_replaces_the_recorded_file_name(tmp_path):
    perf = make_perf(n=25, file="stored.mp4")
    save(perf, tmp_path / "a.h5")
    assert load(tmp_path / "a.h5").source.file == "stored.mp4"
    named = load(tmp_path / "a.h5", display_name="shown.mp4")
    assert named.source == replace(perf.source, file="shown.mp4")


def test_fingerprint_is_the_settings_fingerprint_with_the_model_name():
    settings = ExtractSettings(analysis_fps=15.0)
    assert fingerprint(settings) == settings.fingerprint("fake")     # model_name is faked above
    assert fingerprint(settings) != fingerprint(ExtractSettings())
    assert fingerprint() == ExtractSettings().fingerprint("fake")


def test_failed_extraction_writes_nothing(tmp_path, video):
    def failing(*a, **k):
        raise VideoError("bad")
    with pytest.raises(VideoError):
        load_or_extract(video, cache_dir=tmp_path / "c", extractor=failing)
    assert list((tmp_path / "c").iterdir()) == []


def test_missing_file_is_a_video_error(tmp_path):
    with pytest.raises(VideoError, match="no such file"):
        load_or_extract(tmp_path / "nope.mp4", cache_dir=tmp_path / "c")


def _save_many(args):
    folder, seed = args
    perf = make_perf(n=300, seed=seed)
    for _ in range(5):
        save(perf, Path(folder) / "same.h5")
    return seed


def test_concurrent_writers_never_leave_a_corrupt_file(tmp_path):
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_save_many, [(str(tmp_path), 1), (str(tmp_path), 2)])
    perf = load(tmp_path / "same.h5")
    assert perf.n_frames == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.h5"]  # no temporary files left


def test_cache_path_is_keyed_by_hash_and_fingerprint(tmp_path):
    assert cache_path(tmp_path, "ab" * 32, "f1") == tmp_path / f"{'ab' * 32}-f1.h5"
    s1, s2 = ExtractSettings(), replace(ExtractSettings(), model_complexity=2)
    assert s1.fingerprint("m") != s2.fingerprint("m") and s1.fingerprint("m") == ExtractSettings().fingerprint("m")


def test_list_entries_describes_cache_files_newest_first_and_skips_bad_ones(tmp_path):
    import os
    older = make_perf(n=30, file="teacher.mp4", sha256="a" * 64, fingerprint="fp1")
    newer = make_perf(n=45, file="student.mov", sha256="b" * 64, fingerprint="fp1")
    save(older, tmp_path / "old.h5")
    save(newer, tmp_path / "new.h5")
    os.utime(tmp_path / "old.h5", (1_000_000, 1_000_000))
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f.attrs["schema_version"] = CACHE_SCHEMA_VERSION + 1
    entries = list_entries(tmp_path)
    assert [e.file for e in entries] == ["student.mov", "teacher.mp4"]
    assert entries[0].sha256 == "b" * 64 and entries[0].n_frames == 45 and entries[0].fingerprint == "fp1"
    assert entries[1].created == 1_000_000 and entries[1].duration_s == pytest.approx(1.0)
    assert list_entries(tmp_path / "missing") == []


def test_streamed_masks_reach_the_cache_file_and_the_result(tmp_path, video):
    """An extractor that streams its masks to the sink (as the real one does) returns none in
    memory; load_or_extract still returns them all, read back from the cache file."""
    truth = make_perf(n=150, seed=3, mask_size=16)   # more than two 64-frame blocks, and a partial one
    seen = {}

    def streaming(path, *, settings, sha256, display_name, progress, mask_sink=None):
        for m in truth.mask:
            mask_sink.append(m)
        seen["tmp_files"] = sorted(p.name for p in (tmp_path / "c").iterdir())
        return replace(truth, mask=np.zeros((truth.n_frames, 0, 0), np.uint8),
                       source=replace(truth.source, sha256=sha256, fingerprint=settings.fingerprint("fake")))

    perf = load_or_extract(video, cache_dir=tmp_path / "c", extractor=streaming)
    np.testing.assert_array_equal(perf.mask, truth.mask)
    assert len(seen["tmp_files"]) == 1 and seen["tmp_files"][0].endswith(".tmp")   # written as it came
    assert [p.suffix for p in (tmp_path / "c").iterdir()] == [".h5"]                 # renamed, nothing left over


def test_streamed_mask_count_must_match_the_frames(tmp_path, video):
    def short(path, *, settings, sha256, display_name, progress, mask_sink=None):
        perf = make_perf(n=30, sha256=sha256, fingerprint=settings.fingerprint("fake"))
        for m in perf.mask[:20]:
            mask_sink.append(m)
        return replace(perf, mask=np.zeros((30, 0, 0), np.uint8))

    with pytest.raises(CacheError, match="20 masks for 30 frames"):
        load_or_extract(video, cache_dir=tmp_path / "c", extractor=short)
    assert list((tmp_path / "c").iterdir()) == []


def test_load_without_masks_reads_landmarks_only_and_still_checks_the_mask_count(tmp_path):
    perf = make_perf(n=70, mask_size=16)
    save(perf, tmp_path / "a.h5")
    light = load(tmp_path / "a.h5", masks=False)
    assert light.mask.shape == (70, 0, 0)
    np.testing.assert_array_equal(light.world, perf.world)
    with h5py.File(tmp_path / "a.h5", "a") as f:
        f["mask"].resize(69, axis=0)
    with pytest.raises(CacheError, match="mask dataset"):
        load(tmp_path / "a.h5", masks=False)


def test_default_cache_dir_is_the_repository_cache_folder():
    repo = Path(__file__).resolve().parents[3]
    from engine.io.store import DEFAULT_CACHE_DIR
    assert DEFAULT_CACHE_DIR == repo / "cache" and (repo / "cache" / ".gitkeep").is_file()
