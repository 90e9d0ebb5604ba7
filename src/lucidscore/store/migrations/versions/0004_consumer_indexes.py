"""Indexes on consumer_id for the two raw tables whose natural key does not start with it (accounts,
public_records), so that one consumer's records are found without scanning the tables: features for one
consumer (rescoring after a dispute) and for a range of consumers (one chunk) read them through these.
The other raw tables already have a key index that starts with consumer_id (statements: account_id).
And one on outcomes.observation_date: whether any outcome was observed on the as-of date decides whether
features carry ``bad``, and without it that question scans every outcome (0.15 s at 1,000,000 consumers,
most of the time of one consumer's features).

Revision ID: 0004_consumer_indexes
Revises: 0002_service
"""

from __future__ import annotations

from alembic import op

revision = "0004_consumer_indexes"
down_revision = "0003_audit_chain"
branch_labels = None
depends_on = None

_TABLES = ("accounts", "public_records")


def upgrade() -> None:
    for name in _TABLES:
        op.create_index(f"ix_{name}_consumer_id", name, ["consumer_id"])
    op.create_index("ix_outcomes_observation_date", "outcomes", ["observation_date"])


def downgrade() -> None:
    op.drop_index("ix_outcomes_observation_date", table_name="outcomes")
    for name in _TABLES:
        op.drop_index(f"ix_{name}_consumer_id", table_name=name)
