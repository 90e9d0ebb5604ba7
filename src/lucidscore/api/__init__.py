"""lucidscore.api layer."""
