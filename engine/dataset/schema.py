"""The pose dataset file's layout (version `DATASET_SCHEMA_VERSION`): names shared by the writer and the reader.

One HDF5 file for training (float32 throughout; missing joints NaN, never zeros)::

    /clips/<id>/image   (T, 33, 4)  x, y normalised to the frame (0..1), z, visibility
    /clips/<id>/world   (T, 33, 4)  metres, hip-centred (MediaPipe world), visibility
    /clips/<id>/norm    (T, 33, 3)  hip-centred, in torso lengths, shoulder line turned onto x
    /clips/<id>/angles  (T, K)      joint angles, degrees, columns `ANGLE_NAMES`
    /clips/<id>/valid   (T,) bool   a person was detected in the frame
    /clips/<id>/t       (T,)        seconds from the start of the video
      attrs: fps, sha256, file, routine, dancer, style, tags, split, duration_s, torso_m
    /index              (C,) table: id, routine, dancer, style, frames, split, sha256 (one row per clip)
    /splits/<name>      (n,) int32: rows of /index in that split ("train", "val", "test")
      attrs of /splits: by ("dancer", "routine" or "clip")
    / attrs: schema_version, joint_names, angle_names, created_by, fps (when all clips share one)

Unlabelled values are empty strings. `<id>` is the clip's row in `/index` as 5 digits ("00003").
"""

from __future__ import annotations

from engine.core.body import SCORED_JOINTS, Landmark

DATASET_SCHEMA_VERSION = 1
#: Landmark names, in the order of axis 1 of image / world / norm.
JOINT_NAMES: tuple[str, ...] = tuple(lm.name.lower() for lm in Landmark)
#: Joint-angle names, in the order of the columns of `angles`.
ANGLE_NAMES: tuple[str, ...] = SCORED_JOINTS
#: The splits, in order, and what each is for.
SPLITS: tuple[str, ...] = ("train", "val", "test")
#: What a split may be grouped by: no value of it is in two splits.
SPLIT_BY: tuple[str, ...] = ("dancer", "routine", "clip")
#: Per-clip arrays, in the order they are written.
ARRAYS: tuple[str, ...] = ("image", "world", "norm", "angles", "valid", "t")
#: Columns of /index.
INDEX_COLUMNS: tuple[str, ...] = ("id", "routine", "dancer", "style", "frames", "split", "sha256")


def clip_key(row: int) -> str:
    """The group name of the clip in row `row` of /index."""
    return f"{row:05d}"
