"""Ingest a synthetic population into SQLite and into PostgreSQL: wall time, rows per second, peak memory.

One command (from the repository root):

    .venv/bin/python benchmarks/bench_ingest.py --consumers 1000000

It generates the population once with ``lucidscore.synth`` (Parquet, under benchmarks/_work/, git-ignored;
``--reuse`` keeps an existing one), then for each backend runs ``ingest_directory`` in a fresh child
process that reports its own peak RSS. PostgreSQL 15 is started by this script in a temporary directory
(initdb + pg_ctl, fsync on as a real server would have it, unlike the test fixture) and removed after.
Prints one JSON line per run and a Markdown table for BENCHMARKS.md, with the CPU time of the ingest
process and the load average around each run (the machine is shared: wall time alone can mislead).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time
from lucidscore.ingest import ingest_directory
started = time.perf_counter()
report = ingest_directory(sys.argv[1], sys.argv[2])
seconds = time.perf_counter() - started
files = {f.table: {"read": f.read, "inserted": f.inserted, "unchanged": f.unchanged,
                   "quarantined": f.quarantined, "seconds": round(f.seconds, 1)} for f in report.files}
usage = resource.getrusage(resource.RUSAGE_SELF)
peak, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
print(json.dumps({"seconds": seconds, "cpu_seconds": round(cpu, 1), "peak_rss_mb": peak,
                  "rows": report.total("read"), "files": files}))
"""


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[::-1]), None
    )
    if not found:
        raise SystemExit(f"{name} not found: install PostgreSQL 15 (Debian: apt-get install postgresql-15)")
    return found


@contextmanager
def postgres_server() -> Iterator[tuple[str, Path]]:
    """A PostgreSQL server in a temporary directory; yields the URL of an empty database and the data
    directory (its ``postmaster.pid`` names the server process, for ``_server_cpu``)."""
    base = Path(tempfile.mkdtemp(prefix="lucidscore-bench-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as 'nobody'
        run_as = ["runuser", "-u", "nobody", "--"]
        for p in (base, sock):
            shutil.chown(p, "nobody")
        os.chmod(base, 0o755)
    env = dict(os.environ, LC_ALL="C.UTF-8")
    subprocess.run(
        [*run_as, _pg_bin("initdb"), "-D", str(data), "-U", "lucid", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        env=env,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c max_wal_size=4GB -c shared_buffers=512MB"
    pg_ctl = _pg_bin("pg_ctl")
    log = base / "log"
    subprocess.run(
        [*run_as, pg_ctl, "-D", str(data), "-o", opts, "-l", str(log), "-w", "start"], check=True, env=env
    )
    try:
        url = f"postgresql+psycopg://lucid@127.0.0.1:{port}/postgres"
        yield url, data
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True, env=env)
        shutil.rmtree(base, ignore_errors=True)


def _pg_size(url: str) -> int:
    from sqlalchemy import text

    from lucidscore.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    finally:
        engine.dispose()


def _population(n: int, seed: int, work: Path, reuse: bool) -> Path:
    out = work / f"population_{n}_{seed}"
    if reuse and (out / "consumers.parquet").exists():
        return out
    from lucidscore.synth import generate_population

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    generate_population(n, seed, out, fmt="parquet", progress=True)
    print(
        f"# population of {n:,} consumers generated in {time.perf_counter() - started:.0f} s", file=sys.stderr
    )
    return out


def _clock_ticks(pid: int, children: bool) -> int:
    """CPU ticks (user + system) of process ``pid``; with ``children``, also of its children that ended."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, so utime/stime/cutime/cstime (14-17) are 11-14 here.
    ticks = int(fields[11]) + int(fields[12])
    return ticks + (int(fields[13]) + int(fields[14]) if children else 0)


def _server_cpu(data: Path) -> float:
    """CPU seconds used so far by a PostgreSQL server: the postmaster, its live processes and every
    backend that has ended (reaped by the postmaster, so counted in its children's time)."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    ticks = _clock_ticks(postmaster, children=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == postmaster:
                ticks += _clock_ticks(int(stat.parent.name), children=False)
        except (OSError, ValueError, IndexError):
            continue  # the process ended while being read
    return ticks / os.sysconf("SC_CLK_TCK")


def _load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _ingest(data: Path, url: str, code: Path | None, server: Path | None = None) -> dict[str, object]:
    before = _load_average()
    env = dict(os.environ)
    if code is not None:  # another checkout's lucidscore (e.g. main's, for a side-by-side comparison)
        env["PYTHONPATH"] = str(code / "src")
    server_before = _server_cpu(server) if server is not None else 0.0
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data), url],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"ingest failed:\n{done.stderr}")
    result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    result["load_average"] = f"{before} before, {_load_average()} after (1/5/15 min)"
    if server is not None:
        result["server_cpu_seconds"] = round(_server_cpu(server) - server_before, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--consumers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "_work" / "ingest")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--reuse", action="store_true", help="reuse a population generated before")
    parser.add_argument("--again", action="store_true", help="also time a second load (all rows unchanged)")
    parser.add_argument(
        "--code",
        type=Path,
        default=None,
        help="load with the lucidscore of another checkout (its src/ first on PYTHONPATH), e.g. main's",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data = _population(args.consumers, args.seed, args.work, args.reuse)
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    machine = f"{os.cpu_count()} cores, {memory_gb:.0f} GB, {platform.machine()}"
    results = []
    for backend in args.backends.split(","):
        runs = ["first load"] + (["again (unchanged)"] if args.again else [])
        if backend == "sqlite":
            db = args.work / f"bench_{args.consumers}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            for run in runs:
                results.append(
                    {"backend": backend, "run": run, **_ingest(data, f"sqlite:///{db}", args.code)}
                )
                results[-1]["db_gb"] = round(db.stat().st_size / 2**30, 2)
                print(json.dumps(results[-1]), flush=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        elif backend == "postgresql":
            with postgres_server() as (url, pgdata):
                for run in runs:
                    results.append({"backend": backend, "run": run, **_ingest(data, url, args.code, pgdata)})
                    results[-1]["db_gb"] = round(_pg_size(url) / 2**30, 2)
                    print(json.dumps(results[-1]), flush=True)
        else:
            raise SystemExit(f"unknown backend {backend!r}; expected sqlite or postgresql")
    today = datetime.now(UTC).date().isoformat()
    print(
        f"\nMeasured {today} on {machine}; {args.consumers:,} consumers (Parquet), "
        "one transaction per file.\n"
    )
    print(
        "| backend | run | rows | wall time | of which statements | rows/s | ingest CPU | server CPU "
        "| peak RSS | database |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        rows, secs, peak = int(str(r["rows"])), float(str(r["seconds"])), float(str(r["peak_rss_mb"]))
        files = r["files"]
        assert isinstance(files, dict)
        statements = float(files.get("statements", {}).get("seconds", 0.0))
        cells = [
            f"{rows:,}",
            f"{secs:,.0f} s",
            f"{statements:,.0f} s",
            f"{rows / secs:,.0f}",
            f"{float(str(r['cpu_seconds'])):,.0f} s",
            f"{float(str(r['server_cpu_seconds'])):,.0f} s" if "server_cpu_seconds" in r else "—",
            f"{peak:,.0f} MB",
        ]
        cells.append(f"{float(str(r['db_gb'])):.1f} GB")
        print(f"| {r['backend']} | {r['run']} | " + " | ".join(cells) + " |")
    for r in results:
        print(f"load average during {r['backend']} {r['run']}: {r['load_average']}")


if __name__ == "__main__":
    main()
