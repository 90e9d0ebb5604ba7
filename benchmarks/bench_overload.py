"""The service under a flood, on SQLite and PostgreSQL (issue 11): 256 concurrent clients for 30 s on each
of GET /v1/me with a bogus bearer, GET /v1/me/score with a valid session and POST /v1/decisions, while a
probe times GET /healthz every 50 ms; then decisions paced to 200/s. Goals: 0 × 5xx, /healthz p99 ≤ 100 ms
throughout, decisions p99 ≤ 50 ms at 200/s.

One command (from the repository root; needs `wrk`: apt-get install wrk):

    python benchmarks/bench_overload.py --consumers 20000 --seconds 30 [--reuse]

It builds (or, with --reuse, reuses) the demo under benchmarks/_work/ that bench_api.py uses, grants 500
consents to its first merchant, signs one demo consumer in, then for each backend starts `lucidscore serve`
(one uvicorn process unless `--workers N`; default settings: 8 database slots, a queue of 1024, 5 s queue
timeout) and runs wrk (1 thread) with benchmarks/overload.lua. PostgreSQL 15 is started by the script in a
temporary directory (bench_ingest.postgres_server) and holds a copy of the service tables. Loopback only,
bounded in time. Prints one JSON line per run and a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_api import (  # noqa: E402  (the benchmarks folder is not a package)
    _consent_tokens,
    _copy_service_tables,
    _demo,
    _server,
)

LUA = HERE / "overload.lua"
CLIENTS = 256
PACED_CONNECTIONS = 10
PROBE_EVERY_S = 0.05


class HealthProbe(threading.Thread):
    """GET /healthz every 50 ms on one keep-alive connection; keeps each latency (ms) and status."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.samples: list[tuple[float, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            took = time.perf_counter() - started
            self.samples.append((took * 1000, status))
            time.sleep(max(0.0, PROBE_EVERY_S - took))
        conn.close()

    def summary(self) -> dict[str, Any]:
        times = sorted(t for t, _ in self.samples)
        if not times:
            return {"probes": 0}

        def pct(p: float) -> float:
            return round(times[min(len(times) - 1, int(p / 100 * len(times)))], 2)

        return {
            "probes": len(times),
            "p50_ms": pct(50),
            "p99_ms": pct(99),
            "max_ms": round(times[-1], 2),
            "not_ok": sum(1 for _, s in self.samples if s != 200),
        }


def _wrk(base: str, env: dict[str, str], connections: int, seconds: int) -> dict[str, Any]:
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA), base],
        capture_output=True,
        text=True,
        env=dict(os.environ, **env),
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["rate_per_s"] = round(result["requests"] / result["duration_s"], 1)
    result["5xx"] = sum(n for status, n in result["statuses"].items() if int(status) >= 500)
    result["socket_errors"] = sum(result["errors"].values())
    return result


def _with_probe(base: str, run: Any) -> dict[str, Any]:
    probe = HealthProbe(base)
    probe.start()
    try:
        result: dict[str, Any] = run()
    finally:
        probe.stopping.set()
        probe.join()
    result["healthz"] = probe.summary()
    return result


def _session_token(base: str, username: str, password: str) -> str:
    import httpx

    r = httpx.post(base + "/v1/session", json={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return str(r.json()["token"])


def _selected(only: str | None, label: str) -> bool:
    """Whether a run is asked for: ``--only`` is a comma-separated list of parts of run labels."""
    return only is None or any(part.strip() and part.strip() in label for part in only.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=30, help="length of each flood and of the paced run")
    parser.add_argument("--rate", type=int, default=200, help="decisions per second of the paced run")
    parser.add_argument("--reuse", action="store_true", help="reuse a demo built by an earlier run")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the server")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--setting", action="append", default=[], help="NAME=VALUE: a service setting (LUCIDSCORE_NAME)"
    )
    parser.add_argument(
        "--only", help="comma-separated: run only the floods (or 'paced') whose label contains one of these"
    )
    args = parser.parse_args()
    server_env = {f"LUCIDSCORE_{k.upper()}": v for k, _, v in (s.partition("=") for s in args.setting)}
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    work = HERE / "_work"
    work.mkdir(parents=True, exist_ok=True)
    build = _demo(args.consumers, work, args.reuse)
    merchant = build.logins.merchants[0]
    consumer = build.logins.consumers[0]
    tokens = _consent_tokens(build.db_url, merchant["username"], "deposit_free_rental")
    tokens_file = Path(tempfile.mkstemp(prefix="lucid-tokens-", suffix=".txt")[1])
    tokens_file.write_text("\n".join(tokens) + "\n")
    decision_env = {
        "LUCID_METHOD": "POST",
        "LUCID_PATH": "/v1/decisions",
        "LUCID_TOKENS": str(tokens_file),
        "LUCID_API_KEY": merchant["api_key"],
    }
    runs: list[dict[str, Any]] = []

    def measure(backend: str, db_url: str) -> None:
        with _server(db_url, args.workers, server_env) as base:
            bearer = _session_token(base, consumer["username"], consumer["password"])
            floods = [
                ("GET /v1/me, bogus bearer", {"LUCID_PATH": "/v1/me", "LUCID_AUTH": "Bearer bogus"}),
                (
                    "GET /v1/me/score, valid session",
                    {"LUCID_PATH": "/v1/me/score", "LUCID_AUTH": f"Bearer {bearer}"},
                ),
                ("POST /v1/decisions", decision_env),
            ]
            for label, env in floods:
                if not _selected(args.only, label):
                    continue
                result = _with_probe(base, lambda env=env: _wrk(base, env, CLIENTS, args.seconds))
                result |= {"backend": backend, "endpoint": label, "load": f"{CLIENTS} clients, unpaced"}
                print(json.dumps(result), flush=True)
                runs.append(result)
            if not _selected(args.only, "paced"):
                return
            # Paced decisions: each connection's cycle is its delay plus the request's own time.
            guess = round(PACED_CONNECTIONS * 1000 / args.rate)
            warm = _wrk(base, decision_env | {"LUCID_DELAY_MS": str(guess)}, PACED_CONNECTIONS, 5)
            paced = max(0, round(guess - (PACED_CONNECTIONS * 1000 / warm["rate_per_s"] - guess)))
            env = decision_env | {"LUCID_DELAY_MS": str(paced)}
            result = _with_probe(base, lambda: _wrk(base, env, PACED_CONNECTIONS, args.seconds))
            result |= {
                "backend": backend,
                "endpoint": "POST /v1/decisions",
                "load": f"paced to {args.rate}/s",
            }
            print(json.dumps(result), flush=True)
            runs.append(result)

    load_before = os.getloadavg()
    backends = args.backends.split(",")
    if "sqlite" in backends:
        measure("SQLite", build.db_url)
    if "postgresql" in backends:
        from bench_ingest import postgres_server

        with postgres_server() as (pg_url, _pgdata):
            _copy_service_tables(build.db_url, pg_url)
            measure("PostgreSQL", pg_url)
    tokens_file.unlink()
    load_after = os.getloadavg()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"\n{stamp}, {os.cpu_count()} cores, {platform.machine()}, {args.consumers:,} consumers, "
        f"wrk 1 thread, {args.seconds} s per run, "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    print(
        "| backend | endpoint | load | requests/s | p50 ms | p99 ms | max ms | 5xx | other statuses "
        "| /healthz p50 / p99 / max ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        others = ", ".join(f"{n} × {s}" for s, n in sorted(r["statuses"].items()) if int(s) < 500)
        h = r["healthz"]
        print(
            f"| {r['backend']} | {r['endpoint']} | {r['load']} | {r['rate_per_s']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['5xx']} | {others} | "
            f"{h.get('p50_ms')} / {h.get('p99_ms')} / {h.get('max_ms')} ({h.get('probes')} probes) |"
        )


if __name__ == "__main__":
    main()
