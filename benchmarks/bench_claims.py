"""What ``lucidscore shards status`` pays to find claims left without an account (issue 15).

Since revision ``0014_claim_confirmation``, ``claims_without_accounts`` reads only the listings of shard 0's
account directory that are not confirmed (a partial index holds them), looks them up in the shards they
name and confirms those whose account exists. Before it, the check read the whole directory in batches of
10,000 usernames and looked every batch up in its shards; that full read is kept here (``full_read``, the
code of the revision before) to measure both on the same data, alternating in one process.

Data: a map of three SQLite shards holding ``--accounts`` consumer accounts spread by consumer, all listed
in shard 0's directory and confirmed (as the sharded commands now leave them), except ``--pending`` whose
accounts exist but whose listings are not confirmed (a command stopped between the account's commit and
the confirmation), plus ``--orphans`` claims whose account was never made. One command (from the
repository root):

    .venv/bin/python benchmarks/bench_claims.py --accounts 1000000 --pending 100 --orphans 25 --rounds 3

Built once per size under benchmarks/_work/claims/ (git-ignored, kept for the next run; accounts written
with plain inserts, password hashes a constant). Each round first marks the ``--pending`` listings
unconfirmed again (not timed: the check confirms them), then times the check, then the full read: wall
seconds and CPU seconds of this process (the SQLite reads run in it), with the load average before. With
``--first-run``, one more timing: every listing unconfirmed (as right after the revision on a deployment
whose other shards it cannot see), the first check, which confirms them all. Prints one JSON line per
timing and Markdown rows for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, and_, exists, insert, or_, select, text, update
from sqlalchemy.engine import Engine

from lucidscore.service import Listing, UnfinishedClaims, claims_without_accounts
from lucidscore.store import make_engine, migrate, shard_of
from lucidscore.store.service import AccountDirectory, User

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "claims"
SHARDS = 3
CHUNK = 50_000
BATCH = 10_000
IN_BATCH = 1000


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _name(n: int) -> str:
    return f"user{n:09d}"


def build(folder: Path, accounts: int, pending: int, orphans: int) -> list[Engine]:
    """Three migrated SQLite shards: ``accounts`` consumer accounts, each in its consumer's shard and
    listed in shard 0's directory (confirmed, but for the last ``pending``), and ``orphans`` listings whose
    account was never made."""
    done = folder / "built"
    engines = [make_engine(f"sqlite:///{folder / f's{i}.db'}") for i in range(SHARDS)]
    if done.exists():
        return engines
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    for e in engines:
        migrate(e)
    for start in range(0, accounts + orphans, CHUNK):
        users: dict[int, list[dict[str, object]]] = {i: [] for i in range(SHARDS)}
        listed: list[dict[str, object]] = []
        for n in range(start, min(start + CHUNK, accounts + orphans)):
            consumer = f"C{n:09d}"
            name = _name(n)
            shard = shard_of(consumer, SHARDS)
            confirmed = now if n < accounts - pending else None
            listed.append(
                {
                    "username": name,
                    "shard_index": shard,
                    "consumer_id": consumer,
                    "listed_at": now,
                    "confirmed_at": confirmed,
                }
            )
            if n < accounts:
                users[shard].append(
                    {
                        "id": n + 1,
                        "username": name,
                        "role": "consumer",
                        "display_name": name,
                        "password_hash": "x",
                        "consumer_id": consumer,
                        "created_at": now,
                    }
                )
        with engines[0].begin() as conn:
            conn.execute(insert(AccountDirectory), listed)
        for i, rows in users.items():
            if rows:
                with engines[i].begin() as conn:
                    conn.execute(insert(User), rows)
    done.write_text("ok")
    return engines


def full_read(engines: Sequence[Engine], shown: int | None = 20) -> UnfinishedClaims:
    """The check before revision 0014 (``claims_without_accounts`` at commit 9ab154e): shard 0's whole
    directory read in batches, every batch looked up in the shards it names."""
    table = AccountDirectory.__table__
    assert isinstance(table, Table)
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
                    and_(table.c.shard_index == 0, ~exists().where(User.username == table.c.username)),
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
            .limit(BATCH)
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
                for start in range(0, len(part), IN_BATCH):
                    chunk = part[start : start + IN_BATCH]
                    asked = select(User.username).where(User.username.in_([c.username for c in chunk]))
                    have = set(conn.scalars(asked))
                    missing += [c for c in chunk if c.username not in have]
        place = {name: i for i, (name, _, _) in enumerate(rows)}
        for listing in sorted(missing, key=lambda c: place[c.username]):
            found(listing)
    return UnfinishedClaims(count, out)


def unconfirm(engine: Engine, names: list[str] | None) -> None:
    """Mark ``names``' listings (all with None) unconfirmed again."""
    table = AccountDirectory.__table__
    assert isinstance(table, Table)
    with engine.begin() as conn:
        if names is None:
            conn.execute(text("UPDATE account_directory SET confirmed_at = NULL"))
            return
        for start in range(0, len(names), IN_BATCH):
            part = names[start : start + IN_BATCH]
            conn.execute(update(table).where(table.c.username.in_(part)).values(confirmed_at=None))


def timed(label: str, work: Callable[[], UnfinishedClaims], accounts: int, pending: int) -> dict[str, Any]:
    load = _load()
    wall, cpu = time.perf_counter(), time.process_time()
    found = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = {
        "check": label,
        "accounts": accounts,
        "pending": pending,
        "orphans": found.count,
        "confirmed_now": found.confirmed,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "load_before": load,
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--pending", type=int, default=100)
    parser.add_argument("--orphans", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--first-run", action="store_true", help="also time the first check after 0014")
    args = parser.parse_args()
    folder = WORK / f"{args.accounts}-{args.pending}-{args.orphans}"
    engines = build(folder, args.accounts, args.pending, args.orphans)
    pending = [_name(n) for n in range(args.accounts - args.pending, args.accounts)]
    new_check = "pending only (0014)"
    rows: dict[str, list[dict[str, Any]]] = {new_check: [], "full read (0013)": []}
    unconfirmed = {new_check: f"{args.pending:,}", "full read (0013)": "(not read)"}
    for _ in range(args.rounds):
        unconfirm(engines[0], pending)
        new = timed(new_check, lambda: claims_without_accounts(engines), args.accounts, args.pending)
        assert (new["orphans"], new["confirmed_now"]) == (args.orphans, args.pending), new
        rows[new_check].append(new)
        old = timed("full read (0013)", lambda: full_read(engines), args.accounts, args.pending)
        assert old["orphans"] == args.orphans, old
        rows["full read (0013)"].append(old)
    if args.first_run:
        label = "first check after 0014, every listing unconfirmed"
        unconfirm(engines[0], None)
        first = timed(label, lambda: claims_without_accounts(engines), args.accounts, args.accounts)
        assert (first["orphans"], first["confirmed_now"]) == (args.orphans, args.accounts), first
        rows[label] = [first]
        unconfirmed[label] = f"{args.accounts:,}"
    for e in engines:
        e.dispose()
    print(
        "| check | accounts | unconfirmed with account | orphan claims | wall s (each round) "
        "| CPU s (each round) | load before |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, got in rows.items():
        print(
            f"| {label} | {args.accounts:,} | {unconfirmed[label]} | {args.orphans} | "
            f"{', '.join(str(r['wall_s']) for r in got)} | {', '.join(str(r['cpu_s']) for r in got)} | "
            f"{got[0]['load_before']} |"
        )


if __name__ == "__main__":
    main()
