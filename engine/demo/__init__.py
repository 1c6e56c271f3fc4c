"""The built-in sample clips: a drawn teacher and student with known differences."""

from engine.demo.make import *  # noqa: F401,F403  (split into modules next)
