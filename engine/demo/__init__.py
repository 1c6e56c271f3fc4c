"""The built-in sample clips: a drawn teacher and student with known differences.

`make_demo(outdir)` writes ``TEACHER_FILE``, ``STUDENT_FILE`` and ``TRUTH_FILE``; `DemoTruth`
reads the truth back. The pieces: `choreography`, `figure`, `music`, `truth`, `make`.
"""

from engine.demo.make import STUDENT_FILE, TEACHER_FILE, TRUTH_FILE, make_demo
from engine.demo.truth import TRUTH_VERSION, ArmError, DemoTruth, Freeze, Move, TempoSection

__all__ = [
    "STUDENT_FILE",
    "TEACHER_FILE",
    "TRUTH_FILE",
    "TRUTH_VERSION",
    "ArmError",
    "DemoTruth",
    "Freeze",
    "Move",
    "TempoSection",
    "make_demo",
]
