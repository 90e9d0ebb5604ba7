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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, event, select, text
from sqlalchemy.engine import Connection, Engine
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
    canonical_value,
    column_kind,
    covered_columns,
    id_column,
    is_chained,
    link_hash_encoded,
    stored_value,
)

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
    if not is_chained(table):
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
    columns = [(c, column_kind(c)) for c in covered_columns(table)]
    new_ids = iter(ids)
    for row in rows:
        texts: dict[str, str] = row.pop(ENCODED_JSON, None) or {}
        encoded: dict[str, str] = {}
        if row.get(pk.key) is None:
            row[pk.key] = next(new_ids)
        seq += 1
        row[CHAIN_SEQ] = seq
        fields: dict[str, Any] = {}
        for column, kind in columns:
            if column.key not in row:
                if column.default is None:
                    continue
                row[column.key] = _default(column)
            given = row[column.key]
            try:
                row[column.key] = stored = stored_value(kind, given)
            except TypeError as exc:
                raise AuditChainError(f"{table.name}.{column.name}: {exc}") from None
            value = canonical_value(kind, stored)
            if value is not None:
                fields[column.name] = value
                # The caller's encoding is of the value it gave: usable only if the value is hashed as given.
                if texts and kind == "json" and value is given and column.key in texts:
                    encoded[column.name] = texts[column.key]
        row[PREV_HASH] = prev
        row[ROW_HASH] = prev = link_hash_encoded(table.name, prev, fields, encoded)
    return rows


def _default(column: Any) -> Any:
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps zero-argument callables to take a context
    raise AuditChainError(f"{column.table.name}.{column.name}: only Python-side defaults can be chained")


def _lock_head(conn: Connection, table: Table, new_ids: int) -> tuple[int, str, list[int]]:
    """Take the chain's lock; return the link to continue from, its hash and ``new_ids`` fresh ids.

    That link is the chain's head, or the table's last link when it is further on (rows of this
    transaction: PostgreSQL moves the head at commit). A chain whose last rows were deleted goes on from
    its head, so the gap stays for ``audit verify`` to find (the database checks the same rule).
    """
    name = table.name
    dialect = conn.dialect.name
    where = {"t": name}
    if dialect == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:ns, hashtext(:t))"), where | {"ns": _PG_LOCK_NAMESPACE}
        )
    elif dialect == "sqlite":
        # A write first: SQLite then holds its one write lock, and the reads below see the latest commit.
        conn.execute(text(f"UPDATE {HEADS_TABLE} SET last_seq = last_seq WHERE table_name = :t"), where)
    else:  # pragma: no cover - make_engine accepts only these two
        raise AuditChainError(f"audit chains are not implemented for {dialect}")
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
