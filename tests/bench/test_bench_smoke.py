"""Smoke tests for the benchmark scripts in bench/: they are not tests (nothing here is timed),
but they must keep running. Each runs on a tiny input and its printed table is checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """One folder for the tiny sample clips, shared by the scripts (made once)."""
    return tmp_path_factory.mktemp("bench")


def run_bench(script: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(REPO / "bench" / script), *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "machine:" in out and "date:" in out and "command:" in out
    return out


def test_bench_dtw_tiny():
    out = run_bench("bench_dtw.py", "--tiny")
    assert "method" in out and "median_s" in out and "speedup" in out and "cost_err" in out
    for method in ("exact band=None", "exact band=0.2", "fastdtw r=1", "fastdtw r=10"):
        assert method in out


def test_bench_compare_tiny(workdir):
    out = run_bench("bench_compare.py", "--tiny", "--workdir", str(workdir))
    for row in ("baseline", "cold", "warm", "warm (direct)"):
        assert re.search(rf"^{re.escape(row)}\s+[\d.]+ / [\d.]+ / [\d.]+", out, re.M), row
    assert re.search(r"cold speed-up vs baseline \(median / median\): [\d.]+x", out)
    assert re.search(r"rescore in-process, 20 settings: [\d.]+ / [\d.]+ / [\d.]+ s", out)


def test_bench_memory_tiny(workdir):
    out = run_bench("bench_memory.py", "--tiny", "--workdir", str(workdir))
    row = re.search(r"^5 s sample\s+after\s+(\d+)\s+(\d+) / (\d+) / (\d+)", out, re.M)
    assert row, out
    assert int(row.group(1)) == 150                       # 5 s at 30 frames/s were extracted
    assert 50 < int(row.group(3)) < 4096                  # a plausible peak RSS in MiB was read


def test_bench_cache_tiny(workdir):
    out = run_bench("bench_cache.py", "--tiny", "--workdir", str(workdir), "--cache-dir", str(workdir / "cache"))
    assert re.search(r"^store\.load\s+[\d.]+ / [\d.]+ / [\d.]+", out, re.M)
    assert re.search(r"MiB per minute of video \(masks [\d.]+", out)
    for codec in ("gzip 1", "gzip 4", "lzf", "none"):
        assert re.search(rf"^{codec}\s+[\d.]+\s+[\d.]+ / ", out, re.M), codec


def test_bench_beats_on_the_demo_music(tmp_path):
    # The demo's soundtrack as a WAV (no footage needed): both rows, the ratio, the warm timings.
    import wave

    import numpy as np

    from engine.demo.music import AUDIO_SR, soundtrack
    clip = tmp_path / "music.wav"
    with wave.open(str(clip), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(AUDIO_SR)
        w.writeframes((np.clip(soundtrack(), -1, 1) * 32767).astype("<i2").tobytes())
    out = run_bench("bench_beats.py", "--repeats", "1", "--clip", str(clip))
    for row in ("before", "now"):
        assert re.search(rf"^\s*{row}: [\d.]+ / [\d.]+ / [\d.]+ s", out, re.M), row
    assert re.search(r"ratio: now / before = [\d.]+", out)
    assert re.search(r"beat_grid on the clip repeated 8 times \(96 s", out)
