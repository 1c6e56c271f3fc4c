"""The Library page's pieces: the shared library connection, the clips table and its label edits,
a stored report drawn again, progress over attempts, and deleting a clip.

A stored report is drawn from its JSON alone (no videos, no new analysis): the score metrics,
coaching text, score-over-time chart and joint bars are the Compare page's own
(`ui.report_view.show_scores`, `engine.present.charts`); what a report JSON does not keep (the
side-by-side video, the warp-path matrix, the per-joint heatmap, "Ask the coach") is named, not
faked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from engine.core.errors import EngineError, LibraryError
from engine.library import LABELS, ClipRow, ComparisonRow, Library, default_url
from engine.present.charts import joint_bars_figure, timeline_figure
from engine.present.history import joints_in_words, progress_figure, progress_summary, scorecard_from_report
from ui.report_view import show_scores

#: Columns of the clips table; the label columns are editable in place.
CLIP_COLUMNS = ("File", "Routine", "Dancer", "Style", "Tags", "Added", "Duration (s)", "Frames", "Dancer seen (%)",
                "Files", "Comparisons", "sha256")
EDITABLE = {"Routine": "routine", "Dancer": "dancer", "Style": "style", "Tags": "tags"}
COMPARISON_COLUMNS = ("Date", "Student", "Teacher", "Routine", "Dancer", "Overall", "Source", "id")
ALL = "(all)"
FILES_HELP = ("video + poses: everything is here · poses only: the video is no longer stored (its skeleton still "
              "works) · video only: the pose cache file was deleted; it is extracted again when used (or with "
              "'Re-extract missing poses') · missing: neither is left")
STORED_REPORT_NOTE = ("Drawn from the stored report, without recomputing: the scores, coaching, score over time and "
                      "joint bars are as recorded. Not kept in a report, so not shown here: the side-by-side video, "
                      "the warp-path matrix, the per-joint heatmap and the lateness curve; the tolerances beside the "
                      "joint bars are today's defaults. Compare the clips again on the Compare page for all of it.")


@st.cache_resource(show_spinner=False)
def _library_at(url: str) -> Library:
    """One Library (thread-safe engine and pool) per database URL, shared by every session."""
    return Library(url)


def get_library(cache_dir: Path) -> Library:
    """The library of this app (``DANCE_DB_URL`` or ``<cache>/library.db``). Raises LibraryError."""
    return _library_at(default_url(cache_dir))


# --- clips ------------------------------------------------------------------------------------

def clips_frame(rows: list[ClipRow]) -> pd.DataFrame:
    """The clips table: one row per clip, in `rows`' order (pure; no Streamlit)."""
    data = {
        "File": [r.file_name for r in rows],
        "Routine": [r.routine or "" for r in rows],
        "Dancer": [r.dancer or "" for r in rows],
        "Style": [r.style or "" for r in rows],
        "Tags": [r.tags for r in rows],
        "Added": [r.added_at.astimezone().replace(tzinfo=None) for r in rows],
        "Duration (s)": [r.duration_s for r in rows],
        "Frames": [r.frames for r in rows],
        "Dancer seen (%)": [None if r.detected_ratio is None else round(100 * r.detected_ratio) for r in rows],
        "Files": [r.files_status() for r in rows],
        "Comparisons": [r.comparisons for r in rows],
        "sha256": [r.sha256 for r in rows],
    }
    return pd.DataFrame(data, columns=list(CLIP_COLUMNS))


def label_edits(edited_rows: dict, shas: list[str]) -> dict[str, dict[str, str]]:
    """st.data_editor's ``edited_rows`` ({row position: {column: value}}) as sha256 -> {label: value};
    edits of columns that are not labels are ignored."""
    out: dict[str, dict[str, str]] = {}
    for pos, changes in edited_rows.items():
        labels = {EDITABLE[col]: ("" if v is None else str(v)) for col, v in changes.items() if col in EDITABLE}
        if labels and 0 <= int(pos) < len(shas):
            out[shas[int(pos)]] = labels
    return out


def save_label_edits(lib: Library, editor_key: str, shas_key: str) -> None:
    """on_change of the clips table: write the edited labels (the table redraws from the database)."""
    state = st.session_state.get(editor_key) or {}
    try:
        for sha, labels in label_edits(state.get("edited_rows", {}), st.session_state.get(shas_key, [])).items():
            lib.set_labels(sha, **labels)
    except LibraryError as exc:
        st.session_state["lib_notice"] = ("error", str(exc))
    else:
        st.session_state["lib_notice"] = ("success", "Labels saved.")


def clip_label(r: ClipRow) -> str:
    labels = " · ".join(v for v in (r.routine, r.dancer) if v)
    return f"{r.file_name} ({r.sha256[:8]}){' · ' + labels if labels else ''}"


# --- comparisons ------------------------------------------------------------------------------

def comparisons_frame(rows: list[ComparisonRow]) -> pd.DataFrame:
    """The past comparisons table, newest first (pure)."""
    data = {
        "Date": [r.created_at.astimezone().replace(tzinfo=None) for r in rows],
        "Student": [r.student_file for r in rows],
        "Teacher": [r.teacher_file for r in rows],
        "Routine": [r.routine or "" for r in rows],
        "Dancer": [r.dancer or "" for r in rows],
        "Overall": [round(r.overall, 1) for r in rows],
        "Source": [r.source for r in rows],
        "id": [r.id for r in rows],
    }
    return pd.DataFrame(data, columns=list(COMPARISON_COLUMNS))


def show_stored_report(report: dict, *, key: str) -> None:
    """A recorded comparison's report, from its JSON alone (see the module docstring)."""
    card = scorecard_from_report(report)
    t, s = report["teacher"], report["student"]
    st.caption(f"Teacher **{t['file']}** ({t['duration_s']:.1f} s) · student **{s['file']}** ({s['duration_s']:.1f} s)"
               f" · sync {report['sync']['method']}, offset {report['sync']['offset_s']:+.2f} s"
               f" · {'mirrored' if report.get('mirror') else 'not mirrored'}")
    st.info(STORED_REPORT_NOTE, icon=":material/history:")
    show_scores(card)
    st.subheader("Coaching")
    fb = report.get("feedback") or {}
    label = "From the coach (LLM):" if fb.get("source") == "llm" else "Feedback (rule-based):"
    st.markdown(f"**{label}** {fb.get('text', '')}")
    if card.teacher_s.size:
        st.subheader("Score over time")
        st.plotly_chart(timeline_figure(card), key=f"{key}_timeline", theme=None)
    if card.joints:
        st.subheader("Joints")
        st.plotly_chart(joint_bars_figure(card), key=f"{key}_joints", theme=None)
    st.download_button("Report (JSON)", data=json.dumps(report, indent=1), file_name="report.json",
                       mime="application/json", key=f"{key}_download")


# --- progress ---------------------------------------------------------------------------------

def show_progress(history: list[ComparisonRow], routine: str, dancer: str, *, key: str) -> int | None:
    """The chart and summary of a dancer's attempts; returns a comparison id to open, if asked."""
    if not history:
        st.info(f"No attempts of **{dancer}** at **{routine}** yet. Label the student's clips with this routine and "
                "dancer in the table above; every comparison of those clips is an attempt.", icon=":material/info:")
        return None
    st.plotly_chart(progress_figure(history, title=f"{dancer} · {routine}: {len(history)} attempts"),
                    key=f"{key}_chart", theme=None)
    p = progress_summary(history)
    best = p.best
    cols = st.columns(3)
    cols[0].metric("Best attempt", f"{best.overall:.0f} / 100", help=best.student_file)
    cols[0].caption(f"#{history.index(best) + 1} on {best.created_at.astimezone():%d %b %Y %H:%M}")
    cols[1].metric("First → last", f"{history[-1].overall:.0f}", delta=f"{p.overall_change:+.0f}")
    cols[2].metric("Attempts", str(p.attempts))
    st.markdown(f"**Improved most:** {joints_in_words(p.improved, signed=True) or 'no joint improved yet'}")
    st.markdown(f"**Still holding {dancer} back** (lowest in the last attempt): "
                f"{joints_in_words(p.holding_back, signed=False) or 'n/a'}")
    if st.button("Open the best attempt's report", key=f"{key}_open_best"):
        return best.id
    return None


# --- delete -----------------------------------------------------------------------------------

def delete_consequences(clip: ClipRow) -> str:
    """What deleting `clip` removes, in words (shown before asking for confirmation)."""
    parts = [f"its row and the **{clip.comparisons}** comparison(s) it is part of"]
    if clip.cache_file:
        parts.append("its pose cache file(s)")
    if clip.video_owned and clip.video_path:
        parts.append("its stored upload")
    elif clip.video_path:
        parts.append("but not its video file, which is yours (" + Path(clip.video_path).name + ")")
    return f"Deleting **{clip.file_name}** removes " + ", ".join(parts) + ". Nothing else is touched."


def run_delete(lib: Library, sha256: str) -> tuple[str, str]:
    """Delete a clip; (kind, message) for the page."""
    try:
        gone = lib.delete_clip(sha256)
    except EngineError as exc:
        return "error", str(exc)
    return "success", (f"Deleted {gone.file_name}: {gone.comparisons} comparison(s) and {len(gone.files)} file(s).")


LABEL_NAMES = dict(zip(LABELS, ("Routine", "Dancer", "Style")))
