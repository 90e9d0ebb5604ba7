"""One writer at a time for the database-changing part of an ingest: a queue with a bounded wait.

SQLite allows one writing transaction at a time; a transaction that began by reading and then wants to
write fails at once with "database is locked" when another process committed in between. So the part of
an ingest that reads the stored rows and writes new ones runs in a transaction that takes the write lock
when it begins (``BEGIN IMMEDIATE``), waiting for it up to ``wait`` seconds. PostgreSQL lets writers run
together, but two loads of the same keys at once would both see them as new; an advisory lock held for
the transaction (``pg_try_advisory_xact_lock``, polled until ``wait``) makes them queue the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from lucidscore.errors import LucidError
from lucidscore.store._engine import SQLITE_BEGIN, SQLITE_BUSY_TIMEOUT_MS

DEFAULT_WAIT_SECONDS = 1800.0
# The advisory lock every lucidscore writer of raw records takes on PostgreSQL (any fixed 64-bit number).
INGEST_LOCK_KEY = 0x6C75636964_0001
# First key of the two-key advisory locks of single raw tables (the second: hashtext of the table's name).
TABLE_LOCK_NAMESPACE = 0x6C756369


class DatabaseBusy(LucidError):
    """Another writer held the database for longer than the caller was willing to wait."""


def _busy(conn: Connection, wait: float, what: str) -> DatabaseBusy:
    url = conn.engine.url.render_as_string(hide_password=True).replace("postgresql+psycopg", "postgresql")
    return DatabaseBusy(
        f"{url}: another ingest (or another writer) held the database for more than {wait:g} s; {what}; "
        "try again when it has finished, or wait longer with --wait SECONDS"
    )


@contextmanager
def lock_transaction(
    conn: Connection,
    *,
    wait: float = DEFAULT_WAIT_SECONDS,
    what: str = "nothing was written",
    table: str | None = None,
) -> Iterator[Connection]:
    """A transaction on ``conn`` that holds the database's write lock (waiting up to ``wait`` seconds).

    ``table``: on PostgreSQL, the lock of that raw table only (writers of different tables run
    together; a reader of a table being first-loaded waits for that load's commit, as PostgreSQL's own
    table lock makes it); SQLite has one writer whatever the table.
    Raises ``DatabaseBusy`` naming the database when the wait runs out; ``what`` says what that meant.
    """
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute(f"PRAGMA busy_timeout={max(int(wait * 1000), 1)}")
        conn.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})
        try:
            try:
                tx = conn.begin()
            except OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise _busy(conn, wait, what) from None
                raise
            with tx:
                yield conn
        finally:
            conn.execution_options(**{SQLITE_BEGIN: "BEGIN"})
            if not conn.closed and not conn.invalidated:
                raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        return
    with conn.begin():
        deadline = time.monotonic() + wait
        pause = 0.01
        if table is None:
            attempt = text("SELECT pg_try_advisory_xact_lock(:k)").bindparams(k=INGEST_LOCK_KEY)
        else:  # the two-key form: a lock space of its own, apart from the one-key database lock
            attempt = text("SELECT pg_try_advisory_xact_lock(:ns, hashtext(:t))").bindparams(
                ns=TABLE_LOCK_NAMESPACE, t=table
            )
        while not conn.execute(attempt).scalar():
            if time.monotonic() >= deadline:
                raise _busy(conn, wait, what)
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause = min(pause * 2, 0.5)
        yield conn


@contextmanager
def write_transaction(
    engine: Engine, *, wait: float = DEFAULT_WAIT_SECONDS, what: str = "nothing was written"
) -> Iterator[Connection]:
    """A new connection in a transaction holding the write lock (see ``lock_transaction``)."""
    with engine.connect() as conn, lock_transaction(conn, wait=wait, what=what):
        yield conn
