"""`python -m engine ...`: extract, compare, demo, library, batch, export-dataset, find, classify. Exit status 0 ok, 2 bad input, 1 internal error."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.core.errors import EngineError
from engine.core.settings import MIRROR_CHOICES, SYNC_CHOICES


def _stderr_progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None

    def report(fraction: float, message: str) -> None:
        print(f"\r{100 * fraction:5.1f}%  {message[:100]:<100}", end="" if fraction < 1 else "\n",
              file=sys.stderr, flush=True)
    return report


def cmd_extract(args: argparse.Namespace) -> int:
    from engine.core.settings import ExtractSettings
    from engine.io.store import cache_path, load_or_extract

    settings = ExtractSettings()
    perf = load_or_extract(args.video, cache_dir=args.cache_dir, settings=settings,
                           progress=_stderr_progress(args.quiet), masks=False)  # the summary needs no masks
    out = {
        "sha256": perf.source.sha256,
        "fps": perf.fps,
        "frames": perf.n_frames,
        "duration_s": round(perf.source.duration_s, 3),
        "detected_ratio": round(perf.detected_ratio, 4),
        "cache_file": str(cache_path(args.cache_dir, perf.source.sha256, perf.source.fingerprint)),
    }
    _record(args.cache_dir, lambda lib, info: lib.record_clip(info(perf, args.video)))
    print(json.dumps(out))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from engine.demo import make_demo

    outdir = Path(args.outdir)
    truth = make_demo(outdir)
    print(json.dumps({"teacher": str(outdir / "teacher.mp4"), "student": str(outdir / "student.mp4"),
                      "truth": str(outdir / "truth.json"), "offset_s": truth.to_json()["offset_s"]}))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from engine.analysis.compare import analyze
    from engine.analysis.score import score
    from engine.core.files import write_text_atomic
    from engine.core.settings import AlignSettings, ScoreSettings, load_settings
    from engine.present.feedback import ComparisonFacts, llm_config_from_env, llm_feedback, rules_feedback
    from engine.present.report import build_report, joint_table_csv, write_report

    align, score_settings = load_settings(args.config) if args.config else (AlignSettings(), ScoreSettings())
    overrides = {k: v for k, v in (("mirror", args.mirror), ("sync", args.sync)) if v is not None}
    align = replace(align, **overrides)
    analysis = analyze(args.teacher, args.student, settings=align, cache_dir=args.cache_dir,
                       progress=_stderr_progress(args.quiet))
    card = score(analysis, score_settings)
    facts = ComparisonFacts.from_analysis(analysis)
    feedback = rules_feedback(card, facts)
    if args.llm:
        config = llm_config_from_env()
        if config is None:
            print("note: --llm needs OPENAI_API_KEY (and optionally OPENAI_BASE_URL, OPENAI_MODEL); "
                  "using the rule-based feedback.", file=sys.stderr)
        else:
            feedback = llm_feedback(card, facts, config)
            if feedback.notice:
                print(f"note: {feedback.notice}", file=sys.stderr)
    report = build_report(analysis, card, feedback)
    if args.video:
        from engine.present.render import render_side_by_side
        render_side_by_side(analysis, card, args.teacher, args.student, args.video)
    if args.json:
        write_report(report, args.json)
    if args.csv:
        write_text_atomic(args.csv, joint_table_csv(card))
    _record(args.cache_dir, lambda lib, info: lib.record_comparison(
        report, source="cli", clips_info=[info(analysis.teacher, args.teacher), info(analysis.student, args.student)],
        settings_fingerprint=_settings_fingerprint(align, score_settings)))
    print(_summary(report))
    return 0


def _summary(report: dict) -> str:
    sc = report["scores"]
    comps = ", ".join(f"{k} {'n/a' if v is None else f'{v:.0f}'}" for k, v in sc["components"].items())
    s = report["sync"]
    lines = [f"overall {sc['overall']:.1f}/100  ({comps})",
             f"sync: {s['method']}, student {s['offset_s']:+.2f} s (confidence {s['confidence']:.2f}); "
             f"mirrored: {'yes' if report['mirror'] else 'no'}"]
    counts = report.get("counts") or {}
    lines.append(f"counts: the teacher's music at {counts['bpm']:.0f} BPM, 8-count 1 from {counts['downbeat_s']:.2f} s"
                 if counts.get("bpm") is not None else f"counts: none, times in seconds only ({counts.get('reason')})")
    for m in report["moments"][:5]:
        on = f" ({m['teacher_count']})" if m.get("teacher_count") else ""
        lines.append(f"  student {m['student_s'][0]:6.2f}-{m['student_s'][1]:6.2f} s{on}  [{m['kind']}] {m['detail']}")
    lines.append("")
    lines.append(report["feedback"]["text"])
    return "\n".join(lines)


# --- library (python -m engine library list|label|history|delete) --------------------------

def _record(cache_dir: str, write) -> None:
    """Remember an extraction or a comparison in the library: `write(library, info)` where
    info(perf, video) is the clip's ClipInfo. A library that cannot be written is a note on
    stderr, never a failed command."""
    from engine.library import ClipInfo, open_library

    def info(perf, video):
        return ClipInfo.from_performance(perf, cache_dir=cache_dir, video=video)
    try:
        with open_library(cache_dir) as lib:
            write(lib, info)
    except EngineError as exc:
        print(f"note: not recorded in the library: {exc}", file=sys.stderr)


def _settings_fingerprint(*settings) -> str:
    from engine.library import settings_fingerprint

    return settings_fingerprint(*settings)


def _open_library(args: argparse.Namespace):
    from engine.library import open_library

    return open_library(args.cache_dir)


def _library_list(args: argparse.Namespace) -> int:
    from engine.library import ClipFilter

    with _open_library(args) as lib:
        rows = lib.list_clips(ClipFilter(text=args.search, routine=args.routine, dancer=args.dancer, style=args.style))
    if args.json:
        print(json.dumps([r.to_json() for r in rows]))
        return 0
    for r in rows:
        labels = " · ".join(v for v in (r.routine, r.dancer, r.style, r.tags) if v) or "(no labels)"
        dur = "?" if r.duration_s is None else f"{r.duration_s:.1f} s"
        print(f"{r.sha256[:12]}  {r.added_at:%Y-%m-%d %H:%M}  {r.file_name}  {dur}  {labels}  "
              f"[{r.files_status()}, {r.comparisons} comparisons]")
    return 0


def _library_label(args: argparse.Namespace) -> int:
    given = {k: getattr(args, k) for k in ("routine", "dancer", "style", "tags") if getattr(args, k) is not None}
    if not given:
        raise EngineError("library label: give at least one of --routine, --dancer, --style, --tags")
    with _open_library(args) as lib:
        clip = lib.set_labels(args.sha, **given)
    print(json.dumps(clip.to_json()))
    return 0


def _library_history(args: argparse.Namespace) -> int:
    from engine.present.history import joints_in_words, progress_summary

    with _open_library(args) as lib:
        rows = lib.history(args.routine, args.dancer)
    if args.json:
        print(json.dumps([r.to_json() for r in rows]))
        return 0
    if not rows:
        print(f"no attempts of {args.dancer} at {args.routine} (label the student clips: library label SHA "
              "--routine R --dancer D)")
        return 0
    for i, r in enumerate(rows):
        comps = ", ".join(f"{k} {'n/a' if v is None else f'{v:.0f}'}" for k, v in r.components.items())
        print(f"#{i + 1}  {r.created_at:%Y-%m-%d %H:%M}  overall {r.overall:5.1f}  ({comps})  {r.student_file}")
    p = progress_summary(rows)
    print(f"best: #{rows.index(p.best) + 1} ({p.best.overall:.1f}); change first -> last: {p.overall_change:+.1f}")
    if p.improved:
        print(f"improved most: {joints_in_words(p.improved, signed=True)}")
    if p.holding_back:
        print(f"holding back: {joints_in_words(p.holding_back, signed=False)}")
    return 0


def _library_delete(args: argparse.Namespace) -> int:
    with _open_library(args) as lib:
        gone = lib.delete_clip(args.sha)
    print(json.dumps({"sha256": gone.sha256, "file": gone.file_name, "comparisons": gone.comparisons,
                      "files": list(gone.files)}))
    return 0


def _add_library_parser(sub, default_cache_dir: str) -> None:
    lib = sub.add_parser("library", help="the clips and comparisons remembered (DANCE_DB_URL, default "
                                         "<cache-dir>/library.db)")
    lib.add_argument("--cache-dir", default=default_cache_dir, help="where library.db lives (unless DANCE_DB_URL)")
    lsub = lib.add_subparsers(dest="library_command", required=True)
    ls = lsub.add_parser("list", help="the clips, newest first")
    ls.add_argument("--json", action="store_true", help="one JSON array instead of lines")
    ls.add_argument("--search", help="text in the file name, labels or tags")
    for label in ("routine", "dancer", "style"):
        ls.add_argument(f"--{label}", help=f"only clips with this {label}")
    ls.set_defaults(func=_library_list)
    lb = lsub.add_parser("label", help="set a clip's labels (an empty value clears one)")
    lb.add_argument("sha", help="the clip's sha256 (or a unique prefix of at least 6 hex digits)")
    for label in ("routine", "dancer", "style"):
        lb.add_argument(f"--{label}")
    lb.add_argument("--tags", help="free tags, comma-separated")
    lb.set_defaults(func=_library_label)
    hi = lsub.add_parser("history", help="a dancer's attempts at a routine, oldest first, with the progress")
    hi.add_argument("--routine", required=True)
    hi.add_argument("--dancer", required=True)
    hi.add_argument("--json", action="store_true", help="one JSON array instead of lines")
    hi.set_defaults(func=_library_history)
    de = lsub.add_parser("delete", help="delete a clip for good: its rows, pose cache files and stored upload")
    de.add_argument("sha", help="the clip's sha256 (or a unique prefix of at least 6 hex digits)")
    de.set_defaults(func=_library_delete)


# --- batch (python -m engine batch PATH... [--workers N] [--scheduler tcp://HOST:PORT]) -----------

def _batch_progress(total: int):
    """A rich progress bar on stderr (files done, frames per second, time left) and its callback."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                   TextColumn("{task.fields[fps]:>6.1f} frames/s"), TimeElapsedColumn(), TextColumn("left"),
                   TimeRemainingColumn(), console=Console(file=sys.stderr), transient=False)
    task = bar.add_task("batch", total=total, fps=0.0)
    frames = [0]

    def on_outcome(outcome, done: int, _total: int) -> None:
        if outcome.status == "extracted":
            frames[0] += outcome.frames
        elapsed = bar.tasks[0].elapsed or 0.0
        bar.update(task, completed=done, fps=frames[0] / elapsed if elapsed > 0 else 0.0)
    return bar, on_outcome


def cmd_batch(args: argparse.Namespace) -> int:
    from engine.batch import ENV_SCHEDULER, find_videos, record_outcomes, run_batch
    from engine.library import open_library

    scheduler = args.scheduler or os.environ.get(ENV_SCHEDULER) or None
    videos = find_videos(args.paths)
    if not videos:
        raise EngineError(f"no videos under {' '.join(args.paths)} (looked for .mp4, .mov, .m4v, .mkv, .avi, .webm)")
    if args.quiet:
        bar, on_outcome = None, None
    else:
        bar, on_outcome = _batch_progress(len(videos))
        bar.start()
    try:
        result = run_batch(videos, cache_dir=args.cache_dir, workers=args.workers, scheduler=scheduler,
                           on_outcome=on_outcome)
    finally:
        if bar is not None:
            bar.stop()
    labels = {k: getattr(args, k) for k in ("routine", "dancer", "style")}
    try:
        with open_library(args.cache_dir) as lib:
            record_outcomes(lib, result, labels=labels)
    except EngineError as exc:
        print(f"note: not recorded in the library: {exc}", file=sys.stderr)
    summary = result.to_json()
    print(json.dumps(summary))
    failed = result.failed
    print(f"{len(summary['extracted'])} extracted, {len(summary['cached'])} already cached, {len(failed)} failed"
          + (f" on {scheduler}" if scheduler else f" with {args.workers} local worker(s)"), file=sys.stderr)
    for o in failed:
        print(f"failed: {o.video}: {o.error}", file=sys.stderr)
    return 2 if failed else 0


def _add_batch_parser(sub, default_cache_dir: str) -> None:
    b = sub.add_parser("batch", help="extract every video under the paths (skips what the cache holds) and "
                                     "record each in the library; exit 2 when some failed")
    b.add_argument("paths", nargs="+", metavar="PATH", help="video files or folders (searched recursively)")
    b.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    b.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on this Dask scheduler's workers (default $DANCE_DASK_SCHEDULER); they must see the "
                        "same videos and cache folder")
    b.add_argument("--cache-dir", default=default_cache_dir)
    for label in ("routine", "dancer", "style"):
        b.add_argument(f"--{label}", help=f"label every clip with this {label}")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_batch)


# --- export-dataset (python -m engine export-dataset OUT.h5 [--routine R ...] [--split-by dancer]) ------

def cmd_export_dataset(args: argparse.Namespace) -> int:
    from engine.dataset.export import export_dataset
    from engine.library import ClipFilter, open_library

    with open_library(args.cache_dir) as lib:
        clips = lib.list_clips(ClipFilter(routine=args.routine, dancer=args.dancer, style=args.style,
                                          newest_first=False))
    if not clips:
        given = ", ".join(f"{k} {getattr(args, k)!r}" for k in ("routine", "dancer", "style") if getattr(args, k))
        raise EngineError(f"no clips in the library{' with ' + given if given else ''} (`library list` shows them; "
                          "`batch` adds a folder of videos)")
    result = export_dataset(args.out, clips, split_by=args.split_by, fractions=(args.val, args.test),
                            seed=args.seed, cache_dir=args.cache_dir, progress=_stderr_progress(args.quiet))
    for s in result.skipped:
        print(f"left out: {s['file']}: {s['reason']}", file=sys.stderr)
    print(json.dumps(result.to_json()))
    return 0


def _add_export_parser(sub, default_cache_dir: str) -> None:
    from engine.dataset import SPLIT_BY

    x = sub.add_parser("export-dataset", help="write the library's clips (poses, normalised poses, joint angles, "
                                              "labels, splits) to one HDF5 file for training")
    x.add_argument("out", metavar="OUT.h5")
    for label in ("routine", "dancer", "style"):
        x.add_argument(f"--{label}", help=f"only clips with this {label}")
    x.add_argument("--split-by", choices=SPLIT_BY, default="dancer",
                   help="no value of this label is in two splits (default dancer)")
    x.add_argument("--val", type=float, default=0.15, help="target share of frames in the val split (default 0.15)")
    x.add_argument("--test", type=float, default=0.15, help="target share of frames in the test split (default 0.15)")
    x.add_argument("--seed", type=int, default=0, help="the split assignment's seed")
    x.add_argument("--cache-dir", default=default_cache_dir)
    x.add_argument("--quiet", action="store_true", help="no progress on stderr")
    x.set_defaults(func=cmd_export_dataset)


# --- find (python -m engine find CLIP [--top K] [--json OUT]) ------------------------------------

def cmd_find(args: argparse.Namespace) -> int:
    from engine.core.files import write_text_atomic
    from engine.io.store import load_or_extract
    from engine.library import open_library
    from engine.search import find_routine, load_routines

    perf = load_or_extract(args.clip, cache_dir=args.cache_dir, masks=False, progress=_stderr_progress(args.quiet))
    with open_library(args.cache_dir) as lib:
        clips = lib.list_clips()
    routines, skipped = load_routines(clips, cache_dir=args.cache_dir)
    if not [r for r in routines if r.sha256 != perf.source.sha256]:
        raise EngineError("the library has no other clip with poses to search (`batch FOLDER` adds a folder of "
                          "routines)")
    result = find_routine(perf.world, perf.t, routines, top=args.top, exclude_sha256=perf.source.sha256)
    out = result.to_json() | {"skipped": skipped}
    if args.json:
        write_text_atomic(args.json, json.dumps(out, indent=1))
    if result.no_match:
        best = result.nearest[0] if result.nearest else None
        print(f"no match in {result.searched} clips" + (f" (nearest: {best.clip} at {best.teacher_s[0]:.1f}-"
                                                          f"{best.teacher_s[1]:.1f} s, cost {best.cost:.2f} > "
                                                          f"{out['no_match_cost']:.2f})" if best else ""))
    for k, m in enumerate(result.matches):
        label = f" [{m.routine}]" if m.routine else ""
        print(f"#{k + 1}  {m.clip}{label}  {m.teacher_s[0]:6.1f}-{m.teacher_s[1]:6.1f} s  "
              f"{'mirrored  ' if m.mirror else ''}cost {m.cost:.3f}")
    return 0


# --- classify (python -m engine classify CLIP | --evaluate) --------------------------------------

def cmd_classify(args: argparse.Namespace) -> int:
    from engine.analysis.style_features import window_features
    from engine.core.files import write_text_atomic
    from engine.library import open_library
    from engine.search.classify import classify, evaluate, load_clip_windows

    if bool(args.clip) == bool(args.evaluate):
        raise EngineError("classify: give a CLIP, or --evaluate (not both)")
    with open_library(args.cache_dir) as lib:
        clips = load_clip_windows(lib.list_clips())
    if args.evaluate:
        ev = evaluate(clips)
        out = ev.to_json()
        acc = "n/a" if ev.accuracy is None else f"{100 * ev.accuracy:.0f} %"
        print(f"leave-one-dancer-out accuracy: {acc} ({ev.correct} of {ev.guessed} labelled clips guessed right; "
              f"{ev.clips} labelled clips, {ev.dancers} dancers)")
        if ev.not_guessed:
            print(f"not guessed (fewer than 3 styles left without that dancer): {', '.join(ev.not_guessed)}")
        if ev.confusion:
            print(ev.table())
        print(f"note: with {ev.clips} labelled clips this number is a rough check, not a measured accuracy "
              "(see README, Style neighbours)")
    else:
        from engine.io.store import load_or_extract

        perf = load_or_extract(args.clip, cache_dir=args.cache_dir, masks=False, progress=_stderr_progress(args.quiet))
        guess = classify(window_features(perf.world, perf.fps), clips, exclude_sha256=perf.source.sha256)
        out = guess.to_json()
        if guess.style is None:
            print(f"no style guess: {guess.missing}")
        else:
            print(f"style guess: {guess.style} (confidence {100 * guess.confidence:.0f} %, from {guess.labelled_clips} "
                  f"labelled clips: " + ", ".join(f"{s} {n}" for s, n in guess.styles.items()) + ")")
        for n in guess.neighbours[:5]:
            print(f"  {n.distance:6.2f}  {n.clip}  [{n.style or 'no style'}{', ' + n.dancer if n.dancer else ''}]")
    if args.json:
        write_text_atomic(args.json, json.dumps(out, indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from engine.io.store import DEFAULT_CACHE_DIR

    # DANCE_CACHE_DIR (DESIGN.md's environment) moves the cache, and with it library.db.
    cache_dir = os.environ.get("DANCE_CACHE_DIR") or str(DEFAULT_CACHE_DIR)
    p = argparse.ArgumentParser(prog="python -m engine", description="Compare two dance performances.")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("extract", help="extract (or load cached) pose data of one video; prints JSON")
    e.add_argument("video")
    e.add_argument("--cache-dir", default=cache_dir)
    e.add_argument("--quiet", action="store_true", help="no progress on stderr")
    e.set_defaults(func=cmd_extract)

    d = sub.add_parser("demo", help="write the sample clips teacher.mp4, student.mp4 and truth.json")
    d.add_argument("outdir")
    d.set_defaults(func=cmd_demo)

    c = sub.add_parser("compare", help="compare a student's video with a teacher's; prints a summary")
    c.add_argument("teacher")
    c.add_argument("student")
    c.add_argument("--json", metavar="REPORT.json", help="write the report JSON here")
    c.add_argument("--video", metavar="OUT.mp4", help="write the side-by-side annotated video here")
    c.add_argument("--csv", metavar="OUT.csv", help="write the per-joint table (scores, errors, first moment) here")
    c.add_argument("--cache-dir", default=cache_dir)
    c.add_argument("--config", metavar="SETTINGS.toml", help="weights, tolerances, band (see settings.example.toml)")
    c.add_argument("--mirror", choices=MIRROR_CHOICES, help="did the student dance mirrored? (default auto)")
    c.add_argument("--sync", choices=SYNC_CHOICES, help="how to line the clips up in time")
    c.add_argument("--llm", action="store_true", help="ask an LLM for the coaching paragraph (needs OPENAI_API_KEY)")
    c.add_argument("--quiet", action="store_true", help="no progress on stderr")
    c.set_defaults(func=cmd_compare)
    _add_library_parser(sub, cache_dir)
    _add_batch_parser(sub, cache_dir)
    _add_export_parser(sub, cache_dir)
    f = sub.add_parser("find", help="which routines of the library this clip dances, and where (teacher time)")
    f.add_argument("clip")
    f.add_argument("--top", type=int, default=5, help="how many places at most (default 5)")
    f.add_argument("--json", metavar="OUT", help='write {"matches": [...]} here')
    f.add_argument("--cache-dir", default=cache_dir)
    f.add_argument("--quiet", action="store_true", help="no progress on stderr")
    f.set_defaults(func=cmd_find)
    k = sub.add_parser("classify", help="the labelled clips this clip moves most like, and a style guess; "
                                        "--evaluate: leave-one-dancer-out accuracy on the labelled library")
    k.add_argument("clip", nargs="?")
    k.add_argument("--evaluate", action="store_true", help="leave-one-dancer-out accuracy and confusion table")
    k.add_argument("--json", metavar="OUT", help="write the result as JSON here")
    k.add_argument("--cache-dir", default=cache_dir)
    k.add_argument("--quiet", action="store_true", help="no progress on stderr")
    k.set_defaults(func=cmd_classify)
    return p


def _silence_native_stderr() -> None:
    """Point file descriptor 2 at /dev/null while Python's sys.stderr keeps the real stream.

    MediaPipe and TFLite log set-up chatter straight to fd 2 from native threads; on the command
    line that would bury the one-line error messages scripts rely on.
    """
    sys.stderr.flush()
    real = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = os.fdopen(real, "w", buffering=1)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if os.environ.get("ENGINE_NATIVE_LOGS") != "1":
        _silence_native_stderr()
    try:
        return int(args.func(args))
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
