"""The registration signature of each model: ``models.signature``, an Ed25519 signature (base64) of the
model id and content hash, made by ``lucidscore.service.register_model`` (issue 11, authentic models).

Revision ID: 0005_model_signature
Revises: 0004_consumer_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_model_signature"
down_revision = "0004_consumer_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("signature", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("signature")
