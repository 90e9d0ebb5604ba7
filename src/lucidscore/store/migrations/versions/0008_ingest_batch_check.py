"""The raw tables' ``_batch_id`` is checked once per statement instead of once per row (issue 15).

Until this revision ``_batch_id`` was a foreign key to ``ingest_batches``. On PostgreSQL its per-row
trigger (``RI_FKey_check_ins``: one index lookup per row) was most of the server's time in a first load by
``COPY``: 4.8–5.0 s per million rows against 1.6 s without it and 1.8–2.1 s with the check below
(BENCHMARKS.md, "Ingestion: the batch check"). Dropping the key for the load and adding it back before
the commit was tried; it locked ``ingest_batches`` against readers until the commit.

What replaces it, so that the database still refuses a row that names no ingest batch, whoever writes it:

- PostgreSQL: an ``AFTER INSERT ... FOR EACH STATEMENT`` trigger over the statement's new rows (a
  transition table) looks up the *distinct* ``_batch_id`` values once — one lookup per ``COPY`` or
  ``INSERT`` statement, not per row — and raises ``foreign_key_violation`` naming the table and value.
- SQLite (no statement triggers): a ``BEFORE INSERT`` row trigger does the same lookup (as the foreign
  key did; SQLite's first loads meet their goal with it). The tables are rebuilt without the foreign key
  (SQLite cannot drop a constraint in place); their views are dropped and made again around it.
- Both: ``_batch_id`` of a stored row never changes (``BEFORE UPDATE OF _batch_id`` refuses), and a batch
  is never deleted (``BEFORE DELETE`` on ``ingest_batches``; PostgreSQL: ``TRUNCATE`` too), which the
  foreign key used to guarantee for batches that had rows.

Revision ID: 0008_ingest_batch_check
Revises: 0007_oauth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_ingest_batch_check"
down_revision = "0007_oauth"
branch_labels = None
depends_on = None

# The raw tables and their current-row views at this revision (written out: see revision 0001).
RAW: dict[str, tuple[str, ...]] = {
    "consumers": ("consumer_id", "identity_verified", "address_since", "reported_at"),
    "accounts": (
        "account_id",
        "consumer_id",
        "kind",
        "opened",
        "closed",
        "credit_limit",
        "original_amount",
        "reported_at",
    ),
    "statements": (
        "account_id",
        "period",
        "balance",
        "amount_due",
        "amount_paid",
        "days_past_due",
        "reported_at",
    ),
    "inquiries": ("consumer_id", "at", "merchant_id", "purpose", "reported_at"),
    "public_records": ("record_id", "consumer_id", "kind", "filed", "amount", "satisfied", "reported_at"),
    "income": ("consumer_id", "period", "amount", "verified", "reported_at"),
    "outcomes": ("consumer_id", "observation_date", "bad"),
}
_CURRENT = "_superseded_at IS NULL"
_FK_NAME = "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"

PG_CHECK = """
CREATE OR REPLACE FUNCTION lucidscore_batch_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT n._batch_id INTO missing
    FROM (SELECT DISTINCT _batch_id FROM new_rows) AS n
    WHERE NOT EXISTS (SELECT 1 FROM ingest_batches AS b WHERE b.id = n._batch_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'table %: _batch_id % is not an ingest batch (ingest_batches.id)',
            TG_TABLE_NAME, missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
"""
PG_REFUSE = """
CREATE OR REPLACE FUNCTION lucidscore_batch_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$
"""
BATCH_KEPT = "ingest_batches is a log: a batch is never deleted (raw rows name their batch)"
BATCH_FIXED = "the _batch_id of a stored row never changes"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _foreign_keys(table: str) -> list[str]:
    inspector = sa.inspect(op.get_bind())
    return [
        str(fk["name"])
        for fk in inspector.get_foreign_keys(table)
        if fk["referred_table"] == "ingest_batches" and fk["name"]
    ]


def _upgrade_postgresql() -> None:
    op.execute(PG_CHECK)
    op.execute(PG_REFUSE)
    for table in RAW:
        for name in _foreign_keys(table):
            op.drop_constraint(name, table, type_="foreignkey")
        op.execute(
            f"CREATE TRIGGER {table}_batch_check AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION lucidscore_batch_check()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_batch_fixed BEFORE UPDATE OF _batch_id ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION lucidscore_batch_refuse('{BATCH_FIXED}')"
        )
    op.execute(
        "CREATE TRIGGER ingest_batches_kept BEFORE DELETE ON ingest_batches FOR EACH ROW "
        f"EXECUTE FUNCTION lucidscore_batch_refuse('{BATCH_KEPT}')"
    )
    op.execute(
        "CREATE TRIGGER ingest_batches_kept_truncate BEFORE TRUNCATE ON ingest_batches FOR EACH STATEMENT "
        f"EXECUTE FUNCTION lucidscore_batch_refuse('{BATCH_KEPT}')"
    )


def _sqlite_triggers(table: str) -> None:
    op.execute(
        f"CREATE TRIGGER {table}_batch_check BEFORE INSERT ON {table} "
        "WHEN NOT EXISTS (SELECT 1 FROM ingest_batches WHERE id = NEW._batch_id) "
        f"BEGIN SELECT RAISE(ABORT, 'table {table}: _batch_id is not an ingest batch (ingest_batches.id)'); "
        "END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_batch_fixed BEFORE UPDATE OF _batch_id ON {table} "
        f"WHEN NEW._batch_id IS NOT OLD._batch_id BEGIN SELECT RAISE(ABORT, '{BATCH_FIXED}'); END"
    )


def _upgrade_sqlite() -> None:
    for table, columns in RAW.items():
        op.execute(f"DROP VIEW IF EXISTS {table}_current")
        # The foreign key of revision 0001 has no name: the naming convention gives it one to drop.
        with op.batch_alter_table(table, recreate="always", naming_convention={"fk": _FK_NAME}) as batch:
            batch.drop_constraint(
                _FK_NAME
                % {
                    "table_name": table,
                    "column_0_name": "_batch_id",
                    "referred_table_name": "ingest_batches",
                },
                type_="foreignkey",
            )
        op.execute(
            f"CREATE VIEW {table}_current AS SELECT {', '.join(columns)} FROM {table} WHERE {_CURRENT}"
        )
        _sqlite_triggers(table)
    op.execute(
        "CREATE TRIGGER ingest_batches_kept BEFORE DELETE ON ingest_batches "
        f"BEGIN SELECT RAISE(ABORT, '{BATCH_KEPT}'); END"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(
        "DROP TRIGGER IF EXISTS ingest_batches_kept" + (" ON ingest_batches" if dialect != "sqlite" else "")
    )
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ingest_batches_kept_truncate ON ingest_batches")
    for table, columns in RAW.items():
        for trigger in (f"{table}_batch_check", f"{table}_batch_fixed"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {table}" if dialect != "sqlite" else ""))
        if dialect == "postgresql":
            op.create_foreign_key(None, table, "ingest_batches", ["_batch_id"], ["id"])
        else:
            op.execute(f"DROP VIEW IF EXISTS {table}_current")
            with op.batch_alter_table(table, recreate="always") as batch:
                batch.create_foreign_key(
                    _FK_NAME
                    % {
                        "table_name": table,
                        "column_0_name": "_batch_id",
                        "referred_table_name": "ingest_batches",
                    },
                    "ingest_batches",
                    ["_batch_id"],
                    ["id"],
                )
            op.execute(
                f"CREATE VIEW {table}_current AS SELECT {', '.join(columns)} FROM {table} WHERE {_CURRENT}"
            )
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS lucidscore_batch_check()")
        op.execute("DROP FUNCTION IF EXISTS lucidscore_batch_refuse()")
