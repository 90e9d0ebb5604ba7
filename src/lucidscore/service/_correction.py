"""Correct a disputed record through the store's supersede mechanism: a new version, the old one kept."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

from lucidscore.errors import InputError
from lucidscore.records import TABLES_BY_NAME
from lucidscore.service._errors import Invalid, NotFound
from lucidscore.service._records import RECORD_KEYS, key_condition
from lucidscore.store import make_engine


def apply_correction(
    db_url: str, table: str, key: str, consumer_id: str, corrections: dict[str, Any]
) -> dict[str, Any]:
    """Ingest the current row of ``table`` named by ``key`` with ``corrections`` applied and a new
    ``reported_at``; return the corrected row. Refuses key columns and unknown columns by name."""
    from lucidscore.ingest import correct_record

    record = TABLES_BY_NAME[table]
    columns = set(record.column_names)
    key_columns = RECORD_KEYS[table]
    editable = [
        c for c in record.column_names if c not in key_columns and c not in ("reported_at", "consumer_id")
    ]
    for column in corrections:
        if column not in editable:
            raise Invalid(
                f"corrections: {table}.{column} cannot be corrected; expected one of {', '.join(editable)}",
                field="corrections",
            )
    engine = make_engine(db_url)
    try:
        parts = key.split("|")
        where = key_condition(key_columns, alias="")
        params = {f"k{i}": p for i, p in enumerate(parts)}
        with engine.connect() as conn:
            row = (
                conn.execute(text(f"SELECT * FROM {table}_current WHERE {where}"), params).mappings().first()
            )
        if row is None:
            raise NotFound(f"{table} record {key!r} is no longer current", field="record_key")
        source = f"dispute correction of {table} {key}"
        try:
            report = correct_record(
                engine, table, {c: row[c] for c in key_columns}, corrections, source=source
            )
        except InputError as exc:
            raise Invalid(f"corrections: {exc.message}", field="corrections") from None
        if report.quarantined:
            problem = report.problems[0] if report.problems else "the corrected row was refused"
            raise Invalid(f"corrections: {problem}", field="corrections")
        with engine.connect() as conn:
            stored = (
                conn.execute(text(f"SELECT * FROM {table}_current WHERE {where}"), params).mappings().first()
            )
    finally:
        engine.dispose()
    if stored is None:  # superseded again between the correction and this read
        raise NotFound(f"{table} record {key!r} is no longer current", field="record_key")
    # Dates as text too (PostgreSQL hands back ``date`` objects; SQLite text): the row goes into the trail.
    return {c: (v.isoformat() if isinstance(v, date) else v) for c, v in stored.items() if c in columns}
