"""Benchmark: drawing the practice clips of one moment vs the whole side-by-side video.

Usage::

    .venv/bin/python bench/bench_practice.py [--teacher CLIP] [--student CLIP] [--span-s 2.0]
        [--repeats 3] [--cache-dir DIR] [--tiny]

"Practice a moment" (ui/practice_view.py) draws two short clips of one span
(`engine.present.practice.render_practice_clips`) while the dancer waits; the baseline is the
existing side-by-side video of the whole aligned clip (`engine.present.render.render_side_by_side`),
measured side by side in the same run (alternating, `--repeats` each). Two spans of `--span-s`
teacher seconds are timed: one at the start of the aligned part and one at its end (decoding starts
near the span, not at the file's start, so a late span should cost about the same). Also printed:
the clips' sizes (they are sent to the browser inline, base64: 4/3 of that).

Default clips: the callme404 pair from the shared footage (analysed once into --cache-dir).
`--tiny` (smoke test, no shared footage): the built-in sample clips of `engine.demo`, 1 repeat.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from _common import fmt_stats, machine_lines

from engine.analysis.compare import analyze
from engine.analysis.score import score
from engine.io.store import DEFAULT_CACHE_DIR
from engine.present.practice import render_practice_clips
from engine.present.render import render_side_by_side

SHARED = REPO.parent / "shared" / "data" / "videos"
DEFAULT_TEACHER = SHARED / "pairs" / "callme404_teacher_douyin.mp4"
DEFAULT_STUDENT = SHARED / "pairs" / "callme404_student_studio.mp4"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", type=Path, default=DEFAULT_TEACHER)
    ap.add_argument("--student", type=Path, default=DEFAULT_STUDENT)
    ap.add_argument("--span-s", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path(DEFAULT_CACHE_DIR))
    ap.add_argument("--tiny", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-practice-") as tmp:
        out = Path(tmp)
        if args.tiny:
            from engine.demo import STUDENT_FILE, TEACHER_FILE, make_demo

            make_demo(out / "demo")
            args.teacher, args.student = out / "demo" / TEACHER_FILE, out / "demo" / STUDENT_FILE
            args.cache_dir, args.repeats = out / "cache", 1
        for p in (args.teacher, args.student):
            if not p.is_file():
                print(f"error: {p} not found (the default clips are shared footage in {SHARED}; or use --tiny)",
                      file=sys.stderr)
                return 2
        for line in machine_lines():
            print(line)
        a = analyze(args.teacher, args.student, cache_dir=args.cache_dir)
        card = score(a)
        t = a.teacher.t
        first, last = float(t[a.path[0, 0]]), float(t[a.path[-1, 0]])
        spans = {"start": (first, first + args.span_s), "end": (last - args.span_s, last)}
        times: dict[str, list[float]] = {"side-by-side (whole)": [], **{f"practice ({k})": [] for k in spans}}
        sizes: dict[str, int] = {}
        for r in range(args.repeats):
            started = time.perf_counter()
            render_side_by_side(a, card, args.teacher, args.student, out / f"sbs{r}.mp4")
            times["side-by-side (whole)"].append(time.perf_counter() - started)
            for name, span in spans.items():
                started = time.perf_counter()
                clips = render_practice_clips(a, card, args.teacher, args.student, out / f"p-{name}{r}", teacher_s=span)
                times[f"practice ({name})"].append(time.perf_counter() - started)
                sizes[name] = clips.teacher.stat().st_size + clips.student.stat().st_size
        whole = statistics.median(times["side-by-side (whole)"])
        print(f"clips: {args.teacher.name} vs {args.student.name}; aligned {first:.2f}-{last:.2f} s; "
              f"span {args.span_s:g} s; {args.repeats} repeats, alternating")
        print("| what | min / median / max s | median vs whole video |")
        print("|---|---|---|")
        for name, values in times.items():
            print(f"| {name} | {fmt_stats(values)} | {statistics.median(values) / whole:.2f}x |")
        for name, n in sizes.items():
            print(f"practice clips ({name}): {n / 1024:.0f} KiB for both ({n * 4 / 3 / 1024:.0f} KiB as base64)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
