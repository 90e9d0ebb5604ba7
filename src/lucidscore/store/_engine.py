"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production), configured alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
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


def _configure_sqlite(engine: Engine, busy_timeout_ms: float = SQLITE_BUSY_TIMEOUT_MS) -> None:
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
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA recursive_triggers=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN, "BEGIN"))


def make_engine(url: str, *, pool_size: int | None = None, pool_timeout: float | None = None) -> Engine:
    """Create an engine for ``url``: ``sqlite:///file.db`` or ``postgresql://`` (run through psycopg 3).

    SQLite gets WAL mode, foreign keys and a 30 s busy timeout; a plain ``postgresql://`` URL is mapped to
    the psycopg driver. Rows inserted into an audit table are chained by hash (``install_audit_chain``).
    Raises ``InputError`` for a URL that is not one of these.

    ``pool_size`` fixes the connection pool at exactly that many connections (no overflow) and
    ``pool_timeout`` bounds the wait for one — and, on SQLite, for another process's write lock (instead of
    30 s); without them SQLAlchemy's defaults apply (5 + 10 overflow, 30 s), which suit a command-line
    run. The service sets both (``lucidscore.api.Settings``).

    >>> make_engine("sqlite://").dialect.name
    'sqlite'
    """
    parsed = _normalise(url)
    pool: dict[str, Any] = {}
    in_memory = parsed.drivername.startswith("sqlite") and parsed.database in (None, "", ":memory:")
    if pool_size is not None and not in_memory:
        pool = {"pool_size": pool_size, "max_overflow": 0}
    if pool_timeout is not None and not in_memory:
        pool["pool_timeout"] = pool_timeout
    if parsed.drivername.startswith("sqlite"):
        engine = create_engine(parsed, **pool)
        _configure_sqlite(engine, SQLITE_BUSY_TIMEOUT_MS if pool_timeout is None else pool_timeout * 1000)
    else:
        engine = create_engine(parsed, pool_pre_ping=True, **pool)
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
    except DBAPIError as exc:
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


class DatabaseMissing(InputError):
    """A SQLite database file that does not exist (and was not asked to be created)."""


def open_database(url: str, *, create: bool = False, **engine_options: Any) -> Engine:
    """An engine for ``url`` that has just connected, or ``InputError`` in one line a person can act on.

    Every command that opens a database goes through here: a SQLite file in a folder that does not exist,
    a SQLite file that does not exist (``DatabaseMissing``, unless ``create``) and a server that cannot be
    reached are named, with the reason, instead of failing later with a traceback. ``engine_options`` go to
    ``make_engine``. The password of a URL is never shown.
    """
    parsed = _normalise(url)
    shown = make_url(url).render_as_string(hide_password=True)  # as the person wrote it, password hidden
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if "\x00" in parsed.database:
            raise InputError(
                f"database {shown}: the path {parsed.database!r} holds a NUL character (0x00); expected a "
                "file name without NUL"
            )
        try:
            folder, exists = path.parent.is_dir(), path.exists()
        except OSError as exc:  # a name longer than the file system allows, say
            raise InputError(
                f"database {shown}: the path cannot be used ({exc.strerror}); expected a SQLite file "
                "path the file system accepts"
            ) from None
        if not folder:
            raise InputError(f"database {shown}: the folder {path.parent} does not exist; create it first")
        if not exists and not create:
            raise DatabaseMissing(f"database {shown}: the file {path} does not exist")
    engine = make_engine(url, **engine_options)
    try:
        check_database(engine, f"database {shown}")
    except InputError:
        engine.dispose()
        raise
    return engine
