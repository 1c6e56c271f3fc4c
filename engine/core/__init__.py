"""Bottom layer: errors, settings, the body model, `Performance` and small shared helpers."""
