""""Practise a section" on the Live practice page: the controls (start, end, speed, repetitions)
and the score of each repetition.

The section runs on the session's reference clock (engine.live.Section): the reference panel
beside the camera plays the section at the chosen speed and starts again at its start, and each
repetition's frames are scored on their own. The reference has no sound on this page (its
pictures come back through the camera stream), so no audio is slowed and no click track plays.
"""

from __future__ import annotations

import streamlit as st

from engine.live import LiveReference, LiveState, Section

#: Speeds offered for a section (reference seconds per second).
SECTION_SPEEDS = (0.5, 0.75, 1.0)
DEFAULT_LOOPS, MAX_LOOPS = 3, 10
#: Shortest section, seconds of reference time; the default section's length.
MIN_SECTION_S, DEFAULT_SECTION_S = 0.5, 4.0
SECTION_HELP = ("Loop a stretch of the reference: it plays from the start to the end you choose, at the speed you "
                "choose, as many times as you choose, and each repetition gets its own score. A section is not "
                "recorded for the full comparison.")


def init_section_state() -> None:
    """Session defaults of the section controls (set once; the others in `section_controls`)."""
    st.session_state.setdefault("live_section", False)


def section_controls(live: LiveReference, locked: bool) -> Section | None:
    """The toggle and, when on, start / end / speed / repetitions. The chosen Section, or None
    (whole reference; or a message says why the section cannot be used)."""
    ss = st.session_state
    if not st.toggle("Practise a section (loop it)", key="live_section", disabled=locked, help=SECTION_HELP):
        return None
    # Streamlit forgets a widget's value while it is not drawn (the toggle off): defaults again then.
    ss.setdefault("live_section_speed", 1.0)
    ss.setdefault("live_section_loops", DEFAULT_LOOPS)
    lo, hi = round(live.start_s, 2), round(live.duration_s, 2)
    # A new reference may not contain the last one's section: start again from its beginning.
    if not lo <= ss.get("live_section_start", -1.0) < hi:
        ss["live_section_start"] = lo
    if not lo < ss.get("live_section_end", -1.0) <= hi:
        ss["live_section_end"] = round(min(lo + DEFAULT_SECTION_S, hi), 2)
    c1, c2, c3, c4 = st.columns(4)
    start = c1.number_input("Section start, s", min_value=lo, max_value=hi, step=0.5, format="%.2f",
                            key="live_section_start", disabled=locked, help="Reference time, seconds.")
    end = c2.number_input("Section end, s", min_value=lo, max_value=hi, step=0.5, format="%.2f",
                          key="live_section_end", disabled=locked, help="Reference time, seconds.")
    speed = c3.radio("Speed", SECTION_SPEEDS, format_func=lambda v: f"{v:g}x", horizontal=True,
                     key="live_section_speed", disabled=locked)
    loops = c4.number_input("Repetitions", min_value=1, max_value=MAX_LOOPS, step=1, key="live_section_loops",
                            disabled=locked)
    if end - start < MIN_SECTION_S:
        st.warning(f"The section must end at least {MIN_SECTION_S:g} s after it starts: choose a later end or an "
                   "earlier start.", icon=":material/timer:")
        return None
    section = Section(float(start), float(end), speed=float(speed), loops=int(loops))
    st.caption(f"{section.loops} × {section.span_s:.1f} s of the reference at {section.speed:g}x: "
               f"{section.wall_s():.0f} s of dancing after the countdown.")
    return section


def repetition_lines(state: LiveState, loops: int) -> str:
    """Markdown: each repetition's score so far and how it changed from the one before, e.g.
    "Repetition 2 of 3: **85** (+3)". Empty before the first repetition."""
    lines = []
    prev = None
    for i, v in enumerate(state.repetition_scores):
        current = i == state.repetition and state.phase == "dancing"
        if v is None:
            text = "no score yet" if current else "not scored (nobody in view)"
        else:
            text = f"**{v:.0f}**" + ("" if prev is None else f" ({v - prev:+.0f})")
            prev = v
        lines.append(f"Repetition {i + 1} of {loops}: {text}" + (" · now" if current else ""))
    return "  \n".join(lines)
