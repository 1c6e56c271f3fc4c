"""Audio lag by windowed consensus, with a confidence that knows when it is right; the sync decision.

Convention (DESIGN.md): ``teacher_s = student_s + offset_s`` for the same musical moment.

Why windows. A single cross-correlation of two whole onset envelopes cannot tell a certain lag
from an uncertain one: steady-beat music matches itself one bar (and one chorus) later almost as
well as at the true lag, so a peak-vs-runner-up ratio is low exactly when the music is regular,
whatever the truth (issue #12: the feelsreal pair, exactly right at 3.042 s, got confidence 0).
Here each clip is cut into half-overlapping windows and every window is located on its own in
the other clip (a Pearson correlation at every lag). Two recordings of the same music put almost
every window at the same lag, even through noise that lowers every correlation; unrelated audio
scatters them. The confidence asks, of the windows that the chosen lag says both clips contain,
how many put the music there, beyond the few that agree on some lag by chance:

    confidence(L) = (sum_i share_i(L) - K_CHANCE) / (max(n_asked(L), n_min) - K_CHANCE)

- `share_i(L)` is window i's vote: nonzero only when its best match lies within `AGREE_TOL_S`
  of L, and full only when that match beats the window's best other match clearly
  (`TIE_GAP`); a window that matches two lags equally well (a loop repeated note for note, a
  metronome) casts none. Regular music with any variation (melody, lyrics, fills) still has
  one clearly best lag per window, however many bar-shifted near misses it has.
- `n_asked(L)` counts the windows that, under lag L, lie inside the other clip and hold sound
  (`QUIET_RATIO`): a window of the student's last 8 s cannot be found in a teacher clip that
  ends before them, and an intro of room silence has nothing to find.
- `n_min` is the number of windows `MIN_SHARED_S` of shared audio gives: a few seconds cannot
  certify a lag however well they match.

The lag is the consensus: the L with the highest confidence, refined to a fraction of a frame
on the vote-weighted mean correlation of the windows around it.

The onset envelope is `engine.analysis.sync.onset_envelope` (8 band groups, 100 frames/s): a lag
must match the rhythm of the bass, mids and highs at once. Chroma was not needed: onset windows
alone keep every unrelated pair of the shared clips at <= 0.07 (bench/sync_experiment.py).
The window correlation itself is not used as evidence: at 0 dB SNR the same music's windows
correlate at 0.1..0.3, no higher than unrelated music's best, but they still agree on the lag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from engine.analysis.dsp import cross_correlate_full, maximum_filter1d
from engine.analysis.sync._lag import MAX_LAG_S
from engine.analysis.sync.onset import OnsetEnvelope, envelope_pair
from engine.core.settings import MIN_AUDIO_SYNC_CONFIDENCE, MIN_MOTION_SYNC_CONFIDENCE, SYNC_AGREE_S

# --- windows ------------------------------------------------------------------------------
#: Window length, seconds: two bars at 120 bpm, long enough to hold a distinctive rhythm,
#: short enough that a 15 s clip gives a dozen windows (both clips together).
WINDOW_S = 4.0
#: Windows may shrink to this (s) so that at least two fit in the shorter clip (`MIN_SHARED_S`
#: still caps the confidence of short clips). Clips shorter than this get no audio lag.
MIN_WINDOW_S = 1.5
#: Windows start every window * WINDOW_HOP (half-overlapping).
WINDOW_HOP = 0.5
#: A window whose onset activity (std of the raw envelope) is below this fraction of the
#: clip's median window is quiet (silence, a fade): it is neither asked nor counted.
QUIET_RATIO = 0.2

# --- votes --------------------------------------------------------------------------------
#: Windows agree when their peaks lie within +- this of each other, seconds (3 envelope
#: frames: the peak's own jitter plus slight clock drift between two recordings).
AGREE_TOL_S = 0.03
#: Windows that agree on some lag by chance, subtracted from the agreeing count: one
#: accidental match of two stretches is seen by the window that found it, its half-overlapping
#: neighbour and the other clip's window over the same stretch. Measured on 145 unrelated
#: pairs of the shared clips: the most popular wrong lag gets 3 decisive windows (at most 4).
K_CHANCE = 3.0
#: A window's best peak must beat its best other peak (more than `AGREE_TOL_S` away) by this
#: fraction of its own height to cast a full vote; less is a partial vote, a tie none (the
#: window matches two repeats equally well: a loop repeated note for note, a metronome).
#: Relative, because noise lowers all of a window's peaks together (at 0 dB SNR the true
#: peak is ~0.3 and 15% above the next; clean steady-beat music ~0.9 and 10% above).
TIE_GAP = 0.05
#: The share is taken of at least the windows this much shared audio gives (seconds, both
#: clips' windows): a lag that only a few seconds can check (a sliver of overlap, a 3 s clip)
#: cannot reach full confidence, because all windows of a short stretch see the same
#: accidental match (3 s of unrelated break beats at one tempo matched at r 0.6).
MIN_SHARED_S = 10.0
#: Windows located at once (bounds memory: chunk x channels x frames floats).
LOCATE_CHUNK = 8
#: The runner-up lag is reported at least this far from the chosen one, seconds.
RUNNER_UP_EXCLUDE_S = 0.25

# --- decision -----------------------------------------------------------------------------
#: The decision's thresholds are settings (engine.core.settings, with their meaning there).
MIN_AUDIO_CONFIDENCE = MIN_AUDIO_SYNC_CONFIDENCE
MIN_MOTION_CONFIDENCE = MIN_MOTION_SYNC_CONFIDENCE
MOTION_AGREE_S = SYNC_AGREE_S


@dataclass(frozen=True)
class AudioLag:
    """The lag between two soundtracks and how sure the windows are of it.

    Attributes
    ----------
    offset_s : float
        teacher_s = student_s + offset_s, seconds (0.0 when nothing was found).
    confidence : float
        0..1, see the module docstring. 0 when no window could be asked.
    windows_agreeing : int
        Asked windows whose vote for `offset_s` is at least half a full vote.
    windows_total : int
        Windows asked at `offset_s` (inside the other clip under that lag, not quiet).
    window_s : float
        Window length used, seconds.
    runner_up_s, runner_up_confidence : float
        The best other lag (at least `RUNNER_UP_EXCLUDE_S` away) and its confidence:
        a diagnostic of how periodic the music is, not part of the confidence.
    note : str
        Why the confidence is 0, when it is ("" otherwise).
    """

    offset_s: float
    confidence: float
    windows_agreeing: int
    windows_total: int
    window_s: float
    runner_up_s: float = 0.0
    runner_up_confidence: float = 0.0
    note: str = ""


class SyncDecision(NamedTuple):
    """What the sync stage uses: ``method, offset_s, confidence, reason = decide_sync(...)``."""

    method: str         # "audio", "motion" or "none"
    offset_s: float     # teacher_s = student_s + offset_s; 0.0 for "none"
    confidence: float   # 0..1 of the method used; 0.0 for "none"
    reason: str         # one short sentence for the report and the logs


# --- windows located in the other clip ----------------------------------------------------

def _standardize_rows(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1, keepdims=True)
    return x / np.where(sd > 0, sd, 1.0)


def _window_starts(n: int, width: int, hop: int) -> np.ndarray:
    return np.arange(0, n - width + 1, hop) if n >= width else np.zeros(0, dtype=int)


def _active(env: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """(K,) bool: windows with onset activity above `QUIET_RATIO` of the clip's median window."""
    if starts.size == 0:
        return np.zeros(0, dtype=bool)
    act = np.array([env[:, s:s + width].std(axis=1).mean() for s in starts])
    med = float(np.median(act))
    return act > QUIET_RATIO * med if med > 0 else np.zeros(starts.size, dtype=bool)


def _locate(ref: np.ndarray, win: np.ndarray, starts: np.ndarray, max_lag: int) -> np.ndarray:
    """Pearson correlation of each window with every full-overlap stretch of `ref`.

    ref : (C, N) reference envelope; win : (K, C, W) windows cut at frames `starts` (K,) of
    the other clip. Returns (K, 2 max_lag + 1): column max_lag + L holds the correlation of
    window k with ref[:, starts[k] + L : starts[k] + L + W] (ref_frame = window_frame + L);
    NaN where that stretch is not inside `ref`. Channels are pooled into one vector.
    """
    k_n, c_n, width = win.shape
    n = ref.shape[1]
    out = np.full((k_n, 2 * max_lag + 1), np.nan)
    if n < width:
        return out
    x = win - win.mean(axis=2, keepdims=True)
    norm_x = np.sqrt((x ** 2).sum(axis=(1, 2)))
    c1 = np.concatenate([np.zeros((c_n, 1)), np.cumsum(ref, axis=1)], axis=1)
    c2 = np.concatenate([np.zeros((c_n, 1)), np.cumsum(ref ** 2, axis=1)], axis=1)
    s1, s2 = c1[:, width:] - c1[:, :-width], c2[:, width:] - c2[:, :-width]
    norm_y = np.sqrt(np.maximum((s2 - s1 ** 2 / width).sum(axis=0), 0.0))  # (N - W + 1,)
    pos = np.arange(n - width + 1)
    for c0 in range(0, k_n, LOCATE_CHUNK):
        dots = cross_correlate_full(ref[None], x[c0:c0 + LOCATE_CHUNK]).sum(axis=1)
        dots = dots[:, width - 1:width - 1 + pos.size]  # ref stretches starting at pos
        for k in range(c0, min(c0 + LOCATE_CHUNK, k_n)):
            if norm_x[k] == 0:
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                r = np.where(norm_y > 0, dots[k - c0] / (norm_x[k] * norm_y), 0.0)
            lag = pos - starts[k]
            keep = np.abs(lag) <= max_lag
            out[k, lag[keep] + max_lag] = r[keep]
    return out


def _votes(r: np.ndarray, tol: int) -> np.ndarray:
    """(K, L) correlations (NaN: not located) -> (K, L) vote of each window for each lag.

    A window votes only for its best peak (and the lags within +-tol of it), with a weight
    that says how clearly that peak beats the window's best other peak: 1 when it is higher
    by `TIE_GAP` of its own height or more, 0 for a tie. Only the runner-up counts, not the
    number of near misses: regular music has dozens of bar-shifted peaks just below the true
    one, and they do not make the true one less certain.
    """
    k_n, l_n = r.shape
    filled = np.where(np.isfinite(r), r, -np.inf)
    mid = filled[:, 1:-1]
    peak = np.zeros_like(filled, dtype=bool)
    peak[:, 1:-1] = (mid > filled[:, :-2]) & (mid >= filled[:, 2:]) & np.isfinite(mid)
    votes = np.zeros((k_n, l_n))
    for k in range(k_n):
        idx = np.flatnonzero(peak[k])
        if idx.size == 0:
            continue
        heights = filled[k, idx]
        j = int(np.argmax(heights))
        best = heights[j]
        if not best > 0:
            continue
        others = heights[np.abs(idx - idx[j]) > tol]
        second = max(float(others.max()), 0.0) if others.size else 0.0
        votes[k, idx[j]] = min(1.0, (best - second) / (TIE_GAP * best))
    # A window votes for L with its best peak within +-tol of L.
    return maximum_filter1d(votes, 2 * tol + 1, axis=1, mode="constant", cval=0.0)


def _asked(starts: np.ndarray, width: int, n_other: int, lags: np.ndarray, sign: int) -> np.ndarray:
    """(K, L) bool: under offset lags[l], window k (at `starts`) lies inside the other clip.

    sign +1: student windows, teacher frame = window frame + lag; -1: teacher windows.
    """
    pos = starts[:, None] + sign * lags[None, :]
    return (pos >= 0) & (pos + width <= n_other)


def windowed_audio_offset(teacher_audio: np.ndarray | None = None, student_audio: np.ndarray | None = None,
                          sr: int | None = None, *, max_lag_s: float = MAX_LAG_S,
                          teacher_envelope: OnsetEnvelope | None = None,
                          student_envelope: OnsetEnvelope | None = None) -> AudioLag:
    """Offset between two soundtracks by windowed consensus, with a calibrated confidence.

    Give either both soundtracks and `sr`, or both envelopes (`onset.sync_envelope`, made
    ahead): the result is the same.

    Parameters
    ----------
    teacher_audio, student_audio : (S,) arrays
        Mono samples at `sr` Hz, sample 0 = time 0 of each file. Not modified.
    sr : int
        Sample rate of both, Hz.
    max_lag_s : float
        Largest |offset| searched, seconds.
    teacher_envelope, student_envelope : OnsetEnvelope
        `sync_envelope` of each soundtrack, instead of the audio (same rate).

    Returns
    -------
    AudioLag
        offset_s resolves well under one envelope frame (10 ms) when the windows agree;
        confidence >= 0.9 for identical soundtracks, >= 0.6 for the same music recorded twice,
        <= 0.2 for unrelated audio (bench/sync_experiment.py).
    """
    if not max_lag_s > 0:
        raise ValueError(f"max_lag_s must be > 0, got {max_lag_s}")
    env_t, env_s = envelope_pair(teacher_audio, student_audio, sr, teacher_envelope, student_envelope)
    rate = env_t.rate
    env_t, env_s = env_t.values, env_s.values
    n_t, n_s = env_t.shape[1], env_s.shape[1]
    shorter_s = min(n_t, n_s) / rate
    if shorter_s < MIN_WINDOW_S:
        return AudioLag(0.0, 0.0, 0, 0, 0.0, note=f"a soundtrack is shorter than {MIN_WINDOW_S} s")
    window_s = min(WINDOW_S, max(MIN_WINDOW_S, shorter_s / 2))
    width = round(window_s * rate)
    hop = max(1, round(window_s * WINDOW_HOP * rate))
    max_lag = round(max_lag_s * rate)
    tol = max(1, round(AGREE_TOL_S * rate))
    lags = np.arange(-max_lag, max_lag + 1)

    env_t, env_s = _standardize_rows(env_t), _standardize_rows(env_s)
    corrs, votes, asked = [], [], []
    # Student windows in the teacher (teacher frame = student frame + L, so L = offset), then
    # teacher windows in the student (student frame = teacher frame + L', so offset = -L').
    for env, other, n_other, sign in ((env_s, env_t, n_t, 1), (env_t, env_s, n_s, -1)):
        starts = _window_starts(env.shape[1], width, hop)
        starts = starts[_active(env, starts, width)]
        if starts.size == 0:
            continue
        wins = np.stack([env[:, s:s + width] for s in starts])
        r = _locate(other, wins, starts, max_lag)
        if sign < 0:
            r = r[:, ::-1]  # column of lag L' -> column of offset -L'
        corrs.append(r)
        votes.append(_votes(r, tol))
        asked.append(_asked(starts, width, n_other, lags, sign))
    if not votes:
        return AudioLag(0.0, 0.0, 0, 0, window_s, note="no onsets: silence or no music")
    r = np.concatenate(corrs)
    a = np.concatenate(asked)
    v = np.where(a, np.concatenate(votes), 0.0)
    n_asked = a.sum(axis=0)
    min_windows = 2 * ((MIN_SHARED_S - window_s) / (window_s * WINDOW_HOP) + 1)
    conf = np.clip((v.sum(axis=0) - K_CHANCE) / (np.maximum(n_asked, min_windows) - K_CHANCE), 0.0, 1.0)
    best = int(np.argmax(conf))
    if not conf[best] > 0:
        return AudioLag(0.0, 0.0, 0, int(n_asked.max()), window_s,
                        note="the windows agree on no lag beyond chance")
    offset = _refine(r, v[:, best], best, tol) - max_lag
    far = np.abs(lags - offset) > RUNNER_UP_EXCLUDE_S * rate
    runner = int(np.argmax(np.where(far, conf, -1.0)))
    return AudioLag(
        offset_s=float(offset / rate), confidence=float(min(conf[best], 1.0)),
        windows_agreeing=int((v[:, best] >= 0.5).sum()), windows_total=int(n_asked[best]),
        window_s=float(window_s), runner_up_s=float(lags[runner] / rate) if conf[runner] > 0 else 0.0,
        runner_up_confidence=float(max(conf[runner], 0.0)))


def _refine(r: np.ndarray, weights: np.ndarray, best: int, tol: int) -> float:
    """Column (fractional) of the peak of the vote-weighted mean correlation near `best`.

    The votes are flat within +-tol of a window's peak (a maximum filter), so `best` is only
    known to +-tol columns; the correlations themselves place the peak, a parabola through
    the top three columns to a fraction of one.
    """
    if not weights.sum() > 0:
        return float(best)
    curve = np.nansum(r * weights[:, None], axis=0) / weights.sum()
    lo, hi = max(best - 2 * tol, 1), min(best + 2 * tol, curve.size - 2)
    k = lo + int(np.argmax(curve[lo:hi + 1]))
    y0, y1, y2 = curve[k - 1], curve[k], curve[k + 1]
    den = y0 - 2.0 * y1 + y2
    frac = float(np.clip(0.5 * (y0 - y2) / den, -0.5, 0.5)) if den < 0 else 0.0
    return k + frac


# --- the sync decision ----------------------------------------------------------------------

def decide_sync(audio: AudioLag | None, motion_offset_s: float | None, motion_confidence: float, *,
                min_audio_confidence: float = MIN_AUDIO_CONFIDENCE,
                min_motion_confidence: float = MIN_MOTION_CONFIDENCE,
                agree_s: float = MOTION_AGREE_S) -> SyncDecision:
    """Choose the offset the comparison uses from the audio and motion lags. Pure.

    The rule, in order:

    1. Audio the windows agree on (confidence >= `min_audio_confidence`) is used, whatever
       motion says: a dancer's own timing moves the motion lag, never the music's. When a
       confident motion lag disagrees (by more than `agree_s`), the reason says so.
    2. Weak audio (above 0, below the threshold) that a confident motion lag confirms
       (within `agree_s`) is used: two independent weak witnesses agree, and audio is the
       more precise of the two. Confidence: the larger of the two.
    3. Otherwise motion, if its confidence reaches `min_motion_confidence`.
    4. Otherwise neither is reliable: method "none", offset 0; the caller aligns each clip's
       whole active range by DTW alone and reports no timing score.

    Parameters
    ----------
    audio : AudioLag or None
        `windowed_audio_offset` of the two soundtracks; None when a clip has no audio.
    motion_offset_s : float or None
        `sync.motion_offset` lag, teacher_s = student_s + offset, seconds; None if not run.
    motion_confidence : float
        Its confidence, 0..1 (ignored when `motion_offset_s` is None).
    min_audio_confidence, min_motion_confidence : float
        0..1, see the rule.
    agree_s : float
        Audio and motion lags closer than this agree, seconds.

    Returns
    -------
    SyncDecision
        (method, offset_s, confidence, reason).
    """
    has_motion = motion_offset_s is not None and np.isfinite(motion_offset_s)
    motion_ok = has_motion and motion_confidence >= min_motion_confidence
    m_text = f"motion {motion_offset_s:+.2f} s (confidence {motion_confidence:.2f})" if has_motion else ""

    if audio is not None and audio.confidence >= min_audio_confidence:
        a_text = (f"audio {audio.offset_s:+.2f} s: {audio.windows_agreeing} of {audio.windows_total} "
                  f"windows agree (confidence {audio.confidence:.2f})")
        if has_motion and abs(motion_offset_s - audio.offset_s) > agree_s:
            verdict = "disagrees; the music wins" if motion_ok else "disagrees but is unsure"
            return SyncDecision("audio", audio.offset_s, audio.confidence, f"{a_text}; {m_text} {verdict}")
        if has_motion:
            return SyncDecision("audio", audio.offset_s, audio.confidence, f"{a_text}; {m_text} agrees")
        return SyncDecision("audio", audio.offset_s, audio.confidence, a_text)

    if audio is None:
        a_text = "no audio in one clip"
    elif audio.confidence > 0:
        a_text = (f"audio {audio.offset_s:+.2f} s is weak ({audio.windows_agreeing} of {audio.windows_total} "
                  f"windows, confidence {audio.confidence:.2f})")
    else:
        a_text = f"audio found no shared music ({audio.note or 'no window matched'})"

    if motion_ok and audio is not None and audio.confidence > 0 \
            and abs(motion_offset_s - audio.offset_s) <= agree_s:
        conf = max(audio.confidence, motion_confidence)
        return SyncDecision("audio", audio.offset_s, conf, f"{a_text} but {m_text} confirms it")
    if motion_ok:
        return SyncDecision("motion", float(motion_offset_s), float(motion_confidence), f"{a_text}; using {m_text}")
    why = f"{m_text} is unsure too" if has_motion else "no motion lag"
    return SyncDecision("none", 0.0, 0.0, f"{a_text}; {why}: aligning by DTW alone")
