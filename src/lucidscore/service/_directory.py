"""Which shard holds each account: the account directory (``account_directory``, revisions
``0013_account_directory`` and ``0014_claim_confirmation``).

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

A listing is *confirmed* (``confirmed_at``, revision 0014) once its account is known to be committed in
the shard it names: at once when it is written with its account; for a claim, by the command that made the
account, in shard 0's transaction that holds the claim, after the account's commit (a crash between the
two leaves the claim unconfirmed, never confirmed without its account); or by ``claims_without_accounts``,
which reads only the unconfirmed listings, confirms those whose account it finds and reports the rest.
Accounts are never deleted (revocation keeps them), so a confirmed listing stays true and is never
checked again: the check costs what is pending, not what exists.

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

from sqlalchemy import Table, delete, exists, select, update
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lucidscore.service._common import now
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


def list_account(
    session: Session, username: str, shard: int, consumer_id: str | None, *, confirmed: bool = False
) -> None:
    """Add ``username``'s listing to the session's directory (written at its next flush; a username
    already listed fails there, on the primary key). ``confirmed``: the session commits the account with
    it (one transaction); a claim, committed before its account, is not."""
    session.add(
        AccountDirectory(
            username=username,
            shard_index=shard,
            consumer_id=consumer_id,
            confirmed_at=now() if confirmed else None,
        )
    )


def confirm_claims(conn: Session | Connection, claims: Sequence[Listing]) -> int:
    """Mark ``claims`` confirmed in shard 0's directory (``conn``; the caller commits): call only once
    their accounts are committed in the shards they name. A listing that names another shard now (released
    and claimed anew meanwhile) is left as it is. Returns how many listings this confirmed."""
    table = _table()
    by_shard: dict[int, list[str]] = {}
    for c in claims:
        by_shard.setdefault(c.shard, []).append(c.username)
    done = 0
    for shard, names in sorted(by_shard.items()):
        names.sort()
        for start in range(0, len(names), _IN_BATCH):
            result = conn.execute(
                update(table)
                .where(
                    table.c.username.in_(names[start : start + _IN_BATCH]),
                    table.c.shard_index == shard,
                    table.c.confirmed_at.is_(None),
                )
                .values(confirmed_at=now())
            )
            assert isinstance(result, CursorResult)  # an UPDATE's result, from a Session too
            done += result.rowcount
    return done


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
    and deletes. A consumer's listing is confirmed when shard ``index`` holds its account (read there
    first; accounts are never deleted); a merchant's or analyst's, listed as shard 0, is left for
    ``claims_without_accounts`` to check there. Returns at once (one read) when there is nothing to move.
    """
    moved: list[Listing] = []
    table = _table()
    while True:
        with shard.connect() as conn:
            rows = conn.execute(
                select(
                    table.c.username,
                    table.c.consumer_id,
                    exists().where(User.username == table.c.username).label("held"),
                )
                .order_by(table.c.username)
                .limit(GATHER_BATCH)
            ).all()
        if not rows:
            return moved
        wanted = {
            name: Listing(name, index if consumer is not None else 0, consumer) for name, consumer, _ in rows
        }
        held = [wanted[name] for name, consumer, here in rows if consumer is not None and here]
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
            confirm_claims(conn, held)
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
    username as shard 0's database orders them). ``confirmed``: listings this check found their account
    for and confirmed, so that no later check reads them."""

    count: int
    shown: list[Listing] = field(default_factory=list)
    confirmed: int = 0


def claims_without_accounts(engines: Sequence[Engine], shown: int | None = 20) -> UnfinishedClaims:
    """The claims in shard 0's (``engines[0]``) account directory that no account stands behind: the shard
    they name (``engines[listing.shard]``) holds no account of that username, or the map has no such shard.

    A claim is left so by a command that stopped between committing the claim and committing the account
    (or by one still running: it disappears when that command commits). Only the unconfirmed listings are
    read (revision ``0014_claim_confirmation``: a partial index holds them), in batches by username, each
    batch looked up in the shards it names (one indexed read per shard and batch); those whose account is
    found are confirmed (one update in shard 0 per batch), so the next check skips them. Its cost is that
    of the listings not yet confirmed: the claims left, those of commands still running or stopped between
    their account's commit and its confirmation, and, once after the revision, the listings it could not
    confirm. A confirmation shard 0 cannot write (``OperationalError``: its write lock held past the
    timeout by a long command, say) is skipped: the answer stays exact, and those listings are read again by
    the next check. ``shown``: how many to return (all of them with None); ``count`` counts all of them.
    """
    table = _table()
    n = len(engines)
    count = 0
    confirmed = 0
    elsewhere: list[Listing] = []  # shard 0's and those naming no shard of the map: shown first
    others: list[Listing] = []

    def keep(into: list[Listing], listing: Listing) -> None:
        nonlocal count
        count += 1
        if shown is None or len(into) < shown:
            into.append(listing)

    last: str | None = None
    while True:
        query = (
            select(table.c.username, table.c.shard_index, table.c.consumer_id)
            .where(table.c.confirmed_at.is_(None))
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
        missing: set[str] = set()
        found: list[Listing] = []
        for shard, part in by_shard.items():
            if not 0 <= shard < n:
                missing.update(c.username for c in part)
                continue
            with engines[shard].connect() as conn:
                for start in range(0, len(part), _IN_BATCH):
                    chunk = part[start : start + _IN_BATCH]
                    asked = select(User.username).where(User.username.in_([c.username for c in chunk]))
                    have = set(conn.scalars(asked))
                    missing.update(c.username for c in chunk if c.username not in have)
                    found += [c for c in chunk if c.username in have]
        if found:  # their accounts are committed: never to be checked again
            try:
                with engines[0].begin() as conn:
                    confirmed += confirm_claims(conn, found)
            except OperationalError:  # shard 0 busy past its lock timeout: they stay to be checked next time
                pass
        for name, shard, consumer in rows:
            if name in missing:
                keep(elsewhere if not 0 < shard < n else others, Listing(name, int(shard), consumer))
    out = elsewhere + others
    return UnfinishedClaims(count, out if shown is None else out[:shown], confirmed)


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
