"""The operator's tables on a shard map: merchants, analysts, API keys, redirect URIs, catalogue versions.

An operator command with ``--shards MAP`` (``admin``, ``catalogue set``, ``merchant redirect-uri``):

1. opens every shard and checks its stamp against the map, before anything is written;
2. compares every shard's operator tables with shard 0's: a difference copying cannot repair (an id or a
   username held by another account, say) stops the command here, nothing written; a shard that is merely
   behind (a previous command failed there) is brought up to shard 0 first;
3. makes the change in shard 0 (a consumer account: in its consumer's shard), new accounts taking an id
   free in every shard (``lucidscore.service.next_user_id``);
4. copies shard 0's operator tables to every other shard, each in its own transaction. A shard that fails
   here is named, with the shards that have the change; running the same command again (or ``lucidscore
   shards sync MAP``) copies it there, without a second secret.

Every account is listed in shard 0's account directory (``lucidscore.service``, ``_directory``): in the
same transaction as the account in shard 0, and, for a consumer account in another shard, committed in
shard 0 before the account (a claim): a command that stops between leaves a claim without an account,
which running the same command again finishes, or ``admin release-claim`` frees (only while no account
stands behind it). From the claim's commit until its account is committed, the command holds the claim's
row in shard 0 (``lucidscore.service.hold_claims``), so a release cannot delete the listing of an account
being committed, and, once the account is committed, marks the claim confirmed in that same transaction
(``confirm_claims``; ``shards status`` reads only unconfirmed listings). Step 2 also gathers into shard
0's directory the accounts a shard lists in its own (made there without the map, or before revision
0013).

Not one transaction across shards: PostgreSQL's two-phase commit needs ``max_prepared_transactions`` > 0
(0 by default) and SQLite has none, so each shard commits on its own and every step is one that running
the command again completes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from lucidscore.cli._shards import load_map, open_shard, where
from lucidscore.errors import InputError, LucidError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from lucidscore.service import Difference, Listing, UserIds
    from lucidscore.store import ShardMap

T = TypeVar("T")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, LucidError):
        return exc.message
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]


@dataclass
class OperatorShards:
    """Every shard of a map, open and checked; shard 0 holds the operator tables the others copy."""

    smap: ShardMap
    engines: list[Engine]
    repaired: dict[int, list[Difference]] = field(default_factory=dict)
    ids: UserIds | None = None  # one counter for every session of the command

    def check_and_repair(self) -> None:
        """Refuse (nothing written) a shard whose operator tables copying cannot repair; bring the shards
        that are only behind up to shard 0."""
        from lucidscore.service import copy_operator_tables, operator_differences

        found: dict[int, list[Difference]] = {}
        for shard, engine in zip(self.smap.shards[1:], self.engines[1:], strict=True):
            try:
                found[shard.index] = operator_differences(self.engines[0], engine)
            except Exception as exc:
                raise InputError(f"{where(shard)}: cannot read its operator tables: {_reason(exc)}") from None
        bad = {i: [d for d in diffs if not d.fixable] for i, diffs in found.items()}
        bad = {i: d for i, d in bad.items() if d}
        if bad:
            lines = [
                f"{where(self.smap.shards[i])}: " + "; ".join(d.describe() for d in diffs[:5])
                for i, diffs in bad.items()
            ]
            raise InputError(
                "--shards: the operator tables (merchants, analysts, API keys, redirect URIs, catalogue "
                "versions) of shard(s) "
                + ", ".join(str(i) for i in bad)
                + " differ from shard 0's in ways copying cannot repair; nothing was changed:\n  "
                + "\n  ".join(lines)
            )
        for index, diffs in found.items():
            if diffs:
                self.repaired[index] = copy_operator_tables(self.engines[0], self.engines[index])
        self.gather()
        if self.repaired:
            err = _console(stderr=True)
            for index, diffs in self.repaired.items():
                err.print(
                    f"{where(self.smap.shards[index])} was behind shard 0; copied: "
                    + "; ".join(d.describe() for d in diffs[:5])
                    + (f" and {len(diffs) - 5} more" if len(diffs) > 5 else ""),
                    markup=False,
                )

    def gather(self) -> None:
        """Move the accounts each other shard lists in its own account directory into shard 0's; refuse
        (``InputError`` naming the shard and the accounts) a username that names accounts of two shards."""
        from lucidscore.service import Conflict, gather_directory

        for shard, engine in zip(self.smap.shards[1:], self.engines[1:], strict=True):
            try:
                moved = gather_directory(self.engines[0], engine, shard.index, where(shard))
            except Conflict as exc:
                raise InputError(exc.message + "; nothing was changed") from None
            if moved:
                _console(stderr=True).print(
                    f"{where(shard)}: {len(moved)} account(s) listed in shard 0's account directory",
                    markup=False,
                )

    def listed(self, names: set[str]) -> dict[str, Listing]:
        """Shard 0's directory listings of ``names`` (those it has)."""
        from lucidscore.service import listings

        with self.engines[0].connect() as conn:
            return listings(conn, names)

    def holds(self, index: int, username: str) -> bool:
        """Whether shard ``index`` has an account named ``username``."""
        from lucidscore.service import holds_account

        with self.engines[index].connect() as conn:
            return holds_account(conn, username)

    def claim(self, session: Session, claims: list[Listing]) -> None:
        """List ``claims`` (consumer accounts about to be made in other shards) in shard 0's directory
        through ``session``, a session of shard 0 the caller commits before those accounts."""
        from lucidscore.service import list_account

        for c in claims:
            list_account(session, c.username, c.shard, c.consumer_id)  # written at the caller's commit

    def finish_command(self, listing: Listing) -> str:
        """The command that creates the account a claim without an account stands for."""
        return (
            f"lucidscore admin create consumer {listing.username} --consumer-id {listing.consumer_id} "
            f"--shards {self.smap.path}"
        )

    def release_command(self, username: str) -> str:
        """The command that releases ``username``'s claim instead (``admin release-claim``)."""
        return f"lucidscore admin release-claim {username} --shards {self.smap.path}"

    def copied_for(self, username: str) -> list[int]:
        """The shards whose row of account ``username`` was copied from shard 0 before this command's
        change (a previous command stored it in shard 0 and failed on them)."""
        return [
            index
            for index, diffs in self.repaired.items()
            if any(d.table == "users" and repr(username) in d.what for d in diffs)
        ]

    def user_ids(self) -> UserIds:
        """New accounts' ids: from the next one free in every shard (read once), counted on by every
        session of the command."""
        from lucidscore.service import UserIds, next_user_id

        if self.ids is None:
            self.ids = UserIds(next_user_id(self.engines))
        return self.ids

    @contextmanager
    def session(self, index: int) -> Iterator[Session]:
        """A session on shard ``index`` whose new accounts take ids free in every shard; committed by the
        caller, the id sequences moved past the new ids after it."""
        from sqlalchemy.orm import Session

        from lucidscore.service import bump_sequences

        with Session(self.engines[index], expire_on_commit=False) as session:
            self.user_ids().attach(session)
            yield session
        with self.engines[index].begin() as conn:
            bump_sequences(conn)

    def change(self, work: Callable[[Session], T]) -> T:
        """``work`` in one transaction of shard 0."""
        with self.session(0) as session:
            out = work(session)
            session.commit()
        return out

    def replicate(self, what: str) -> None:
        """Copy shard 0's operator tables to every other shard; exit 1 naming each shard that failed (and
        the shards that have ``what``)."""
        from lucidscore.service import copy_operator_tables

        failed: dict[int, str] = {}
        for shard, engine in zip(self.smap.shards[1:], self.engines[1:], strict=True):
            try:
                copy_operator_tables(self.engines[0], engine)
            except Exception as exc:
                failed[shard.index] = _reason(exc)
        if not failed:
            return
        have = [str(s.index) for s in self.smap.shards if s.index not in failed]
        err = _console(stderr=True)
        for index, reason in failed.items():
            err.print(f"error: {where(self.smap.shards[index])}: {reason}", markup=False)
        err.print(
            f"error: {what}: stored in shard(s) {', '.join(have)} but not in shard(s) "
            f"{', '.join(str(i) for i in failed)}. Run the same command again (or lucidscore shards sync "
            f"{self.smap.path}) to copy it there; no new secret is made.",
            markup=False,
        )
        raise typer.Exit(1)

    def shard_of_user(self, username: str) -> int | None:
        """The shard holding the account ``username``, as shard 0's directory lists it (operators: shard
        0); None when it lists none. ``NotFound`` for a claim whose account was never made, with the
        command that makes it."""
        from lucidscore.service import NotFound

        listing = self.listed({username}).get(username)
        if listing is None:
            return None
        if not self.holds(listing.shard, username):
            raise NotFound(
                f"no account named {username!r}: its username is claimed for consumer {listing.consumer_id} "
                f"in shard {listing.shard}, where a command stopped before creating it; create it with: "
                + self.finish_command(listing)
                + f" (or free the username: {self.release_command(username)})",
                field="username",
            )
        return listing.shard


def _console(*, stderr: bool = False) -> Console:
    return Console(highlight=False, soft_wrap=True, emoji=False, stderr=stderr)


@contextmanager
def operator_shards(shard_map: str, *, repair: bool = True) -> Iterator[OperatorShards]:
    """Every shard of the map open, stamps checked (and, with ``repair``, operator tables checked and
    brought up to shard 0), disposed at the end."""
    smap = load_map(shard_map)
    engines: list[Any] = []
    try:
        for shard in smap.shards:
            engines.append(open_shard(shard, smap.stamp(shard.index)))
        ops = OperatorShards(smap, engines)
        if repair:
            ops.check_and_repair()
        yield ops
    finally:
        for engine in engines:
            engine.dispose()
