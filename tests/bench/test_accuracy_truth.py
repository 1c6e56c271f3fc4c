"""The accuracy harness's truths that come from measuring the shared footage (not from the
engine): re-measured here, so a wrong truth cannot hide behind the product's own numbers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from engine.io.video import audio
from tests.conftest import footage, needs_footage

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import accuracy as acc  # noqa: E402

SR = 16000


def waveform_lag_s(x: np.ndarray, y: np.ndarray, max_s: float) -> tuple[float, float]:
    """Lag L (s, sub-sample) with x(t + L) ~ y(t), by FFT cross-correlation, and the peak's
    normalized height."""
    n = 1 << int(np.ceil(np.log2(len(x) + len(y))))
    c = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(y, n)), n)
    lags = np.concatenate([np.arange(0, n // 2), np.arange(-n // 2, 0)])
    k = int(np.argmax(np.where(np.abs(lags) <= max_s * SR, c, -np.inf)))
    y0, y1, y2 = c[k - 1], c[k], c[(k + 1) % n]
    frac = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    return (lags[k] + frac) / SR, float(c[k] / np.sqrt((x ** 2).sum() * (y ** 2).sum()))


@needs_footage
def test_the_feelsreal_trim_starts_3_065_s_into_a():
    a = audio(footage("pairs/feelsreal_dancerA.mp4"), sr=SR).astype(np.float64)
    trim = audio(footage("pairs/feelsreal_dancerA_trim_aligned.mp4"), sr=SR).astype(np.float64)
    lag, peak = waveform_lag_s(a, trim, max_s=5.0)
    assert peak > 0.7                                         # one recording (measured 0.84)
    assert abs(lag - acc.FEELSREAL_TRIM_CUT_S) < 0.002        # measured 3.0649 s
    for start in (5, 10, 15, 20):                            # and every part of the file agrees
        window = np.concatenate([trim[start * SR:(start + 4) * SR], np.zeros(4 * SR)])
        lag_w, _ = waveform_lag_s(a[start * SR:(start + 8) * SR], window, max_s=4.5)
        assert abs(lag_w - acc.FEELSREAL_TRIM_CUT_S) < 0.002
