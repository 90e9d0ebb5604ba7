"""Alembic environment: runs on the connection ``lucidscore.store.migrate`` hands over, online only."""

from __future__ import annotations

from alembic import context

from lucidscore.store._base import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - lucidscore always passes a connection
    raise RuntimeError("run migrations through lucidscore.store.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
