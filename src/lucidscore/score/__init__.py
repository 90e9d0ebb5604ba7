"""lucidscore.score layer."""
