"""lucidscore.features layer."""
