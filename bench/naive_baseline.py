"""The naive extraction baseline of issue 6, for bench_compare.py to time side by side.

Sequential per-frame loop over the given clips: OpenCV decode at full resolution, BGR -> RGB,
``mediapipe.solutions.pose.Pose(model_complexity=1, enable_segmentation=True)`` on every frame;
landmarks kept, each mask shrunk to 128x128 and kept (the product keeps a 128x128 crop; keeping
full-size masks would need ~0.9 GB for the callme404 pair and slow the baseline unfairly).
No cache, no threads, no decode-time resizing.

Usage::

    .venv/bin/python bench/naive_baseline.py CLIP [CLIP ...]

Prints one line per clip: frames processed, seconds and frames/s.
"""

from __future__ import annotations

import sys
import time

import cv2
import mediapipe as mp
import numpy as np


def run(path: str) -> tuple[int, float]:
    started = time.perf_counter()
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    landmarks, masks, n = [], [], 0
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, enable_segmentation=True) as pose:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            result = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            n += 1
            if result.pose_landmarks is not None:
                landmarks.append(np.array([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark]))
                masks.append(cv2.resize((result.segmentation_mask * 255).astype(np.uint8), (128, 128),
                                        interpolation=cv2.INTER_AREA))
    cap.release()
    return n, time.perf_counter() - started


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for path in argv:
        n, seconds = run(path)
        print(f"{path}: {n} frames in {seconds:.2f} s ({n / seconds:.1f} frames/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
