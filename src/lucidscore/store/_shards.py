"""A deployment split by consumer over several databases (shards): the map, the routing hash, the stamp.

A **shard map** is a TOML file listing the shards' database URLs in order::

    [[shard]]
    url = "sqlite:///s0.db"      # a relative SQLite path is relative to the map file's folder

    [[shard]]
    url = "postgresql://lucid@db1/lucid"

Consumer ``c`` lives in shard ``shard_of(c, n)``: the BLAKE2b digest of its UTF-8 id (``digest_size=8``,
no key; not a truncated 64-byte digest), as a big-endian unsigned integer, modulo the number of shards
``n``. The hash is defined by its bytes, so it is the same in every process, on every machine and with
every library version (Python's ``hash()`` is salted per process, polars' hash may change between
releases).

Each shard database is **stamped** (table ``shard_identity``, revision ``0012_shard_identity``) with its
index, the shard count and the map's fingerprint when the map is initialised (``lucidscore shards
init``); every sharded command compares the stamp with the map and refuses a database that disagrees,
so a reordered map, a changed shard count or a database of another map never receives or publishes
another shard's consumers.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, DateTime, Integer, String, Table, insert, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Mapped, mapped_column

from lucidscore.errors import InputError, absent, utf8_text
from lucidscore.store._base import Base

if TYPE_CHECKING:  # numpy loads when ids are routed, not with every ``import lucidscore.store``
    import numpy as np

SHARD_HASH = "blake2b-8-mod-n"  # the routing rule, part of every map's fingerprint
_HASH_BYTES = 8
_FOREIGN_SHOWN = 5


class ShardIdentity(Base):
    """The one row saying which shard of which map a database is (revision ``0012_shard_identity``)."""

    __tablename__ = "shard_identity"
    __table_args__ = (CheckConstraint("id = 1", name="ck_shard_identity_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    shard_index: Mapped[int] = mapped_column(Integer)
    shard_count: Mapped[int] = mapped_column(Integer)
    map_fingerprint: Mapped[str] = mapped_column(String(64))
    stamped_at: Mapped[datetime] = mapped_column(DateTime)


def shard_of(consumer_id: str, n: int) -> int:
    """The shard (0 .. n-1) of ``consumer_id`` among ``n`` shards.

    >>> shard_of("C0000001", 3), shard_of("C0000001", 1)
    (0, 0)
    """
    if n < 1:
        raise InputError.about("n", f"{n} shards; expected at least 1")
    digest = hashlib.blake2b(consumer_id.encode("utf-8"), digest_size=_HASH_BYTES).digest()
    return int.from_bytes(digest, "big") % n


def shard_of_ids(ids: Iterable[str | None], n: int) -> np.ndarray:
    """``shard_of`` for a column of ids (a list, a polars or pandas Series), as an int64 array. A missing
    id (None) goes to shard 0: such a row is refused by validation wherever it is loaded."""
    import numpy as np

    if n < 1:
        raise InputError.about("n", f"{n} shards; expected at least 1")
    blake = hashlib.blake2b
    out = [
        0
        if c is None
        else int.from_bytes(blake(c.encode("utf-8"), digest_size=_HASH_BYTES).digest(), "big") % n
        for c in ids
    ]
    return np.asarray(out, dtype=np.int64)


@dataclass(frozen=True)
class Shard:
    """One entry of a map: its position, the URL as written in the map and the URL to connect to (a
    relative SQLite path made absolute against the map's folder)."""

    index: int
    written: str
    url: str

    @property
    def shown(self) -> str:
        """The URL as it may be printed: without its password."""
        return make_url(self.url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class ShardStamp:
    """What a shard database says it is."""

    index: int
    count: int
    fingerprint: str

    def describe(self) -> str:
        return f"shard {self.index} of {self.count}, map {self.fingerprint[:12]}"


@dataclass(frozen=True)
class ShardMap:
    """A validated shard map (``read_shard_map``)."""

    path: Path
    shards: tuple[Shard, ...]
    fingerprint: str

    @property
    def count(self) -> int:
        return len(self.shards)

    def stamp(self, index: int) -> ShardStamp:
        """The stamp shard ``index`` of this map must carry."""
        return ShardStamp(index, self.count, self.fingerprint)


def _fingerprint(written: list[str]) -> str:
    """SHA-256 of the routing rule and the URLs in order (passwords left out, so changing one keeps it)."""
    shown = [make_url(u).render_as_string(hide_password=True) for u in written]
    blob = json.dumps({"hash": SHARD_HASH, "shards": shown}, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _resolve(path: Path, where: str, written: str) -> str:
    """The URL to connect to: a relative SQLite file path made absolute against the map's folder."""
    try:
        url = make_url(written)
    except ArgumentError:
        raise InputError(
            f"{where}: url {written!r} is not a database URL; expected sqlite:///file.db or "
            "postgresql://user@host/db"
        ) from None
    driver = url.drivername.split("+")[0]
    if driver not in ("sqlite", "postgresql"):
        raise InputError(f"{where}: url {written!r} is a {driver} URL; expected sqlite:/// or postgresql://")
    if driver == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise InputError(f"{where}: url {written!r} is an in-memory database; expected a database file")
        if "\x00" in url.database:
            raise InputError(
                f"{where}: url {written!r} holds a NUL character (0x00); expected a file path without NUL"
            )
        # Absolute paths are resolved too, so '/d/../d/a.db' or a symbolic link is seen as the same file.
        try:
            file = (path.parent / Path(url.database).expanduser()).resolve()
        except (OSError, RuntimeError) as exc:  # a symbolic-link loop, a name the file system refuses
            raise InputError(f"{where}: url {written!r} names a path that cannot be used ({exc})") from None
        return url.set(database=str(file)).render_as_string(hide_password=False)
    return written


_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]", ""}  # "": the default, the local server


def _database_key(resolved: str) -> str:
    """What names one database: a SQLite file (its resolved path, or its device and inode when it exists,
    so a hard link is the same file; its URL's options, such as ``?timeout=5``, open the same file), or a
    server's host, port and database (any user of it reaches the same tables; the loopback address has
    several names)."""
    url = make_url(resolved)
    if url.drivername.split("+")[0] == "sqlite":
        assert url.database is not None
        try:
            found = os.stat(url.database)
        except OSError:  # not created yet: its path names it
            return f"sqlite:///{url.database}"
        return f"sqlite-file:{found.st_dev}:{found.st_ino}"
    # A server's database whatever the driver, the user and password, the default port or the host's case.
    host = (url.host or "").lower()
    host = "localhost" if host in _LOOPBACK else host
    same = url.set(drivername="postgresql", host=host, port=url.port or 5432)
    return same._replace(username=None, password=None).render_as_string(hide_password=True)


def read_shard_map(path: Path | str) -> ShardMap:
    """Read and check a shard map: a TOML file of ``[[shard]]`` tables, each with exactly one ``url``.

    Raises ``InputError`` naming the file and the entry for a file that is missing or not TOML, keys other
    than ``shard`` and ``url``, a URL that is not a SQLite file or PostgreSQL database, an empty map, and
    two entries naming the same database.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f'{path}: {absent(path, "shard map")}; expected a TOML file of [[shard]] url = "..." entries'
        )
    try:
        data: dict[str, Any] = tomllib.loads(utf8_text(path, "a TOML shard map"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f'{path}: not a TOML file ({exc}); expected [[shard]] url = "..." entries') from None
    other = sorted(k for k in data if k != "shard")
    if other:
        raise InputError(f"{path}: unknown key {other[0]!r}; a shard map holds only [[shard]] entries")
    entries = data.get("shard")
    if not isinstance(entries, list) or not entries:
        found = "no [[shard]] entry" if entries is None else f"shard = {entries!r}"
        raise InputError(f'{path}: {found}; expected one or more [[shard]] tables, each with url = "..."')
    written: list[str] = []
    shards: list[Shard] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        where = f"{path}: [[shard]] entry {i + 1} (shard {i})"
        if not isinstance(entry, dict):
            raise InputError(f'{where}: found {entry!r}; expected a table with url = "..."')
        extra = sorted(k for k in entry if k != "url")
        if extra:
            raise InputError(f"{where}: unknown key {extra[0]!r}; expected only url")
        url = entry.get("url")
        if not isinstance(url, str) or not url.strip():
            raise InputError(f"{where}: url is {url!r}; expected a database URL string")
        resolved = _resolve(path, where, url.strip())
        key = _database_key(resolved)
        if key in seen:
            raise InputError(
                f"{where}: url {url!r} names the same database as entry {seen[key] + 1} (shard {seen[key]}); "
                "every shard needs its own database"
            )
        seen[key] = i
        written.append(url.strip())
        shards.append(Shard(index=i, written=url.strip(), url=resolved))
    return ShardMap(path=path, shards=tuple(shards), fingerprint=_fingerprint(written))


class ShardMismatch(InputError):
    """A database whose shard stamp is missing or disagrees with the map."""


def _identity() -> Table:
    table = ShardIdentity.__table__
    assert isinstance(table, Table)
    return table


def read_shard_stamp(conn: Connection | Engine) -> ShardStamp | None:
    """The stamp of a migrated database, or None for a database that is no shard."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return read_shard_stamp(c)
    row = conn.execute(
        select(_identity().c.shard_index, _identity().c.shard_count, _identity().c.map_fingerprint)
    ).first()
    return None if row is None else ShardStamp(int(row[0]), int(row[1]), str(row[2]))


def any_shard_stamp(conn: Connection) -> ShardStamp | None:
    """The stamp of any database, migrated or not: None where it is no shard or has no stamp table yet
    (the ``--db`` refusals of commands that must run through a shard map)."""
    from sqlalchemy import inspect

    return read_shard_stamp(conn) if inspect(conn).has_table("shard_identity") else None


def stamp_shard(engine: Engine, stamp: ShardStamp, where: str) -> bool:
    """Stamp a migrated database as ``stamp``; True when it was stamped now, False when it already was.
    A database stamped otherwise is refused (``ShardMismatch``), never restamped."""
    with engine.begin() as conn:
        found = read_shard_stamp(conn)
        if found is None:
            conn.execute(
                insert(_identity()).values(
                    id=1,
                    shard_index=stamp.index,
                    shard_count=stamp.count,
                    map_fingerprint=stamp.fingerprint,
                    stamped_at=datetime.now(UTC).replace(tzinfo=None),
                )
            )
            return True
    _compare(found, stamp, where)
    return False


def _compare(found: ShardStamp, expected: ShardStamp, where: str) -> None:
    if found != expected:
        raise ShardMismatch(
            f"{where}: the database is stamped {found.describe()} (fingerprint {found.fingerprint}); "
            f"the map says {expected.describe()} (fingerprint {expected.fingerprint}); refusing it. "
            "Is the map reordered, resized, or is this another map's database?"
        )


def check_shard_stamp(engine: Engine, expected: ShardStamp, where: str) -> None:
    """Refuse (``ShardMismatch``) a database that is not stamped ``expected``."""
    found = read_shard_stamp(engine)
    if found is None:
        raise ShardMismatch(
            f"{where}: the database carries no shard stamp; the map says {expected.describe()}. "
            "Initialise the map first: lucidscore shards init MAP"
        )
    _compare(found, expected, where)


def foreign_consumers(engine: Engine, stamp: ShardStamp) -> tuple[int, list[tuple[str, int]]]:
    """Consumers stored in a shard that belong to another shard: (how many, the first few as
    (consumer_id, their shard)). Reads every current consumer id once."""
    import numpy as np

    bad = 0
    shown: list[tuple[str, int]] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=100_000).execute(
            text("SELECT consumer_id FROM consumers_current")
        )
        for part in result.partitions(100_000):
            ids = [r[0] for r in part]
            shards = shard_of_ids(ids, stamp.count)
            wrong = np.flatnonzero(shards != stamp.index)
            bad += int(wrong.size)
            for i in wrong[: max(0, _FOREIGN_SHOWN - len(shown))]:
                shown.append((ids[int(i)], int(shards[int(i)])))
    return bad, shown


def check_shard_members(engine: Engine, stamp: ShardStamp, where: str) -> None:
    """Refuse (``ShardMismatch``) a shard holding a consumer of another shard, naming a few of them."""
    bad, shown = foreign_consumers(engine, stamp)
    if bad:
        listed = ", ".join(f"{c} (belongs to shard {s})" for c, s in shown)
        raise ShardMismatch(
            f"{where}: {bad:,} consumer(s) stored in shard {stamp.index} of {stamp.count} belong to another "
            f"shard: {listed}; were records loaded into it without --shards? Refusing it."
        )
