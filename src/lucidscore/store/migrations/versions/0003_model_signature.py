"""The registration signature of each model (``models.signature``, issue 11).

Revision 0002 creates the service tables from the current models, so a database created after this
column was added already has it: the column is added only where it is missing.

Revision ID: 0003_model_signature
Revises: 0002_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_model_signature"
down_revision = "0002_service"
branch_labels = None
depends_on = None


def _has_signature() -> bool:
    return "signature" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("models")}


def upgrade() -> None:
    if not _has_signature():
        with op.batch_alter_table("models") as batch:
            batch.add_column(sa.Column("signature", sa.String(120), nullable=True))


def downgrade() -> None:
    if _has_signature():
        with op.batch_alter_table("models") as batch:
            batch.drop_column("signature")
