"""Benchmark: what the teacher's beat tracking (dance counts) adds to a comparison's audio thread.

Usage::

    .venv/bin/python bench/bench_beats.py [--repeats 5] [--clip PATH]

`analyze` decodes each clip's audio and makes its sync onset envelope in a thread beside the
pose loading; the teacher's thread now also runs `beats.beat_grid`. On a warm cache (poses
already extracted) that thread is most of the wall time, so this measures it, side by side
and interleaved in each repeat, each in a fresh process (what a `python -m engine compare` pays):

* ``before``: decode the teacher's audio at 16 kHz + `sync_envelope` (what the thread did);
* ``now``: the same + `beat_grid`.

Then, in this process, `beat_grid` alone on the clip and on the clip repeated 8 times (about
3 minutes, a whole song). Wall-clock seconds as min / median / max.
Default clip: the callme404 teacher (21.7 s) from ../shared/data/videos/pairs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SHARED_VIDEOS, fmt_stats, machine_lines, quiet_env, run_child  # noqa: E402

sys.path.insert(0, str(REPO))

CLIP = SHARED_VIDEOS / "pairs" / "callme404_teacher_douyin.mp4"
SR = 16000

_CHILD = """
import sys, time
t0 = time.perf_counter()
from engine.io.video import audio
from engine.analysis.sync import sync_envelope
y = audio(sys.argv[1], sr={sr})
sync_envelope(y, {sr})
if sys.argv[2] == "now":
    from engine.analysis.beats import beat_grid
    beat_grid(y, {sr})
print(time.perf_counter() - t0)
""".format(sr=SR)


def thread_seconds(clip: Path, mode: str) -> float:
    """Seconds of the audio thread's work in a fresh process (imports excluded up to engine.io)."""
    run = run_child([sys.executable, "-c", _CHILD, str(clip), mode], env=quiet_env(), rss=False)
    if run.returncode != 0:
        raise SystemExit(f"{mode} run failed: {run.stderr[-2000:]}")
    return float(run.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--clip", type=Path, default=CLIP)
    args = ap.parse_args()
    if not args.clip.is_file():
        print(f"error: {args.clip} is missing", file=sys.stderr)
        return 2
    print("Beat tracking benchmark: the teacher's audio thread with and without beat_grid")
    print("\n".join(machine_lines(("numpy", "scipy"))))
    print(f"clip: {args.clip.name}; repeats {args.repeats}")
    times: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(args.repeats):
        for mode in times:
            times[mode].append(thread_seconds(args.clip, mode))
    for mode, values in times.items():
        print(f"{mode:>8}: {fmt_stats(values)} s (fresh process)")
    ratio = statistics.median(times["now"]) / statistics.median(times["before"])
    print(f"   ratio: now / before = {ratio:.2f} (medians)")

    import numpy as np

    from engine.analysis.beats import beat_grid
    from engine.io.video import audio

    y = audio(args.clip, sr=SR)
    beat_grid(y, SR)                                      # modules loaded
    for name, sound, sr in (("clip", y, SR), ("clip repeated 8 times", np.tile(y, 8), SR)):
        warm = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            beat_grid(sound, sr)
            warm.append(time.perf_counter() - t0)
        print(f"beat_grid on the {name} ({sound.size / sr:.0f} s at {sr} Hz), warm process: {fmt_stats(warm)} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
