"""lucidscore.store layer."""
