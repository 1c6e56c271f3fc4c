"""A clip's soundtrack features (sync envelope and beat grid), decoded once and cached by content.

Decoding a clip's audio and making its `sync_envelope` and `beat_grid` takes ~0.2 s, the longest
wait of a comparison whose poses are cached. So they are kept beside the poses, in
``<cache>/<sha256>-sound-<code>.h5``: ``sha256`` the video's content hash (as for its poses),
``code`` a hash of the source of every module that computes them and of the NumPy and PyAV
versions, so a change to any of them writes a new file rather than trusting an old one (and
removes the old one). Deleting a clip from the library removes every ``<sha256>-*.h5``, this one
included; `io.store.list_entries` skips it (it is not a pose cache).

HDF5 layout: attrs ``kind = "sound"``, ``sha256``, ``code``, ``sr`` (Hz), ``has_audio`` (bool);
``envelope`` (G, F) float64 with attr ``rate`` (frames/s), only with audio; ``beats_s`` (B,)
float64 with attrs ``downbeat`` (int), ``bpm`` (float, NaN: none), ``reason`` (str, "": counts).
"""

from __future__ import annotations

import hashlib
import logging
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import h5py
import numpy as np

from engine.analysis.beats import BeatGrid, beat_grid
from engine.analysis.sync import OnsetEnvelope, sync_envelope
from engine.core.files import atomic_path
from engine.io.extract import sha256_file
from engine.io.video import audio

logger = logging.getLogger(__name__)

#: Sample rate the soundtrack is decoded at for sync and beats, Hz.
AUDIO_SR = 16000

#: The modules whose code makes the features (and every engine module they import): their
#: source is part of the cache key.
_CODE_MODULES = ("engine.analysis.soundtrack", "engine.analysis.sync.onset", "engine.analysis.sync._lag",
                 "engine.analysis.beats", "engine.analysis.dsp", "engine.io.video", "engine.io._container")


@dataclass(frozen=True, eq=False)
class Soundtrack:
    """What a comparison needs of a clip's audio.

    Attributes
    ----------
    envelope : its `sync_envelope`, or None when the clip has no audio stream
    beats : its `beat_grid` (a grid without counts, saying why, when there is no audio)
    """

    envelope: OnsetEnvelope | None
    beats: BeatGrid


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """12 hex digits: the source of `_CODE_MODULES`, AUDIO_SR and the NumPy and PyAV versions."""
    import av

    h = hashlib.sha256(f"{AUDIO_SR} numpy {np.__version__} av {av.__version__}".encode())
    for name in _CODE_MODULES:
        __import__(name)
        h.update(Path(sys.modules[name].__file__).read_bytes())
    return h.hexdigest()[:12]


def sound_cache_path(cache_dir: str | Path, sha256: str) -> Path:
    """Where the soundtrack features of the video with content hash `sha256` are kept."""
    return Path(cache_dir) / f"{sha256}-sound-{code_fingerprint()}.h5"


def clip_soundtrack(path: str | Path, *, cache_dir: str | Path) -> Soundtrack:
    """The clip's sync envelope and beat grid, from the cache or decoded (and then cached).

    A cache file that cannot be read is recomputed and replaced; one that cannot be written
    is logged, never an error: the features are returned either way.

    Raises
    ------
    VideoError
        The clip's audio cannot be decoded (missing, truncated, undecodable).
    """
    sha = sha256_file(path)
    target = sound_cache_path(cache_dir, sha)
    if target.is_file():
        try:
            return _read(target, sha)
        except (OSError, KeyError, TypeError, ValueError) as exc:
            logger.warning("recomputing the soundtrack of %s: %s unreadable (%s)", Path(path).name, target.name, exc)
    sound = audio(path, sr=AUDIO_SR)
    result = Soundtrack(envelope=sync_envelope(sound, AUDIO_SR) if sound is not None else None,
                        beats=beat_grid(sound, AUDIO_SR))
    try:
        _write(target, sha, result)
        for old in target.parent.glob(f"{sha}-sound-*.h5"):   # made by older code: never read again
            if old != target:
                old.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("soundtrack of %s not cached: %s", Path(path).name, exc)
    return result


def _write(target: Path, sha: str, s: Soundtrack) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update(kind="sound", sha256=sha, code=code_fingerprint(), sr=AUDIO_SR,
                       has_audio=s.envelope is not None)
        if s.envelope is not None:
            f.create_dataset("envelope", data=s.envelope.values).attrs["rate"] = s.envelope.rate
        b = f.create_dataset("beats_s", data=np.asarray(s.beats.beats_s, dtype=np.float64))
        b.attrs.update(downbeat=s.beats.downbeat, bpm=math.nan if s.beats.bpm is None else s.beats.bpm,
                       reason=s.beats.reason or "")


def _read(target: Path, sha: str) -> Soundtrack:
    with h5py.File(target, "r") as f:
        a = f.attrs
        if a["kind"] != "sound" or a["sha256"] != sha or a["code"] != code_fingerprint() or a["sr"] != AUDIO_SR:
            raise ValueError("written for another clip or another version of the code")
        envelope = None
        if bool(a["has_audio"]):
            envelope = OnsetEnvelope(values=f["envelope"][()], rate=float(f["envelope"].attrs["rate"]))
        b = f["beats_s"]
        bpm = float(b.attrs["bpm"])
        beats = BeatGrid(beats_s=b[()], downbeat=int(b.attrs["downbeat"]), bpm=None if math.isnan(bpm) else bpm,
                         reason=str(b.attrs["reason"]) or None)
    return Soundtrack(envelope=envelope, beats=beats)
