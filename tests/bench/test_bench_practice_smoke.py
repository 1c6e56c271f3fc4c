"""Smoke test for bench/bench_practice.py (a benchmark, not a test, but it must keep running).

`--tiny` uses the built-in demo clips (pose extraction included), so it needs no shared footage.
Timings are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_practice_tiny():
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "bench_practice.py"), "--tiny"],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "date:" in out and "machine:" in out and "command:" in out
    for name in ("side-by-side \\(whole\\)", "practice \\(start\\)", "practice \\(end\\)"):
        assert re.search(rf"^\| {name} \| [\d.]+ / [\d.]+ / [\d.]+ \| \d+\.\d\dx \|$", out, re.MULTILINE), name
    assert re.search(r"^\| side-by-side \(whole\) \| .* \| 1\.00x \|$", out, re.MULTILINE)
    assert len(re.findall(r"^practice clips \((start|end)\): \d+ KiB for both", out, re.MULTILINE)) == 2


def test_bench_practice_explains_missing_footage(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "bench_practice.py"), "--teacher",
                           str(tmp_path / "nope.mp4")], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert "nope.mp4 not found" in proc.stderr and "--tiny" in proc.stderr
