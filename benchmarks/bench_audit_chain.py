"""What the audit hash chain costs (issue 11): appending audit rows, in bulk and one at a time, and verifying
them, on SQLite and PostgreSQL.

One command (from the repository root):

    .venv/bin/python benchmarks/bench_audit_chain.py --rows 120000 --appends 2000

- bulk: ``--rows`` score_history rows shaped like the demo's (four reasons, an explanation), inserted by
  ORM bulk inserts of 20,000 rows, one commit each (what ``lucidscore demo`` and model activation do);
- appends: ``--appends`` access_log rows, one transaction each, one after another (what every decision
  does), with the latency of each insert + commit;
- verify: ``verify_audit_chains`` over everything written.

``--src PATH`` imports lucidscore from another source tree first (e.g. ``git archive`` of the commit
before the chain), to measure the same writes without it; verify is then skipped. PostgreSQL is started
by this script in a temporary directory (bench_ingest.py). Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

_CHUNK = 20_000


def _score_row(i: int) -> dict[str, Any]:
    reasons = [
        {"code": f"R{k}", "text": f"Reason {k} for consumer {i}", "points_lost": 7.5 * k} for k in range(4)
    ]
    return {
        "consumer_id": f"C{i:07d}",
        "model_id": "sc-bench",
        "as_of": date(2026, 6, 30),
        "score": 350 + i % 600,
        "tier": "good",
        "probability": 0.05 + (i % 100) / 1000,
        "segment": "thick" if i % 3 else "thin",
        "reasons": reasons,
        "explanation": {
            "families": {"credit_history": 120, "payment_behaviour": 60, "fulfilment_capacity": 45},
            "reasons": reasons,
            "recourse": [{"text": "Pay down revolving balances", "points": 14}],
            "recourse_note": None,
        },
    }


def _measure(backend: str, url: str, rows: int, appends: int) -> list[dict[str, Any]]:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    import lucidscore.store as store
    from lucidscore.store.service import AccessLog, ScoreRecord, User

    engine = store.make_engine(url)
    store.migrate(engine)
    with Session(engine) as s:
        s.add(User(username="shop", role="merchant", display_name="Shop", password_hash="x"))
        s.commit()
    chained = hasattr(store, "verify_audit_chains")
    base = {"backend": backend, "chained": chained}
    out = []

    start = time.perf_counter()
    for first in range(0, rows, _CHUNK):
        with Session(engine) as s:
            s.execute(insert(ScoreRecord), [_score_row(i) for i in range(first, min(rows, first + _CHUNK))])
            s.commit()
    seconds = time.perf_counter() - start
    out.append(
        base
        | {
            "what": "bulk score rows",
            "rows": rows,
            "seconds": round(seconds, 2),
            "rows_per_s": round(rows / seconds),
        }
    )

    latencies = []
    for i in range(appends):
        row = {
            "consumer_id": f"C{i:07d}",
            "merchant_id": 1,
            "purpose": "premium",
            "at": datetime.now(UTC),
            "result": "declined",
            "score": 577,
            "model_id": "sc-bench",
        }
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(AccessLog), row)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    out.append(
        base
        | {
            "what": "single appends",
            "rows": appends,
            "p50_ms": round(statistics.median(latencies), 3),
            "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 3),
        }
    )

    if chained:
        start = time.perf_counter()
        statuses = store.verify_audit_chains(engine)
        seconds = time.perf_counter() - start
        assert all(s.ok for s in statuses), [str(s.problem) for s in statuses]
        total = sum(s.links for s in statuses)
        out.append(
            base
            | {
                "what": "verify",
                "rows": total,
                "seconds": round(seconds, 2),
                "rows_per_s": round(total / seconds),
            }
        )
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=120_000)
    parser.add_argument("--appends", type=int, default=2_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--src", type=Path, help="import lucidscore from this source tree")
    args = parser.parse_args()
    if args.src is not None:
        sys.path.insert(0, str(args.src.resolve()))
    machine = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()} {platform.node()}",
    }
    backends = args.backends.split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="lucid-chain-") as work:
            for line in _measure("SQLite", f"sqlite:///{work}/bench.db", args.rows, args.appends):
                print(json.dumps(machine | line), flush=True)
    if "postgresql" in backends:
        sys.path.insert(1 if args.src else 0, str(Path(__file__).resolve().parent))
        from bench_ingest import postgres_server

        with postgres_server() as (url, _pgdata):
            for line in _measure("PostgreSQL", url, args.rows, args.appends):
                print(json.dumps(machine | line), flush=True)


if __name__ == "__main__":
    main()
