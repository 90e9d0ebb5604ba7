"""The writer side of the audit chain: every INSERT into a chained table gets its links on the way out.

``install_audit_chain(engine)`` (done by ``make_engine``) listens to the engine's ``before_execute``
event. For an INSERT into a chained table — Core ``insert(AccessLog)``, an ORM flush or an ORM bulk
insert alike — it

1. takes the chain's lock, held until the transaction ends: on PostgreSQL a transaction-level advisory
   lock per table; on SQLite the database's single write lock, taken at once by a no-op write to the
   head row (so the head is read inside the write transaction, never from an older snapshot);
2. reads the chain's head from ``audit_chain_heads`` and allocates the rows' ids (PostgreSQL: from the
   table's sequence, under the lock, so ids rise along the chain; SQLite: after the largest id);
3. fills Python-side column defaults, normalises each value to what the database will hand back
   (``stored_value``) and sets ``chain_seq``, ``prev_hash`` and ``row_hash`` on every row.

So the call sites insert as they always did and concurrent writers append one after another. The
database checks each new row against the head and moves the head (triggers of revision
``0003_audit_chain``), so a writer that skips this (another tool, raw SQL) is refused, not chained wrongly.
An ORM object flushed into a chained table is refreshed from its stored row, so it shows its links (and
its values as stored) at once.

``insert_chained(conn, table, rows)`` is the bulk path: the same links, and on PostgreSQL one ``COPY`` for
all the rows instead of one INSERT per row (``score_history``'s links are then checked once per statement
by the database: revision ``0011_score_history_copy``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Table, event, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Insert

from lucidscore.store._chain import (
    CHAIN_SEQ,
    ENCODED_JSON,
    HEADS_TABLE,
    PREV_HASH,
    ROW_HASH,
    AuditChained,
    Kind,
    _plain_json,
    canonical_value,
    column_kind,
    covered_columns,
    id_column,
    is_chained,
    link_hash_encoded,
    stored_value,
)

# Execution option of insert_chained's own INSERT, whose rows chain_rows has already linked.
_CHAINED = "lucidscore_audit_chain_linked"
# pg_advisory_xact_lock(namespace, key): 'lucd' keeps lucidscore's locks apart from anyone else's.
_PG_LOCK_NAMESPACE = 0x6C756364


class AuditChainError(RuntimeError):
    """An insert into a chained table that the chain cannot take (a programming error, not bad input)."""


def install_audit_chain(engine: Engine) -> None:
    """Chain every row inserted into an audit table through ``engine`` (idempotent)."""
    if not event.contains(engine, "before_execute", _chain_inserts):
        event.listen(engine, "before_execute", _chain_inserts, retval=True)


def _chain_inserts(
    conn: Connection,
    statement: Any,
    multiparams: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    execution_options: Mapping[str, Any],
) -> tuple[Any, Sequence[Mapping[str, Any]], Mapping[str, Any]]:
    if not isinstance(statement, Insert) or not isinstance(statement.table, Table):
        return statement, multiparams, params
    table = statement.table
    if not is_chained(table) or execution_options.get(_CHAINED):
        return statement, multiparams, params
    if statement.select is not None or statement._values or statement._multi_values:
        raise AuditChainError(
            f"{table.name} is an audit chain: insert plain values as parameters, "
            f"conn.execute(insert({table.name}), rows), not INSERT ... SELECT or .values()"
        )
    rows = [dict(r) for r in multiparams] if multiparams else [dict(params)]
    return statement, chain_rows(conn, table, rows), {}


def chain_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lock ``table``'s chain for this transaction and return ``rows`` with ids and links set.

    A row may carry, under the key ``ENCODED_JSON``, its JSON columns' values already in canonical JSON
    (column key -> ``canonical_json(value)``, as ``lucidscore.service.record_scores`` has them from the
    content digest): they are hashed from that text instead of being encoded again. The key is taken out
    of the row; a value that is not stored exactly as given (a tuple, a non-text key) is encoded anew.
    """
    taken = [c for c in (CHAIN_SEQ, PREV_HASH, ROW_HASH) if any(r.get(c) is not None for r in rows)]
    if taken:
        raise AuditChainError(
            f"{table.name}: {', '.join(taken)} are written by the audit chain, not by callers"
        )
    pk = id_column(table)
    seq, prev, ids = _lock_head(conn, table, sum(1 for r in rows if r.get(pk.key) is None))
    link_rows(table, rows, seq, prev, ids)
    return rows


def link_rows(table: Table, rows: list[dict[str, Any]], seq: int, prev: str, ids: Sequence[int]) -> None:
    """Set ids (from ``ids``, for rows without one), stored values, ``chain_seq``, ``prev_hash`` and
    ``row_hash`` on ``rows`` in place, continuing the chain from link ``seq`` whose hash is ``prev``."""
    pk = id_column(table)
    columns = [
        (c.key, c.name, kind, _CONVERT[kind], c) for c in covered_columns(table) for kind in [column_kind(c)]
    ]
    new_ids = iter(ids)
    name = table.name
    for row in rows:
        texts: dict[str, str] = row.pop(ENCODED_JSON, None) or {}
        encoded: dict[str, str] = {}
        if row.get(pk.key) is None:
            row[pk.key] = next(new_ids)
        seq += 1
        row[CHAIN_SEQ] = seq
        fields: dict[str, Any] = {}
        plain: set[int] = set()  # JSON containers of this row found stored as given
        for key, column_name, kind, convert, column in columns:
            if key in row:
                given = row[key]
            elif column.default is None:
                continue
            else:
                row[key] = given = _default(column)
            if given is None:
                continue
            # (JSON text given for a JSON column is parsed for its hash: only containers take this path)
            if kind == "json" and (type(given) is dict or type(given) is list) and _plain_json(given, plain):
                fields[column_name] = given
                if texts and key in texts:  # the caller's encoding of the value it gave, stored as given
                    encoded[column_name] = texts[key]
                continue
            try:
                row[key], value = convert(kind, given)
            except TypeError as exc:
                raise AuditChainError(f"{name}.{column_name}: {exc}") from None
            if value is not None:
                fields[column_name] = value
                # The caller's encoding is of the value it gave: usable only if the value is hashed as given.
                if texts and value is given and kind == "json" and key in texts:
                    encoded[column_name] = texts[key]
        row[PREV_HASH] = prev
        row[ROW_HASH] = prev = link_hash_encoded(name, prev, fields, encoded)


def _generic(kind: Kind, given: Any) -> tuple[Any, Any]:
    stored = stored_value(kind, given)
    return stored, canonical_value(kind, stored)


def _text(kind: Kind, given: Any) -> tuple[Any, Any]:
    return (given, given) if type(given) is str else _generic(kind, given)


def _integer(kind: Kind, given: Any) -> tuple[Any, Any]:
    return (given, given) if type(given) is int else _generic(kind, given)


def _float(kind: Kind, given: Any) -> tuple[Any, Any]:
    if type(given) is float and given - given == 0.0:  # finite
        number = given + 0.0
        return number, number
    return _generic(kind, given)


def _date(kind: Kind, given: Any) -> tuple[Any, Any]:
    return (given, given.isoformat()) if type(given) is date else _generic(kind, given)


def _moment(kind: Kind, given: Any) -> tuple[Any, Any]:
    if type(given) is datetime and given.tzinfo is UTC:
        naive = given.replace(tzinfo=None)
        return given if kind == "datetime_tz" else naive, naive.isoformat(timespec="microseconds")
    return _generic(kind, given)


_CONVERT: dict[Kind, Callable[[Kind, Any], tuple[Any, Any]]] = {
    "integer": _integer,
    "float": _float,
    "boolean": _generic,
    "string": _text,
    "date": _date,
    "datetime": _moment,
    "datetime_tz": _moment,
    "json": _generic,
}


def insert_chained(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Append ``rows`` to the chained ``table`` in ``conn``'s transaction; return them as stored, with their
    ids and links (values normalised as ``stored_value`` does).

    The rows are chained exactly as ``conn.execute(insert(table), rows)`` chains them, and stored with the
    same values, byte for byte; on PostgreSQL they go to the server in one ``COPY`` (text format) instead
    of one INSERT each. Nothing is written unless every row is: an error raises, and the caller's
    transaction rolls back. A text value holding NUL (which PostgreSQL cannot store) is refused before
    anything is sent, naming the column and the row.
    """
    if not rows:
        return []
    chained = chain_rows(conn, table, [dict(r) for r in rows])
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table, chained)
    else:  # SQLite: the INSERT the listener would have chained, chained here so the links are known
        conn.execute(insert(table).execution_options(**{_CHAINED: True}), chained)
    return chained


# json.dumps(value) as SQLAlchemy's JSON type stores it (default separators, keys in insertion order,
# ASCII), from one encoder made once: the stored text must not change with the write path.
_STORED_JSON = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None, None, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    if getattr(json.encoder, "c_make_encoder", None)
    else None
)


def stored_json(value: Any) -> str:
    """``value`` as SQLAlchemy's JSON type writes it (``json.dumps`` with its defaults).

    >>> stored_json({"b": [1.5, None], "a": "é"})
    '{"b": [1.5, null], "a": "\\\\u00e9"}'
    """
    if _STORED_JSON is None:  # pragma: no cover - CPython has the C encoder
        return json.dumps(value)
    return "".join(_STORED_JSON(value, 0))


def _copy_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``rows`` (chained, values as stored) into ``table`` by one ``COPY ... FROM STDIN``."""
    present = set().union(*rows)
    columns = [c for c in table.columns if c.key in present]
    keys = [c.key for c in columns]
    json_at = [
        (i, not getattr(c.type, "none_as_null", False))
        for i, c in enumerate(columns)
        if isinstance(c.type, JSON)
    ]
    text_keys = [c.key for c in columns if column_kind(c) == "string"]
    pk = id_column(table).key
    lines: list[list[Any]] = []
    for number, row in enumerate(rows, 1):
        for key in text_keys:
            value = row.get(key)
            if value is not None and "\x00" in value:
                raise AuditChainError(
                    f"{table.name}.{key}: row {number} of {len(rows)} (id {row.get(pk)}) holds a NUL "
                    f"character (\\x00), which PostgreSQL cannot store in text: {value!r}"
                )
        line = [row.get(key) for key in keys]
        for i, null_as_json in json_at:
            value = line[i]
            if value is not None or (null_as_json and keys[i] in row):
                line[i] = stored_json(value)
        lines.append(line)
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) FROM STDIN"
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for line in lines:
                copy.write_row(line)
    except Exception as exc:
        import psycopg

        if isinstance(exc, psycopg.Error):
            raise DBAPIError.instance(statement, None, exc, psycopg.Error) from None
        raise


def _default(column: Any) -> Any:
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps zero-argument callables to take a context
    raise AuditChainError(f"{column.table.name}.{column.name}: only Python-side defaults can be chained")


def lock_chain(conn: Connection, table: Table) -> None:
    """Hold ``table``'s chain lock until the transaction on ``conn`` ends (taking it again is free).

    Every insert into a chained table takes it; a writer that first reads what it is about to append
    against (the score history's current rows) takes it before that read, so that a second writer of the
    same rows waits for the first one's commit and then sees its rows, instead of appending them again.
    """
    dialect = conn.dialect.name
    where = {"t": table.name}
    if dialect == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:ns, hashtext(:t))"), where | {"ns": _PG_LOCK_NAMESPACE}
        )
    elif dialect == "sqlite":
        # A write first: SQLite then holds its one write lock, and the reads after it see the latest commit.
        conn.execute(text(f"UPDATE {HEADS_TABLE} SET last_seq = last_seq WHERE table_name = :t"), where)
    else:  # pragma: no cover - make_engine accepts only these two
        raise AuditChainError(f"audit chains are not implemented for {dialect}")


def _lock_head(conn: Connection, table: Table, new_ids: int) -> tuple[int, str, list[int]]:
    """Take the chain's lock; return the link to continue from, its hash and ``new_ids`` fresh ids.

    That link is the chain's head, or the table's last link when it is further on (rows of this
    transaction: PostgreSQL moves the head at commit). A chain whose last rows were deleted goes on from
    its head, so the gap stays for ``audit verify`` to find (the database checks the same rule).
    """
    name = table.name
    dialect = conn.dialect.name
    where = {"t": name}
    lock_chain(conn, table)
    quote = conn.dialect.identifier_preparer.quote
    pk = id_column(table)
    ids = (
        ", ARRAY(SELECT nextval(pg_get_serial_sequence(:t, :c)) FROM generate_series(1, :n)) AS ids"
        if dialect == "postgresql"
        else f", (SELECT max({quote(pk.name)}) FROM {quote(name)}) AS top_id"
    )
    head = conn.execute(
        text(
            f"SELECT h.last_seq, h.last_hash, tail.{CHAIN_SEQ}, tail.{ROW_HASH}{ids} FROM {HEADS_TABLE} h "
            f"LEFT JOIN (SELECT {CHAIN_SEQ}, {ROW_HASH} FROM {quote(name)} "
            f"ORDER BY {CHAIN_SEQ} DESC LIMIT 1) tail ON 1 = 1 WHERE h.table_name = :t"
        ),
        where | {"c": pk.name, "n": new_ids},
    ).first()
    if head is None:
        raise AuditChainError(
            f"{name}: no audit chain head in {HEADS_TABLE}; migrate the database (lucidscore.store.migrate)"
        )
    seq, prev = int(head.last_seq), str(head.last_hash)
    if head.chain_seq is not None and head.chain_seq > seq:
        seq, prev = int(head.chain_seq), str(head.row_hash)
    if dialect == "postgresql":
        return seq, prev, sorted(head.ids)
    top = head.top_id or 0
    return seq, prev, list(range(top + 1, top + 1 + new_ids))


@event.listens_for(AuditChained, "after_insert", propagate=True)
def _refresh_flushed(mapper: Mapper[Any], conn: Connection, target: Any) -> None:
    """Give an ORM object the links and values the chain stored for it (the unit of work sent None)."""
    table = mapper.local_table
    assert isinstance(table, Table)
    pk = id_column(table)
    row = conn.execute(select(table).where(pk == getattr(target, pk.key))).one()
    for column in table.columns:
        set_committed_value(target, mapper.get_property_by_column(column).key, row._mapping[column])
