"""``lucidscore publish`` of one month, before and after a change, side by side (issue 15: throughput).

Each run publishes the same month into a fresh copy of the same bureau (one with an active model: a SQLite
file as ``bench_rescore.py`` leaves under ``benchmarks/_work/rescore/``, or a PostgreSQL database, copied
with ``CREATE DATABASE ... TEMPLATE``), in a child process, and reports where the time went: the features
(and within them the reading of the database's views, ``DatabaseSource.tables``), scoring (reasons,
recourse, explanations) and the chained writes (``record_scores``: digests, chain hashes, inserts), in
wall and in CPU seconds (the process's own, which other people's load inflates less). With
``--before-src`` the runs alternate between that source tree and this checkout's, so both meet the same
machine load:

    git archive <commit> src | tar -x -C /tmp/before
    (``--feature-chunk N``: consumers whose features are read together, for code that reads them in chunks)
    .venv/bin/python benchmarks/bench_publish.py --db benchmarks/_work/rescore/bureau_100000.db \\
        --month 2026-05-31 --rounds 2 --before-src /tmp/before/src
    .venv/bin/python benchmarks/bench_publish.py --db postgresql://user@host/bureau \\
        --month 2026-05-31 --rounds 2 --before-src /tmp/before/src [--pg-data /path/to/server/data]

A PostgreSQL bureau is made with ``lucidscore ingest DIR --db URL``, ``lucidscore model register FILE`` and
``model activate ID``; the copies (``<bureau>_before``, ``<bureau>_after``) are dropped and made again for
each run, so nobody else may be connected to the bureau then.

Each copy is migrated to its code's revision before the clock starts (so a bureau made by the older code
can be published by the newer: revision 0011 on PostgreSQL). The month must not be published in the bureau
yet (every consumer is then written). After the runs the stored rows of the two variants' last copies are
compared (all columns but ``scored_at`` and the two chain hashes, which cover it; on PostgreSQL the JSON as
its stored text) and both chains verified. Prints one JSON line per run and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_ingest import _server_cpu

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, resource, sys, time
from datetime import date
import lucidscore, lucidscore.score
import lucidscore.service._publish as publish
from lucidscore.store import make_engine, verify_audit_chains

import lucidscore.features._sources as sources

spent = {"features": 0.0, "reading": 0.0, "scoring": 0.0, "writing": 0.0}
cpu = dict.fromkeys(spent, 0.0)

def timed(name, fn):
    def run(*args, **kwargs):
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started
            cpu[name] += time.process_time() - started_cpu
    return run

if hasattr(publish, "consumer_features"):  # code before the features went through a file
    publish.consumer_features = timed("features", publish.consumer_features)
else:
    import lucidscore.features as features
    features.features_to_parquet = timed("features", features.features_to_parquet)
sources.DatabaseSource.tables = timed("reading", sources.DatabaseSource.tables)
publish.record_scores = timed("writing", publish.record_scores)
lucidscore.score.score_consumers = timed("scoring", lucidscore.score.score_consumers)
if len(sys.argv) > 3 and hasattr(publish, "FEATURE_CHUNK"):
    publish.FEATURE_CHUNK = int(sys.argv[3])
url = sys.argv[1]
from lucidscore.store import migrate
engine = make_engine(url)
migrate(engine)  # the copy to this code's revision, before the clock starts (a no-op when it is there)
engine.dispose()
started, started_cpu = time.perf_counter(), time.process_time()
report = publish.publish_month(url, date.fromisoformat(sys.argv[2]))
total, total_cpu = time.perf_counter() - started, time.process_time() - started_cpu
engine = make_engine(url)
problems = [str(s.problem) for s in verify_audit_chains(engine) if not s.ok]
engine.dispose()
print(json.dumps({"source": str(lucidscore.__file__), "consumers": report.consumers,
                  "written": report.written, "total_s": round(total, 2),
                  **{k + "_s": round(v, 2) for k, v in spent.items()}, "cpu_s": round(total_cpu, 2),
                  **{k + "_cpu_s": round(v, 2) for k, v in cpu.items()},
                  "consumers_per_s": round(report.consumers / total), "chain_problems": problems,
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""

_COMPARED = (
    "id, chain_seq, consumer_id, model_id, as_of, score, tier, probability, segment, reasons, explanation, "
    "publication_id, supersedes_id, content_digest"
)


def _postgres(url: str, dbname: str = "postgres") -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=dbname, autocommit=True
    )


def _copy(bureau: str, work: Path, name: str) -> str:
    """A fresh copy of the bureau for one run: its URL."""
    if "://" not in bureau:
        copy = work / f"{name}.db"
        for leftover in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(bureau, copy)
        return f"sqlite:///{copy}"
    from psycopg import sql
    from sqlalchemy.engine import make_url

    source = make_url(bureau)
    target = f"{source.database}_{name}"
    with _postgres(bureau) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(str(source.database))
            )
        )
    return source.set(database=target).render_as_string(hide_password=False)


def _drop(bureau: str, url: str) -> None:
    from psycopg import sql
    from sqlalchemy.engine import make_url

    with _postgres(bureau) as conn:
        name = sql.Identifier(str(make_url(url).database))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))


def _stored(url: str, month: str) -> list[tuple[Any, ...]]:
    """The compared columns of the month's stored score rows."""
    if url.startswith("sqlite:///"):
        query = f"SELECT {_COMPARED} FROM score_history WHERE as_of = ? ORDER BY id"
        return sqlite3.connect(url.removeprefix("sqlite:///")).execute(query, (month,)).fetchall()
    from sqlalchemy.engine import make_url

    with _postgres(url, str(make_url(url).database)) as conn:
        compared = _COMPARED.replace("reasons, explanation", "reasons::text, explanation::text")  # as stored
        query = f"SELECT {compared} FROM score_history WHERE as_of = %s ORDER BY id"
        return conn.execute(query, (month,)).fetchall()


def run_once(
    src: Path,
    bureau: str,
    month: str,
    work: Path,
    name: str,
    feature_chunk: int | None = None,
    pg_data: Path | None = None,
) -> dict[str, Any]:
    url = _copy(bureau, work, name)
    env = os.environ | {"PYTHONPATH": str(src)}
    args = [sys.executable, "-c", _CHILD, url, month, *([str(feature_chunk)] if feature_chunk else [])]
    server_before = _server_cpu(pg_data) if pg_data is not None else 0.0
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if pg_data is not None:  # the server's share of the work (reading the views, the inserts)
        result["server_cpu_s"] = round(_server_cpu(pg_data) - server_before, 1)
    return {"variant": name, "url": url, **result}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", required=True, help="bureau with an active model: a SQLite file or a postgresql:// URL"
    )
    parser.add_argument("--month", required=True, help="a month not yet published in it (YYYY-MM-DD)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--before-src", type=Path, help="the src/ directory of the code to compare with")
    parser.add_argument(
        "--feature-chunk",
        type=int,
        help="consumers whose features are computed together (default: the code's FEATURE_CHUNK)",
    )
    parser.add_argument(
        "--pg-data",
        type=Path,
        help="the PostgreSQL server's data directory (with postmaster.pid): also report the server's CPU",
    )
    args = parser.parse_args()
    variants = {"after": ROOT / "src"}
    if args.before_src is not None:
        variants = {"before": args.before_src.resolve(), **variants}
    print(json.dumps({"load_before": os.getloadavg()}), flush=True)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="bench-publish-", dir=ROOT / "benchmarks") as tmp:
        work = Path(tmp)
        for i in range(args.rounds):
            order = list(variants.items())
            for name, src in order if i % 2 == 0 else reversed(order):
                result = run_once(src, args.db, args.month, work, name, args.feature_chunk, args.pg_data)
                results[name].append(result)
                print(json.dumps(result), flush=True)
        same: bool | None = None
        if len(variants) == 2:
            stored = [_stored(results[n][-1]["url"], args.month) for n in variants]
            same = stored[0] == stored[1]
        if "://" in args.db:  # the PostgreSQL copies
            for name in variants:
                _drop(args.db, results[name][-1]["url"])
        print(json.dumps({"load_after": os.getloadavg(), "same_stored_rows": same}), flush=True)
    print(
        "\n| variant | runs | wall s (each) | CPU s (each) | features wall / CPU s | of which reading "
        "wall / CPU s | scoring wall / CPU s | writing wall / CPU s | consumers/s (median wall) | peak MiB "
        "| server CPU s (each) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k.endswith("_s")}
        rate = statistics.median(r["consumers_per_s"] for r in runs)
        walls = " / ".join(f"{r['total_s']:.1f}" for r in runs)
        cpus = " / ".join(f"{r['cpu_s']:.1f}" for r in runs)
        stages = " | ".join(
            f"{med[f'{k}_s']:.1f} / {med[f'{k}_cpu_s']:.1f}"
            for k in ("features", "reading", "scoring", "writing")
        )
        peak = max(r.get("peak_rss_mib", 0) for r in runs)
        server = " / ".join(str(r.get("server_cpu_s", "-")) for r in runs)
        print(f"| {name} | {len(runs)} | {walls} | {cpus} | {stages} | {rate:,.0f} | {peak:,} | {server} |")


if __name__ == "__main__":
    main()
