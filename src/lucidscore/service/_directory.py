"""Which shard holds each account: the account directory (``account_directory``, revision
``0013_account_directory``).

Shard 0's directory lists every account of a deployment split by consumer: the username, the shard
holding the account (0 for merchants and analysts, whose rows every shard copies from shard 0) and, for a
consumer account, the consumer id. Sign-in reads the one row (``account_shard``) and goes to that shard:
one indexed read in shard 0 and one in the account's shard, whatever the number of shards. The primary
key makes a username unique across the deployment.

How a listing is written, so that a crash never leaves an account nobody can find:

* an account in shard 0 (and every account of a database that is no shard) is listed in the same
  transaction that creates it (``create_user``);
* an account in another shard is *claimed* first: its listing is committed in shard 0, then the account
  is committed in its shard. A crash between the two leaves a claim without an account: the username is
  reserved for that consumer, a sign-in with it is refused like any wrong username (its shard holds no
  such account), and running the same command again finds the claim for the same consumer and creates the
  account (``lucidscore admin create``). Nothing ever points sign-in at an account the directory lacks.

Listings only flow into shard 0. Accounts made in another shard's database by a command that did not
know the map (``admin create --db`` on a shard, or before the revision, whose backfill lists a database's
own accounts) are listed in that database's own table until ``gather_directory`` moves them to shard 0's,
which the sharded commands and ``serve --shards`` do when they open the map.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from lucidscore.service._errors import Conflict
from lucidscore.store.service import AccountDirectory, User

GATHER_BATCH = 10_000


@dataclass(frozen=True)
class Listing:
    """One row of the directory: the shard holding ``username``'s account, and its consumer (None for a
    merchant or an analyst)."""

    username: str
    shard: int
    consumer_id: str | None

    def describe(self) -> str:
        whose = f"consumer {self.consumer_id}" if self.consumer_id else "a merchant or analyst"
        return f"{self.username!r} ({whose}, shard {self.shard})"


def _table() -> Table:
    table = AccountDirectory.__table__
    assert isinstance(table, Table)
    return table


def list_account(session: Session, username: str, shard: int, consumer_id: str | None) -> None:
    """Add ``username``'s listing to the session's directory (written at its next flush; a username
    already listed fails there, on the primary key)."""
    session.add(AccountDirectory(username=username, shard_index=shard, consumer_id=consumer_id))


def account_shard(session: Session, username: str) -> int | None:
    """The shard the directory lists ``username`` in; None when it lists no such account."""
    shard: int | None = session.scalar(
        select(AccountDirectory.shard_index).where(AccountDirectory.username == username)
    )
    return shard


def listings(conn: Session | Connection, usernames: Iterable[str]) -> dict[str, Listing]:
    """The listings of those of ``usernames`` that the directory has."""
    names = sorted(set(usernames))
    out: dict[str, Listing] = {}
    for start in range(0, len(names), 1000):
        part = names[start : start + 1000]
        rows = conn.execute(
            select(
                AccountDirectory.username, AccountDirectory.shard_index, AccountDirectory.consumer_id
            ).where(AccountDirectory.username.in_(part))
        )
        for name, shard, consumer in rows:
            out[name] = Listing(name, int(shard), consumer)
    return out


def holds_account(conn: Session | Connection, username: str) -> bool:
    """Whether this database has an account (a ``users`` row) named ``username``."""
    return conn.execute(select(User.id).where(User.username == username)).first() is not None


def _insert_missing(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the listings the directory lacks; leave those it has (the caller compares them)."""
    from sqlalchemy.dialects import postgresql, sqlite

    statement = (
        postgresql.insert(_table()).on_conflict_do_nothing(index_elements=["username"])
        if conn.dialect.name == "postgresql"
        else sqlite.insert(_table()).on_conflict_do_nothing(index_elements=["username"])
    )
    conn.execute(statement, rows)


def gather_directory(shard0: Engine, shard: Engine, index: int, where: str = "") -> list[Listing]:
    """Move the listings kept in shard ``index``'s own table into shard 0's directory; the listings moved.

    A consumer account listed there is in shard ``index`` (whatever shard the row names: a command
    unaware of the map writes 0); a merchant or analyst is listed as shard 0. A listing shard 0 already has
    alike is dropped from shard ``index``; one that shard 0 lists otherwise (the same username in two
    shards) raises ``Conflict`` naming both, and nothing of that batch moves. Shard 0's insert commits
    before shard ``index``'s delete: a crash between leaves rows that the next gather finds already listed
    and deletes. Returns at once (one read) when there is nothing to move.
    """
    moved: list[Listing] = []
    table = _table()
    while True:
        with shard.connect() as conn:
            rows = conn.execute(
                select(table.c.username, table.c.consumer_id).order_by(table.c.username).limit(GATHER_BATCH)
            ).all()
        if not rows:
            return moved
        wanted = {
            name: Listing(name, index if consumer is not None else 0, consumer) for name, consumer in rows
        }
        with shard0.begin() as conn:
            _insert_missing(
                conn,
                [
                    {"username": w.username, "shard_index": w.shard, "consumer_id": w.consumer_id}
                    for w in wanted.values()
                ],
            )
            found = listings(conn, wanted)
            clashes = [(wanted[n], found[n]) for n in sorted(wanted) if found[n] != wanted[n]]
            if clashes:
                conn.rollback()
                raise Conflict(
                    f"{where or f'shard {index}'}: {len(clashes)} account(s) of this shard have a username "
                    "that shard 0's directory lists for another account: "
                    + "; ".join(
                        f"{mine.describe()} here, {theirs.describe()} there" for mine, theirs in clashes[:5]
                    )
                    + ". A username must name one account of the deployment: remove or rename one of the two "
                    "accounts in its database, then start again"
                )
        with shard.begin() as conn:
            conn.execute(delete(table).where(table.c.username.in_(list(wanted))))
        moved += wanted.values()
