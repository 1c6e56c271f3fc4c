"""From poses to numbers: clean, sync, normalize, align, metrics, the `Analysis` and its scores."""
