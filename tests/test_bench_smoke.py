"""Smoke tests for the benchmark scripts in bench/ (they are not tests, but must keep running)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_dtw_tiny():
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_dtw.py"), "--tiny"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "method" in out and "median_s" in out and "speedup" in out and "cost_err" in out
    for method in ("exact band=None", "exact band=0.2", "fastdtw r=1", "fastdtw r=10"):
        assert method in out
    assert "machine:" in out and "date:" in out
