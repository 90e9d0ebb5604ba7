"""Correct a disputed record through the store's supersede mechanism: a new version, the old one kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import text

from lucidscore.api._domain import RECORD_KEYS
from lucidscore.api._errors import ApiError
from lucidscore.records import TABLES_BY_NAME
from lucidscore.store import make_engine


def apply_correction(
    db_url: str, table: str, key: str, consumer_id: str, corrections: dict[str, Any]
) -> dict[str, Any]:
    """Ingest the current row of ``table`` named by ``key`` with ``corrections`` applied and a new
    ``reported_at``; return the corrected row. Refuses key columns and unknown columns by name."""
    from lucidscore.ingest import ingest_frame

    record = TABLES_BY_NAME[table]
    key_columns = RECORD_KEYS[table]
    editable = [
        c for c in record.column_names if c not in key_columns and c not in ("reported_at", "consumer_id")
    ]
    for column in corrections:
        if column not in editable:
            raise ApiError(
                422,
                f"corrections: {table}.{column} cannot be corrected; expected one of {', '.join(editable)}",
                field="corrections",
            )
    engine = make_engine(db_url)
    try:
        parts = key.split("|")
        where = " AND ".join(f"CAST({c} AS TEXT) = :k{i}" for i, c in enumerate(key_columns))
        params = {f"k{i}": p for i, p in enumerate(parts)}
        with engine.connect() as conn:
            row = (
                conn.execute(text(f"SELECT * FROM {table}_current WHERE {where}"), params).mappings().first()
            )
        if row is None:
            raise ApiError(404, f"{table} record {key!r} is no longer current", field="record_key")
        moment = datetime.now(UTC).replace(tzinfo=None)  # sub-second: two corrections in a second both count
        corrected = {c: row[c] for c in record.column_names} | dict(corrections) | {"reported_at": moment}
        frame = pl.DataFrame(
            {c: [None if corrected[c] is None else str(corrected[c])] for c in record.column_names},
            schema={c: pl.String for c in record.column_names},
        )
        report = ingest_frame(frame, table, engine, source=f"dispute correction of {table} {key}", now=moment)
        if report.quarantined:
            problem = report.problems[0] if report.problems else "the corrected row was refused"
            raise ApiError(422, f"corrections: {problem}", field="corrections")
    finally:
        engine.dispose()
    return {c: (v.isoformat() if isinstance(v, datetime) else v) for c, v in corrected.items()} | {
        "reported_at": moment.isoformat()
    }
