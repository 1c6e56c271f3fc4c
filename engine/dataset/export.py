"""Write the library's clips to one HDF5 pose dataset for training (layout: `engine.dataset.schema`).

    report = export_dataset("poses.h5", library.list_clips(ClipFilter(routine="Salsa 1")), split_by="dancer")

Each clip's poses come from its pose cache file (or are extracted again from its video when the
cache file was deleted); a clip with neither is left out and named in the result. The file is
written to a temporary sibling and renamed into place, so a reader never sees half a dataset.
Splits are made of whole groups (dancers by default): no dancer is in two splits.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from engine.analysis.metrics.angles import joint_angles
from engine.analysis.normalize import normalize_details
from engine.core.errors import CacheError, EngineError, SettingsError
from engine.core.files import atomic_path
from engine.core.performance import Performance
from engine.core.progress import Progress
from engine.dataset.schema import (
    ANGLE_NAMES,
    DATASET_SCHEMA_VERSION,
    INDEX_COLUMNS,
    JOINT_NAMES,
    SPLIT_BY,
    SPLITS,
    clip_key,
)
from engine.library import ClipRow

#: Default share of frames for (val, test); the rest is train.
DEFAULT_FRACTIONS = (0.15, 0.15)


@dataclass
class ExportResult:
    """What `export_dataset` wrote: clips and frames per split, and the clips it left out (with why)."""

    path: str
    clips: int = 0
    frames: int = 0
    splits: dict[str, dict] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"path": self.path, "clips": self.clips, "frames": self.frames, "splits": self.splits,
                "skipped": self.skipped}


def _poses(clip: ClipRow, cache_dir: str | os.PathLike[str] | None) -> Performance:
    """The clip's landmarks (no masks): from its cache file, else extracted again from its video."""
    from engine.io.store import load, load_or_extract

    if clip.has_poses:
        try:
            return load(clip.cache_file, sha256=clip.sha256, masks=False, display_name=clip.file_name)
        except CacheError:
            pass   # unreadable: extracted again below when the video is still there
    if clip.has_video and cache_dir is not None:
        return load_or_extract(clip.video_path, cache_dir=cache_dir, masks=False, display_name=clip.file_name)
    raise CacheError(f"{clip.file_name}: neither its pose cache file nor its video is on disk")


def _group_of(clip: ClipRow, split_by: str) -> str:
    if split_by == "clip":
        return clip.sha256
    value = getattr(clip, split_by)
    # An unlabelled clip is its own group: it cannot share a dancer nobody named.
    return f"{split_by}={value}" if value else f"unlabelled clip {clip.sha256}"


def assign_splits(groups: dict[str, int], fractions: tuple[float, float] = DEFAULT_FRACTIONS,
                  seed: int = 0) -> dict[str, str]:
    """Put each group (name -> frames) in one split, so each split's share of frames comes near
    its target (train 1 - val - test); deterministic for a seed. Returns group -> split.

    Groups go, largest first in a seeded order, to the split furthest below its target; with
    fewer groups than splits the later splits stay empty (train first, then val, then test).
    """
    val, test = fractions
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise SettingsError(f"val and test fractions must be in [0, 1) and sum below 1, got {val} and {test}")
    targets = dict(zip(SPLITS, (1 - val - test, val, test)))
    total = max(sum(groups.values()), 1)

    def order(name: str) -> tuple:
        tie = hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()
        return (-groups[name], tie)

    filled = dict.fromkeys(SPLITS, 0)
    out: dict[str, str] = {}
    for k, name in enumerate(sorted(groups, key=order)):
        wanted = [s for s in SPLITS if targets[s] > 0]
        # The first groups seed each wanted split in turn, so no split with a target stays empty
        # while there are groups to go round.
        if k < len(wanted):
            split = wanted[k]
        else:
            split = max(wanted, key=lambda s: targets[s] - filled[s] / total)
        out[name] = split
        filled[split] += groups[name]
    return out


def _write_clip(group: h5py.Group, perf: Performance, clip: ClipRow, split: str) -> None:
    norm = normalize_details(perf.world)
    arrays = {
        "image": perf.image, "world": perf.world, "norm": norm.world[..., :3],
        "angles": joint_angles(norm.world), "valid": perf.detected, "t": perf.t,
    }
    for name, arr in arrays.items():
        group.create_dataset(name, data=np.asarray(arr, dtype=bool if name == "valid" else np.float32),
                             compression="gzip", compression_opts=4, shuffle=True)
    group.attrs.update({"fps": float(perf.fps), "sha256": clip.sha256, "file": clip.file_name,
                        "routine": clip.routine or "", "dancer": clip.dancer or "", "style": clip.style or "",
                        "tags": clip.tags or "", "split": split, "duration_s": float(perf.source.duration_s),
                        "torso_m": float(norm.torso_m)})


def export_dataset(out: str | os.PathLike[str], clips: Sequence[ClipRow], *, split_by: str = "dancer",
                   fractions: tuple[float, float] = DEFAULT_FRACTIONS, seed: int = 0,
                   cache_dir: str | os.PathLike[str] | None = None,
                   progress: Progress | None = None) -> ExportResult:
    """Write `clips` (library rows) to the dataset file `out`.

    Parameters
    ----------
    out : the .h5 file to write (replaced atomically)
    clips : the clips, e.g. `Library.list_clips(ClipFilter(...))`
    split_by : "dancer", "routine" or "clip": no value of it lands in two splits
    fractions : (val, test) target shares of the frames; train gets the rest
    seed : the split assignment's seed (the same seed, the same splits)
    cache_dir : where a clip whose cache file is gone is extracted again from its video
    progress : progress(fraction, message) per clip
    """
    if split_by not in SPLIT_BY:
        raise SettingsError(f"--split-by must be one of {', '.join(SPLIT_BY)}, got {split_by!r}")
    result = ExportResult(path=str(out))
    loaded: list[tuple[ClipRow, Performance]] = []
    for k, clip in enumerate(clips):
        if progress is not None:
            progress(k / max(len(clips), 1) * 0.5, f"reading {clip.file_name}")
        try:
            loaded.append((clip, _poses(clip, cache_dir)))
        except EngineError as exc:
            result.skipped.append({"sha256": clip.sha256, "file": clip.file_name, "reason": str(exc)})
    if not loaded:
        raise EngineError("no clip to export: none matched, or none has its poses or video on disk"
                          + (f" ({result.skipped[0]['reason']})" if result.skipped else ""))
    groups: dict[str, int] = {}
    for clip, perf in loaded:
        groups[_group_of(clip, split_by)] = groups.get(_group_of(clip, split_by), 0) + perf.n_frames
    split_of_group = assign_splits(groups, fractions, seed)
    splits = [split_of_group[_group_of(clip, split_by)] for clip, _ in loaded]

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = h5py.string_dtype()
    index_dtype = np.dtype([("id", np.int32), ("routine", text), ("dancer", text), ("style", text),
                            ("frames", np.int32), ("split", text), ("sha256", text)])
    assert index_dtype.names == INDEX_COLUMNS
    try:
        with atomic_path(out, ".h5.part") as tmp, h5py.File(tmp, "w") as f:
            f.attrs.update({"schema_version": DATASET_SCHEMA_VERSION, "joint_names": list(JOINT_NAMES),
                            "angle_names": list(ANGLE_NAMES), "created_by": "python -m engine export-dataset",
                            "split_by": split_by})
            fps = {perf.fps for _, perf in loaded}
            if len(fps) == 1:
                f.attrs["fps"] = float(fps.pop())
            root = f.create_group("clips")
            index = np.zeros(len(loaded), dtype=index_dtype)
            for row, ((clip, perf), split) in enumerate(zip(loaded, splits)):
                if progress is not None:
                    progress(0.5 + 0.5 * row / len(loaded), f"writing {clip.file_name}")
                _write_clip(root.create_group(clip_key(row)), perf, clip, split)
                index[row] = (row, clip.routine or "", clip.dancer or "", clip.style or "", perf.n_frames, split,
                              clip.sha256)
            f.create_dataset("index", data=index)
            sp = f.create_group("splits")
            sp.attrs["by"] = split_by
            for name in SPLITS:
                sp.create_dataset(name, data=np.flatnonzero(np.asarray(splits) == name).astype(np.int32))
    except OSError as exc:
        raise EngineError(f"Could not write {out}: {exc}") from exc
    result.clips = len(loaded)
    result.frames = sum(perf.n_frames for _, perf in loaded)
    for name in SPLITS:
        members = [(clip, perf) for (clip, perf), s in zip(loaded, splits) if s == name]
        result.splits[name] = {"clips": len(members), "frames": sum(p.n_frames for _, p in members),
                               split_by + "s": sorted({_group_of(c, split_by) for c, _ in members})}
    if progress is not None:
        progress(1.0, f"wrote {out.name}")
    return result
