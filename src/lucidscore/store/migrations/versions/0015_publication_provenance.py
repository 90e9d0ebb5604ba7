"""A publication records what made its scores (issue 15): ``publications.model_hash``, the content hash of
the model it scored with, and ``publications.code_version``, the lucidscore code that scored
(``lucidscore.service.code_version``: the release and a digest of the package's source and of the numeric
libraries' versions).

A publish of a month skips a database (a shard) whose last publication of that month with that model
finished, was made by the same model content and the same code, and whose records have not changed since
(``lucidscore.service.already_published``): that needs both facts recorded. Publications from before this
revision get their model's content hash where the database still holds the model (a registered model is
never deleted nor changed, so that is provable here); their code version is unknown and stays NULL, so a
month published before it is scored again by its next publish (once).

``publications.kept`` counts the consumers whose score written after the run began (a dispute's
rescoring, from newer records) the run left current instead of writing its own different one.

Revision ID: 0015_publication_provenance
Revises: 0014_claim_confirmation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_publication_provenance"
down_revision = "0014_claim_confirmation"
branch_labels = None
depends_on = None

# Plain nullable columns, added and dropped in place (ALTER TABLE, SQLite 3.35 or later), as revision 0010.


def upgrade() -> None:
    op.add_column("publications", sa.Column("model_hash", sa.String(80), nullable=True))
    op.add_column("publications", sa.Column("code_version", sa.String(80), nullable=True))
    op.add_column("publications", sa.Column("kept", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE publications SET model_hash = "
        "(SELECT m.content_hash FROM models m WHERE m.model_id = publications.model_id)"
    )


def downgrade() -> None:
    op.drop_column("publications", "kept")
    op.drop_column("publications", "code_version")
    op.drop_column("publications", "model_hash")
