"""Small helpers every part of the service domain uses."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def end_reads(session: Session) -> None:
    """End the current (read-only) transaction before a write; objects stay loaded (expire_on_commit off)."""
    session.commit()


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def take_write_lock(conn: Connection) -> None:
    """Start the transaction on ``conn`` as a writer, before it reads what it is about to write against.

    SQLite (WAL) cannot turn a read transaction into a write one once another writer has committed since
    it began (it fails at once); a statement that writes, even nothing, takes the one write lock first and
    waits for it (busy timeout). PostgreSQL needs nothing.
    """
    if conn.dialect.name == "sqlite":
        conn.execute(text("UPDATE publications SET status = status WHERE 1 = 0"))
