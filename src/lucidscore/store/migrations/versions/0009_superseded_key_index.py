"""Each raw table's non-unique key index holds only superseded versions (issue 15).

Revision 0001 gave every raw table two indexes on its natural key: a unique one of the current versions
(``ux_<table>_current_key``, partial: ``_superseded_at IS NULL``) and one of every version
(``ix_<table>_key``), for a record's history. The current versions were thus in both, and a first load
sorted every key twice: on PostgreSQL the two indexes of statements were 10.5 s of the 42 s of server
time of loading 100,000 consumers (BENCHMARKS.md, "Ingestion: the batch check"). The history now reads
the current version through the unique index and the superseded ones through ``ix_<table>_superseded_key``
(partial: ``_superseded_at IS NOT NULL``), empty after a first load.

Revision ID: 0009_superseded_key_index
Revises: 0008_ingest_batch_check
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_superseded_key_index"
down_revision = "0008_ingest_batch_check"
branch_labels = None
depends_on = None

# table -> natural key, at this revision (written out: see revision 0001).
KEYS: dict[str, tuple[str, ...]] = {
    "consumers": ("consumer_id",),
    "accounts": ("account_id",),
    "statements": ("account_id", "period"),
    "inquiries": ("consumer_id", "at", "merchant_id"),
    "public_records": ("record_id",),
    "income": ("consumer_id", "period"),
    "outcomes": ("consumer_id", "observation_date"),
}
_SUPERSEDED = "_superseded_at IS NOT NULL"


def upgrade() -> None:
    for table, key in KEYS.items():
        op.drop_index(f"ix_{table}_key", table_name=table)
        op.create_index(
            f"ix_{table}_superseded_key",
            table,
            list(key),
            sqlite_where=sa.text(_SUPERSEDED),
            postgresql_where=sa.text(_SUPERSEDED),
        )


def downgrade() -> None:
    for table, key in KEYS.items():
        op.drop_index(f"ix_{table}_superseded_key", table_name=table)
        op.create_index(f"ix_{table}_key", table, list(key))
