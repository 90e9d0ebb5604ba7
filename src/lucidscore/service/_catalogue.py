"""The benefit catalogue, stored in the database and versioned: the newest version is the current one.

An operator sets a new version (``lucidscore catalogue set FILE``); the service reads the current version
number on every decision (one indexed lookup) and parses a version's JSON once, so a new version is used
at once, without a restart. Every stored version goes through the policy rules again when it is read
(``lucidscore.policy.parse_catalogue``), as every other door does.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from lucidscore.errors import LucidError
from lucidscore.policy import BenefitCatalogue, catalogue_json, parse_catalogue
from lucidscore.service._common import end_reads
from lucidscore.service._errors import NotFound
from lucidscore.store.service import CatalogueVersion


@dataclass(frozen=True)
class CurrentCatalogue:
    """A catalogue with the version it is stored as (None: not stored, as in a test without a database)."""

    version: int | None
    catalogue: BenefitCatalogue


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def catalogue_versions(session: Session) -> Sequence[CatalogueVersion]:
    """Every stored version, oldest first."""
    return session.scalars(select(CatalogueVersion).order_by(CatalogueVersion.version)).all()


def catalogue_version(session: Session, version: int | None = None) -> CurrentCatalogue:
    """Version ``version`` (default: the current one), parsed and checked by the policy rules.

    Raises ``NotFound`` when there is no such version (or none at all).
    """
    query = select(CatalogueVersion)
    if version is None:
        query = query.order_by(CatalogueVersion.version.desc()).limit(1)
    else:
        query = query.where(CatalogueVersion.version == version)
    row = session.scalar(query)
    if row is None:
        if version is None:
            raise NotFound("no benefit catalogue is stored; set one with lucidscore catalogue set FILE")
        raise NotFound(f"no benefit catalogue version {version} is stored", field="version")
    return CurrentCatalogue(row.version, _parse(row))


def _parse(row: CatalogueVersion) -> BenefitCatalogue:
    source = f"benefit catalogue version {row.version}"
    if _digest(row.catalogue) != row.content_hash:
        raise LucidError(
            f"{source}: the stored catalogue does not match its content hash (edited behind the service's "
            "back); set a catalogue again with lucidscore catalogue set FILE"
        )
    return parse_catalogue(row.catalogue, source)


def set_catalogue(
    session: Session, catalogue: BenefitCatalogue, *, source: str, note: str = ""
) -> tuple[CatalogueVersion, bool]:
    """Store ``catalogue`` as the new current version, unless it equals the current one.

    Returns the current version row and whether it is new. The catalogue is checked again by the policy
    rules on its canonical JSON (a ``BenefitCatalogue`` built in code went through them once already).
    """
    text = catalogue_json(catalogue)
    parse_catalogue(text, source)
    current = session.scalar(select(CatalogueVersion).order_by(CatalogueVersion.version.desc()).limit(1))
    if current is not None and current.catalogue == text:
        return current, False
    row = CatalogueVersion(
        version=(current.version + 1) if current is not None else 1,
        catalogue=text,
        content_hash=_digest(text),
        source=source[:300],
        note=note[:200],
    )
    session.add(row)
    session.flush()
    return row, True


def ensure_catalogue(session: Session, seed: BenefitCatalogue, *, source: str) -> int:
    """The current version, storing ``seed`` as version 1 when none is stored yet; commits.

    Two processes starting at once may both try: the one that loses the race reads the winner's version.
    """
    current = session.scalar(select(func.max(CatalogueVersion.version)))
    if current is not None:
        end_reads(session)
        return int(current)
    end_reads(session)
    try:
        row, _ = set_catalogue(session, seed, source=source, note="first version")
        session.commit()
        return row.version
    except IntegrityError:
        session.rollback()
        return int(session.scalar(select(func.max(CatalogueVersion.version))) or 0)


@cache
def _version_statement() -> Executable:
    return select(func.max(CatalogueVersion.version))


class CatalogueCache:
    """The current catalogue for the service: the version number is read on every call, a version's JSON
    is parsed once. ``fallback`` is used while no version is stored (a database not seeded yet)."""

    def __init__(self, fallback: BenefitCatalogue) -> None:
        self._fallback = fallback
        self._parsed: dict[int, CurrentCatalogue] = {}
        self._lock = threading.Lock()

    def current(self, session: Session) -> CurrentCatalogue:
        version = session.connection().execute(_version_statement()).scalar()
        if version is None:
            return CurrentCatalogue(None, self._fallback)
        found = self._parsed.get(version)
        if found is None:
            found = catalogue_version(session, int(version))
            with self._lock:
                self._parsed[found.version] = found  # type: ignore[index]
        return found
