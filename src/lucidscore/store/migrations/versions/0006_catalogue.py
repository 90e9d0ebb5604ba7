"""The operator's tables (issue 15): the benefit catalogue in the database, versioned; month publications;
and the columns that let a month be published again without duplicates and decisions name their catalogue.

- ``benefit_catalogues``: one row per catalogue version (canonical JSON, its SHA-256, where it came
  from); append-only like the audit tables (UPDATE, DELETE and, on PostgreSQL, TRUNCATE refused).
- ``publications``: one row per run of ``lucidscore publish`` (month, model, engine, where the records
  stood, what was written).
- ``access_log.catalogue_version``; ``score_history.publication_id``, ``supersedes_id`` and
  ``content_digest`` (and an index on model and month); ``users.revoked_at``; ``models.retired_at``.

The new columns of the two hash-chained tables are nullable: a row's hash leaves NULL columns out, so every
row chained before this revision still verifies, and rows written after it are hashed with the new
columns (``lucidscore.store._chain`` covers every column but the links). Adding a column is a plain
``ALTER TABLE … ADD COLUMN`` on both databases, which keeps revision 0003's triggers in place.

Revision ID: 0006_catalogue
Revises: 0005_model_signature
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_catalogue"
down_revision = "0005_model_signature"
branch_labels = None
depends_on = None

CATALOGUES = "benefit_catalogues"
# Columns added to the hash-chained tables: a downgrade that dropped a filled one would change what the
# rows' hashes covered, so it is refused while any row holds a value in them.
CHAINED_COLUMNS: dict[str, tuple[str, ...]] = {
    "access_log": ("catalogue_version",),
    "score_history": ("publication_id", "supersedes_id", "content_digest"),
}


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        CATALOGUES,
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("catalogue", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
    )
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_id", sa.String(80), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("changed_only", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("records_through", sa.JSON(), nullable=False),
        sa.Column("pending_batches", sa.JSON(), nullable=False),
        sa.Column("consumers", sa.Integer(), nullable=True),
        sa.Column("written", sa.Integer(), nullable=True),
        sa.Column("superseded", sa.Integer(), nullable=True),
        sa.Column("unchanged", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", _moment(), nullable=False),
        sa.Column("finished_at", _moment(), nullable=True),
    )
    op.create_index("ix_publications_model_month", "publications", ["model_id", "as_of"])
    op.add_column("access_log", sa.Column("catalogue_version", sa.Integer(), nullable=True))
    # No foreign key: SQLite can add and drop a plain column in place, but not one with a constraint.
    op.add_column("score_history", sa.Column("publication_id", sa.Integer(), nullable=True))
    op.add_column("score_history", sa.Column("supersedes_id", sa.Integer(), nullable=True))
    op.add_column("score_history", sa.Column("content_digest", sa.String(64), nullable=True))
    op.create_index("ix_score_history_model_month", "score_history", ["model_id", "as_of"])
    op.add_column("users", sa.Column("revoked_at", _moment(), nullable=True))
    op.add_column("models", sa.Column("retired_at", _moment(), nullable=True))
    _append_only(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    bind = op.get_bind()
    for table, columns in CHAINED_COLUMNS.items():
        filled = " OR ".join(f"{c} IS NOT NULL" for c in columns)
        if bind.execute(sa.text(f"SELECT 1 FROM {table} WHERE {filled} LIMIT 1")).first() is not None:
            raise RuntimeError(
                f"{table} has rows with {', '.join(columns)} set; their audit-chain hashes cover these "
                "columns, so dropping them would break the chain: downgrade refused"
            )
    for name in (f"{CATALOGUES}_no_update", f"{CATALOGUES}_no_delete", f"{CATALOGUES}_no_truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if dialect == "sqlite" else f" ON {CATALOGUES}"))
    op.drop_index("ix_score_history_model_month", table_name="score_history")
    # Plain DROP COLUMN on both databases (SQLite 3.35+): no table rebuild, so revision 0003's triggers stay.
    drops = [("models", "retired_at"), ("users", "revoked_at")]
    drops += [(t, c) for t, cs in CHAINED_COLUMNS.items() for c in cs]
    for table, column in drops:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_index("ix_publications_model_month", table_name="publications")
    op.drop_table("publications")
    op.drop_table(CATALOGUES)


def _append_only(dialect: str) -> None:
    """Catalogue versions are never rewritten: a decision names the version it was made with."""
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {CATALOGUES}_no_{action.lower()} BEFORE {action} ON {CATALOGUES} "
                f"BEGIN SELECT RAISE(ABORT, '{CATALOGUES} is append-only: {action} refused'); END"
            )
        return
    for action, level in (("UPDATE", "ROW"), ("DELETE", "ROW"), ("TRUNCATE", "STATEMENT")):
        op.execute(
            f"CREATE TRIGGER {CATALOGUES}_no_{action.lower()} BEFORE {action} ON {CATALOGUES} "
            f"FOR EACH {level} EXECUTE FUNCTION lucidscore_append_only()"
        )
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {CATALOGUES} FROM PUBLIC")
