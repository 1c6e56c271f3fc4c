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
import logging
from pathlib import Path

import pandas as pd
import streamlit as st

from engine.analysis.compare import Analysis
from engine.analysis.score import score
from engine.core.errors import EngineError, LibraryError
from engine.core.performance import Performance
from engine.core.settings import AlignSettings, ScoreSettings
from engine.io import store
from engine.library import (
    LABELS,
    LOCAL_ADMIN,
    ClipInfo,
    ClipRow,
    ComparisonRow,
    Library,
    default_url,
    settings_fingerprint,
)
from engine.present.charts import joint_bars_figure, timeline_figure
from engine.present.feedback import ComparisonFacts, rules_feedback
from engine.present.history import joints_in_words, progress_figure, progress_summary, scorecard_from_report
from engine.present.report import build_report
from ui.references import ATTEMPT_PREFIX, Reference
from ui.report_view import Clip, counts_caption, show_scores

logger = logging.getLogger("dance.app")

#: Columns of the clips table; the label columns are editable in place.
CLIP_COLUMNS = ("File", "Routine", "Dancer", "Style", "Tags", "Added", "Duration (s)", "Frames", "Dancer seen (%)",
                "Files", "Comparisons", "sha256")
EDITABLE = {"Routine": "routine", "Dancer": "dancer", "Style": "style", "Tags": "tags"}
COMPARISON_COLUMNS = ("Date", "Student", "Teacher", "Routine", "Dancer", "Overall", "Source", "By", "id")
ALL = "(all)"
FILES_HELP = ("video + poses: everything is here · poses only: the video is no longer stored (its skeleton still "
              "works) · video only: the pose cache file was deleted; it is extracted again when used (or with "
              "'Re-extract missing poses') · missing: neither is left")
STORED_REPORT_NOTE = ("Drawn from the stored report, without recomputing: the scores, coaching, score over time and "
                      "joint bars are as recorded. Not kept in a report, so not shown here: the side-by-side video, "
                      "the warp-path matrix, the per-joint heatmap and the lateness curve; the tolerances beside the "
                      "joint bars are today's defaults. Compare the clips again on the Compare page for all of it.")


@st.cache_resource(show_spinner=False)
def _library_at(url: str, cache_dir: str) -> Library:
    """One Library (thread-safe engine and pool) per database URL, shared by every session; on
    first use in a server process it learns the clips already in the pose cache folder (a cache
    older than the library, or a database deleted by hand)."""
    lib = Library(url, user=LOCAL_ADMIN)
    if Path(cache_dir).is_dir():
        lib.import_cache(store.list_entries(cache_dir))
    return lib


def get_library(cache_dir: Path) -> Library:
    """The library of this app (``DANCE_DB_URL`` or ``<cache>/library.db``) as the administrator
    sees it: for the server's own housekeeping only; pages use `user_library`. Raises LibraryError."""
    url = default_url(cache_dir)
    lib = _library_at(url, str(cache_dir))
    if lib.file_gone:   # library.db deleted by hand while the app runs: a new one, refilled from the cache
        lib.close()
        _library_at.clear()
        lib = _library_at(url, str(cache_dir))
    return lib


def user_library(cache_dir: Path) -> Library:
    """The library as this page's user sees it (`ui.auth.current_user`; everything in local mode)."""
    from ui.auth import current_user

    return get_library(cache_dir).as_user(current_user())


def upload_refusal(cache_dir: Path, size: int) -> str | None:
    """Why this page's user may not upload `size` more bytes (the ``[studio]`` limits), or None;
    no limits in local mode."""
    from ui.auth import signin_configured, studio_settings
    from ui.uploads import limit_message

    if not signin_configured():
        return None
    limits = studio_settings()
    return limit_message(size, user_library(cache_dir).storage_bytes(), max_upload_mb=limits.max_upload_mb,
                         max_storage_mb=limits.max_storage_mb)


# --- recording (the Compare and Live practice pages call these; never a reason to fail) ---------

def _owned(path: Path | None, cache_dir: Path) -> bool:
    """Whether the product stored this video itself (an upload or a live recording)."""
    if path is None:
        return False
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to((cache_dir / sub).resolve()) for sub in ("uploads", "live"))


def _not_recorded(exc: EngineError) -> None:
    logger.warning("not recorded in the library: %s", exc)
    st.caption(f":material/warning: Not recorded in the library: {exc}")


def record_clip(cache_dir: Path, perf: Performance, clip: Clip) -> None:
    """Remember an extracted clip (one row per video content; its labels are kept)."""
    try:
        user_library(cache_dir).record_clip(
            ClipInfo.from_performance(perf, cache_dir=cache_dir, video=clip.path, owned=_owned(clip.path, cache_dir)))
    except EngineError as exc:
        _not_recorded(exc)


def record_comparison(cache_dir: Path, a: Analysis, align: AlignSettings, score_settings: ScoreSettings,
                      clips: dict[str, Clip], *, source: str) -> None:
    """Remember a comparison: a new row with its report (rule-based feedback) under the settings of
    the moment it was made. Call once per analysis, not on every slider move."""
    try:
        card = score(a, score_settings)
        report = build_report(a, card, rules_feedback(card, ComparisonFacts.from_analysis(a)))
        infos = [ClipInfo.from_performance(perf, cache_dir=cache_dir, video=clips[role].path,
                                           owned=_owned(clips[role].path, cache_dir))
                 for role, perf in (("teacher", a.teacher), ("student", a.student))]
        user_library(cache_dir).record_comparison(report, source=source, clips_info=infos,
                                                 settings_fingerprint=settings_fingerprint(align, score_settings))
    except EngineError as exc:
        _not_recorded(exc)


def library_references(cache_dir: Path, *, fingerprint: str, videos: dict[str, Path],
                       exclude: set[str]) -> list[Reference]:
    """The Live practice page's references from the library: clips whose poses (of the current
    extractor) are cached, newest first, with their video when it is still stored. Falls back to
    scanning the cache folder when the library cannot be opened (and says so), in local mode only:
    signed in, a user sees only what the library lets them."""
    from ui.auth import current_user
    from ui.references import cached_references

    try:
        rows = user_library(cache_dir).list_clips()
    except LibraryError as exc:
        if not current_user().is_admin:
            raise
        st.caption(f":material/warning: The library cannot be read ({exc}); listing the cache folder instead.")
        entries = store.list_entries(cache_dir) if cache_dir.is_dir() else []
        return cached_references(entries, fingerprint=fingerprint, videos=videos, exclude=exclude)
    refs = []
    for r in rows:
        if r.extractor_fingerprint != fingerprint or r.sha256 in exclude or r.file_name.startswith(ATTEMPT_PREFIX):
            continue
        if not r.has_poses:
            continue
        video = videos.get(r.sha256) or (Path(r.video_path) if r.has_video else None)
        refs.append(Reference(key=r.sha256, name=r.file_name, sha256=r.sha256, video=video,
                              cache_file=Path(r.cache_file), duration_s=r.duration_s,
                              created=r.added_at.timestamp()))
    return refs


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
        "By": [r.owner or "" for r in rows],
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
        st.caption(counts_caption(card))
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
    """What deleting `clip` removes, in words (shown before asking for confirmation). When other
    signed-in users also hold the same video, only this user's hold and comparisons go."""
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
    if not gone.for_good:
        return "success", f"Removed {gone.file_name} from your library with {gone.comparisons} comparison(s)."
    return "success", (f"Deleted {gone.file_name}: {gone.comparisons} comparison(s) and {len(gone.files)} file(s).")


LABEL_NAMES = dict(zip(LABELS, ("Routine", "Dancer", "Style")))
