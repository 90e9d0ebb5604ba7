"""Opening the database for the operator's commands, in one place: one clear line for each way it can fail.

``open_store`` checks a SQLite path (its folder must exist; the file too, unless the command may create the
database), connects once (``lucidscore.store.check_database``: a server that does not answer, a wrong
password, a database that does not exist), and migrates to the newest revision, so every command works on
the schema it was written for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lucidscore.errors import InputError

if TYPE_CHECKING:  # SQLAlchemy is imported when a command opens a database, not by every command
    from sqlalchemy.engine import Engine

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="LUCIDSCORE_DB_URL",
        help="database URL: sqlite:///file.db or postgresql://user@host/db (default: LUCIDSCORE_DB_URL)",
    ),
]

# For commands that also take ``--shards MAP``: one of the two is needed (``cli._shards.require_db``).
OptionalDbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="LUCIDSCORE_DB_URL",
        help="database URL: sqlite:///file.db or postgresql://user@host/db (default: LUCIDSCORE_DB_URL); "
        "or --shards MAP",
    ),
]
ShardsOption = Annotated[
    str | None,
    typer.Option(
        "--shards",
        help="shard map (a TOML file listing the shards' database URLs): every database of a deployment "
        "split by consumer, instead of --db",
    ),
]


def shown(url: str) -> str:
    """The URL as it may be printed: without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_store(url: str, *, create: bool = False) -> Engine:
    """A migrated engine on the database at ``url``, opened through ``lucidscore.store.open_database`` (the
    one way commands open a database); ``InputError`` (one line naming ``--db``) when it cannot be opened.
    ``create``: a missing SQLite file is created (in an existing folder)."""
    from sqlalchemy.exc import DBAPIError

    from lucidscore.store import DatabaseMissing, make_engine, migrate, open_database

    where = shown(url)
    try:
        probe = make_engine(url)
    except InputError as exc:
        raise InputError(f"--db: {exc.message}") from None
    in_memory = probe.dialect.name == "sqlite" and probe.url.database in (None, "", ":memory:")
    probe.dispose()
    if in_memory:
        raise InputError(f"--db {where}: expected a database file, sqlite:///path/to/file.db")
    try:
        engine = open_database(url, create=create)
    except DatabaseMissing as exc:
        raise InputError(f"{exc.message}; load records first (lucidscore ingest)") from None
    try:
        migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        orig = getattr(exc, "orig", None)
        reason = str(orig if orig is not None else exc).strip().splitlines()[0]
        raise InputError(f"--db {where}: cannot open the database: {reason}") from None
    return engine


def refuse_a_shard(engine: Engine, command: str, why: str) -> None:
    """Refuse (``InputError``, before anything is written) a ``--db`` database stamped as a shard of a
    deployment (``shard_identity``), for a command that must run through the map: ``why`` says why and
    what was left undone, ``command`` is the command as typed, without ``--db``, to run with ``--shards MAP``
    instead. A database that is no shard (no stamp, or older than the stamp's revision) passes."""
    from lucidscore.store import any_shard_stamp

    with engine.connect() as conn:
        stamp = any_shard_stamp(conn)
    if stamp is None:
        return
    url = shown(engine.url.render_as_string(hide_password=False))
    raise InputError(
        f"--db {url}: this database is {stamp.describe()} (its shard_identity stamp); {why}. Run: "
        f"{command} --shards MAP (MAP: the deployment's shard map, fingerprint {stamp.fingerprint[:12]})"
    )
