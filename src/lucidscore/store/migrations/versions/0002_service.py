"""The score service's tables (users, api_keys, sessions, consents, access_log, score_history, models,
disputes, dispute_events) and the triggers that keep access_log, score_history and dispute_events
append-only.

Written out in full (like ``0001_raw_records``), so that this revision creates the same tables forever;
later changes to ``lucidscore.store.service`` come in later revisions (``0003_audit_chain`` adds the hash
chain). ``tests/store/test_migrate.py`` checks that the migrated schema equals the models.

Revision ID: 0002_service
Revises: 0001_raw_records
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_service"
down_revision = "0001_raw_records"
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("access_log", "score_history", "dispute_events")
_TABLES = (
    "users",
    "api_keys",
    "sessions",
    "consents",
    "access_log",
    "score_history",
    "models",
    "disputes",
    "dispute_events",
)


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("consumer_id", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", _moment(), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("revoked_at", _moment(), nullable=True),
    )
    op.create_index("ix_api_keys_merchant_id", "api_keys", ["merchant_id"])
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("expires_at", _moment(), nullable=False),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("expires_at", _moment(), nullable=False),
        sa.Column("revoked_at", _moment(), nullable=True),
    )
    op.create_index("ix_consents_consumer_id", "consents", ["consumer_id"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("at", _moment(), nullable=False),
        sa.Column("result", sa.String(60), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("model_id", sa.String(80), nullable=True),
    )
    op.create_index("ix_access_log_consumer_id", "access_log", ["consumer_id"])
    op.create_table(
        "score_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(80), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(40), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("segment", sa.String(80), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=True),
        sa.Column("scored_at", _moment(), nullable=False),
    )
    op.create_index("ix_score_history_consumer_model", "score_history", ["consumer_id", "model_id", "as_of"])
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("model_id", sa.String(80), nullable=False, unique=True),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("artifact_json", sa.Text(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column("record_table", sa.String(40), nullable=False),
        sa.Column("record_key", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("resolved_at", _moment(), nullable=True),
    )
    op.create_index("ix_disputes_consumer_id", "disputes", ["consumer_id"])
    op.create_table(
        "dispute_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dispute_id", sa.Integer(), sa.ForeignKey("disputes.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", _moment(), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.UniqueConstraint("dispute_id", "seq"),
    )
    op.create_index("ix_dispute_events_dispute_id", "dispute_events", ["dispute_id"])
    install_append_only_guards()


def downgrade() -> None:
    drop_append_only_guards()
    for table in reversed(_TABLES):
        op.drop_table(table)


def install_append_only_guards() -> None:
    """Make the database itself refuse UPDATE and DELETE on the append-only tables."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION lucidscore_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END; "
            "$$ LANGUAGE plpgsql"
        )
    for table in APPEND_ONLY_TABLES:
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            if dialect == "sqlite":
                op.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION lucidscore_append_only()"
                )


def drop_append_only_guards() -> None:
    """Remove the triggers of ``install_append_only_guards``."""
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for action in ("update", "delete"):
            if dialect == "sqlite":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action} ON {table}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS lucidscore_append_only()")
