"""Benchmark: exact DTW (engine.analysis.align, numba) against fastdtw (radius 1 and 10).

Usage::

    .venv/bin/python bench/bench_dtw.py [--sizes 600 1800 5400] [--repeats 3] [--tiny]

Two 36-feature sequences, the student 1.1x as long as the teacher, in two flavours:

* ``related``   (the product's case): the student is the teacher's random walk re-timed by a
  smooth monotonic warp, plus frame noise (sd 0.5 against random-walk steps of sd 1).
* ``unrelated`` (worst case): two independent random walks. Nothing can be pruned here.

For each, times ``dtw(band=None)`` (the headline: fastdtw approximates unconstrained DTW),
``dtw(band=0.2)`` (the product default), and fastdtw with radius 1 and 10. Exact timings
follow a warm-up call, so JIT compilation is excluded; the compile time is measured on its own
in a fresh process with an empty numba cache. Cost error is ``(total - optimal) / optimal`` with
the optimum from ``band=None``; "speedup" is fastdtw's median over exact(band=None)'s median.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "bench"))
from _common import machine_lines as common_machine_lines  # noqa: E402

from engine.analysis.align import (
    _banded,  # noqa: E402
    dtw,  # noqa: E402
)

N_FEATURES = 36
LENGTH_RATIO = 1.1
TARGET_SIZE = 1800          # teacher frames at which the product target is checked
TARGET_SPEEDUP = 30.0       # exact(band=None) must be at least this much faster than fastdtw
HEADER = (
    f"{'data':<10} {'N x M':>12} {'method':<16} {'min_s':>9} {'median_s':>9} {'max_s':>9}"
    f" {'speedup':>8} {'cost_err':>9} {'cells%':>7}"
)


def make_pair(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Teacher (n, 36) and student (round(1.1 n), 36) float64 features."""
    rng = np.random.default_rng(seed)
    m = round(LENGTH_RATIO * n)
    x = rng.standard_normal((n, N_FEATURES)).cumsum(axis=0)
    if kind == "unrelated":
        return x, rng.standard_normal((m, N_FEATURES)).cumsum(axis=0)
    # Student frame j shows teacher time tau(j): local speed varies smoothly by up to ~20 %.
    u = np.linspace(0.0, 1.0, m)
    speed = np.exp(0.18 * np.sin(2 * np.pi * (4 * u + rng.random())))
    tau = np.concatenate([[0.0], np.cumsum(speed[:-1])])
    tau *= (n - 1) / tau[-1]
    y = np.stack([np.interp(tau, np.arange(n), x[:, k]) for k in range(N_FEATURES)], axis=1)
    return x, y + 0.5 * rng.standard_normal((m, N_FEATURES))


def timed(fn: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def cells_fraction(x: np.ndarray, y: np.ndarray, band: float | None) -> float:
    """Share of the N x M cells the exact kernel computes (band and pruning)."""
    prep = _banded._prepare(x, y, None)
    lo, hi = _banded._band_bounds(len(x), len(y), band)
    _, s, e = _banded._accumulate(prep, lo, hi)
    return float((e - s + 1).sum()) / (len(x) * len(y))


def compile_seconds() -> float | None:
    """First-call time of dtw in a fresh process with an empty numba cache (JIT compile)."""
    code = (
        "import time, numpy as np; t = time.perf_counter(); from engine.analysis.align import dtw;"
        "x = np.random.default_rng(0).random((300, 4)); y = x[::-1].copy(); dtw(x, y);"
        "dtw(x, y, band=None); dtw(x, y, backend='fastdtw'); print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(REPO)}
        proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        print(proc.stderr.strip().splitlines()[-1] if proc.stderr else "compile run failed")
        return None
    return float(proc.stdout.strip().splitlines()[-1])


def machine_lines() -> list[str]:
    try:
        import fastdtw._fastdtw  # noqa: F401
        fast_impl = "C extension"
    except ImportError:
        fast_impl = "pure Python (no C extension in this install)"
    return [*common_machine_lines(("numpy", "numba", "fastdtw")), f"fastdtw implementation: {fast_impl}"]


def run(sizes: list[int], repeats: int, kinds: list[str], radii: list[int], seed: int) -> int:
    print("DTW benchmark: exact (engine.analysis.align, numba) vs fastdtw")
    for line in machine_lines():
        print(line)
    print(f"features {N_FEATURES}, student = {LENGTH_RATIO} x teacher frames, repeats {repeats}")
    compile_s = compile_seconds()
    print(f"import + JIT compile of all kernels (fresh process, empty numba cache): "
          f"{'failed' if compile_s is None else f'{compile_s:.2f} s'}")
    print()
    print(HEADER)
    print("-" * len(HEADER))

    verdicts = []
    for kind in kinds:
        for n in sizes:
            x, y = make_pair(kind, n, seed)
            size = f"{len(x)} x {len(y)}"
            dtw(x, y, band=None)  # warm-up: compile / load the cached kernels
            t_free, free = timed(lambda: dtw(x, y, band=None), repeats)
            t_band, banded = timed(lambda: dtw(x, y, band=0.2), repeats)
            opt = free.total_cost

            def row(method: str, ts: list[float], total: float, speedup: str, cells: str) -> None:
                err = (total - opt) / opt if opt > 0 else 0.0
                print(f"{kind:<10} {size:>12} {method:<16} {min(ts):>9.4f} {np.median(ts):>9.4f}"
                      f" {max(ts):>9.4f} {speedup:>8} {err:>9.2e} {cells:>7}")

            row("exact band=None", t_free, opt, "", f"{100 * cells_fraction(x, y, None):.1f}")
            row("exact band=0.2", t_band, banded.total_cost, "",
                f"{100 * cells_fraction(x, y, 0.2):.1f}")
            for r in radii:
                t_fast, fast = timed(lambda r=r: dtw(x, y, backend="fastdtw", radius=r), repeats)
                speedup = float(np.median(t_fast) / np.median(t_free))
                row(f"fastdtw r={r}", t_fast, fast.total_cost, f"{speedup:.1f}x", "")
                if n == TARGET_SIZE:
                    speedup_band = float(np.median(t_fast) / np.median(t_band))
                    verdicts.append((kind, r, speedup, speedup_band))
    print()
    for kind, r, speedup, speedup_band in verdicts:
        ok = "MET" if speedup >= TARGET_SPEEDUP else "NOT MET"
        print(f"target exact >= {TARGET_SPEEDUP:.0f}x fastdtw r={r} at {TARGET_SIZE} x "
              f"{round(LENGTH_RATIO * TARGET_SIZE)} ({kind}): {ok} ({speedup:.1f}x with band=None, "
              f"{speedup_band:.1f}x with band=0.2)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[600, 1800, 5400],
                        help="teacher lengths in frames (student is 1.1x)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method")
    parser.add_argument("--radii", type=int, nargs="+", default=[1, 10], help="fastdtw radii")
    parser.add_argument("--data", nargs="+", choices=["related", "unrelated"],
                        default=["related", "unrelated"], help="which sequence pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiny", action="store_true", help="smoke test: sizes 50, repeats 1")
    args = parser.parse_args(argv)
    if args.tiny:
        args.sizes, args.repeats = [50], 1
    if min(args.sizes) < 2 or args.repeats < 1:
        parser.error("sizes must be >= 2 and repeats >= 1")
    return run(args.sizes, args.repeats, args.data, args.radii, args.seed)


if __name__ == "__main__":
    sys.exit(main())
