"""Read the full history of one record: every version ever stored, oldest first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, select, union_all
from sqlalchemy.engine import Engine

from lucidscore.errors import InputError
from lucidscore.records import TABLES_BY_NAME
from lucidscore.store._tables import RAW_TABLE_NAMES, SUPERSEDED_AT, VERSION_ID, raw_table


def history(engine: Engine, table: str, key: Mapping[str, Any] | Any) -> list[dict[str, Any]]:
    """Every stored version of the record with natural ``key`` in ``table``, oldest first.

    ``key`` maps each key column to its value (``{"account_id": "A1", "period": "2026-01"}``); a table with
    a one-column key also takes the bare value. Each version carries the record columns and the
    bookkeeping columns (``_version_id``, ``_batch_id``, ``_ingested_at``, ``_superseded_at``: NULL for
    the current version).
    """
    if table not in TABLES_BY_NAME:
        raise InputError(f"table {table!r} is unknown; expected one of {', '.join(RAW_TABLE_NAMES)}")
    key_cols = TABLES_BY_NAME[table].key
    if not isinstance(key, Mapping):
        if len(key_cols) != 1:
            raise InputError(
                f"{table}: the key has columns {', '.join(key_cols)}; pass a mapping with each of them"
            )
        key = {key_cols[0]: key}
    missing = [c for c in key_cols if c not in key]
    extra = [c for c in key if c not in key_cols]
    if missing or extra:
        raise InputError(
            f"{table}: key columns missing: {', '.join(missing) or 'none'}; "
            f"unexpected: {', '.join(extra) or 'none'}; expected exactly {', '.join(key_cols)}"
        )
    t = raw_table(table)
    match = and_(*(t.c[c] == key[c] for c in key_cols))
    # Two index lookups: the current version (unique index of current keys) and the superseded ones
    # (the partial index of superseded keys); no index holds every version.
    parts = union_all(
        select(t).where(match, t.c[SUPERSEDED_AT].is_(None)),
        select(t).where(match, t.c[SUPERSEDED_AT].is_not(None)),
    ).subquery()
    query = select(parts).order_by(parts.c[VERSION_ID])
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
