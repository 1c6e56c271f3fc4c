"""The settings sidebar every page shows: score weights, joint tolerances, alignment options.

Both pages render the same widgets under the same keys, so the Compare page and the Live
practice page score with the same weights and tolerances. Streamlit forgets the value of a
widget that a run does not render, and a widget's identity includes its page, so on a page
switch the values would fall back to the defaults; `init_settings_state` hands each value over
as plain session state at the top of every run (Streamlit's documented work-around), which keeps
it across pages.

All-zero score weights give no overall score (`ScoreSettings` refuses them): the sidebar then
warns under the weight sliders and the pages keep scoring with the last weights that had one.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from engine.core.body import DEFAULT_TOLERANCE_DEG
from engine.core.errors import SettingsError
from engine.core.settings import COMPONENTS, MIRROR_CHOICES, SYNC_CHOICES, AlignSettings, ScoreSettings

DEFAULT_SCORE = ScoreSettings()
DEFAULT_ALIGN = AlignSettings()
COMPONENT_MEANING = {
    "pose": "each limb moving with the teacher's (its direction in the body's own frame)",
    "timing": "on the beat: how early or late against the music",
    "trajectory": "travel across the floor, direction and amount",
    "silhouette": "body shape and extension (outline overlap)",
    "dynamics": "energy and accents: moving hard where the teacher does",
}
MIRROR_HELP = ("Did the student dance mirrored (e.g. facing a mirror and copying the teacher's right with "
               "their left)? 'auto' decides from the poses.")
#: Session key of the component weights last used for scoring (never all zero).
WEIGHTS_IN_USE = "score_weights_in_use"
ZERO_WEIGHTS_WARNING = ("All score weights are zero, so there is no overall score. Raise at least one; until then "
                        "the report keeps the last weights that gave one.")
SYNC_HELP = ("How the clips are lined up before alignment: by the music (audio), by the movement (motion), "
             "either (auto), or not at all (none: timing is not scored).")


def widget_defaults() -> dict:
    """Session-state key -> default value of every settings widget."""
    d: dict = {f"w_{c}": int(DEFAULT_SCORE.weights[c]) for c in COMPONENTS}
    d.update({f"tol_{g}": int(v) for g, v in DEFAULT_SCORE.tolerance_deg.items()})
    d.update({"band": float(DEFAULT_ALIGN.band), "mirror": DEFAULT_ALIGN.mirror, "sync": DEFAULT_ALIGN.sync})
    return d


def init_settings_state() -> None:
    """Defaults on the first run; afterwards, carry each widget's value over to this run's page."""
    ss = st.session_state
    for key, value in widget_defaults().items():
        if key in ss:
            ss[key] = ss[key]  # a widget value becomes plain state: kept even if the last page had no such widget
        else:
            ss[key] = value


def reset_settings() -> None:
    for key, value in widget_defaults().items():
        st.session_state[key] = value


def settings_from_state(weights: dict[str, float] | None = None) -> tuple[AlignSettings, ScoreSettings]:
    """The settings the widgets hold now; `weights` replaces the weight sliders' values when given.

    Raises
    ------
    SettingsError
        Every component weight is zero.
    """
    ss = st.session_state
    align = AlignSettings(band=float(ss["band"]), mirror=ss["mirror"], sync=ss["sync"])
    if weights is None:
        weights = {c: float(ss[f"w_{c}"]) for c in COMPONENTS}
    return align, replace(DEFAULT_SCORE, weights=weights,
                          tolerance_deg={g: float(ss[f"tol_{g}"]) for g in DEFAULT_TOLERANCE_DEG})


def _settings_in_use(weights_note) -> tuple[AlignSettings, ScoreSettings]:
    """The widgets' settings; with all weights at zero, a warning and the last weights that had a score."""
    ss = st.session_state
    try:
        align, score = settings_from_state()
    except SettingsError:
        weights_note.warning(ZERO_WEIGHTS_WARNING, icon=":material/warning:")
        return settings_from_state(ss.get(WEIGHTS_IN_USE, dict(DEFAULT_SCORE.weights)))
    ss[WEIGHTS_IN_USE] = dict(score.weights)
    return align, score


def sidebar() -> tuple[AlignSettings, ScoreSettings]:
    """Draw the settings sidebar; returns the alignment and score settings it holds."""
    with st.sidebar:
        st.header("Settings")
        st.subheader("Score weights")
        st.caption("How much each part counts in the overall score (relative). Only rescores: instant.")
        for c in COMPONENTS:
            st.slider(c.capitalize(), 0, 100, step=5, key=f"w_{c}", help=COMPONENT_MEANING[c])
        weights_note = st.container()
        st.subheader("Tolerances (degrees)")
        st.caption("How far a limb may stray beyond the dancer's own usual difference from the teacher "
                   "before it counts against that joint and is named as a moment. Only rescores.")
        for g in DEFAULT_TOLERANCE_DEG:
            st.slider(g.capitalize(), 0, 60, step=1, key=f"tol_{g}", format="%d°")
        st.subheader("Alignment")
        st.caption("Changing these re-aligns the clips (a few seconds); poses stay cached.")
        st.slider("DTW band", 0.05, 1.0, step=0.05, key="band",
                  help="How far the alignment may stray from a constant tempo, as a fraction of the clip length.")
        st.selectbox("Mirror", MIRROR_CHOICES, key="mirror", help=MIRROR_HELP)
        st.selectbox("Sync", SYNC_CHOICES, key="sync", help=SYNC_HELP)
        st.button("Reset to defaults", key="reset", on_click=reset_settings)
    return _settings_in_use(weights_note)
