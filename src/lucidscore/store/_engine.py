"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production), configured alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lucidscore.errors import InputError
from lucidscore.store._chain_writer import install_audit_chain

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_BEGIN = "lucidscore_sqlite_begin"  # execution option: the statement that begins a transaction


def _normalise(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(
            f"database URL {url!r} is not a URL; expected sqlite:///path.db or postgresql://user@host/db"
        ) from None
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise InputError(
            f"database URL {url!r}: driver {parsed.drivername!r} is not supported; "
            "expected sqlite:///path.db or postgresql://user@host/db"
        )
    return parsed


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout, recursive triggers, and transactions that really begin (DDL included).

    pysqlite's own transaction handling begins late and commits around DDL; SQLAlchemy's documented recipe
    takes it over so that one ``engine.begin()`` block is one SQLite transaction, all or nothing. Recursive
    triggers make the rows an ``INSERT OR REPLACE`` deletes fire DELETE triggers, so the append-only guards
    see them (the audit tables' own INSERT guard refuses such an insert on any connection).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA recursive_triggers=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN, "BEGIN"))


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``: ``sqlite:///file.db`` or ``postgresql://`` (run through psycopg 3).

    SQLite gets WAL mode, foreign keys and a 30 s busy timeout; a plain ``postgresql://`` URL is mapped to
    the psycopg driver. Rows inserted into an audit table are chained by hash (``install_audit_chain``).
    Raises ``InputError`` for a URL that is not one of these.

    >>> make_engine("sqlite://").dialect.name
    'sqlite'
    """
    parsed = _normalise(url)
    if parsed.drivername.startswith("sqlite"):
        engine = create_engine(parsed)
        _configure_sqlite(engine)
    else:
        engine = create_engine(parsed, pool_pre_ping=True)
    install_audit_chain(engine)
    return engine


def check_database(engine: Engine, shown: str | None = None) -> None:
    """Connect once, turning "cannot open or reach the database" into one line a person can act on.

    ``shown`` is the URL as the person gave it (default: the engine's, password hidden).
    """
    url = shown or engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        detail = " ".join(str(exc.orig or exc).split())
        if engine.dialect.name == "sqlite":
            folder = Path(engine.url.database or ".").expanduser().resolve().parent
            if not folder.is_dir():
                raise InputError(
                    f"{url}: cannot open the database: the folder {folder} does not exist; create it first "
                    "or give another path"
                ) from None
            raise InputError(
                f"{url}: cannot open the database ({detail}); expected a writable SQLite file"
            ) from None
        detail = detail.removeprefix("connection failed: ")[:300]
        raise InputError(
            f"{url}: cannot connect to the database ({detail}); is the server running, and are the host, "
            "port, user and database name right?"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)
