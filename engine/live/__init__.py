"""Live practice: a webcam session scored against a reference as it happens.

`LiveReference.from_performance` prepares a reference clip once; a `PracticeSession` then takes
camera frames (`process`), draws the pose guide and live score on them, records the attempt,
and returns the recording from `finish()` for the normal comparison (aligned with
`attempt_alignment`: the recording is already on the reference's clock). The parts: `reference`
(display frames, cleaned landmarks, limb directions), `guide` (`fit_guide`), `scorer`
(`LiveScorer`: the report's limb co-movement over the last seconds danced), `recorder` (the MP4
writer thread), `overlay` (what is drawn), `session` (the state machine; `Section` loops a
stretch of the reference, slowed, each repetition scored).
"""

from engine.live.guide import fit_guide
from engine.live.overlay import GUIDE_ALPHA, GUIDE_COLOR
from engine.live.reference import LiveReference, ReferenceFrames
from engine.live.scorer import LiveScore, LiveScorer, pick_worst_joint
from engine.live.session import LiveState, PracticeSession, Section, attempt_alignment

__all__ = [
    "GUIDE_ALPHA",
    "GUIDE_COLOR",
    "LiveReference",
    "LiveScore",
    "LiveScorer",
    "LiveState",
    "PracticeSession",
    "ReferenceFrames",
    "Section",
    "attempt_alignment",
    "fit_guide",
    "pick_worst_joint",
]
