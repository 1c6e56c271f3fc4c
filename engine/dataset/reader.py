"""Read a pose dataset file (`engine.dataset.schema`) lazily, one clip at a time, from any process.

    ds = PoseDataset("poses.h5", split="train")
    len(ds); ds[0]["norm"].shape            # (T, 33, 3)
    ds.labels(0)                            # {"routine": ..., "dancer": ..., "style": ..., ...}

The HDF5 file is opened on first use in each process and never shared across a fork or a
pickle: a `PoseDataset` handed to the worker processes of a data loader (PyTorch's `DataLoader`,
a `multiprocessing.Pool`, ...) opens its own handle in each worker. It needs only h5py and
NumPy (no pose model, no analysis code), so a training job imports it cheaply; it depends on no
ML framework.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Self

import h5py
import numpy as np

from engine.core.errors import EngineError
from engine.dataset.schema import ARRAYS, DATASET_SCHEMA_VERSION, SPLITS, clip_key


class DatasetError(EngineError):
    """The file is not a pose dataset of a schema this code reads, or a request on it is invalid."""


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class PoseDataset:
    """The clips of a dataset file, optionally one split, as a sequence of dicts of arrays.

    Parameters
    ----------
    path : the HDF5 file written by `python -m engine export-dataset`
    split : "train", "val", "test" or None (every clip)
    fields : which per-clip arrays `__getitem__` reads (default all: image, world, norm, angles,
        valid, t); fewer fields read less
    """

    def __init__(self, path: str | os.PathLike[str], split: str | None = None,
                 fields: Sequence[str] = ARRAYS) -> None:
        self.path = Path(path)
        unknown = set(fields) - set(ARRAYS)
        if unknown:
            raise DatasetError(f"unknown fields {sorted(unknown)}; the dataset has {', '.join(ARRAYS)}")
        if split is not None and split not in SPLITS:
            raise DatasetError(f"unknown split {split!r}; one of {', '.join(SPLITS)}")
        self.fields = tuple(fields)
        self.split = split
        self._file: h5py.File | None = None
        self._pid: int | None = None
        with self._open_new() as f:        # validate now, in the creating process, then close
            self.index = self._read_index(f)
            rows = np.arange(len(self.index["id"])) if split is None else f["splits"][split][()]
        self.rows = np.asarray(rows, dtype=np.int64)

    def _open_new(self) -> h5py.File:
        try:
            f = h5py.File(self.path, "r")
        except OSError as exc:
            raise DatasetError(f"cannot open the dataset {self.path}: {exc}") from exc
        version = int(f.attrs.get("schema_version", -1))
        if version != DATASET_SCHEMA_VERSION:
            f.close()
            raise DatasetError(f"{self.path} is not a pose dataset of schema {DATASET_SCHEMA_VERSION} "
                               f"(found {version}); export it again with `python -m engine export-dataset`")
        return f

    @staticmethod
    def _read_index(f: h5py.File) -> dict[str, np.ndarray]:
        table = f["index"][()]
        return {name: (np.array([_text(v) for v in table[name]], dtype=object)
                       if table.dtype[name].kind in "OS" else table[name]) for name in table.dtype.names}

    @property
    def file(self) -> h5py.File:
        """This process's handle on the file (opened on first use, again after a fork)."""
        pid = os.getpid()
        if self._file is None or self._pid != pid or not self._file.id.valid:
            self._file = self._open_new()
            self._pid = pid
        return self._file

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_file"] = None          # a handle never crosses processes
        state["_pid"] = None
        return state

    def __len__(self) -> int:
        return len(self.rows)

    def labels(self, i: int) -> dict:
        """The /index row of item i: id, routine, dancer, style, frames, split, sha256."""
        row = int(self.rows[i])
        return {name: (col[row] if col.dtype == object else col[row].item()) for name, col in self.index.items()}

    def __getitem__(self, i: int) -> dict:
        """Item i: the chosen arrays of its clip plus its labels and fps."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"item {i} of a dataset of {len(self)} clips")
        labels = self.labels(i % len(self))
        group = self.file["clips"][clip_key(int(labels["id"]))]
        item = {name: group[name][()] for name in self.fields}
        item.update(labels, fps=float(group.attrs["fps"]))
        return item

    def close(self) -> None:
        if self._file is not None and self._file.id.valid:
            self._file.close()
        self._file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
