"""The raw records held about a consumer, read from the store's ``<table>_current`` views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from lucidscore.service._errors import Invalid

# Records a consumer can see and contest: table -> natural key columns (records.py).
RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "consumers": ("consumer_id",),
    "accounts": ("account_id",),
    "statements": ("account_id", "period"),
    "inquiries": ("consumer_id", "at", "merchant_id"),
    "public_records": ("record_id",),
    "income": ("consumer_id", "period"),
}


def key_condition(columns: tuple[str, ...], alias: str = "t") -> str:
    """SQL matching a record's natural key, given as parameters ``k0``, ``k1``… (the '|'-separated parts).

    Each part is compared with its column as text (dates and times as the database writes them), and
    the first column — always a text id — also directly, so that the view's partial key index finds the
    row instead of scanning every current row (10 µs per consumer of the table: a second per correction at
    100,000 consumers)."""
    prefix = f"{alias}." if alias else ""
    texts = [f"CAST({prefix}{c} AS TEXT) = :k{i}" for i, c in enumerate(columns)]
    return " AND ".join([f"{prefix}{columns[0]} = :k0", *texts])


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def records_of(
    session: Session, consumer_id: str, *, limit: int | None = None, offset: int = 0
) -> dict[str, list[dict[str, Any]]]:
    """Every current record held about the consumer, from the store's ``<table>_current`` views;
    ``limit`` and ``offset`` page through each table's records."""
    out: dict[str, list[dict[str, Any]]] = {}
    queries = {
        "consumer": "SELECT * FROM consumers_current WHERE consumer_id = :c",
        "accounts": "SELECT * FROM accounts_current WHERE consumer_id = :c ORDER BY opened, account_id",
        "statements": (
            "SELECT s.* FROM statements_current s JOIN accounts_current a ON a.account_id = s.account_id "
            "WHERE a.consumer_id = :c ORDER BY s.account_id, s.period"
        ),
        "inquiries": "SELECT * FROM inquiries_current WHERE consumer_id = :c ORDER BY at",
        "public_records": "SELECT * FROM public_records_current WHERE consumer_id = :c ORDER BY filed",
        "income": "SELECT * FROM income_current WHERE consumer_id = :c ORDER BY period",
    }
    page = "" if limit is None else " LIMIT :limit OFFSET :offset"
    for name, sql in queries.items():
        result = session.execute(text(sql + page), {"c": consumer_id, "limit": limit, "offset": offset})
        out[name] = [{k: _jsonable(v) for k, v in row.items()} for row in result.mappings()]
    return out


def record_exists(session: Session, consumer_id: str, table: str, key: str) -> bool:
    """Whether ``key`` (parts joined by '|') names a current record of this consumer in ``table``."""
    columns = RECORD_KEYS[table]
    parts = key.split("|")
    if len(parts) != len(columns):
        raise Invalid(
            f"record_key for {table} has {len(parts)} part(s); expected {len(columns)}: {'|'.join(columns)}",
            field="record_key",
        )
    where = key_condition(columns)
    params: dict[str, Any] = {f"k{i}": p for i, p in enumerate(parts)} | {"c": consumer_id}
    if table == "statements":
        sql = (
            "SELECT 1 FROM statements_current t JOIN accounts_current a ON a.account_id = t.account_id "
            f"WHERE a.consumer_id = :c AND {where}"
        )
    else:
        sql = f"SELECT 1 FROM {table}_current t WHERE t.consumer_id = :c AND {where}"
    return session.execute(text(sql), params).first() is not None
