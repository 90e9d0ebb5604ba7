"""Chained score_history writes alone (issue 15, publish throughput): rows/s of ``record_scores`` — what
``lucidscore publish`` does with each chunk of scores: content digests, the current-row lookup, the chain's
links, the insert (PostgreSQL: one ``COPY`` since revision 0011) — into a fresh SQLite file and, with
``--pg-url``, a fresh PostgreSQL database, in transactions of ``--chunk`` rows; then ``audit verify``'s
check of the whole chain.

    .venv/bin/python benchmarks/bench_chain.py --rows 100000 [--pg-url postgresql+psycopg://.../postgres]
    git archive <commit> src | tar -x -C /tmp/before
    .venv/bin/python benchmarks/bench_chain.py --rows 100000 --pg-url ... --rounds 3 \\
        --before-src /tmp/before/src

Rows shaped like a publish's (4 reasons of a few hundred characters, an explanation that holds the same
reasons list, families and recourse; about 3.7 KB of JSON a row). Each run is a child process with the code
of one source tree (``--before-src`` and this checkout, alternating, so both meet the same machine load);
the PostgreSQL URL names a server, and each run gets a database of its own (made and dropped here).
``--server-copy ROWS --pg-url ...`` measures the server alone instead: the backend's CPU for one COPY of
ROWS chained rows into a database at revision 0010 (row triggers) and at the head (statement check). Prints
one JSON line per run (wall and CPU seconds of the writes; the CPU is this process's: hashing, encoding,
the driver) and a Markdown table of medians. With two trees the stored rows of both are compared (every
column but ``scored_at`` and the chain hashes that cover it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
from datetime import date
from sqlalchemy import text
import lucidscore
from lucidscore.service import record_scores
from lucidscore.store import make_engine, migrate, verify_audit_chains
sys.path.insert(0, sys.argv[4])
from bench_chain import rows

url, total, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
engine = make_engine(url)
migrate(engine)
wall = cpu = 0.0
for start in range(0, total, chunk):
    batch = rows(start, min(chunk, total - start))
    started, started_cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        recorded = record_scores(conn, batch, publication_id=1)
    wall += time.perf_counter() - started
    cpu += time.process_time() - started_cpu
    assert recorded.new == len(batch), recorded
started = time.perf_counter()
again = rows(0, min(chunk, total))
with engine.begin() as conn:  # publishing the same scores again writes nothing
    unchanged = record_scores(conn, again, publication_id=2).unchanged
repeat = time.perf_counter() - started
started = time.perf_counter()
problems = [str(s.problem) for s in verify_audit_chains(engine) if not s.ok]
verify = time.perf_counter() - started
engine.dispose()
print(json.dumps({"source": lucidscore.__file__, "db": url.split(":", 1)[0], "rows": total, "chunk": chunk,
                  "write_s": round(wall, 2), "write_cpu_s": round(cpu, 2), "rows_per_s": round(total / wall),
                  "repeat_unchanged": unchanged, "repeat_s": round(repeat, 2), "verify_s": round(verify, 2),
                  "chain_problems": problems}))
"""

_COMPARED = (
    "id, chain_seq, consumer_id, model_id, as_of, score, tier, probability, segment, reasons, explanation, "
    "publication_id, supersedes_id, content_digest"
)

_TEXTS = (
    "Your average monthly income in the last 6 months was {n:,}; 2,220 or more, or no income reported "
    "scores higher.",
    "You are using {n}% of your revolving credit limits; under 41.1% or no revolving credit scores higher.",
    "You have lived at your current address for {n} months; 9 months or more scores higher.",
    "Month-to-month variation of income in the last 12 months: not enough months of income reported; "
    "under 16.2% scores higher — «{n}».",
)


def rows(start: int, n: int) -> list[dict[str, Any]]:
    """``n`` publish-shaped score rows (consumers ``start`` .. ``start + n - 1``), as ``score_consumers``
    gives them: the explanation holds the same reasons list."""
    from datetime import date

    out = []
    for i in range(start, start + n):
        reasons = [
            {
                "characteristic": f"characteristic_{k}",
                "family": ("fulfilment_capacity", "stability_identity", "credit_history")[k % 3],
                "bin_label": f"{1810 + i % 97} to < {2220 + k}",
                "points_lost": 34 - k - i % 5,
                "text": _TEXTS[k].format(n=i % 1000),
                "code": f"FC0{k + 1}",
                "adverse_action": "Insufficient information: month-to-month variation of income",
            }
            for k in range(4)
        ]
        score = 500 + i % 300
        probability = (i % 997) / 1000.0 + 1e-9 * (i % 7)
        out.append(
            {
                "consumer_id": f"C{i:08d}",
                "model_id": "bench-model",
                "as_of": date(2026, 6, 30),
                "score": score,
                "tier": "good",
                "probability": probability,
                "segment": "default",
                "reasons": reasons,
                "explanation": {
                    "row": i % 20000,
                    "score": score,
                    "tier": "good",
                    "probability": probability,
                    "segment": "default",
                    "base_points": 605,
                    "families": {
                        "credit_history": i % 40,
                        "payment_behaviour": 14,
                        "fulfilment_capacity": -(i % 9),
                        "stability_identity": 3,
                        "interpersonal_relationships": None,
                    },
                    "reasons": reasons,
                    "recourse": {
                        "target_tier": "excellent",
                        "target_score": 700,
                        "changes": [],
                        "new_score": None,
                        "new_tier": None,
                        "note": "no change to up to 2 characteristic(s), each in its declared direction, "
                        "reaches excellent (700+)",
                    },
                    "raw_points": score,
                },
            }
        )
    return out


def _admin(pg_url: str) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    return psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database, autocommit=True
    )


def _fresh(pg_url: str | None, work: Path, name: str) -> str:
    if pg_url is None:
        path = work / f"{name}.db"
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from sqlalchemy.engine import make_url

    database = f"bench_chain_{name}_{uuid.uuid4().hex[:8]}"
    with _admin(pg_url) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    return make_url(pg_url).set(database=database).render_as_string(hide_password=False)


def _drop(pg_url: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    with _admin(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}"')


def _stored(url: str) -> list[tuple[Any, ...]]:
    """The compared columns of every stored score row, JSON columns as their stored text."""
    query = f"SELECT {_COMPARED} FROM score_history ORDER BY id"
    if url.startswith("sqlite:///"):
        import sqlite3

        return sqlite3.connect(url.removeprefix("sqlite:///")).execute(query).fetchall()
    with _admin(url) as conn:
        return conn.execute(
            query.replace("reasons, explanation", "reasons::text, explanation::text")
        ).fetchall()


def _backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a server process on this machine, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_copy(pg_url: str, rows_n: int, rounds: int) -> dict[str, list[dict[str, float]]]:
    """The server's side alone: one COPY of ``rows_n`` publish-shaped rows (chained by this code, dumped
    with ``COPY ... TO STDOUT``) into a fresh database at revision 0010 (0003's row triggers) and at the
    head (0011's statement check), alternating; the backend's CPU seconds (from /proc: the server must run
    on this machine) and the wall seconds of COPY and commit."""
    from sqlalchemy.engine import make_url

    from lucidscore.service import record_scores
    from lucidscore.store import make_engine, migrate

    url = _fresh(pg_url, Path("."), "dump")
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        record_scores(conn, rows(0, rows_n), publication_id=1)
    engine.dispose()
    with _admin(url) as conn, conn.cursor() as cur, cur.copy("COPY score_history TO STDOUT") as copy:
        dump = b"".join(bytes(block) for block in copy)
    _drop(pg_url, url)
    out: dict[str, list[dict[str, float]]] = {}
    for i in range(rounds):
        order = [("0010_dispute_accept_claim", "0010"), ("head", "0011")]
        for revision, name in order if i % 2 == 0 else reversed(order):
            target = _fresh(pg_url, Path("."), name)
            engine = make_engine(target)
            migrate(engine, revision)
            engine.dispose()
            u = make_url(target)
            with _admin(target) as conn:
                conn.autocommit = False
                pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
                cpu, started = _backend_cpu(pid), time.perf_counter()
                with conn.cursor() as cur, cur.copy("COPY score_history FROM STDIN") as copy:
                    copy.write(dump)
                conn.commit()
                result = {
                    "server_cpu_s": round(_backend_cpu(pid) - cpu, 2),
                    "wall_s": round(time.perf_counter() - started, 2),
                }
            out.setdefault(name, []).append(result)
            print(
                json.dumps({"server_copy": name, "rows": rows_n, "database": u.database, **result}),
                flush=True,
            )
            _drop(pg_url, target)
    return out


def run_once(src: Path, url: str, total: int, chunk: int) -> dict[str, Any]:
    env = os.environ | {"PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(total), str(chunk), str(ROOT / "benchmarks")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"run on {url} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pg-url", default=None, help="a PostgreSQL server (any database on it)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--before-src", type=Path, help="the src/ directory of the code to compare with")
    parser.add_argument(
        "--server-copy",
        type=int,
        metavar="ROWS",
        help="instead: the server's CPU for one COPY of ROWS rows at revision 0010 and at the head",
    )
    args = parser.parse_args()
    if args.server_copy:
        print(json.dumps({"load_before": os.getloadavg()}), flush=True)
        runs = server_copy(args.pg_url, args.server_copy, args.rounds)
        print(json.dumps({"load_after": os.getloadavg()}), flush=True)
        for name, each in runs.items():
            cpu = " / ".join(f"{r['server_cpu_s']:.2f}" for r in each)
            wall = " / ".join(f"{r['wall_s']:.2f}" for r in each)
            print(f"| {name} | server CPU s {cpu} | wall s {wall} |")
        return
    variants = {"after": ROOT / "src"}
    if args.before_src is not None:
        variants = {"before": args.before_src.resolve(), **variants}
    databases: list[str | None] = ([] if args.skip_sqlite else [None]) + (
        [args.pg_url] if args.pg_url else []
    )
    print(json.dumps({"load_before": os.getloadavg()}), flush=True)
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-chain-", dir=ROOT / "benchmarks") as tmp:
        work = Path(tmp)
        for pg_url in databases:
            kept: dict[str, str] = {}
            for i in range(args.rounds):
                order = list(variants.items())
                for name, src in order if i % 2 == 0 else reversed(order):
                    url = _fresh(pg_url, work, name)
                    result = {"variant": name, **run_once(src, url, args.rows, args.chunk)}
                    results.setdefault((name, result["db"]), []).append(result)
                    print(json.dumps(result), flush=True)
                    if name in kept and pg_url is not None:
                        _drop(pg_url, kept[name])
                    kept[name] = url
            if len(kept) == 2:
                same = _stored(kept["before"]) == _stored(kept["after"])
                print(
                    json.dumps({"db": "sqlite" if pg_url is None else "postgresql", "same_stored_rows": same})
                )
            if pg_url is not None:
                for url in kept.values():
                    _drop(pg_url, url)
    print(json.dumps({"load_after": os.getloadavg()}), flush=True)
    print(
        "\n| database | variant | runs | rows/s (each) | write wall s (median) | write CPU s (median) "
        "| verify s |"
    )
    print("|---|---|---|---|---|---|---|")
    for (name, db), runs in results.items():
        each = " / ".join(f"{r['rows_per_s']:,}" for r in runs)
        wall = statistics.median(r["write_s"] for r in runs)
        cpu = statistics.median(r["write_cpu_s"] for r in runs)
        verify = statistics.median(r["verify_s"] for r in runs)
        print(f"| {db} | {name} | {len(runs)} | {each} | {wall:.2f} | {cpu:.2f} | {verify:.2f} |")


if __name__ == "__main__":
    main()
