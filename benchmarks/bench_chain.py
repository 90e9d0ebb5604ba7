"""Chained score_history writes alone (issue 15, publish throughput): rows/s through ``make_engine`` into a
fresh SQLite file and, with ``--pg-url``, a fresh PostgreSQL database, in transactions of ``--chunk`` rows
as ``lucidscore publish`` writes them; then ``audit verify``'s check of the whole chain.

    .venv/bin/python benchmarks/bench_chain.py --rows 100000 [--pg-url postgresql+psycopg://...]

Synthetic rows shaped like a publish's (4 reasons, an explanation); prints one JSON line per database.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from lucidscore.store import make_engine, migrate
from lucidscore.store._chain_verify import verify_audit_chains
from lucidscore.store.service import ScoreRecord


def rows(start: int, n: int) -> list[dict[str, Any]]:
    at = datetime(2026, 6, 30, 12, tzinfo=UTC)
    return [
        {
            "consumer_id": f"C{i:08d}",
            "model_id": "bench-model",
            "as_of": date(2026, 6, 30),
            "score": 500 + i % 300,
            "tier": "B",
            "probability": (i % 997) / 1000.0,
            "segment": "thick",
            "reasons": [{"feature": f"f{k}", "points": k - 2.5} for k in range(4)],
            "explanation": {"base": 600, "parts": [i % 7, i % 11]},
            "scored_at": at,
            "publication_id": 1,
            "content_digest": f"{i:064x}",
        }
        for i in range(start, start + n)
    ]


def run(url: str, total: int, chunk: int) -> dict[str, Any]:
    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    for start in range(0, total, chunk):
        batch = rows(start, min(chunk, total - start))
        with engine.begin() as conn:
            conn.execute(insert(ScoreRecord), batch)
    write = time.perf_counter() - started
    started = time.perf_counter()
    statuses = verify_audit_chains(engine)
    verify = time.perf_counter() - started
    engine.dispose()
    return {
        "db": url.split(":", 1)[0],
        "rows": total,
        "chunk": chunk,
        "write_s": round(write, 2),
        "rows_per_s": round(total / write),
        "verify_s": round(verify, 2),
        "verify_ok": all(s.problem is None for s in statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run(f"sqlite:///{Path(tmp) / 'chain.db'}", args.rows, args.chunk)), flush=True)
    if args.pg_url:
        print(json.dumps(run(args.pg_url, args.rows, args.chunk)), flush=True)


if __name__ == "__main__":
    main()
