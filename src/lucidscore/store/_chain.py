"""Tamper-evident audit tables: every row is chained to the row before it by a SHA-256 hash.

A chained table carries three columns besides its own: ``chain_seq`` (the row's place in the chain, 1, 2,
3, … with no gaps), ``prev_hash`` (the ``row_hash`` of link ``chain_seq - 1``; 64 zeros for link 1) and
``row_hash``::

    row_hash = SHA-256( "lucidscore-audit-chain-v1" \\n table \\n prev_hash \\n canonical(row) )

``canonical(row)`` is the JSON object of every other column of the row, ``id`` and ``chain_seq`` included,
keys sorted, no whitespace, NULL columns left out; each value in one form that survives the round trip
through either database: integers as integers, floats by their shortest exact repr, dates
``YYYY-MM-DD``, date-times in UTC ``YYYY-MM-DDTHH:MM:SS.ffffff``, JSON columns as their parsed value. So
editing, deleting, inserting or reordering a row breaks the chain at that row, and
``audit_chain_heads`` keeps each chain's last link, so rows cut from the end show too.

This module is the format (it must not change for stored chains to keep verifying); the writer that
fills the columns is ``_chain_writer``, the checker ``_chain_verify``, and the database-side guards
live in Alembic revision ``0003_audit_chain``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import numbers
import operator
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import Column

from lucidscore.store._base import Base

CHAIN_FORMAT = "lucidscore-audit-chain-v1"
GENESIS_HASH = "0" * 64
CHAIN_SEQ = "chain_seq"
PREV_HASH = "prev_hash"
ROW_HASH = "row_hash"
HEADS_TABLE = "audit_chain_heads"
# Optional key of a row handed to the chain writer: its JSON columns' values already in canonical JSON.
ENCODED_JSON = "_lucidscore_canonical_json"
_MARK = "audit_chain"

Kind = Literal["integer", "float", "boolean", "string", "date", "datetime", "datetime_tz", "json"]


class AuditChained:
    """Mixin: the table's rows form a hash chain (``chain_seq``, ``prev_hash``, ``row_hash``).

    The store writes the three columns itself (see ``install_audit_chain``); code that inserts rows sets
    none of them.
    """

    chain_seq: Mapped[int] = mapped_column(
        BigInteger, unique=True, index=True, sort_order=100, info={_MARK: True}
    )
    prev_hash: Mapped[str] = mapped_column(String(64), sort_order=101)
    row_hash: Mapped[str] = mapped_column(String(64), sort_order=102)


class AuditChainHead(Base):
    """The last link of each chained table, so that rows cut from the end of a chain are noticed."""

    __tablename__ = HEADS_TABLE

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


def is_chained(table: Table) -> bool:
    """Whether ``table``'s rows form an audit chain (its model uses ``AuditChained``)."""
    column = table.c.get(CHAIN_SEQ)
    return column is not None and bool(column.info.get(_MARK))


def chained_tables() -> list[Table]:
    """Every chained table declared on ``Base``, by name (the service models are imported first)."""
    import lucidscore.store.service  # noqa: F401  (declares the service tables on Base.metadata)

    return sorted((t for t in Base.metadata.tables.values() if is_chained(t)), key=lambda t: t.name)


def covered_columns(table: Table) -> list[Column[Any]]:
    """The columns a row's hash covers: all but ``prev_hash`` (hashed as the link) and ``row_hash``."""
    return [c for c in table.columns if c.name not in (PREV_HASH, ROW_HASH)]


def id_column(table: Table) -> Column[Any]:
    """The chained table's single integer primary key."""
    (column,) = table.primary_key.columns
    return column


def column_kind(column: Column[Any]) -> Kind:
    """How a column's values are written into the canonical form."""
    type_ = column.type
    if isinstance(type_, JSON):
        return "json"
    if isinstance(type_, DateTime):
        return "datetime_tz" if type_.timezone else "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, Boolean):
        return "boolean"
    if isinstance(type_, Integer):
        return "integer"
    if isinstance(type_, Float):
        return "float"
    if isinstance(type_, String):
        return "string"
    raise TypeError(f"{column.table.name}.{column.name}: type {type_} cannot be part of an audit chain")


class UnreadableValue(ValueError):
    """A stored value that is not of its column's type (written behind the service's back)."""


_EXPECTED: dict[Kind, str] = {
    "integer": "an integer",
    "float": "a finite number",
    "boolean": "true or false",
    "string": "text",
    "date": "a date",
    "datetime": "a date-time",
    "datetime_tz": "a date-time",
    "json": "JSON",
}


def expected(kind: Kind) -> str:
    """What a value of ``kind`` should be, in words."""
    return _EXPECTED[kind]


def stored_value(kind: Kind, value: Any) -> Any:
    """``value`` as it will be stored and read back, for a row about to be inserted.

    Date-times become UTC (SQLite keeps the wall time and drops the zone, so anything else would be stored
    wrongly); JSON goes through one dump/load (tuples become lists, keys strings); numbers become plain
    Python numbers. Raises ``TypeError`` for a value the column cannot hold.
    """
    if value is None:
        return None
    if kind == "integer" and not isinstance(value, bool):
        return operator.index(value)
    if kind == "float" and not isinstance(value, bool) and isinstance(value, numbers.Real):
        number = float(value)
        if math.isfinite(number):
            return number + 0.0  # -0.0 becomes 0.0: SQLite stores integral reals as integers
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "date" and isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if kind in ("datetime", "datetime_tz") and isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return moment if kind == "datetime_tz" else moment.replace(tzinfo=None)
    if kind == "json":
        return value if _plain_json(value) else json.loads(json.dumps(value))
    raise TypeError(f"expected {expected(kind)}, got {type(value).__name__} {value!r}")


_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))
_JSON_TYPES = _JSON_SCALARS | {dict, list}
_CONTAINERS = (dict, list)


def _plain_json(value: Any, known: set[int] | None = None) -> bool:
    """Whether ``value`` is already what a JSON dump and load gives back (the usual case, and 4x cheaper to
    check than to do): dicts with text keys, lists, text, numbers, booleans, None.

    The types of a container's members are gathered at once (``set(map(type, ...))``, in C), so only
    containers are visited one by one. ``known``: ids of containers already found plain (a row's reasons
    list, which its explanation holds too), skipped; ``value``'s own id is added to it when it is plain."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return kind in _JSON_SCALARS
    stack = [value]
    while stack:
        item = stack.pop()
        if known and id(item) in known:
            continue
        if type(item) is dict:
            if item and set(map(type, item)) != {str}:
                return False
            members = item.values()
        else:
            members = item
        kinds = set(map(type, members))
        if kinds <= _JSON_SCALARS:
            continue
        if not kinds <= _JSON_TYPES:
            return False
        stack.extend(m for m in members if type(m) in _CONTAINERS)
    if known is not None:
        known.add(id(value))
    return True


def canonical_value(kind: Kind, value: Any) -> Any:
    """The canonical form of a value as the writer holds it (``stored_value``) or a database returns it.

    SQLite returns dates, date-times and JSON as text, PostgreSQL as Python objects (JSON is read as text
    from both). Raises ``UnreadableValue`` for a value that is not of the column's type.
    """
    if value is None:
        return None
    try:
        return _canonical(kind, value)
    except (TypeError, ValueError, OverflowError):
        raise UnreadableValue(f"{value!r} is not {expected(kind)}") from None


def _canonical(kind: Kind, value: Any) -> Any:
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(value)
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise TypeError(value)
        return float(value) + 0.0
    if kind == "boolean":
        if value in (0, 1):  # SQLite returns 0 and 1
            return bool(value)
        raise TypeError(value)
    if kind == "string":
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    if kind == "date":
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if isinstance(value, datetime) or not isinstance(value, date):
            raise TypeError(value)
        return value.isoformat()
    if kind in ("datetime", "datetime_tz"):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(value)
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    # json: the writer holds the parsed value, a database gives the stored text
    return json.loads(value) if isinstance(value, str) else value


def canonical_fields(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of ``row`` (column name -> value as stored or as read back) that its hash covers.

    NULL columns are left out. Raises ``UnreadableValue`` naming the column whose value is not of its type.
    """
    fields: dict[str, Any] = {}
    for column in covered_columns(table):
        try:
            value = canonical_value(column_kind(column), row.get(column.name))
        except UnreadableValue as exc:
            raise UnreadableValue(f"column {column.name} holds {exc}") from None
        if value is not None:
            fields[column.name] = value
    return fields


def link_hash(table: str, prev_hash: str, fields: Mapping[str, Any]) -> str:
    """``row_hash`` of a row of ``table`` whose canonical fields are ``fields`` (NULLs left out).

    >>> link_hash("t", GENESIS_HASH, {"id": 1, "chain_seq": 1})[:16]
    '5914fd896e1ea92a'
    """
    return _sha256(table, prev_hash, canonical_json(fields))


def _sha256(table: str, prev_hash: str, body: str) -> str:
    text = f"{CHAIN_FORMAT}\n{table}\n{prev_hash}\n{body}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_json(value: Any, *, allow_nan: bool = True) -> str:
    """``value`` in the chain's JSON form: keys sorted, no whitespace, text as is (not ``\\u`` escaped),
    NaN and infinities as ``NaN`` / ``Infinity`` (or ``ValueError`` when ``allow_nan`` is false).

    >>> canonical_json({"b": [1.5, None], "a": "é"})
    '{"a":"é","b":[1.5,null]}'
    """
    return "".join(_encoder(allow_nan)(value, 0))


_encode_text = json.encoder.encode_basestring  # a text as the canonical encoder writes it (ensure_ascii off)


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


@functools.cache
def _encoder(allow_nan: bool) -> Any:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=…)`` made
    once (``json.dumps`` builds its encoder on every call: a quarter of the time for a small value).

    The encoder of the ``json`` module itself, so the text is the same; without its check for circular
    containers (a score row has none; one would hit the recursion limit instead of a ValueError)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has the C encoder
        encoder = json.JSONEncoder(
            sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan
        )
        return lambda value, _level: [encoder.encode(value)]
    return make(None, _not_json, json.encoder.encode_basestring, None, ":", ",", True, False, allow_nan)


def canonical_object(fields: Mapping[str, Any], encoded: Mapping[str, str], *, allow_nan: bool = True) -> str:
    """``canonical_json(fields)`` when ``encoded`` holds, for some of the keys, their value already in the
    canonical form: those texts are spliced in as they are instead of being encoded again (the other
    values are encoded together, a run of keys at a time, so the result is the same text).

    Each ``encoded[key]`` must be ``canonical_json(fields[key])``: the caller's promise, which
    ``link_hash_encoded`` relies on. A mapping with a key that is not text is encoded whole.

    >>> canonical_object({"a": 1, "b": [2, {"y": 1, "x": 0}], "c": None}, {"b": '[2,{"x":0,"y":1}]'})
    '{"a":1,"b":[2,{"x":0,"y":1}],"c":null}'
    """
    if not encoded or set(map(type, fields)) != {str}:
        return canonical_json(fields, allow_nan=allow_nan)  # (other keys sort and print differently)
    parts: list[str] = []
    run: dict[str, Any] = {}
    for key in sorted(fields):
        text = encoded.get(key)
        if text is None:
            run[key] = fields[key]
            continue
        if run:
            parts.append(canonical_json(run, allow_nan=allow_nan)[1:-1])
            run = {}
        parts.append(f"{_encode_text(key)}:{text}")
    if run:
        parts.append(canonical_json(run, allow_nan=allow_nan)[1:-1])
    return "{" + ",".join(parts) + "}"


def link_hash_encoded(
    table: str, prev_hash: str, fields: Mapping[str, Any], encoded: Mapping[str, str]
) -> str:
    """``link_hash(table, prev_hash, fields)`` with some values already in canonical JSON (``encoded``, as
    for ``canonical_object``): a row's JSON columns encoded once for its content digest need not be
    encoded again for its link."""
    return _sha256(table, prev_hash, canonical_object(fields, encoded))
