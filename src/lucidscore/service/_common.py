"""Small helpers every part of the service domain uses."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session


def end_reads(session: Session) -> None:
    """End the current (read-only) transaction before a write; objects stay loaded (expire_on_commit off)."""
    session.commit()


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
