"""The score service's tables (users, api_keys, sessions, consents, access_log, score_history, models,
disputes, dispute_events) and the triggers that keep access_log, score_history and dispute_events
append-only.

Revision ID: 0002_service
Revises: 0001_raw_records
"""

from __future__ import annotations

from alembic import op

from lucidscore.store.service import create_service_schema, drop_append_only_guards, service_tables

revision = "0002_service"
down_revision = "0001_raw_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_service_schema(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    drop_append_only_guards(bind)
    for table in reversed(service_tables()):
        table.drop(bind, checkfirst=True)
