"""Live practice: a webcam session scored against a reference as it happens."""

from engine.live.session import *  # noqa: F401,F403  (split into modules next)
