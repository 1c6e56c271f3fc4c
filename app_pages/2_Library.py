"""Library page: every clip and comparison remembered; labels, past reports, progress, delete.

A thin page over `engine.library` (the database: ``DANCE_DB_URL``, default ``<cache>/library.db``)
and `ui.library_view`. Nothing here recomputes an analysis: past reports are drawn from their
stored JSON. Everything shown is what the library gives this page's user (`ui.auth`): signed in,
a student's own clips and attempts plus the routines shared with them; a teacher's clips, shares
and their students' attempts. ``?report=ID`` in the address opens a report (one the user may see).
"""

from __future__ import annotations

import streamlit as st

from engine.core.errors import EngineError, LibraryError
from engine.io import store
from engine.library import EVERYONE, ClipFilter, Library, describe_url
from ui.auth import current_user
from ui.find_view import show_find_panel
from ui.job_view import run_page
from ui.library_view import (
    ALL,
    FILES_HELP,
    LABEL_NAMES,
    clip_label,
    clips_frame,
    comparisons_frame,
    delete_consequences,
    run_delete,
    save_label_edits,
    show_progress,
    show_stored_report,
    user_library,
)
from ui.locations import EXTRACT_SETTINGS, folders
from ui.style_view import show_style_panel

DIRS = folders()
SORTS = {"Newest first": True, "Oldest first": False}


def init_state() -> None:
    ss = st.session_state
    ss.setdefault("lib_notice", None)        # (kind, message) of the last action
    ss.setdefault("lib_open", None)          # id of the comparison whose report is shown
    ss.setdefault("lib_confirm", None)       # sha256 of the clip waiting for delete confirmation
    ss.setdefault("lib_shown_shas", [])      # the clips table's rows, for its label edits
    ss.setdefault("lib_sort", "Newest first")
    for label in LABEL_NAMES:
        ss.setdefault(f"lib_f_{label}", ALL)


def show_clips(lib: Library, values: dict[str, list[str]]) -> list:
    """The clips table with its search, filters and sort; returns the clips shown."""
    ss = st.session_state
    cols = st.columns([3, 2, 2, 2, 2])
    cols[0].text_input("Search", key="lib_search", placeholder="file name, label or tag")
    for col, (label, title) in zip(cols[1:4], LABEL_NAMES.items()):
        if ss[f"lib_f_{label}"] not in [ALL, *values[label]]:
            ss[f"lib_f_{label}"] = ALL
        col.selectbox(title, [ALL, *values[label]], key=f"lib_f_{label}")
    cols[4].selectbox("Sort by date added", list(SORTS), key="lib_sort")
    filt = ClipFilter(text=ss.get("lib_search") or None, newest_first=SORTS[ss["lib_sort"]],
                      **{k: (None if ss[f"lib_f_{k}"] == ALL else ss[f"lib_f_{k}"]) for k in LABEL_NAMES})
    rows = lib.list_clips(filt)
    ss["lib_shown_shas"] = [r.sha256 for r in rows]
    st.caption(f"{len(rows)} clip(s). Edit the routine, dancer, style and tags in place (double-click a cell); "
               "they are saved at once.")
    st.data_editor(
        clips_frame(rows), key="lib_clips_editor", hide_index=True, width="stretch", height=min(420, 38 + 35 * len(rows)),
        disabled=["File", "Added", "Duration (s)", "Frames", "Dancer seen (%)", "Files", "Comparisons", "sha256"],
        column_config={
            "Added": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "Duration (s)": st.column_config.NumberColumn(format="%.1f"),
            "Files": st.column_config.TextColumn(help=FILES_HELP),
            "sha256": st.column_config.TextColumn(width="small"),
        },
        on_change=save_label_edits, args=(lib, "lib_clips_editor", "lib_shown_shas"))
    missing = [r for r in rows if r.files_status() == "video only"]
    c1, c2 = st.columns(2)
    if lib.user.is_admin and c1.button("Rescan the cache folder", key="lib_rescan",
                 help="Adds clips whose pose files are in the cache folder but not in the library (after the "
                      "database was deleted by hand)."):
        n = lib.import_cache(store.list_entries(DIRS.cache) if DIRS.cache.is_dir() else [])
        ss["lib_notice"] = ("success", f"{n} clip(s) added from the cache folder.")
        st.rerun()
    if missing and lib.user.is_admin and c2.button(f"Re-extract missing poses ({len(missing)})", key="lib_reextract",
                             help="Clips whose pose cache file was deleted but whose video is still stored."):
        reextract(lib, missing)
    return rows


def reextract(lib: Library, rows) -> None:
    from engine.library import ClipInfo

    bar = st.progress(0.0, text="Re-extracting…")
    for i, r in enumerate(rows):
        try:
            perf = store.load_or_extract(r.video_path, cache_dir=DIRS.cache, settings=EXTRACT_SETTINGS,
                                         display_name=r.file_name, masks=False)
            lib.record_clip(ClipInfo.from_performance(perf, cache_dir=DIRS.cache, video=r.video_path,
                                                      owned=r.video_owned))
        except EngineError as exc:
            st.error(f"{r.file_name}: {exc}", icon=":material/error:")
        bar.progress((i + 1) / len(rows), text=f"{r.file_name} done")
    bar.empty()


def show_progress_section(lib: Library, values: dict[str, list[str]]) -> None:
    ss = st.session_state
    # Besides the labels of the clips this user sees, those of the attempts they see (a teacher's
    # students' clips are not theirs, but their attempts at a shared routine are).
    attempts = lib.list_comparisons(scores=False)
    values = {k: sorted({*values[k], *(getattr(r, k) for r in attempts if getattr(r, k))})
              for k in ("routine", "dancer")}
    if not values["routine"] or not values["dancer"]:
        st.info("Give the student clips a routine and a dancer in the table above to follow a dancer's progress.",
                icon=":material/info:")
        return
    c1, c2 = st.columns(2)
    routine = c1.selectbox("Routine", values["routine"], key="lib_p_routine")
    dancer = c2.selectbox("Dancer", values["dancer"], key="lib_p_dancer")
    opened = show_progress(lib.history(routine, dancer), routine, dancer, key="lib_progress")
    if opened is not None:
        ss["lib_open"] = opened


def show_comparisons(lib: Library) -> None:
    ss = st.session_state
    rows = lib.list_comparisons(scores=False)   # the table shows the overall score only
    if not rows:
        st.caption("No comparisons yet: every comparison made on the Compare page, the Live practice page or the "
                   "command line is recorded here.")
        return
    frame = comparisons_frame(rows)
    st.caption(f"{len(rows)} comparison(s), newest first. Select a row to open its report.")
    event = st.dataframe(frame, key="lib_comparisons", hide_index=True, width="stretch", height=320,
                         on_select="rerun", selection_mode="single-row",
                         column_config={"Date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                        "id": st.column_config.NumberColumn(width="small")})
    picked = event.selection.rows if event is not None else []
    if picked:
        ss["lib_open"] = int(frame["id"].iloc[picked[0]])
        st.query_params["report"] = str(ss["lib_open"])    # the address opens this report again


def open_from_address() -> None:
    """``?report=ID`` opens that report (when the library lets this user see it)."""
    ss = st.session_state
    asked = st.query_params.get("report")
    if asked is not None and asked != ss.get("lib_address_seen"):
        ss["lib_address_seen"] = asked
        ss["lib_open"] = asked


def show_shares(lib: Library, values: dict[str, list[str]]) -> None:
    """A teacher shares routines (their clips with that routine label); a student sees what reaches them."""
    shares = lib.list_shares()
    if not (lib.user.is_teacher or lib.user.is_admin):
        mine = [s for s in shares if s.owner != lib.user.id]
        if mine:
            st.caption("Shared with you: " + " · ".join(f"**{s.routine}** by {s.owner}" for s in mine))
        return
    st.subheader("Share a routine")
    if not values["routine"]:
        st.caption("Give your teacher clips a routine label in the table above; then share the routine here.")
    else:
        c1, c2, c3 = st.columns([2, 2, 3])
        routine = c1.selectbox("Routine", values["routine"], key="lib_share_routine")
        whom = c2.radio("With", ["Everyone", "Named students"], key="lib_share_whom", horizontal=True)
        names = c3.text_input("Students' e-mail addresses (comma-separated)", key="lib_share_names",
                              disabled=whom == "Everyone")
        if st.button("Share", key="lib_share_go"):
            audience = EVERYONE if whom == "Everyone" else [n.strip().lower() for n in names.split(",")]
            try:
                lib.share_routine(routine, audience)
                st.session_state["lib_notice"] = ("success", f"{routine} is shared.")
            except LibraryError as exc:
                st.session_state["lib_notice"] = ("error", str(exc))
            st.rerun()
    own = [s for s in shares if s.owner == lib.user.id or lib.user.is_admin]
    if own:
        st.caption("Shared: " + " · ".join(
            f"**{s.routine}** with {'everyone' if s.audience == EVERYONE else s.audience}" for s in own))
        c1, c2 = st.columns([3, 1])
        by_id = {s.id: s for s in own}
        pick = c1.selectbox("Withdraw a share", list(by_id), key="lib_unshare_pick",
                            format_func=lambda i: f"{by_id[i].routine} with "
                            f"{'everyone' if by_id[i].audience == EVERYONE else by_id[i].audience}")
        if c2.button("Withdraw", key="lib_unshare_go"):
            lib.unshare(pick)
            st.rerun()


def show_open_report(lib: Library) -> None:
    ss = st.session_state
    if ss["lib_open"] is None:
        return
    try:
        report = lib.get_report(ss["lib_open"])
    except LibraryError as exc:
        st.warning(str(exc), icon=":material/warning:")
        ss["lib_open"] = None
        return
    st.divider()
    st.subheader(f"Report of comparison #{ss['lib_open']}: {report['student']['file']} (student) vs "
                 f"{report['teacher']['file']} (teacher)")
    show_stored_report(report, key="lib_report")


def show_delete(lib: Library, rows: list) -> None:
    """Delete one of the clips listed in the table (after a confirmation)."""
    ss = st.session_state
    if not rows:
        st.caption("No clip listed: clear the search and filters above to choose among all clips.")
        return
    by_sha = {r.sha256: r for r in rows}
    c1, c2 = st.columns([3, 1])
    sha = c1.selectbox("Clip", list(by_sha), format_func=lambda s: clip_label(by_sha[s]), key="lib_del_clip")
    if c2.button("Delete…", key="lib_del_ask"):
        ss["lib_confirm"] = sha
    target = by_sha.get(ss["lib_confirm"])
    if target is None:
        return
    st.warning(delete_consequences(target), icon=":material/delete:")
    y, n = st.columns(2)
    if y.button("Yes, delete it for good", key="lib_del_yes", type="primary"):
        ss["lib_notice"] = run_delete(lib, target.sha256)
        ss["lib_confirm"] = None
        if ss["lib_open"] is not None:
            ss["lib_open"] = None
        st.rerun()
    if n.button("Cancel", key="lib_del_no"):
        ss["lib_confirm"] = None
        st.rerun()


def main() -> None:
    init_state()
    open_from_address()
    st.title("Library")
    try:
        lib = user_library(DIRS.cache)
    except LibraryError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if current_user().is_admin:
        st.markdown("Every clip analysed and every comparison made here, on the Live practice page or on the command "
                    "line, with the dancer's progress over attempts.")
        st.caption(f"Database: {describe_url(lib.url)}")
    else:
        st.markdown("Your clips and attempts, the routines shared with you, and your progress over attempts.")
    notice = st.session_state["lib_notice"]
    if notice is not None:
        (st.success if notice[0] == "success" else st.error)(notice[1])
        st.session_state["lib_notice"] = None
    values = lib.label_values()
    st.subheader("Clips")
    rows = show_clips(lib, values)
    show_shares(lib, values)
    # Both panels search only the clips this user may see (the user's library).
    st.subheader("Which routine is this?")
    studio_clips = lib.list_clips()
    show_find_panel(studio_clips)
    st.subheader("Style neighbours")
    show_style_panel(studio_clips)
    st.subheader("Progress")
    show_progress_section(lib, values)
    st.subheader("Past comparisons")
    show_comparisons(lib)
    show_open_report(lib)
    st.divider()
    st.subheader("Delete a clip")
    show_delete(lib, rows)


run_page(main, title="Library", name="Library")
