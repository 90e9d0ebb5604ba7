"""The database: SQLite (embedded default) or PostgreSQL, append-only raw records and migrations.

Every raw table of ``lucidscore.records`` is stored append-only: a correction adds a version and marks the
previous one superseded, never overwriting it; ``<table>_current`` views show the current rows.
"""

from lucidscore.store._base import Base
from lucidscore.store._engine import DatabaseMissing, make_engine, open_database, session_factory
from lucidscore.store._history import history
from lucidscore.store._migrate import current_revision, head_revision, migrate
from lucidscore.store._tables import (
    BATCH_ID,
    BOOKKEEPING_COLUMNS,
    INGESTED_AT,
    RAW_TABLE_NAMES,
    SUPERSEDED_AT,
    VERSION_ID,
    IngestBatch,
    current_view_name,
    ingest_batches_table,
    raw_table,
    sql_type,
)

__all__ = [
    "BATCH_ID",
    "BOOKKEEPING_COLUMNS",
    "INGESTED_AT",
    "RAW_TABLE_NAMES",
    "SUPERSEDED_AT",
    "VERSION_ID",
    "Base",
    "DatabaseMissing",
    "IngestBatch",
    "current_revision",
    "current_view_name",
    "head_revision",
    "history",
    "ingest_batches_table",
    "make_engine",
    "migrate",
    "open_database",
    "raw_table",
    "session_factory",
    "sql_type",
]
