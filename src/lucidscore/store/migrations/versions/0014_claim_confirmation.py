"""A listing of the account directory says whether its account is known to exist (issue 15):
``account_directory.confirmed_at``, NULL until then, and ``ix_account_directory_unconfirmed``, an index of
the usernames whose listing is not confirmed (partial: ``confirmed_at IS NULL``).

``lucidscore shards status`` used to find the claims left without an account by reading shard 0's whole
directory and looking every listing up in its shard: linear in the accounts (7 CPU-s per million on
SQLite, BENCHMARKS.md). It now reads only the unconfirmed listings (through this index) and confirms those
whose account it finds, so it costs what is pending. A listing is confirmed when its account is known to be
committed in the shard it names: written in the same transaction as the account (shard 0's accounts),
written by the command that committed the account after that commit (a claim for another shard), or found
by ``shards status``. Accounts are never deleted (revocation keeps them), so a confirmed listing stays true.

Backfill, only where it is provable inside this one database: a listing naming shard 0 in a database that
is shard 0 (or no shard) is confirmed when this database holds the account of that username (its
``listed_at`` as the time). Every other listing starts unconfirmed: one naming another shard, whose
database a revision cannot see, is checked by the first ``shards status`` after this revision (as long as
the whole check used to take, once) and confirmed there if its account exists.

Revision ID: 0014_claim_confirmation
Revises: 0013_account_directory
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_claim_confirmation"
down_revision = "0013_account_directory"
branch_labels = None
depends_on = None

_UNCONFIRMED = "confirmed_at IS NULL"

# A plain nullable column, added and dropped in place (ALTER TABLE, SQLite 3.35 or later), as revision 0010.


def upgrade() -> None:
    op.add_column("account_directory", sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE account_directory SET confirmed_at = listed_at "
        "WHERE shard_index = 0 "
        "AND EXISTS (SELECT 1 FROM users u WHERE u.username = account_directory.username) "
        "AND COALESCE((SELECT s.shard_index FROM shard_identity s WHERE s.id = 1), 0) = 0"
    )
    op.create_index(
        "ix_account_directory_unconfirmed",
        "account_directory",
        ["username"],
        sqlite_where=sa.text(_UNCONFIRMED),
        postgresql_where=sa.text(_UNCONFIRMED),
    )


def downgrade() -> None:
    op.drop_index("ix_account_directory_unconfirmed", table_name="account_directory")
    op.drop_column("account_directory", "confirmed_at")
