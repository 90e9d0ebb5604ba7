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


# Plain columns, added and dropped in place (ALTER TABLE, SQLite 3.35 or later): no foreign key on
# ``accepting_by`` (a user's id), because on SQLite adding or dropping one rebuilds the table, and dropping
# ``disputes`` for the rebuild is refused while ``dispute_events`` rows refer to it.


def upgrade() -> None:
    op.add_column("disputes", sa.Column("accepting_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("disputes", sa.Column("accepting_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("disputes", "accepting_by")
    op.drop_column("disputes", "accepting_since")
