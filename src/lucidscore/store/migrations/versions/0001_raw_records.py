"""Raw record tables (append-only, with bookkeeping columns), their ``<table>_current`` views and the
ingest batch log.

Revision ID: 0001_raw_records
Revises:
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import MetaData

from lucidscore.records import TABLES
from lucidscore.store._tables import (
    current_view_name,
    current_view_sql,
    define_raw_table,
    ingest_batches_table,
)

revision = "0001_raw_records"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata = MetaData()
    ingest_batches_table().to_metadata(metadata).create(bind)
    for record in TABLES:
        define_raw_table(record, metadata).create(bind)
        op.execute(current_view_sql(record))


def downgrade() -> None:
    for record in reversed(TABLES):
        op.execute(f"DROP VIEW IF EXISTS {current_view_name(record.name)}")
        op.drop_table(record.name)
    op.drop_table("ingest_batches")
