"""Pose datasets for training: `python -m engine export-dataset` writes one HDF5 file; `PoseDataset` reads it.

Only the reader is imported here (h5py and NumPy: a training job's loader workers import it
cheaply); the writer is `engine.dataset.export.export_dataset`. Layout: `engine.dataset.schema`.
Sits beside `batch`, `live` and `demo` (the writer uses io, analysis and library).
"""

from engine.dataset.reader import DatasetError, PoseDataset
from engine.dataset.schema import (
           ANGLE_NAMES,
           ARRAYS,
           DATASET_SCHEMA_VERSION,
           JOINT_NAMES,
           SPLIT_BY,
           SPLITS,
)

__all__ = ["ANGLE_NAMES", "ARRAYS", "DATASET_SCHEMA_VERSION", "JOINT_NAMES", "SPLITS", "SPLIT_BY", "DatasetError",
           "PoseDataset"]
