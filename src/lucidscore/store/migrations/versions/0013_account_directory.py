"""Where every account lives: ``account_directory`` (issue 15), username -> shard.

A sign-in over a shard map used to ask each shard in turn whether it held the username. Shard 0's
``account_directory`` now says which shard holds each account of the deployment, so sign-in reads one
row there and goes straight to that shard; the table's primary key makes a username unique across the
deployment. The directory is written by the account's own commands (``lucidscore.service``): in the same
transaction as the account when the account is in shard 0 (merchants, analysts, shard 0's consumers; one
database lists all of its accounts so), and committed before the account otherwise (a claim; a command
that stops between the two leaves a claim without an account, which signs nobody in and which running
the same command again finishes).

Backfill: every database lists the accounts it holds. A consumer account is listed as the database's
shard (its ``shard_identity`` index; 0 when it is no shard), a merchant or analyst (no consumer id) as
shard 0, where every shard's copy comes from. The rows of shards other than 0 are gathered into shard 0's
directory by the sharded commands and the service when they open the map
(``lucidscore.service.gather_directory``), since a revision sees one database only.

Revision ID: 0013_account_directory
Revises: 0012_shard_identity
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_account_directory"
down_revision = "0012_shard_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_directory",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("shard_index", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.String(length=64), nullable=True),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.execute(
        "INSERT INTO account_directory (username, shard_index, consumer_id, listed_at) "
        "SELECT u.username, "
        "CASE WHEN u.consumer_id IS NULL THEN 0 "
        "ELSE COALESCE((SELECT s.shard_index FROM shard_identity s WHERE s.id = 1), 0) END, "
        "u.consumer_id, COALESCE(u.created_at, CURRENT_TIMESTAMP) FROM users u"
    )


def downgrade() -> None:
    op.drop_table("account_directory")
