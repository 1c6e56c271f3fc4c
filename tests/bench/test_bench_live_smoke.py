"""Smoke test for bench/bench_live.py (a benchmark, not a test, but it must keep running).

`--tiny` renders the built-in demo clips and runs the real pose model on a few frames, so it
needs no shared footage. Timings are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_live_tiny():
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_live.py"), "--tiny"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "date:" in out and "machine:" in out and "nproc" in out and "command:" in out
    for column in ("stage", "frames", "mean_ms", "p50_ms", "p95_ms", "max_ms"):
        assert column in out
    stages = ("pose", "fit+score", "draw+composite", "record enqueue", "total (all)", "total (dancing)",
              "cpu (all threads)")
    for stage in stages:
        assert re.search(rf"^{re.escape(stage)}\s+\d+(\s+\d+\.\d\d){{4}}$", out, re.M), stage
    # 90 frames: the first (model load) is reported apart; 0.4 s countdown at 25 fps, then 3.2 s of
    # dancing, scored once the live score's 2.5-s window is full (about 18 frames).
    assert re.search(r"^total \(all\)\s+89\s", out, re.M)
    assert re.search(r"^total \(dancing\)\s+80\s", out, re.M)
    scored = re.search(r"frames in 90, scored (\d+)", out)
    assert scored and 0 < int(scored.group(1)) <= 80 - 2.5 * 25 + 1          # dancing frames after the window only
    assert re.search(r"recording: \d+ frames, 3\.\d\d s", out)             # ~3.2 s of dancing
    assert re.search(r"keeps up with 25 fps \(p95 < 40 ms\): (YES|NO) \(p95 \d+\.\d ms", out)


def test_bench_live_full_run_explains_missing_footage(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_live.py"), "--input", str(tmp_path / "nope.mp4")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "nope.mp4 not found" in proc.stderr and "--tiny" in proc.stderr
