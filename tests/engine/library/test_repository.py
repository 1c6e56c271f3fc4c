"""engine.library.repository on SQLite and PostgreSQL: clips, comparisons, labels, history, delete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.analysis.soundtrack import sound_cache_path
from engine.core.errors import LibraryError
from engine.library import ClipFilter, ClipInfo, Library
from tests.engine.library.conftest import make_report

A, B, C = "a" * 64, "b" * 64, "c" * 64


def test_a_clip_analysed_twice_is_one_row_and_keeps_its_labels(library: Library) -> None:
    first = library.record_clip(ClipInfo(sha256=A, file_name="salsa.mp4", duration_s=10.0, frames=300))
    library.set_labels(A, routine="Salsa 1", dancer="Ana", style="salsa", tags=["warm-up", "week 2"])
    again = library.record_clip(ClipInfo(sha256=A, file_name="renamed.mp4", duration_s=10.0, frames=301,
                                         detected_ratio=0.9))
    assert again == first
    [clip] = library.list_clips()
    assert (clip.file_name, clip.frames, clip.detected_ratio) == ("salsa.mp4", 301, 0.9)
    assert (clip.routine, clip.dancer, clip.style, clip.tags) == ("Salsa 1", "Ana", "salsa", "warm-up, week 2")


def test_a_repeated_attempt_is_a_new_comparison_row(library: Library) -> None:
    ids = [library.record_comparison(make_report(overall=o), source="cli") for o in (60.0, 70.0)]
    assert ids[0] != ids[1]
    assert library.counts() == (2, 2)
    rows = library.list_comparisons()
    assert [r.overall for r in rows] == [70.0, 60.0]          # newest first
    assert rows[0].teacher_file == "teacher.mp4" and rows[0].student_sha256 == B
    assert rows[0].components["silhouette"] is None and rows[0].components["pose"] == 75.0
    assert rows[0].joints == {"left_elbow": 50.0, "right_knee": 80.0}
    assert (rows[0].sync_method, rows[0].sync_offset_s, rows[0].mirror, rows[0].moments_count) == ("audio", 0.5,
                                                                                                   False, 2)
    assert {c.sha256: c.comparisons for c in library.list_clips()} == {A: 2, B: 2}


def test_the_stored_report_comes_back_unchanged(library: Library) -> None:
    report = make_report(overall=81.5)
    cid = library.record_comparison(report, source="upload", settings_fingerprint="abc123")
    assert library.get_report(cid) == json.loads(json.dumps(report))
    assert library.list_comparisons()[0].settings_fingerprint == "abc123"
    with pytest.raises(LibraryError, match="no comparison 999"):
        library.get_report(999)


@pytest.mark.parametrize("report, source, message", [
    (make_report(), "browser", "unknown comparison source"),
    ({"teacher": {}}, "cli", "not a comparison report"),
    ({**make_report(), "scores": {"overall": "high"}}, "cli", "not a comparison report"),
])
def test_bad_comparisons_are_refused(library: Library, report, source, message) -> None:
    with pytest.raises(LibraryError, match=message):
        library.record_comparison(report, source=source)
    assert library.counts() == (0, 0)


def test_clip_info_given_with_the_comparison_fills_the_clip_rows(library: Library, tmp_path: Path) -> None:
    video = tmp_path / "upload.mp4"
    video.write_bytes(b"x")
    info = ClipInfo(sha256=B, file_name="me.mp4", frames=285, cache_file=str(tmp_path / f"{B}-fp.h5"),
                    video_path=str(video), video_owned=True, extractor_fingerprint="fp")
    library.record_comparison(make_report(), source="upload", clips_info=[info])
    student = library.find_clip(B)
    assert (student.file_name, student.frames, student.video_owned) == ("me.mp4", 285, True)
    assert student.files_status() == "video only"          # no cache file on disk yet
    Path(info.cache_file).write_bytes(b"h5")
    assert library.find_clip(B).files_status() == "video + poses"
    video.unlink()
    assert library.find_clip(B).files_status() == "poses only"
    assert library.find_clip(A).files_status() == "missing"


def test_list_filters_search_and_sort(library: Library) -> None:
    library.record_clip(ClipInfo(sha256=A, file_name="one.mp4"))
    library.record_clip(ClipInfo(sha256=B, file_name="two.mp4"))
    library.record_clip(ClipInfo(sha256=C, file_name="three.mp4"))
    library.set_labels(A, routine="Salsa", dancer="Ana", style="latin")
    library.set_labels(B, routine="Salsa", dancer="Ben", tags="Competition")
    library.set_labels(C, routine="Waltz", dancer="Ana")
    names = lambda f: [c.file_name for c in library.list_clips(f)]
    assert names(ClipFilter()) == ["three.mp4", "two.mp4", "one.mp4"]
    assert names(ClipFilter(newest_first=False)) == ["one.mp4", "two.mp4", "three.mp4"]
    assert names(ClipFilter(routine="Salsa")) == ["two.mp4", "one.mp4"]
    assert names(ClipFilter(dancer="Ana", routine="Waltz")) == ["three.mp4"]
    assert names(ClipFilter(style="latin")) == ["one.mp4"]
    assert names(ClipFilter(text="competition")) == ["two.mp4"]     # tags, case-insensitive
    assert names(ClipFilter(text="THR")) == ["three.mp4"]           # file name
    assert names(ClipFilter(limit=1)) == ["three.mp4"]
    assert library.label_values() == {"routine": ["Salsa", "Waltz"], "dancer": ["Ana", "Ben"], "style": ["latin"]}


def test_labels_only_change_when_given_and_clear_when_empty(library: Library) -> None:
    library.record_clip(ClipInfo(sha256=A, file_name="one.mp4"))
    library.set_labels(A, routine="Salsa", dancer="Ana")
    clip = library.set_labels(A, style="latin")
    assert (clip.routine, clip.dancer, clip.style) == ("Salsa", "Ana", "latin")
    clip = library.set_labels(A, routine="  ", tags="")
    assert (clip.routine, clip.dancer, clip.tags) == (None, "Ana", "")
    with pytest.raises(LibraryError, match="unknown labels"):
        library.set_labels(A, colour="red")


@pytest.mark.parametrize("key, message", [
    ("abc", "not a clip's sha256"),          # too short
    ("zzzzzzzz", "not a clip's sha256"),     # not hex
    ("dddddddd", "no clip dddddddd"),
    ("aaaaaaaa", None),                      # a unique prefix
])
def test_find_clip_by_sha_or_prefix(library: Library, key, message) -> None:
    library.record_clip(ClipInfo(sha256=A, file_name="one.mp4"))
    if message is None:
        assert library.find_clip(key).sha256 == A
    else:
        with pytest.raises(LibraryError, match=message):
            library.find_clip(key)


def test_history_is_one_dancers_attempts_at_one_routine_oldest_first(library: Library) -> None:
    for overall, student in ((55.0, B), (65.0, B), (75.0, C)):
        library.record_comparison(make_report(student=student, overall=overall), source="cli")
    library.record_comparison(make_report(student="e" * 64, overall=99.0), source="cli")   # someone else
    library.set_labels(B, routine="Salsa", dancer="Ana")
    library.set_labels(C, routine="Salsa", dancer="Ana")
    library.set_labels("e" * 64, routine="Salsa", dancer="Ben")
    history = library.history("Salsa", "Ana")
    assert [h.overall for h in history] == [55.0, 65.0, 75.0]
    assert all(h.routine == "Salsa" and h.dancer == "Ana" for h in history)
    assert [h.overall for h in library.history("Salsa", "Ben")] == [99.0]
    assert library.history("Waltz", "Ana") == []


def test_delete_removes_rows_cache_files_and_owned_video_only(library: Library, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)   # the SQLite case keeps its database there too
    mine, other_fp, neighbour = cache / f"{B}-fp1.h5", cache / f"{B}-fp2.h5", cache / f"{A}-fp1.h5"
    sound = sound_cache_path(cache, B)                  # the clip's cached soundtrack goes with it
    for p in (mine, other_fp, neighbour, sound):
        p.write_bytes(b"h5")
    upload = tmp_path / "uploads" / f"{B}.mp4"
    upload.parent.mkdir()
    upload.write_bytes(b"video")
    users_file = tmp_path / "teacher.mp4"
    users_file.write_bytes(b"video")
    library.record_comparison(make_report(), source="upload", clips_info=[
        ClipInfo(sha256=B, file_name="me.mp4", cache_file=str(mine), video_path=str(upload), video_owned=True),
        ClipInfo(sha256=A, file_name="teacher.mp4", cache_file=str(neighbour), video_path=str(users_file))])
    library.record_comparison(make_report(student=C), source="cli")
    gone = library.delete_clip(B[:8])
    assert (gone.sha256, gone.comparisons) == (B, 1)
    assert sorted(gone.files) == sorted(map(str, (mine, other_fp, sound, upload)))
    assert not mine.exists() and not other_fp.exists() and not sound.exists() and not upload.exists()
    assert neighbour.exists() and users_file.exists()
    assert library.counts() == (2, 1)
    assert {c.sha256 for c in library.list_clips()} == {A, C}
    # A file the user named is never deleted, even with the clip.
    library.delete_clip(A)
    assert users_file.exists() and not neighbour.exists()
    with pytest.raises(LibraryError, match="no clip"):
        library.delete_clip(B)


def test_import_cache_adds_only_unknown_clips(library: Library, tmp_path: Path) -> None:
    from engine.io.store import CacheEntry

    library.record_clip(ClipInfo(sha256=A, file_name="known.mp4"))
    entries = [CacheEntry(path=tmp_path / f"{s}-fp.h5", file=name, sha256=s, fingerprint="fp", duration_s=4.0,
                          n_frames=120, created=0.0) for s, name in ((A, "again.mp4"), (B, "lost.mp4"))]
    assert library.import_cache(entries) == 1
    assert {c.sha256: c.file_name for c in library.list_clips()} == {A: "known.mp4", B: "lost.mp4"}
    assert library.find_clip(B).frames == 120
    assert library.find_clip(B).added_at.timestamp() == 0.0      # when it was cached, not now
    assert library.import_cache(entries) == 0
