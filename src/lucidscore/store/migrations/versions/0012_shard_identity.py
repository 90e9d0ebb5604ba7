"""A database knows which shard of a deployment it is (issue 15).

``shard_identity`` holds at most one row (``id = 1``): the shard's index, the number of shards and the
fingerprint of the shard map it was initialised with (``lucidscore shards init``). Sharded commands compare
it with the map they are given and refuse a database that disagrees. An unsharded database has no row.

Revision ID: 0012_shard_identity
Revises: 0011_score_history_copy
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_shard_identity"
down_revision = "0011_score_history_copy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shard_identity",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shard_index", sa.Integer(), nullable=False),
        sa.Column("shard_count", sa.Integer(), nullable=False),
        sa.Column("map_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("stamped_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_shard_identity_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("shard_identity")
