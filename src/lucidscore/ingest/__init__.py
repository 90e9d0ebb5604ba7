"""lucidscore.ingest layer."""
