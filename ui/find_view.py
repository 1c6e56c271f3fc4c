"""The Library page's "Which routine is this?" panel: where a clip of the library is danced in the others.

A thin view over `engine.search` (subsequence DTW on the clips' pose cache files); nothing is
extracted here, so a clip whose poses are gone is named, not searched.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.core.errors import EngineError
from engine.io import store
from engine.library import ClipRow
from engine.search import NO_MATCH_COST, FindResult, find_routine, load_routines

MATCH_COLUMNS = ("Clip", "Routine", "From (s)", "To (s)", "Mirrored", "Cost")


@st.cache_data(show_spinner=False, max_entries=4)
def _routines(clips: tuple[ClipRow, ...]):
    """The searchable routines of these clips (cached per set of clips and their cache files)."""
    return load_routines(list(clips))


def matches_frame(result: FindResult) -> pd.DataFrame:
    """One row per match, best first (the Library page's table)."""
    return pd.DataFrame([{"Clip": m.clip, "Routine": m.routine or "", "From (s)": round(m.teacher_s[0], 1),
                          "To (s)": round(m.teacher_s[1], 1), "Mirrored": "yes" if m.mirror else "no",
                          "Cost": round(m.cost, 3)} for m in result.matches], columns=list(MATCH_COLUMNS))


def find_in_library(query: ClipRow, clips: list[ClipRow]) -> FindResult:
    """Where `query` (a library clip with poses) is danced in the other clips."""
    routines, _ = _routines(tuple(c for c in clips if c.has_poses))
    perf = store.load(query.cache_file, sha256=query.sha256, masks=False)
    return find_routine(perf.world, perf.t, routines, top=5, exclude_sha256=query.sha256)


def show_find_panel(clips: list[ClipRow], *, key: str = "lib_find") -> None:
    """Pick a clip; show which other clips (routines) it dances and where, or that none matched."""
    with_poses = [c for c in clips if c.has_poses]
    if len(with_poses) < 2:
        st.caption("Needs at least two clips with their poses on disk: add routines with `python -m engine batch "
                   "FOLDER` or the Compare page.")
        return
    by_sha = {c.sha256: c for c in with_poses}
    c1, c2 = st.columns([3, 1])
    sha = c1.selectbox("Clip to place", list(by_sha), key=f"{key}_clip",
                       format_func=lambda s: f"{by_sha[s].file_name} ({s[:8]})")
    if c2.button("Find where it is danced", key=f"{key}_go"):
        try:
            st.session_state[f"{key}_result"] = (sha, find_in_library(by_sha[sha], with_poses))
        except EngineError as exc:
            st.session_state[f"{key}_result"] = None
            st.error(str(exc), icon=":material/error:")
    shown = st.session_state.get(f"{key}_result")
    if not shown or shown[0] != sha:
        st.caption("Searches every other clip of the library, as danced and mirrored, for the stretch that moves "
                   "like this one (times are the found clip's own).")
        return
    result = shown[1]
    if result.no_match:
        near = result.nearest[0] if result.nearest else None
        st.info(f"No match in {result.searched} clip(s): this clip dances none of them"
                + (f" (closest: {near.clip} at {near.teacher_s[0]:.1f}-{near.teacher_s[1]:.1f} s, cost "
                   f"{near.cost:.2f}, above the no-match cost {NO_MATCH_COST:.2f})." if near else "."),
                icon=":material/search_off:")
        return
    st.caption(f"Searched {result.searched} clip(s). Cost: mean pose distance per step in torso lengths "
               f"(0 = the same movement; above {NO_MATCH_COST:.2f} counts as no match).")
    st.dataframe(matches_frame(result), key=f"{key}_table", hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.1f") for c in ("From (s)", "To (s)")})
