"""OAuth 2.0 consent for merchants (issue 12): the redirection URIs merchants register, the authorization
codes (kept as SHA-256 digests, single use), and two columns of ``consents``: ``decisions_left`` (NULL: no
limit) and ``issued_via`` ("page" or "oauth").

Revision ID: 0007_oauth
Revises: 0006_catalogue
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_oauth"
down_revision = "0006_catalogue"
branch_labels = None
depends_on = None


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("decisions_left", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("issued_via", sa.String(16), nullable=False, server_default="page"))
    op.create_table(
        "oauth_redirect_uris",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("uri", sa.String(500), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.UniqueConstraint("merchant_id", "uri"),
    )
    op.create_index("ix_oauth_redirect_uris_merchant_id", "oauth_redirect_uris", ["merchant_id"])
    op.create_table(
        "oauth_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("redirect_uri", sa.String(500), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("code_challenge_method", sa.String(10), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("max_decisions", sa.Integer(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("expires_at", _moment(), nullable=False),
        sa.Column("used_at", _moment(), nullable=True),
        sa.Column("consent_id", sa.Integer(), sa.ForeignKey("consents.id"), nullable=True),
    )
    op.create_index("ix_oauth_codes_merchant_id", "oauth_codes", ["merchant_id"])


def downgrade() -> None:
    op.drop_table("oauth_codes")
    op.drop_table("oauth_redirect_uris")
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("issued_via")
        batch.drop_column("decisions_left")
