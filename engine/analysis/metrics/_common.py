"""Checks shared by the metric modules (private)."""

from __future__ import annotations

import numpy as np


def check_path(path: np.ndarray, n_teacher: int, n_student: int) -> np.ndarray:
    """Validate a DTW path and return it as a read-only-safe (K, 2) intp array.

    Parameters
    ----------
    path : (K, 2) integer array
        (teacher frame index, student frame index) pairs. K may be 0.
    n_teacher, n_student : int
        Frame counts the indices must stay below.

    Returns
    -------
    (K, 2) intp array (a new array; the input is not modified).
    """
    arr = np.asarray(path)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"path: expected shape (K, 2), got {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"path: expected integer frame indices, got dtype {arr.dtype}")
    out = arr.astype(np.intp, copy=True)
    if out.size:
        if out.min() < 0:
            raise ValueError("path: frame indices must be >= 0")
        if out[:, 0].max() >= n_teacher or out[:, 1].max() >= n_student:
            raise ValueError(
                f"path: indices out of range (teacher max {out[:, 0].max()} for {n_teacher} frames, "
                f"student max {out[:, 1].max()} for {n_student} frames)"
            )
    return out
