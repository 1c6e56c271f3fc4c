"""HDF5 cache of extraction results, one file per video content hash and extractor fingerprint.

`cache/<sha256>-<fingerprint>.h5`; see DESIGN.md for the schema. A renamed file is a hit (the key
is the content), a changed extraction setting is a miss (the key has the fingerprint). Writes go
to a unique temporary file that is renamed into place, so readers never see half a file and two
processes extracting the same video at once each write whole files (the last rename wins).
A cache file that is corrupt, truncated or of another schema is never trusted: it is re-extracted.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import h5py
import numpy as np

from engine.core.errors import CacheError, VideoError
from engine.core.performance import Performance, SourceInfo
from engine.core.progress import Progress
from engine.core.settings import CACHE_SCHEMA_VERSION, ExtractSettings
from engine.io.extract import extract, sha256_file
from engine.io.pose import model_name

DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[2] / "cache"   # the repository's cache/ (engine/io/ -> ../..)
_ARRAYS = ("image", "world", "mask", "hip_xy", "t", "detected")

logger = logging.getLogger(__name__)


def fingerprint(settings: ExtractSettings = ExtractSettings()) -> str:
    """The extractor fingerprint of `settings` with the current pose model: part of every cache key."""
    return settings.fingerprint(model_name(settings.model_complexity))


def cache_path(cache_dir: str | Path, sha256: str, fingerprint: str) -> Path:
    return Path(cache_dir) / f"{sha256}-{fingerprint}.h5"


#: Masks are written and compressed in blocks of this many frames (also the HDF5 chunk).
MASK_CHUNK_FRAMES = 64


class _CacheWriter:
    """A cache file being written: masks stream in (`append`), the rest comes at `finish`.

    Everything goes to a unique temporary file in the target's folder, renamed into place by
    `finish`; on any error (or `abort`) the temporary file is removed, so readers never see half a
    file and two processes writing the same key each write whole files (the last rename wins).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            self._file = h5py.File(self.tmp, "w")
        except OSError as exc:
            self.abort()
            raise self._error(exc) from exc
        self._masks: h5py.Dataset | None = None
        self._block = np.empty((0, 0, 0), np.uint8)
        self._in_block = 0

    def _create_masks(self, side: int) -> None:
        self._masks = self._file.create_dataset(
            "mask", shape=(0, side, side), maxshape=(None, side, side), dtype=np.uint8,
            chunks=(MASK_CHUNK_FRAMES, side, side), compression="gzip", compression_opts=4, shuffle=True)
        self._block = np.empty((MASK_CHUNK_FRAMES, side, side), np.uint8)

    def append(self, mask: np.ndarray) -> None:
        """Add the next frame's (M, M) uint8 mask crop (M fixed by the first one)."""
        if self._masks is None:
            self._create_masks(mask.shape[0])
        self._block[self._in_block] = mask
        self._in_block += 1
        if self._in_block == MASK_CHUNK_FRAMES:
            self._flush()

    def _flush(self) -> None:
        k = self._in_block
        if k:
            n = self._masks.shape[0]
            self._masks.resize(n + k, axis=0)
            self._masks[n:] = self._block[:k]
            self._in_block = 0

    def finish(self, perf: Performance) -> None:
        """Write `perf`'s landmarks and attributes (and its masks unless they were streamed), then
        rename the file into place."""
        try:
            if perf.mask.shape[1:] != (0, 0):
                for mask in perf.mask:
                    self.append(mask)
            if self._masks is None:
                self._create_masks(perf.mask.shape[1])
            self._flush()
            if self._masks.shape[0] != perf.n_frames:
                raise CacheError(f"{perf.source.file}: {self._masks.shape[0]} masks for {perf.n_frames} frames")
            f = self._file
            for name in _ARRAYS:
                if name != "mask":
                    f.create_dataset(name, data=getattr(perf, name))
            s = perf.source
            f.attrs.update({
                "schema_version": CACHE_SCHEMA_VERSION, "analysis_fps": perf.fps, "source_fps": s.source_fps,
                "width": s.width, "height": s.height, "rotation": s.rotation, "duration_s": s.duration_s,
                "has_audio": s.has_audio, "model": s.model, "fingerprint": s.fingerprint, "sha256": s.sha256,
                "file": s.file, "n_frames": perf.n_frames,
            })
            f.close()
            with open(self.tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(self.tmp, self.path)
        except OSError as exc:
            raise self._error(exc) from exc
        finally:
            self.abort()

    def abort(self) -> None:
        """Close and remove the temporary file (idempotent; harmless after `finish`)."""
        file = getattr(self, "_file", None)
        if file is not None and file.id.valid:
            file.close()
        self.tmp.unlink(missing_ok=True)

    def _error(self, exc: OSError) -> CacheError:
        return CacheError(f"Could not write the cache file {self.path}: {exc}. Check the cache folder is "
                          "writable and the disk is not full.")


def save(perf: Performance, path: str | Path) -> None:
    """Write a Performance atomically (temporary file in the same folder, then rename)."""
    _CacheWriter(Path(path)).finish(perf)


def load(path: str | Path, *, sha256: str | None = None, fingerprint: str | None = None,
         masks: bool = True, display_name: str | None = None) -> Performance:
    """Read a cache file and validate it completely.

    With ``masks=False`` the mask dataset's shape is checked but not read, and the result's
    `mask` is empty, shape (N, 0, 0): for callers that only need the landmarks (16 KB a frame
    less memory). `display_name` replaces the file name recorded in the cache.

    Raises
    ------
    CacheError
        The file is unreadable, truncated, of another schema, or does not match the key; the
        message names the file and the reason.
    """
    try:
        perf = _read(Path(path), sha256=sha256, fingerprint=fingerprint, masks=masks)
    except (OSError, KeyError, TypeError, ValueError) as exc:  # h5py: OSError for truncated/corrupt files
        raise CacheError(f"The cache file {Path(path).name} cannot be read ({exc}).") from exc
    if display_name is not None:
        perf = replace(perf, source=replace(perf.source, file=display_name))
    return perf


def _read(path: Path, *, sha256: str | None, fingerprint: str | None, masks: bool) -> Performance:
    """`load` without the error translation: OSError, KeyError, TypeError or ValueError."""
    with h5py.File(path, "r") as f:
        a = dict(f.attrs)
        if int(a.get("schema_version", -1)) != CACHE_SCHEMA_VERSION:
            raise ValueError(f"schema {a.get('schema_version')} != {CACHE_SCHEMA_VERSION}")
        if sha256 is not None and a.get("sha256") != sha256:
            raise ValueError("sha256 does not match")
        if fingerprint is not None and a.get("fingerprint") != fingerprint:
            raise ValueError("fingerprint does not match")
        arrays = {k: f[k][()] for k in _ARRAYS if k != "mask"}
        n = int(a["n_frames"])
        if masks:
            arrays["mask"] = f["mask"][()]
        elif len(f["mask"].shape) != 3 or f["mask"].shape[0] != n:
            raise ValueError(f"mask dataset of shape {f['mask'].shape} for {n} frames")
        else:
            arrays["mask"] = np.zeros((n, 0, 0), np.uint8)
    if arrays["t"].shape[0] != n:
        raise ValueError("frame count does not match")
    source = SourceInfo(file=str(a["file"]), sha256=str(a["sha256"]), source_fps=float(a["source_fps"]),
                        width=int(a["width"]), height=int(a["height"]), rotation=int(a["rotation"]),
                        duration_s=float(a["duration_s"]), has_audio=bool(a["has_audio"]), model=str(a["model"]),
                        fingerprint=str(a["fingerprint"]))
    # Performance validates shapes and dtypes and raises ValueError on a mismatch.
    return Performance(fps=float(a["analysis_fps"]), source=source, **arrays)


def load_or_extract(path: str | Path, *, cache_dir: str | Path = DEFAULT_CACHE_DIR,
                    settings: ExtractSettings = ExtractSettings(), display_name: str | None = None,
                    progress: Progress | None = None,
                    extractor: Callable[..., Performance] = extract, masks: bool = True) -> Performance:
    """The cached Performance of a video, extracting (and caching) it on a miss.

    Parameters
    ----------
    path : video file
    cache_dir : folder of the HDF5 files (created if missing)
    settings : extraction settings; their fingerprint is part of the key
    display_name : file name to record and show (uploads are stored under hashed names)
    progress : progress(fraction, message) during extraction; called once with 1.0 on a hit
    extractor : the extraction function (tests count its calls); called with a `mask_sink`
    masks : False returns the Performance without its masks (see `load`): extracting a long
        video then never holds them in memory
    """
    path = Path(path)
    name = display_name or path.name
    if not path.is_file():
        raise VideoError(f"{name}: no such file.")
    sha = sha256_file(path)
    fp = fingerprint(settings)
    target = cache_path(cache_dir, sha, fp)
    if target.is_file():
        try:
            perf = load(target, sha256=sha, fingerprint=fp, masks=masks, display_name=name)
        except CacheError as exc:  # corrupt / truncated / old schema: never trusted, re-extracted below
            logger.warning("re-extracting %s: cache file unreadable (%s)", name, exc.__cause__ or exc)
        else:
            if progress is not None:
                progress(1.0, f"{name}: loaded from cache")
            return perf
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"Cannot create the cache folder {cache_dir}: {exc}") from exc
    writer = _CacheWriter(target)
    try:
        perf = extractor(path, settings=settings, sha256=sha, display_name=name, progress=progress,
                         mask_sink=writer)
        writer.finish(perf)
    finally:
        writer.abort()
    # Read back: the masks were streamed to disk, never held in memory during extraction.
    return load(target, sha256=sha, fingerprint=fp, masks=masks, display_name=name)


@dataclass(frozen=True)
class CacheEntry:
    """One cache file, described from its attributes alone (no arrays are read)."""

    path: Path            # the .h5 file
    file: str             # the video's file name as the user gave it
    sha256: str           # the video's content hash
    fingerprint: str      # extractor settings fingerprint
    duration_s: float     # the video's duration, seconds
    n_frames: int         # analyzed frames
    created: float        # when the file was written (mtime), seconds since the epoch


def list_entries(cache_dir: str | Path = DEFAULT_CACHE_DIR) -> list[CacheEntry]:
    """The readable cache files of the current schema in a folder, newest first.

    Unreadable or foreign files are skipped (they will be re-extracted when used).
    """
    entries = []
    for p in Path(cache_dir).glob("*.h5"):
        try:
            with h5py.File(p, "r") as f:
                a = dict(f.attrs)
            if int(a.get("schema_version", -1)) != CACHE_SCHEMA_VERSION:
                continue
            entries.append(CacheEntry(path=p, file=str(a["file"]), sha256=str(a["sha256"]),
                                      fingerprint=str(a["fingerprint"]), duration_s=float(a["duration_s"]),
                                      n_frames=int(a["n_frames"]), created=p.stat().st_mtime))
        except (OSError, KeyError, TypeError, ValueError):
            continue
    return sorted(entries, key=lambda e: e.created, reverse=True)
