"""Time sync of two clips: audio offset, motion offset, and where each dancer is active.

Convention (DESIGN.md): ``teacher_s = student_s + offset_s`` for the same musical moment.

Both offsets come from the same lag search (`_lag`): two envelopes at a common rate are
standardized and cross-correlated, and the peak is compared with what chance and repetition
achieve to give a 0..1 confidence. `onset` makes the audio envelopes (`audio_offset`),
`motion` the motion signals, `motion_offset` and the active ranges; `sync` chooses between
audio and motion.
"""

from engine.analysis.sync._lag import MAX_LAG_S
from engine.analysis.sync._sync import METHODS, SyncResult, sync
from engine.analysis.sync.motion import (
    MOTION_GROUPS,
    active_range,
    motion_energy,
    motion_offset,
    motion_signature,
)
from engine.analysis.sync.onset import OnsetEnvelope, audio_offset, onset_envelope, sync_envelope

__all__ = [
    "MAX_LAG_S",
    "METHODS",
    "MOTION_GROUPS",
    "OnsetEnvelope",
    "SyncResult",
    "active_range",
    "audio_offset",
    "motion_energy",
    "motion_offset",
    "motion_signature",
    "onset_envelope",
    "sync_envelope",
    "sync",
]
