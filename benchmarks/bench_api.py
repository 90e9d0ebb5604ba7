"""Load on loopback against POST /v1/decisions, on SQLite and on PostgreSQL, and against a do-nothing
endpoint (POST /v1/ping) as the framework's ceiling. Goal: p99 <= 50 ms at 200 requests/s for 60 s, 0 errors.

One command (from the repository root; needs `wrk`: apt-get install wrk):

    .venv/bin/python benchmarks/bench_api.py --consumers 20000 --seconds 60 --rate 200

It builds (or, with --reuse, reuses) a demo under benchmarks/_work/ (git-ignored) with `lucidscore.demo`,
grants 500 consents to its first merchant, then for each backend starts `lucidscore serve` (one uvicorn
process) and runs wrk with benchmarks/decisions.lua: a paced run at --rate for --seconds, then a short
unpaced run (--burst-seconds) to find the throughput ceiling. PostgreSQL 15 is started by this script in a
temporary directory (see bench_ingest.py) and the service tables are copied into it. Loopback only.
Prints one JSON line per run and a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).resolve().parent / "decisions.lua"
CONNECTIONS = 10
CONSENTS = 500
COPIED_TABLES = ("users", "api_keys", "models", "consents", "score_history")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo(consumers: int, work: Path, reuse: bool) -> Any:
    from rich.console import Console

    from lucidscore.demo import build_demo, existing_demo

    directory = work / f"api_demo_{consumers}"
    build = existing_demo(directory) if reuse else None
    return build or build_demo(directory, consumers, seed=7, console=Console(stderr=True))


def _consent_tokens(db_url: str, merchant: str, product: str) -> list[str]:
    """Grant consents from the first CONSENTS consumers that have a score, to ``merchant`` for ``product``."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from lucidscore.policy import default_catalogue
    from lucidscore.service import grant_consent
    from lucidscore.store import make_engine
    from lucidscore.store.service import ScoreRecord

    engine = make_engine(db_url)
    tokens = []
    with Session(engine) as s:
        ids = s.scalars(
            select(ScoreRecord.consumer_id).distinct().order_by(ScoreRecord.consumer_id).limit(CONSENTS)
        )
        for consumer_id in list(ids):
            _, token = grant_consent(s, consumer_id, merchant, product, 30, default_catalogue(), 365)
            tokens.append(token)
        s.commit()
    engine.dispose()
    return tokens


def _copy_service_tables(src_url: str, dst_url: str) -> None:
    """Copy what a decision reads (users, keys, models, consents, scores) into a migrated PostgreSQL.

    Audit rows are copied in id order without their links: the copy's engine chains them anew (a copy of
    the chain itself would need a database dump).
    """
    from sqlalchemy import text

    from lucidscore.store import make_engine, migrate
    from lucidscore.store.service import service_tables

    src, dst = make_engine(src_url), make_engine(dst_url)
    migrate(dst)
    tables = {t.name: t for t in service_tables()}
    links = ("chain_seq", "prev_hash", "row_hash")
    with src.connect() as s_conn, dst.begin() as d_conn:
        for name in COPIED_TABLES:
            table = tables[name]
            query = table.select().order_by(*table.primary_key.columns)
            rows = [{k: v for k, v in r.items() if k not in links} for r in s_conn.execute(query).mappings()]
            for start in range(0, len(rows), 5000):
                d_conn.execute(tables[name].insert(), rows[start : start + 5000])
            d_conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
            )
    src.dispose()
    dst.dispose()


@contextmanager
def _server(
    db_url: str,
    workers: int,
    env: dict[str, str] | None = None,
    where: list[str] | None = None,
    started: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """``lucidscore serve`` on ``db_url`` (or ``where``, e.g. ``["--shards", MAP]``) until the block ends;
    ``started`` is told the server's process id once it answers."""
    port = _free_port()
    env = dict(os.environ, LUCIDSCORE_SECRET_KEY="bench", **(env or {}))
    log = tempfile.NamedTemporaryFile(prefix="lucid-serve-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,  # the interpreter running the benchmark, with its lucidscore
            "-m",
            "lucidscore.cli.main",
            "serve",
            *(where or ["--db", db_url]),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start; see {log.name}") from None
                time.sleep(0.2)
        if started is not None:
            started(proc.pid)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        # the note a sharded service starts with ("Serving 2 shard(s) of ...") is no error
        lines = Path(log.name).read_text(errors="replace").splitlines()
        if all(not line.strip() or line.startswith("Serving ") for line in lines):
            Path(log.name).unlink()
        else:
            print(f"server errors were logged: {log.name}", file=sys.stderr)


def _wrk(base: str, path: str, tokens_file: Path, api_key: str, seconds: int, delay: int) -> dict[str, Any]:
    """One wrk run; each connection waits ``delay`` ms after every response (0: unpaced)."""
    env = dict(
        os.environ,
        LUCID_TOKENS=str(tokens_file),
        LUCID_API_KEY=api_key,
        LUCID_PATH=path,
        LUCID_DELAY_MS=str(delay),
        LUCID_PRODUCT="deposit_free_rental",
    )
    done = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s", "-s", str(LUA), base + path],
        capture_output=True,
        text=True,
        env=env,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["rate_per_s"] = round(result["requests"] / result["duration_s"], 1)
    result["errors_total"] = sum(result["errors"].values())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--burst-seconds", type=int, default=15)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="reuse a demo built by an earlier run")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the server")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    work = ROOT / "benchmarks" / "_work"
    work.mkdir(parents=True, exist_ok=True)
    build = _demo(args.consumers, work, args.reuse)
    merchant = build.logins.merchants[0]
    tokens = _consent_tokens(build.db_url, merchant["username"], "deposit_free_rental")
    tokens_file = Path(tempfile.mkstemp(prefix="lucid-tokens-", suffix=".txt")[1])
    tokens_file.write_text("\n".join(tokens) + "\n")
    runs: list[dict[str, Any]] = []

    def measure(backend: str, db_url: str, ceiling: bool) -> None:
        with _server(db_url, args.workers) as base:
            paths = [("decision", "/v1/decisions")] + ([("ping (ceiling)", "/v1/ping")] if ceiling else [])
            for label, path in paths:
                # Calibrate the pacing: a connection's cycle is its delay plus the request's own time.
                guess = round(CONNECTIONS * 1000 / args.rate)
                warm = _wrk(base, path, tokens_file, merchant["api_key"], 5, guess)
                paced = max(0, round(guess - (CONNECTIONS * 1000 / warm["rate_per_s"] - guess)))
                print(f"pacing {label}: {warm['rate_per_s']}/s at {guess} ms -> {paced} ms", file=sys.stderr)
                for mode, seconds, delay in (("paced", args.seconds, paced), ("max", args.burst_seconds, 0)):
                    result = _wrk(base, path, tokens_file, merchant["api_key"], seconds, delay)
                    rate = args.rate if delay else None
                    result |= {"backend": backend, "endpoint": label, "mode": mode, "target_rate": rate}
                    print(json.dumps(result), flush=True)
                    runs.append(result)

    backends = args.backends.split(",")
    if "sqlite" in backends:
        measure("SQLite", build.db_url, ceiling=True)
    if "postgresql" in backends:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_ingest import postgres_server

        with postgres_server() as (pg_url, _pgdata):
            _copy_service_tables(build.db_url, pg_url)
            measure("PostgreSQL", pg_url, ceiling=False)
    tokens_file.unlink()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    print(
        f"\n{stamp}, {os.cpu_count()} cores, {platform.machine()}, {args.consumers:,} consumers scored, "
        f"wrk 1 thread {CONNECTIONS} connections, {args.workers} uvicorn worker(s)\n"
    )
    print("| backend | endpoint | load | requests/s | p50 ms | p99 ms | max ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        load = (
            f"paced to {r['target_rate']}/s, {r['duration_s']:.0f} s"
            if r["mode"] == "paced"
            else (f"unpaced, {r['duration_s']:.0f} s")
        )
        print(
            f"| {r['backend']} | {r['endpoint']} | {load} | {r['rate_per_s']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['errors_total']} |"
        )


if __name__ == "__main__":
    main()
