"""The one declarative base: raw record tables and service tables share its MetaData."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of all lucidscore tables."""
