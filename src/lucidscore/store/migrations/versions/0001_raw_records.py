"""Raw record tables (append-only, with bookkeeping columns), their ``<table>_current`` views and the
ingest batch log.

Written out in full (not derived from ``lucidscore.records`` at run time) so that this revision means the
same thing forever; a later change to the records needs a new revision. ``tests/store/test_migrate.py``
checks that the migrated schema equals the models.

Revision ID: 0001_raw_records
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_raw_records"
down_revision = None
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CURRENT = "_superseded_at IS NULL"

# table -> (record columns, natural key)
RECORD_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "consumers": (("consumer_id", "identity_verified", "address_since", "reported_at"), ("consumer_id",)),
    "accounts": (
        (
            "account_id",
            "consumer_id",
            "kind",
            "opened",
            "closed",
            "credit_limit",
            "original_amount",
            "reported_at",
        ),
        ("account_id",),
    ),
    "statements": (
        ("account_id", "period", "balance", "amount_due", "amount_paid", "days_past_due", "reported_at"),
        ("account_id", "period"),
    ),
    "inquiries": (
        ("consumer_id", "at", "merchant_id", "purpose", "reported_at"),
        ("consumer_id", "at", "merchant_id"),
    ),
    "public_records": (
        ("record_id", "consumer_id", "kind", "filed", "amount", "satisfied", "reported_at"),
        ("record_id",),
    ),
    "income": (("consumer_id", "period", "amount", "verified", "reported_at"), ("consumer_id", "period")),
    "outcomes": (("consumer_id", "observation_date", "bad"), ("consumer_id", "observation_date")),
}


def _bookkeeping() -> list[sa.Column[object]]:
    return [
        sa.Column("_batch_id", sa.Integer(), sa.ForeignKey("ingest_batches.id"), nullable=False),
        sa.Column("_ingested_at", sa.DateTime(), nullable=False),
        sa.Column("_superseded_at", sa.DateTime(), nullable=True),
    ]


def _create_raw_table(name: str, *columns: sa.Column[object]) -> None:
    cols, key = RECORD_COLUMNS[name]
    op.create_table(
        name,
        sa.Column("_version_id", _PK, primary_key=True, autoincrement=True),
        *columns,
        *_bookkeeping(),
    )
    op.create_index(f"ix_{name}_key", name, list(key))
    op.create_index(
        f"ux_{name}_current_key",
        name,
        list(key),
        unique=True,
        sqlite_where=sa.text(_CURRENT),
        postgresql_where=sa.text(_CURRENT),
    )
    op.execute(f"CREATE VIEW {name}_current AS SELECT {', '.join(cols)} FROM {name} WHERE {_CURRENT}")


def upgrade() -> None:
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=True),
        sa.Column("rows_accepted", sa.BigInteger(), nullable=True),
        sa.Column("rows_quarantined", sa.BigInteger(), nullable=True),
        sa.Column("rows_inserted", sa.BigInteger(), nullable=True),
        sa.Column("rows_superseded", sa.BigInteger(), nullable=True),
        sa.Column("rows_unchanged", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_ingest_batches_sha256", "ingest_batches", ["sha256"])
    _create_raw_table(
        "consumers",
        sa.Column("consumer_id", sa.Text(), nullable=False),
        sa.Column("identity_verified", sa.Boolean(), nullable=False),
        sa.Column("address_since", sa.Date(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
    )
    _create_raw_table(
        "accounts",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("consumer_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("credit_limit", sa.Float(precision=53), nullable=True),
        sa.Column("original_amount", sa.Float(precision=53), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
    )
    _create_raw_table(
        "statements",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("balance", sa.Float(precision=53), nullable=False),
        sa.Column("amount_due", sa.Float(precision=53), nullable=False),
        sa.Column("amount_paid", sa.Float(precision=53), nullable=False),
        sa.Column("days_past_due", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
    )
    _create_raw_table(
        "inquiries",
        sa.Column("consumer_id", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("merchant_id", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
    )
    _create_raw_table(
        "public_records",
        sa.Column("record_id", sa.Text(), nullable=False),
        sa.Column("consumer_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("filed", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(precision=53), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
    )
    _create_raw_table(
        "income",
        sa.Column("consumer_id", sa.Text(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("amount", sa.Float(precision=53), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
    )
    _create_raw_table(
        "outcomes",
        sa.Column("consumer_id", sa.Text(), nullable=False),
        sa.Column("observation_date", sa.Date(), nullable=False),
        sa.Column("bad", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for name in reversed(RECORD_COLUMNS):
        op.execute(f"DROP VIEW IF EXISTS {name}_current")
        op.drop_table(name)
    op.drop_table("ingest_batches")
