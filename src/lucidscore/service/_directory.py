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

A claim whose account was never made is found by ``claims_without_accounts`` (``lucidscore shards
status``) and either finished (the same ``admin create``) or released (``release_claim``, ``lucidscore
admin release-claim``), which deletes it only while the shard it names holds no account of that name. The
two cannot cross: a command about to commit an account under a claim first locks the claim's row in shard
0 (``hold_claims``: an update of the row, a row lock on PostgreSQL, the database's write lock on SQLite)
and keeps it until the account is committed; a release deletes the row (taking the same lock) before it
looks for the account. Whichever comes second sees what the first did: a release after the account was
committed finds it and keeps the claim; a command whose claim was released meanwhile finds its row gone
and creates nothing.

Listings only flow into shard 0. Accounts made in another shard's database by a command that did not
know the map (before ``admin create --db`` refused a shard's database, or before the revision, whose
backfill lists a database's own accounts) are listed in that database's own table until
``gather_directory`` moves them to shard 0's, which the sharded commands and ``serve --shards`` do when
they open the map.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, delete, exists, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from lucidscore.service._errors import Conflict
from lucidscore.store.service import AccountDirectory, User

GATHER_BATCH = 10_000
CLAIMS_BATCH = 10_000
_IN_BATCH = 1000


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


def hold_claims(session: Session, claims: Sequence[Listing]) -> list[Listing]:
    """Lock ``claims`` in shard 0's directory until ``session``'s transaction ends (an update that changes
    nothing: a row lock on PostgreSQL, the database's write lock on SQLite), so that no release deletes
    them while the accounts they stand for are committed in their shards; the caller commits those
    accounts, then ends this transaction. Returns the claims that are no longer there as they were (released
    meanwhile, ``release_claim``): their accounts must not be made."""
    table = _table()
    wanted = {c.username: c for c in claims}
    names = sorted(wanted)
    for start in range(0, len(names), _IN_BATCH):
        part = names[start : start + _IN_BATCH]
        session.execute(
            update(table).where(table.c.username.in_(part)).values(shard_index=table.c.shard_index)
        )
    found = listings(session, names)
    return [wanted[n] for n in names if found.get(n) != wanted[n]]


@dataclass(frozen=True)
class UnfinishedClaims:
    """Listings of shard 0's directory whose account does not exist in the shard they name: how many, and
    the first ``shown`` of them found (shard 0's and those naming no shard of the map first, then by
    username as shard 0's database orders them)."""

    count: int
    shown: list[Listing] = field(default_factory=list)


def claims_without_accounts(engines: Sequence[Engine], shown: int | None = 20) -> UnfinishedClaims:
    """The claims in shard 0's (``engines[0]``) account directory that no account stands behind: the shard
    they name (``engines[listing.shard]``) holds no account of that username, or the map has no such shard.

    A claim is left so by a command that stopped between committing the claim and committing the account
    (or by one still running: it disappears when that command commits). Reads shard 0's directory once, in
    batches by username, and looks each batch up in the shards it names (one indexed read per shard and
    batch); listings of shard 0 are checked against its own accounts in one query. ``shown``: how many to
    return (all of them with None); ``count`` counts all of them.
    """
    table = _table()
    n = len(engines)
    count = 0
    out: list[Listing] = []

    def found(listing: Listing) -> None:
        nonlocal count
        count += 1
        if shown is None or len(out) < shown:
            out.append(listing)

    with engines[0].connect() as conn:
        local = conn.execute(
            select(table.c.username, table.c.shard_index, table.c.consumer_id)
            .where(
                or_(
                    and_(
                        table.c.shard_index == 0,
                        ~exists().where(User.username == table.c.username),
                    ),
                    table.c.shard_index < 0,
                    table.c.shard_index >= n,
                )
            )
            .order_by(table.c.username)
        )
        for name, shard, consumer in local:
            found(Listing(name, int(shard), consumer))
    last: str | None = None
    while True:
        query = (
            select(table.c.username, table.c.shard_index, table.c.consumer_id)
            .where(table.c.shard_index > 0, table.c.shard_index < n)
            .order_by(table.c.username)
            .limit(CLAIMS_BATCH)
        )
        if last is not None:
            query = query.where(table.c.username > last)
        with engines[0].connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            break
        last = rows[-1][0]
        by_shard: dict[int, list[Listing]] = {}
        for name, shard, consumer in rows:
            by_shard.setdefault(int(shard), []).append(Listing(name, int(shard), consumer))
        missing: list[Listing] = []
        for shard, part in by_shard.items():
            with engines[shard].connect() as conn:
                for start in range(0, len(part), _IN_BATCH):
                    chunk = part[start : start + _IN_BATCH]
                    asked = select(User.username).where(User.username.in_([c.username for c in chunk]))
                    have = set(conn.scalars(asked))
                    missing += [c for c in chunk if c.username not in have]
        place = {name: i for i, (name, _, _) in enumerate(rows)}
        for listing in sorted(missing, key=lambda c: place[c.username]):
            found(listing)
    return UnfinishedClaims(count, out)


def release_claim(engines: Sequence[Engine], username: str, names: Sequence[str] = ()) -> Listing | None:
    """Delete ``username``'s listing from shard 0's (``engines[0]``) account directory if it is a claim
    without an account: the shard it names holds no account of that name (or the map has no such shard).
    Returns the listing released, None when the directory lists no such username (nothing to do: releasing
    twice is releasing once). ``Conflict`` naming the shard (``names[i]``, else ``shard i``) when the
    account exists: nothing is deleted.

    The row is deleted first (the transaction's first statement, so that on SQLite it waits for the write
    lock instead of failing on a stale snapshot) and the account looked for after, in the same transaction
    of shard 0: a command committing the account under this claim holds the row (``hold_claims``) until
    its account is committed, so the delete waits for it and the look then finds the account; a command
    that holds the row after this delete finds it gone and creates nothing.
    """
    table = _table()
    n = len(engines)
    with Session(engines[0]) as session:
        row = session.execute(
            delete(table)
            .where(table.c.username == username)
            .returning(table.c.shard_index, table.c.consumer_id)
        ).first()
        if row is None:
            return None
        listing = Listing(username, int(row[0]), row[1])
        if 0 <= listing.shard < n:
            if listing.shard == 0:
                held = holds_account(session, username)
            else:
                with engines[listing.shard].connect() as conn:
                    held = holds_account(conn, username)
            if held:
                session.rollback()
                where = names[listing.shard] if listing.shard < len(names) else f"shard {listing.shard}"
                whose = f"consumer {listing.consumer_id}'s" if listing.consumer_id else "an"
                raise Conflict(
                    f"username {username!r}: {where} holds {whose} account of that name, so its listing in "
                    "shard 0's account directory is no claim left without an account; nothing was released "
                    "(lucidscore admin revoke stops the account's sign-ins)",
                    field="username",
                )
        session.commit()
    return listing
