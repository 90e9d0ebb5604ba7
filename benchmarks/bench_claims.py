"""What ``lucidscore shards status`` pays to find claims left without an account (issue 15).

``claims_without_accounts`` reads shard 0's whole account directory once, in batches of 10,000 usernames,
and looks each batch up in the shards it names (one indexed ``IN`` read per shard and batch). This
measures that read on a map of three SQLite shards holding ``--accounts`` consumer accounts spread by
consumer, all listed in shard 0's directory, with ``--orphans`` claims left without an account. One
command (from the repository root):

    .venv/bin/python benchmarks/bench_claims.py --accounts 1000000 --orphans 25 --rounds 3

Built once per size under benchmarks/_work/claims/ (git-ignored, kept for the next run; accounts written
with plain inserts, password hashes a constant). Each round times the whole check in this process: wall
seconds and CPU seconds of this process (the SQLite reads run in it), with the load average before and
after. Prints one JSON line per round and a Markdown row for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from lucidscore.service import claims_without_accounts
from lucidscore.store import make_engine, migrate, shard_of
from lucidscore.store.service import AccountDirectory, User

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "claims"
SHARDS = 3
CHUNK = 50_000


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def build(folder: Path, accounts: int, orphans: int) -> list[Engine]:
    """Three migrated SQLite shards: ``accounts`` consumer accounts, each in its consumer's shard and
    listed in shard 0's directory, and ``orphans`` listings whose account was never made."""
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
            name = f"user{n:09d}"
            shard = shard_of(consumer, SHARDS)
            listed.append({"username": name, "shard_index": shard, "consumer_id": consumer, "listed_at": now})
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--orphans", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engines = build(WORK / f"{args.accounts}-{args.orphans}", args.accounts, args.orphans)
    rows = []
    for r in range(args.rounds):
        load = _load()
        wall, cpu = time.perf_counter(), time.process_time()
        found = claims_without_accounts(engines)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert found.count == args.orphans, found.count
        row = {
            "round": r + 1,
            "accounts": args.accounts,
            "orphans": found.count,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "load_before": load,
            "load_after": _load(),
            "machine": f"{platform.machine()} {os.cpu_count()} cores",
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }
        rows.append(row)
        print(json.dumps(row))
    for e in engines:
        e.dispose()
    print("| accounts | orphan claims | wall s (each round) | CPU s (each round) | load before |")
    print("|---|---|---|---|---|")
    print(
        f"| {args.accounts:,} | {args.orphans} | {', '.join(str(r['wall_s']) for r in rows)} | "
        f"{', '.join(str(r['cpu_s']) for r in rows)} | {rows[0]['load_before']} |"
    )


if __name__ == "__main__":
    main()
