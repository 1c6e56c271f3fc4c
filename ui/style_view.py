"""The Library page's "Style neighbours" panel: the labelled clips a clip moves most like, and a style guess.

A thin view over `engine.search.classify`; it says how many labelled clips the guess rests on,
and what is missing when there are too few styles to guess.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.analysis.style_features import window_features
from engine.core.errors import EngineError
from engine.io import store
from engine.library import ClipRow
from engine.search.classify import StyleGuess, classify, load_clip_windows

NEIGHBOUR_COLUMNS = ("Clip", "Style", "Dancer", "Distance")


@st.cache_data(show_spinner=False, max_entries=4)
def _clip_windows(clips: tuple[ClipRow, ...]):
    return load_clip_windows(list(clips))


def neighbours_frame(guess: StyleGuess, top: int = 5) -> pd.DataFrame:
    return pd.DataFrame([{"Clip": n.clip, "Style": n.style or "", "Dancer": n.dancer or "",
                          "Distance": round(n.distance, 2)} for n in guess.neighbours[:top]],
                        columns=list(NEIGHBOUR_COLUMNS))


def guess_style(query: ClipRow, clips: list[ClipRow]) -> StyleGuess:
    windows = _clip_windows(tuple(c for c in clips if c.has_poses))
    perf = store.load(query.cache_file, sha256=query.sha256, masks=False)
    return classify(window_features(perf.world, perf.fps), windows, exclude_sha256=query.sha256)


def show_style_panel(clips: list[ClipRow], *, key: str = "lib_style") -> None:
    """Pick a clip; show its nearest labelled clips and a style guess (or what is missing for one)."""
    by_sha = {c.sha256: c for c in clips if c.has_poses}
    if not by_sha:
        st.caption("No clip has its poses on disk yet.")
        return
    c1, c2 = st.columns([3, 1])
    sha = c1.selectbox("Clip", list(by_sha), key=f"{key}_clip", format_func=lambda s: f"{by_sha[s].file_name} ({s[:8]})")
    if c2.button("Find its style neighbours", key=f"{key}_go"):
        try:
            st.session_state[f"{key}_result"] = (sha, guess_style(by_sha[sha], list(by_sha.values())))
        except EngineError as exc:
            st.session_state[f"{key}_result"] = None
            st.error(str(exc), icon=":material/error:")
    shown = st.session_state.get(f"{key}_result")
    if not shown or shown[0] != sha:
        st.caption("Compares how the clip moves (posture, joint speeds, rhythm, how far the limbs reach) with the "
                   "clips that have a style label.")
        return
    guess = shown[1]
    rests_on = ", ".join(f"{s} {n}" for s, n in guess.styles.items()) or "none"
    if guess.style is None:
        st.info(f"No style guess: {guess.missing}", icon=":material/info:")
    else:
        st.markdown(f"**Style guess: {guess.style}** ({100 * guess.confidence:.0f} % of the nearest clips' vote)")
        st.caption(f"Rests on {guess.labelled_clips} labelled clip(s) ({rests_on}): a nearest-neighbour guess on a "
                   "handful of clips, not a trained classifier.")
    if guess.neighbours:
        st.dataframe(neighbours_frame(guess), key=f"{key}_table", hide_index=True, width="stretch")
