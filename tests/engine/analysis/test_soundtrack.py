"""engine.analysis.soundtrack: a clip's sync envelope and beats are decoded once, then read back
exactly from the cache; a stale, foreign or broken cache file is never trusted."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import pytest

import engine.analysis.soundtrack as soundtrack
from engine.analysis.beats import beat_grid
from engine.analysis.soundtrack import AUDIO_SR, clip_soundtrack, sound_cache_path
from engine.analysis.sync import sync_envelope
from engine.demo.music import AUDIO_SR as MUSIC_SR
from engine.demo.music import soundtrack as demo_music
from engine.io.encode import write_mp4
from engine.io.extract import sha256_file
from engine.io.store import list_entries
from engine.io.video import audio

FPS = 10.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Two small videos: one with the demo's music (steady beats), one silent-track-less."""
    d = tmp_path_factory.mktemp("sound")
    frames = [np.full((64, 96, 3), 40 + 10 * (i % 5), np.uint8) for i in range(int(6 * FPS))]
    music = demo_music()[: 6 * MUSIC_SR]
    write_mp4(d / "music.mp4", iter(frames), FPS, audio=music, sr=MUSIC_SR, crf=30)
    write_mp4(d / "mute.mp4", iter(frames), FPS, crf=30)
    return d


def direct(path):
    """What the comparison computed before the cache: decode, envelope, beats."""
    sound = audio(path, sr=AUDIO_SR)
    return (sync_envelope(sound, AUDIO_SR) if sound is not None else None), beat_grid(sound, AUDIO_SR)


def no_decoding(monkeypatch):
    def fail(*_a, **_k):
        raise AssertionError("decoded although cached")
    monkeypatch.setattr(soundtrack, "audio", fail)


def test_decoded_once_then_read_back_exactly(clips, tmp_path, monkeypatch):
    video = clips / "music.mp4"
    first = clip_soundtrack(video, cache_dir=tmp_path)
    env, beats = direct(video)
    np.testing.assert_array_equal(first.envelope.values, env.values)
    assert first.envelope.rate == env.rate and beats.has_counts
    np.testing.assert_array_equal(first.beats.beats_s, beats.beats_s)
    assert (first.beats.downbeat, first.beats.bpm, first.beats.reason) == (beats.downbeat, beats.bpm, beats.reason)

    cached = sound_cache_path(tmp_path, sha256_file(video))
    assert cached.is_file() and cached.name.startswith(sha256_file(video) + "-sound-")
    no_decoding(monkeypatch)
    again = clip_soundtrack(video, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.envelope.values, env.values)
    assert again.envelope.rate == env.rate
    np.testing.assert_array_equal(again.beats.beats_s, beats.beats_s)
    assert (again.beats.downbeat, again.beats.bpm, again.beats.reason) == (beats.downbeat, beats.bpm, beats.reason)
    assert list_entries(tmp_path) == []                      # not mistaken for a pose cache


def test_a_clip_without_audio_is_cached_as_such(clips, tmp_path, monkeypatch):
    first = clip_soundtrack(clips / "mute.mp4", cache_dir=tmp_path)
    assert first.envelope is None and not first.beats.has_counts and "no audio" in first.beats.reason
    no_decoding(monkeypatch)
    again = clip_soundtrack(clips / "mute.mp4", cache_dir=tmp_path)
    assert again.envelope is None and again.beats.reason == first.beats.reason and again.beats.bpm is None


def test_changed_code_is_never_served_an_old_file(clips, tmp_path, monkeypatch):
    video = clips / "music.mp4"
    clip_soundtrack(video, cache_dir=tmp_path)
    old = sound_cache_path(tmp_path, sha256_file(video))
    monkeypatch.setattr(soundtrack, "code_fingerprint", lambda: "0123456789ab")
    clip_soundtrack(video, cache_dir=tmp_path)
    new = sound_cache_path(tmp_path, sha256_file(video))
    assert new != old and new.is_file() and not old.exists()      # the old file is removed


@pytest.mark.parametrize("damage", ["garbage", "other clip", "other code"])
def test_a_broken_or_foreign_file_is_recomputed(clips, tmp_path, caplog, damage):
    video = clips / "music.mp4"
    good = clip_soundtrack(video, cache_dir=tmp_path)
    target = sound_cache_path(tmp_path, sha256_file(video))
    if damage == "garbage":
        target.write_bytes(b"\x00not hdf5")
    else:
        with h5py.File(target, "r+") as f:
            f.attrs["sha256" if damage == "other clip" else "code"] = "f" * 12
    with caplog.at_level(logging.WARNING, logger="engine.analysis.soundtrack"):
        again = clip_soundtrack(video, cache_dir=tmp_path)
    assert "recomputing the soundtrack of music.mp4" in caplog.text
    np.testing.assert_array_equal(again.envelope.values, good.envelope.values)
    with h5py.File(target, "r") as f:                       # replaced by a good one
        assert f.attrs["sha256"] == sha256_file(video) and f.attrs["code"] == soundtrack.code_fingerprint()


def test_an_unwritable_cache_still_gives_the_features(clips, tmp_path, caplog):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with caplog.at_level(logging.WARNING, logger="engine.analysis.soundtrack"):
        s = clip_soundtrack(clips / "music.mp4", cache_dir=blocked)
    assert s.beats.has_counts and "not cached" in caplog.text


def test_the_code_fingerprint_follows_the_source(tmp_path, monkeypatch):
    # Any edit of a module that makes the features must change the key.
    (tmp_path / "feature_code.py").write_text("STEP = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(soundtrack, "_CODE_MODULES", ("feature_code",))
    soundtrack.code_fingerprint.cache_clear()
    try:
        before = soundtrack.code_fingerprint()
        (tmp_path / "feature_code.py").write_text("STEP = 2\n")
        soundtrack.code_fingerprint.cache_clear()
        after = soundtrack.code_fingerprint()
    finally:
        soundtrack.code_fingerprint.cache_clear()
    assert len(before) == len(after) == 12 and before != after


def test_the_code_key_covers_every_analysis_and_io_module_the_features_use():
    # A module that sync_envelope or beat_grid reaches but the key leaves out could change the
    # features without changing the file name: stale envelopes would be served.
    import ast
    import importlib

    def engine_imports(name: str) -> set[str]:
        tree = ast.parse(Path(importlib.import_module(name).__file__).read_text())
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                and n.module.startswith("engine.")}

    seen, todo = set(), ["engine.analysis.sync.onset", "engine.analysis.beats", "engine.io.video"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += engine_imports(name)
    used = {m for m in seen if m.startswith(("engine.analysis.", "engine.io."))}
    assert used <= set(soundtrack._CODE_MODULES), used - set(soundtrack._CODE_MODULES)
