"""Audio sync on the shared clips: the old whole-clip lag (`sync.audio_offset`) against the
windowed consensus (`audio_lag.windowed_audio_offset`), offset and confidence per pair.

    .venv/bin/python bench/sync_experiment.py              # development pairs only
    .venv/bin/python bench/sync_experiment.py --holdout    # also the two held-out pairs

Pairs: the known same-music pairs (truth from SOURCES.md and the windows' agreement), each
clip with sound against a shifted copy of itself (identical soundtracks, known truth), and every
cross pair of clips whose music differs (unrelated: the offset is meaningless, only the
confidence counts). The held-out pairs were not looked at while the constants were chosen;
run with --holdout only once they are frozen.

Prints, per group, the range of confidences and the separation: the smallest confidence of a
related pair minus the largest of an unrelated one (old and new).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import SHARED_VIDEOS, machine_lines
from engine.analysis.sync.audio_lag import windowed_audio_offset
from engine.analysis.sync import audio_offset
from engine.io.video import audio

SR = 16000
#: Clips that share music (any two of a group are related; every other pair is unrelated).
SONGS = {
    "feelsreal": ("pairs/feelsreal_dancerA.mp4", "pairs/feelsreal_dancerA_trim_aligned.mp4",
                  "pairs/feelsreal_dancerB.mp4"),
    "callme404": ("pairs/callme404_teacher_douyin.mp4", "pairs/callme404_student_studio.mp4"),
    "aist_mBR0": ("aist/gBR_sBM_c01_d04_mBR0_ch01_first3s.mp4", "aist/gBR_sBM_c01_d04_mBR0_ch03_first3s.mp4",
                  "aist/aist_c01_d04_unidentified_3s.mp4"),
}
#: Same music, separate recordings (or one re-encoded): (teacher, student, truth_s or None).
#: feelsreal A = B + 3.04 s (chroma, SOURCES.md); callme404 teacher = student + 0.80 s (chroma).
SAME_MUSIC = [
    ("pairs/feelsreal_dancerA.mp4", "pairs/feelsreal_dancerB.mp4", 3.04),
    ("pairs/callme404_teacher_douyin.mp4", "pairs/callme404_student_studio.mp4", 0.80),
    # The trim is A cut at a nominal 3.03 s and re-encoded to mp3 (encoder delay unknown), so
    # its truth is not known to 30 ms; the closure A-B = (A-trim) + (trim-B) checks it instead.
    ("pairs/feelsreal_dancerA.mp4", "pairs/feelsreal_dancerA_trim_aligned.mp4", None),
]
#: Identical audio but only 3 s of it: below `MIN_SHARED_S`, capped by design (kind "short").
SHORT = [("aist/gBR_sBM_c01_d04_mBR0_ch01_first3s.mp4", "aist/gBR_sBM_c01_d04_mBR0_ch03_first3s.mp4", 0.0)]
#: A clip re-recorded in a simulated room (reverb 0.5 s, phone band-pass, pink noise at this
#: SNR) against the original: (clip, student start_s, snr_db). Kind "room".
ROOMS = [(clip, start, snr) for clip, start in (("pairs/callme404_teacher_douyin.mp4", 1.3),
                                                ("pairs/feelsreal_dancerA.mp4", 5.0),
                                                ("solo/tsinghua_stage_solo_52s.mp4", 7.7))
         for snr in (10.0, 0.0, -5.0)]
#: Identical soundtracks: (clip, start_s of the student copy); teacher_s = student_s + start_s.
SELF_SHIFTS = [
    ("multi/fitness_class_group_15s.mp4", 0.0),
    ("multi/fitness_class_group_15s.mp4", 2.5),
    ("pairs/callme404_student_studio.mp4", 4.37),
    ("solo/tsinghua_stage_solo_52s.mp4", 11.0),
    ("solo/red_skirt_folk_solo_70s_240p.mp4", 20.0),
]
#: Held out while the constants were chosen.
#: trim vs B: nominally 3.04 - 3.03 = +0.01 s, but the trim's mp3 re-encode moves its audio by an
#: unknown encoder delay, so the truth is the closure check printed below (not a number).
HOLDOUT_RELATED = [("pairs/feelsreal_dancerA_trim_aligned.mp4", "pairs/feelsreal_dancerB.mp4", None)]
HOLDOUT_UNRELATED = [("solo/studio_bw_female_solo_10s.mp4", "solo/red_skirt_folk_solo_70s_240p.mp4")]
#: Offset error allowed on pairs with a known truth, seconds (the issue's target).
MAX_ERROR_S = 0.03


def _room(x: np.ndarray, seed: int, snr_db: float) -> np.ndarray:
    """A second recording of `x`: reverb (0.5 s), a phone's band-pass (200 Hz..3 kHz), pink noise."""
    rng = np.random.default_rng(seed)
    n = int(0.5 * SR)
    ir = rng.normal(0, 1, n) * np.exp(-6.9 * np.arange(n) / n)
    ir[0] = 3.0
    y = np.convolve(x.astype(np.float64), ir)[:x.size]
    f = np.fft.rfftfreq(y.size, 1 / SR)
    band = 1 / np.sqrt(1 + (f / 3000) ** 4) * (f / 200) ** 2 / np.sqrt(1 + (f / 200) ** 4)
    y = np.fft.irfft(np.fft.rfft(y) * band, y.size)
    pink = np.fft.irfft(np.fft.rfft(rng.normal(0, 1, y.size)) / np.sqrt(np.maximum(f, 20)), y.size)
    return y / y.std() + pink / pink.std() * 10 ** (-snr_db / 20)


def _song(rel: str) -> str:
    return next((name for name, clips in SONGS.items() if rel in clips), rel)


def _row(kind: str, name: str, ta: np.ndarray, sa: np.ndarray, truth: float | None) -> dict:
    t0 = time.perf_counter()
    old_off, old_conf = audio_offset(ta, sa, SR)
    t1 = time.perf_counter()
    new = windowed_audio_offset(ta, sa, SR)
    t2 = time.perf_counter()
    return {"kind": kind, "name": name, "truth": truth, "old": (old_off, old_conf), "new": new,
                "old_ms": 1e3 * (t1 - t0), "new_ms": 1e3 * (t2 - t1)}


def _print(rows: list[dict]) -> None:
    print(f"{'kind':10} {'pair':66} {'truth':>6} | {'old off':>7} {'conf':>5} | {'new off':>7} {'conf':>5} "
          f"{'agree':>6} {'win':>4} {'ms':>5} | {'2nd off':>7} {'conf':>5}")
    for r in rows:
        n = r["new"]
        truth = "" if r["truth"] is None else f"{r['truth']:+.2f}"
        flag = ""
        if r["truth"] is not None and abs(n.offset_s - r["truth"]) > MAX_ERROR_S:
            flag = " <- new offset off"
        print(f"{r['kind']:10} {r['name'][:66]:66} {truth:>6} | {r['old'][0]:+7.3f} {r['old'][1]:5.2f} | "
              f"{n.offset_s:+7.3f} {n.confidence:5.2f} {n.windows_agreeing:>3}/{n.windows_total:<3}"
              f"{n.window_s:4.1f} {r['new_ms']:5.0f} | {n.runner_up_s:+7.2f} {n.runner_up_confidence:5.2f}{flag}")


def _summary(rows: list[dict]) -> None:
    for kind in ("identical", "same", "room", "short", "unrelated"):
        sel = [r for r in rows if r["kind"] == kind]
        if not sel:
            continue
        old = np.array([r["old"][1] for r in sel])
        new = np.array([r["new"].confidence for r in sel])
        print(f"{kind:10} n={len(sel):3}  old conf {old.min():.2f}..{old.max():.2f} (median {np.median(old):.2f})  "
              f"new conf {new.min():.2f}..{new.max():.2f} (median {np.median(new):.2f})")
    related = [r for r in rows if r["kind"] in ("identical", "same", "room")]
    unrelated = [r for r in rows if r["kind"] == "unrelated"]
    if related and unrelated:
        for label, get in (("old", lambda r: r["old"][1]), ("new", lambda r: r["new"].confidence)):
            gap = min(map(get, related)) - max(map(get, unrelated))
            print(f"separation ({label}): min related (identical, same, room) - max unrelated = {gap:+.2f}")
    known = [r for r in rows if r["kind"] != "unrelated" and r["truth"] is not None]
    errs = np.array([abs(r["new"].offset_s - r["truth"]) for r in known])
    old_errs = np.array([abs(r["old"][0] - r["truth"]) for r in known])
    print(f"offset error on {len(known)} pairs with a truth: new max {1e3 * errs.max():.0f} ms, "
          f"old max {1e3 * old_errs.max():.0f} ms (target <= {1e3 * MAX_ERROR_S:.0f} ms)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--holdout", action="store_true", help="also run the two held-out pairs")
    args = ap.parse_args(argv)
    if not SHARED_VIDEOS.is_dir():
        print(f"shared footage {SHARED_VIDEOS} is missing", file=sys.stderr)
        return 2
    for line in machine_lines(("numpy", "av")):
        print("#", line)

    clips: dict[str, np.ndarray] = {}
    for path in sorted(SHARED_VIDEOS.glob("*/*.mp4")):
        rel = path.relative_to(SHARED_VIDEOS).as_posix()
        samples = audio(path, sr=SR)
        if samples is not None:
            clips[rel] = samples
    held = {frozenset(p[:2]) for p in HOLDOUT_RELATED + HOLDOUT_UNRELATED}

    rows = []
    for clip, start in SELF_SHIFTS:
        a = clips[clip]
        rows.append(_row("identical", f"{clip} vs itself from {start:g} s", a, a[int(start * SR):], start))
    for t, s, truth in SAME_MUSIC:
        rows.append(_row("same", f"{t} vs {s}", clips[t], clips[s], truth))
    for t, s, truth in SHORT:
        rows.append(_row("short", f"{t} vs {s}", clips[t], clips[s], truth))
    for i, (clip, start, snr) in enumerate(ROOMS):
        a = clips[clip]
        rows.append(_row("room", f"{clip} vs itself from {start:g} s, room, SNR {snr:+.0f} dB", a,
                         _room(a[int(start * SR):], i, snr), start))
    for t, s in itertools.combinations(sorted(clips), 2):
        if _song(t) == _song(s) or frozenset((t, s)) in held:
            continue
        rows.append(_row("unrelated", f"{t} vs {s}", clips[t], clips[s], None))
    _print(rows)
    print()
    _summary(rows)

    if args.holdout:
        print("\n# holdout (constants frozen before this was run)")
        hold = [_row("same", f"{t} vs {s}", clips[t], clips[s], truth) for t, s, truth in HOLDOUT_RELATED]
        hold += [_row("unrelated", f"{t} vs {s}", clips[t], clips[s], None) for t, s in HOLDOUT_UNRELATED]
        _print(hold)
        # Closure: A-B must equal (A-trim) + (trim-B) for the three feelsreal soundtracks.
        a, trim, b = SONGS["feelsreal"]
        ab = windowed_audio_offset(clips[a], clips[b], SR).offset_s
        at = windowed_audio_offset(clips[a], clips[trim], SR).offset_s
        tb = hold[0]["new"].offset_s
        print(f"closure: A-B {ab:+.3f} s vs (A-trim) + (trim-B) = {at:+.3f} {tb:+.3f} = {at + tb:+.3f} s "
              f"(difference {1e3 * (ab - at - tb):+.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
