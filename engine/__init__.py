"""Dance comparison engine: video -> pose -> cleaned, synced, normalized, aligned, scored comparison.

The layers (imports point down only; `.importlinter` checks it, and no Streamlit anywhere here)::

    cli                     python -m engine ...
    live | demo             the webcam session; the sample clips with known truth
     | batch | dataset      batch extraction (local pool, Dask cluster); the HDF5 training dataset
     | search               find (which routine, where: subsequence DTW); classify (style neighbours)
    present                 drawing, rendered video, charts, report JSON, feedback (rules, wording, llm)
    analysis | library      clean, sync, normalize, align, metrics, compare (-> Analysis), score (-> Scorecard);
                            the database of clips and comparisons
    io                      video decode, pose model, extraction, HDF5 cache, MP4 writer
    core                    errors, settings, body model, Performance, small shared helpers

The public face, importable from `engine` directly (loaded on first use, so `import engine`
stays cheap)::

    perf = load_or_extract("teacher.mp4")                  # Performance (cached per content hash)
    a = analyze("teacher.mp4", "student.mp4")               # Analysis: the expensive half
    card = score(a, ScoreSettings())                        # Scorecard: cheap, rerun per slider move
    fb = rules_feedback(card, ComparisonFacts.from_analysis(a))
    report = build_report(a, card, fb)                      # report JSON (see DESIGN.md)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: name -> module that defines it.
_PUBLIC: dict[str, str] = {
    "EngineError": "engine.core.errors",
    "Performance": "engine.core.performance",
    "ExtractSettings": "engine.core.settings",
    "AlignSettings": "engine.core.settings",
    "ScoreSettings": "engine.core.settings",
    "load_settings": "engine.core.settings",
    "load_or_extract": "engine.io.store",
    "Analysis": "engine.analysis.compare",
    "analyze": "engine.analysis.compare",
    "analyze_performances": "engine.analysis.compare",
    "Scorecard": "engine.analysis.score",
    "score": "engine.analysis.score",
    "ComparisonFacts": "engine.present.feedback",
    "rules_feedback": "engine.present.feedback",
    "build_report": "engine.present.report",
    "write_report": "engine.present.report",
    "render_side_by_side": "engine.present.render",
    "make_demo": "engine.demo",
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis, analyze, analyze_performances  # noqa: F401
    from engine.analysis.score import Scorecard, score  # noqa: F401
    from engine.core.errors import EngineError  # noqa: F401
    from engine.core.performance import Performance  # noqa: F401
    from engine.core.settings import AlignSettings, ExtractSettings, ScoreSettings, load_settings  # noqa: F401
    from engine.demo import make_demo  # noqa: F401
    from engine.io.store import load_or_extract  # noqa: F401
    from engine.present.feedback import ComparisonFacts, rules_feedback  # noqa: F401
    from engine.present.render import render_side_by_side  # noqa: F401
    from engine.present.report import build_report, write_report  # noqa: F401


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value
