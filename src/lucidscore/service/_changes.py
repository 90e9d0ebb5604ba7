"""Which consumers' records changed since a publish read them.

Every raw table is append-only with a rising ``_version_id``: a new record, and every correction, is a new
version. A publish notes, before it reads the records, each table's largest ``_version_id`` and the ingest
batches not finished yet (on PostgreSQL, ids come from sequences, so a batch still loading may hold ids
below that largest one; its batch row was committed before it took any). A later ``--changed-only``
publish rescores the owners of every version after those marks, or loaded by those batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from lucidscore.records import TABLES_BY_NAME

# The tables features read (lucidscore.features.REQUIRED_TABLES); outcomes do not change a score.
SCORED_TABLES = ("consumers", "accounts", "statements", "inquiries", "public_records", "income")
_FINISHED = "SELECT id, table_name FROM ingest_batches WHERE finished_at IS NOT NULL AND status <> 'failed'"


@dataclass(frozen=True)
class RecordMarks:
    """Where the records stood: each table's largest ``_version_id``, and the batches still loading."""

    through: dict[str, int]
    pending: list[int]


def record_marks(engine: Engine) -> RecordMarks:
    """The marks, read from one snapshot (PostgreSQL: REPEATABLE READ; SQLite: one read transaction)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            pending = [
                int(i)
                for (i,) in conn.execute(
                    text("SELECT id FROM ingest_batches WHERE finished_at IS NULL ORDER BY id")
                )
            ]
            through = {
                name: int(
                    conn.execute(text(f"SELECT coalesce(max(_version_id), 0) FROM {name}")).scalar_one()
                )
                for name in SCORED_TABLES
            }
    return RecordMarks(through, pending)


def _owners(name: str, where: str) -> str:
    """SQL for the consumer_id of every version of the records of ``name`` matched by ``where`` (a
    correction may move a record to another consumer: both the old and the new owner changed)."""
    key = TABLES_BY_NAME[name].key
    if "consumer_id" in key:
        return f"SELECT consumer_id FROM {name} WHERE {where}"
    if name == "statements":  # reaches its consumer through every version of its account
        return (
            "SELECT a.consumer_id FROM accounts a WHERE a.account_id IN "
            f"(SELECT account_id FROM statements WHERE {where})"
        )
    (column,) = key
    return (
        f"SELECT o.consumer_id FROM {name} o WHERE o.{column} IN (SELECT {column} FROM {name} WHERE {where})"
    )


def changed_consumers(conn: Connection, since: RecordMarks) -> set[str]:
    """The consumers with a record version after ``since`` (or loaded by a batch pending then that has
    finished since; one that is still loading will be pending in the new marks too)."""
    done = {int(i): str(t) for i, t in conn.execute(text(_FINISHED)) if int(i) in set(since.pending)}
    out: set[str] = set()
    for name in SCORED_TABLES:
        where = "_version_id > :v"
        params: dict[str, Any] = {"v": since.through.get(name, 0)}
        late = sorted(i for i, table in done.items() if table == name)
        if late:
            where = f"({where} OR _batch_id IN ({', '.join(str(i) for i in late)}))"
        out.update(str(c) for (c,) in conn.execute(text(_owners(name, where)), params))
    return out


def records_changed(conn: Connection, since: RecordMarks) -> bool:
    """Whether any record version came after ``since`` (or was loaded by a batch pending then that has
    finished since): each table's test reads at most one row through its key, so a national shard whose
    records did not change answers at once. Every version has an owner, so this is ``changed_consumers``
    being non-empty, without listing them."""
    done = {int(i): str(t) for i, t in conn.execute(text(_FINISHED)) if int(i) in set(since.pending)}
    for name in SCORED_TABLES:
        params: dict[str, Any] = {"v": since.through.get(name, 0)}
        if conn.execute(text(f"SELECT 1 FROM {name} WHERE _version_id > :v LIMIT 1"), params).first():
            return True
        late = sorted(i for i, table in done.items() if table == name)
        if late:
            found = conn.execute(
                text(f"SELECT 1 FROM {name} WHERE _batch_id IN ({', '.join(map(str, late))}) LIMIT 1")
            ).first()
            if found:
                return True
    return False


def marks_from_json(through: Any, pending: Any) -> RecordMarks:
    """``RecordMarks`` as a publication stores them (``records_through``, ``pending_batches``)."""
    marks = through if isinstance(through, dict) else {}
    batches = pending if isinstance(pending, list) else []
    return RecordMarks({str(k): int(v) for k, v in marks.items()}, [int(i) for i in batches])
