"""Correct one stored record: a new version with the changed values and a reported_at that orders it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from lucidscore.errors import InputError
from lucidscore.ingest._file import _record, _utcnow, ingest_frame
from lucidscore.ingest._report import FileReport
from lucidscore.store import DEFAULT_WAIT_SECONDS, SUPERSEDED_AT, raw_table

_REPORTED_AT = "reported_at"
TICK = timedelta(microseconds=1)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def correct_record(
    engine: Engine,
    table: str,
    key: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    source: str,
    now: datetime | None = None,
    wait: float = DEFAULT_WAIT_SECONDS,
) -> FileReport:
    """Store a corrected version of the current record of ``table`` with natural ``key``.

    The new version holds the current values with ``changes`` applied, goes through every check of
    ``ingest_frame`` and supersedes the current one (which stays in history). Its ``reported_at`` is
    ``now``, or one microsecond after the stored version's when that is not older than ``now`` (two
    corrections in the same instant, or a clock set back), so a correction is never refused as stale.
    A value that fails a check comes back as a problem in the report (``quarantined``), nothing stored.

    Raises ``InputError`` for an unknown table or column, a key column or ``reported_at`` among the
    changes, a table without ``reported_at`` (outcomes), or no current record with that key.
    """
    record = _record(table)
    if _REPORTED_AT not in record.column_names:
        raise InputError(f"{table}: has no reported_at; its rows are not corrected by a new version")
    editable = [c for c in record.column_names if c not in record.key and c != _REPORTED_AT]
    for column in changes:
        if column in record.key:
            raise InputError(f"{table}: {column} is part of the key and cannot be corrected")
        if column not in editable:
            raise InputError(f"{table}: no column {column}; expected one of {', '.join(editable)}")
    if sorted(key) != sorted(record.key):
        raise InputError(f"{table}: the key has columns {', '.join(record.key)}; got {', '.join(key)}")
    stored = raw_table(table)
    with engine.connect() as conn:
        current = (
            conn.execute(
                select(*(stored.c[c] for c in record.column_names)).where(
                    and_(*(stored.c[k] == key[k] for k in record.key), stored.c[SUPERSEDED_AT].is_(None))
                )
            )
            .mappings()
            .first()
        )
    if current is None:
        raise InputError(f"{table}: no current record {'|'.join(str(key[k]) for k in record.key)}")
    moment = now or _utcnow()
    reported = max(moment, current[_REPORTED_AT] + TICK)
    values = {c: current[c] for c in record.column_names} | dict(changes) | {_REPORTED_AT: reported}
    # Python objects, not a polars frame: a value that is not valid text (a lone surrogate from a JSON
    # body) then becomes a problem in the report instead of an encoding error. (pandas is imported here, not
    # with the package: ``lucidscore ingest`` never needs it, and it was a fifth of the command's start-up.)
    import pandas as pd

    frame = pd.DataFrame({c: [_text(values[c])] for c in record.column_names}, dtype=object)
    return ingest_frame(frame, table, engine, source=source, now=max(moment, reported), wait=wait)
