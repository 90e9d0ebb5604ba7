"""lucidscore.evaluate layer."""
