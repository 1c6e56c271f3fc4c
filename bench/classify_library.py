"""Build a labelled library from the shared footage and run `classify --evaluate` on it.

Usage::

    .venv/bin/python bench/classify_library.py [--cache-dir DIR]

Extracts (or finds cached) the poses of the shared clips listed in `LABELS` into --cache-dir,
records them in the library there with a dancer and a style taken from
../shared/data/videos/SOURCES.md (clips whose style SOURCES.md does not state are left unlabelled
and so are not used), then prints `python -m engine classify --evaluate` (leave-one-dancer-out).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SHARED_VIDEOS, machine_lines  # noqa: E402

sys.path.insert(0, str(REPO))

from engine.io.store import load_or_extract  # noqa: E402
from engine.library import ClipInfo, open_library  # noqa: E402

#: clip -> (dancer, style), as SOURCES.md describes them.
LABELS = {
    "pairs/callme404_teacher_douyin.mp4": ("callme teacher", "kpop"),
    "pairs/callme404_student_studio.mp4": ("callme student", "kpop"),
    "pairs/feelsreal_dancerA.mp4": ("feelsreal A", "kpop"),
    "pairs/feelsreal_dancerB.mp4": ("feelsreal B", "kpop"),
    "aist/gBR_sBM_c01_d04_mBR0_ch01_full12s_gt_overlay.mp4": ("aist d04", "break"),
    "aist/gBR_sBM_c01_d04_mBR0_ch03_first3s.mp4": ("aist d04", "break"),
    "solo/bathroom_solo_take1_18s.mp4": ("bathroom", "funk"),
    "solo/red_skirt_folk_solo_70s_240p.mp4": ("red skirt", "folk"),
    "multi/fitness_class_group_15s.mp4": ("fitness instructor", "dance fitness"),
    "solo/tsinghua_stage_solo_52s.mp4": ("tsinghua student", "mime"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache-dir", default=str(REPO / "cache" / "bench-classify"))
    args = ap.parse_args()
    for line in machine_lines():
        print(line)
    with open_library(args.cache_dir) as lib:
        for rel, (dancer, style) in LABELS.items():
            path = SHARED_VIDEOS / rel
            if not path.is_file():
                print(f"missing: {rel}")
                continue
            perf = load_or_extract(path, cache_dir=args.cache_dir, masks=False)
            lib.record_clip(ClipInfo.from_performance(perf, cache_dir=args.cache_dir, video=path))
            lib.set_labels(perf.source.sha256, dancer=dancer, style=style)
            print(f"{rel}: {dancer}, {style}, {perf.source.duration_s:.1f} s")
    env = {**os.environ, "DANCE_CACHE_DIR": args.cache_dir}
    env.pop("DANCE_DB_URL", None)
    done = subprocess.run([sys.executable, "-m", "engine", "classify", "--evaluate"], env=env, cwd=REPO,
                          capture_output=True, text=True, check=False)
    print(f"\n$ python -m engine classify --evaluate   (exit {done.returncode})")
    print(done.stdout + done.stderr)


if __name__ == "__main__":
    main()
