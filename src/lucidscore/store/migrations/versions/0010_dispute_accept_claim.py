"""An accept in progress claims its dispute (issue 12): ``disputes.accepting_since`` and
``disputes.accepting_by`` (both NULL when no accept is in progress).

Accepting a dispute spans several commits (the store writes the correction on its own connection and the
rescoring reads it from there), so its claim on the dispute is a committed row value, not a lock: a
second accept (or reject, or review) of the same dispute waits for the first one's outcome, and a claim
older than the service's limit (its accept crashed) is taken over. Disputes that exist before this
revision have no claim.

Revision ID: 0010_dispute_accept_claim
Revises: 0009_superseded_key_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_dispute_accept_claim"
down_revision = "0009_superseded_key_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(sa.Column("accepting_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("accepting_by", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_disputes_accepting_by_users", "users", ["accepting_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.drop_constraint("fk_disputes_accepting_by_users", type_="foreignkey")
        batch.drop_column("accepting_by")
        batch.drop_column("accepting_since")
