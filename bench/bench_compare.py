"""Benchmark: cold and warm `python -m engine compare` against the naive baseline, and rescoring.

Usage::

    .venv/bin/python bench/bench_compare.py [--repeats 3] [--before DIR] [--tiny]

Side by side in one run, interleaved in each repeat (so drift on a shared machine hits all rows):

* ``baseline``: bench/naive_baseline.py over both clips (sequential; OpenCV full-resolution
  decode; MediaPipe Pose(model_complexity=1, enable_segmentation=True) on every frame).
* ``cold``: ``python -m engine compare TEACHER STUDENT --cache-dir EMPTY --quiet``, whole process
  (extraction of both clips, caching, sync, DTW, scoring, feedback).
* ``warm``: the same command again on the now-filled cache, whole process.
* with ``--before DIR`` (a checkout of an older commit, e.g. ``git worktree add /tmp/before
  f1a3d21``), ``before cold`` / ``before warm`` run that tree's engine the same way.

Then, in this process, ``rescore``: `engine.analysis.score.score` on the cached pair's Analysis after a
weight or tolerance change (20 different settings). Wall-clock seconds as min / median / max;
peak RSS in MiB (median); speed-up = baseline median / cold median.
Default pair: the callme404 clips from ../shared/data/videos/pairs; --tiny uses 5 s of the
built-in sample clips (a smoke run, needs no footage, says nothing about speed).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SHARED_VIDEOS, fmt_stats, machine_lines, python_for, quiet_env, run_child, tiny_clips  # noqa: E402

sys.path.insert(0, str(REPO))

PAIR = (SHARED_VIDEOS / "pairs" / "callme404_teacher_douyin.mp4", SHARED_VIDEOS / "pairs" / "callme404_student_studio.mp4")
TARGET_COLD_SPEEDUP = 2.0
TARGET_WARM_S = 1.5
TARGET_RESCORE_S = 0.3


def compare_cmd(root: Path, teacher: Path, student: Path, cache: Path) -> list[str]:
    return [python_for(root), "-m", "engine", "compare", str(teacher), str(student), "--cache-dir", str(cache),
            "--quiet"]


def rescore_times(teacher: Path, student: Path, cache: Path, n: int = 20) -> list[float]:
    """Seconds per `score()` call with n different weight/tolerance settings (in-process)."""
    from engine.analysis.compare import analyze
    from engine.analysis.score import score
    from engine.core.settings import COMPONENTS, ScoreSettings

    analysis = analyze(teacher, student, cache_dir=cache)
    base = ScoreSettings()
    rng = random.Random(0)
    times = []
    for _ in range(n):
        settings = ScoreSettings(weights={c: rng.uniform(0, 3) for c in COMPONENTS},
                                 tolerance_deg={g: rng.uniform(0, 40) for g in base.tolerance_deg})
        started = time.perf_counter()
        score(analysis, settings)
        times.append(time.perf_counter() - started)
    return times


def run_baseline(teacher: Path, student: Path, env: dict[str, str], rows: dict[str, list]) -> int:
    """One naive-baseline run appended to rows["baseline"]; its exit status."""
    r = run_child([sys.executable, str(REPO / "bench" / "naive_baseline.py"), str(teacher), str(student)], env=env)
    if r.returncode:
        print(r.stderr[-2000:], file=sys.stderr)
    rows.setdefault("baseline", []).append(r)
    return r.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--before", type=Path, help="an older checkout to time side by side")
    ap.add_argument("--tiny", action="store_true", help="5 s sample clips: checks the script runs")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "dance-bench")
    args = ap.parse_args(argv)

    if args.tiny:
        teacher, student = tiny_clips(args.workdir)
        args.repeats = min(args.repeats, 1)
    else:
        teacher, student = PAIR
        if not (teacher.is_file() and student.is_file()):
            print(f"error: the callme404 pair is missing under {SHARED_VIDEOS / 'pairs'}; run with --tiny "
                  "or put ../shared beside the repository", file=sys.stderr)
            return 2
    print("Compare benchmark: cold / warm `python -m engine compare` vs the naive baseline")
    for line in machine_lines():
        print(line)
    print(f"pair: {teacher.name} + {student.name}; repeats {args.repeats}")

    trees = [("", REPO)] + ([("before ", args.before.resolve())] if args.before else [])
    rows: dict[str, list] = {}
    env = quiet_env()
    kept_cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))  # our last warm cache, for rescoring
    for repeat in range(args.repeats):
        # Alternate who goes first, so a machine slowing down (or speeding up) over a run does not
        # always favour the same side.
        if repeat % 2 == 0 and run_baseline(teacher, student, env, rows):
            return 1
        for label, root in trees:
            last = repeat == args.repeats - 1 and not label
            cache = kept_cache if last else Path(tempfile.mkdtemp(prefix="bench-cache-"))
            try:
                for kind in ("cold", "warm"):
                    r = run_child(compare_cmd(root, teacher, student, cache), cwd=root, env=env)
                    if r.returncode:
                        print(f"{label}{kind} failed:\n{r.stderr[-2000:]}", file=sys.stderr)
                        return 1
                    rows.setdefault(f"{label}{kind}", []).append(r)
                    if kind == "warm":  # the tightest whole-process figure: no RSS launcher in between
                        rows.setdefault(f"{label}warm (direct)", []).append(
                            run_child(compare_cmd(root, teacher, student, cache), cwd=root, env=env, rss=False))
            finally:
                if not last:
                    shutil.rmtree(cache, ignore_errors=True)
        if repeat % 2 == 1 and run_baseline(teacher, student, env, rows):
            return 1

    print(f"\n{'run':<22} {'min / median / max s':>24} {'peak RSS MiB':>13} {'CPU s':>7} {'cores busy':>10}")
    for name, runs in rows.items():
        measured = [r for r in runs if r.cpu_s == r.cpu_s]
        rss_text = f"{statistics.median(r.peak_rss_mb for r in measured):.0f}" if measured else "-"
        cpu_text = f"{statistics.median(r.cpu_s for r in measured):.1f}" if measured else "-"
        busy = f"{statistics.median(r.cpu_s / r.wall_s for r in measured):.2f}" if measured else "-"
        print(f"{name:<22} {fmt_stats([r.wall_s for r in runs]):>24} {rss_text:>13} {cpu_text:>7} {busy:>10}")
    base = statistics.median(r.wall_s for r in rows["baseline"])
    cold = statistics.median(r.wall_s for r in rows["cold"])
    warm = statistics.median(r.wall_s for r in rows["warm (direct)"])
    print(f"\ncold speed-up vs baseline (median / median): {base / cold:.2f}x (target >= {TARGET_COLD_SPEEDUP}x)")
    if args.before:
        before = statistics.median(r.wall_s for r in rows["before cold"])
        print(f"cold speed-up vs before: {before / cold:.2f}x; before vs baseline {base / before:.2f}x")
    print(f"warm whole process (median): {warm:.2f} s (target < {TARGET_WARM_S} s)")

    try:
        times = rescore_times(teacher, student, kept_cache)
    finally:
        shutil.rmtree(kept_cache, ignore_errors=True)
    print(f"rescore in-process, 20 settings: {fmt_stats(times, 3)} s (min / median / max; "
          f"target < {TARGET_RESCORE_S} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
