"""Benchmark: peak memory of `python -m engine extract` as videos get longer.

Usage::

    .venv/bin/python bench/bench_memory.py [--repeats 1] [--before DIR] [--tiny]

Clips: a 10 s clip (solo/studio_bw_female_solo_10s.mp4), the 70 s clip
(solo/red_skirt_folk_solo_70s_240p.mp4) and generated 720p clips of 10 s and 5 minutes (the 10 s
clip letterboxed to 1280x720 and looped, H.264; made once in --workdir and reused), so length is
compared at the same resolution too. Each is
extracted into an empty cache by a fresh `python -m engine extract` process; its peak RSS
(ru_maxrss of that process) and wall time are reported, min / median / max over the repeats.
With ``--before DIR`` an older checkout runs the same clips side by side.
--tiny extracts 5 s of the built-in sample clip only (a smoke run, needs no footage).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    REPO,
    SHARED_VIDEOS,
    fmt_stats,
    letterbox,
    machine_lines,
    python_for,
    quiet_env,
    run_child,
    tiny_clips,
)

sys.path.insert(0, str(REPO))

SHORT = SHARED_VIDEOS / "solo" / "studio_bw_female_solo_10s.mp4"
LONG = SHARED_VIDEOS / "solo" / "red_skirt_folk_solo_70s_240p.mp4"
GENERATED_S = 300.0
GENERATED_SIZE = (1280, 720)
TARGET_MB = 1024.0


def generated_clip(workdir: Path, seconds: float = GENERATED_S) -> Path:
    """A 720p clip of `seconds`: SHORT letterboxed and looped (made once, reused)."""
    from engine.io.encode import write_mp4
    from engine.io.video import frames, probe

    target = workdir / f"looped_{int(seconds)}s_{GENERATED_SIZE[1]}p.mp4"
    if target.is_file():
        return target
    workdir.mkdir(parents=True, exist_ok=True)
    fps = probe(SHORT).fps
    loop = [letterbox(rgb, GENERATED_SIZE) for _, rgb in frames(SHORT, fps=fps)]
    n = int(seconds * fps)
    print(f"generating {target.name}: {n} frames from {len(loop)} looped", flush=True)
    write_mp4(target, (loop[i % len(loop)] for i in range(n)), fps, crf=26, preset="ultrafast")
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--before", type=Path, help="an older checkout to measure side by side")
    ap.add_argument("--tiny", action="store_true", help="5 s of the sample clip: checks the script runs")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "dance-bench")
    args = ap.parse_args(argv)

    if args.tiny:
        clips = [("5 s sample", tiny_clips(args.workdir)[0])]
    else:
        if not (SHORT.is_file() and LONG.is_file()):
            print(f"error: shared clips missing under {SHARED_VIDEOS / 'solo'}; run with --tiny or put "
                  "../shared beside the repository", file=sys.stderr)
            return 2
        clips = [("10 s", SHORT), ("70 s", LONG), ("10 s 720p", generated_clip(args.workdir, 10.0)),
                 ("5 min 720p", generated_clip(args.workdir))]
    print("Memory benchmark: peak RSS of `python -m engine extract`, empty cache")
    for line in machine_lines():
        print(line)
    trees = [("after", REPO)] + ([("before", args.before.resolve())] if args.before else [])
    print(f"\n{'clip':<12} {'tree':<7} {'frames':>7} {'peak RSS MiB (min / med / max)':>32} {'wall s (min / med / max)':>28}")
    worst = 0.0
    for name, clip in clips:
        for label, root in trees:
            runs, frames_n = [], "?"
            for _ in range(args.repeats):
                cache = Path(tempfile.mkdtemp(prefix="bench-mem-"))
                try:
                    r = run_child([python_for(root), "-m", "engine", "extract", str(clip), "--cache-dir", str(cache),
                                   "--quiet"], cwd=root, env=quiet_env())
                finally:
                    shutil.rmtree(cache, ignore_errors=True)
                if r.returncode:
                    print(f"{name} ({label}) failed:\n{r.stderr[-2000:]}", file=sys.stderr)
                    return 1
                frames_n = r.stdout.split('"frames": ')[1].split(",")[0] if '"frames": ' in r.stdout else "?"
                runs.append(r)
            rss = [r.peak_rss_mb for r in runs]
            if label == "after":
                worst = max(worst, max(rss))
            print(f"{name:<12} {label:<7} {frames_n:>7} {fmt_stats(rss, 0):>32} "
                  f"{fmt_stats([r.wall_s for r in runs], 1):>28}", flush=True)
    print(f"\nhighest peak (after): {worst:.0f} MiB (target < {TARGET_MB:.0f} MiB for every clip)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
