"""Synthetic population and point-in-time features at scale: wall time and peak memory of each step, the
local engine in chunks against one pass, one consumer from SQLite (rescoring after a dispute), and the
Spark engine at local[1] and local[2].

One command per measurement (from the repository root):

    .venv/bin/python benchmarks/bench_synth_features.py --consumers 1000000 --unchunked --spark
    .venv/bin/python benchmarks/bench_synth_features.py --consumers 1000000 --reuse --one-consumer
    .venv/bin/python benchmarks/bench_synth_features.py --consumers 10000000 --skip-small

Step 1 writes the population with ``lucidscore.synth.generate_population`` (Parquet, under
benchmarks/_work/synth_features/, git-ignored; ``--reuse`` keeps an existing one). Step 2 computes the
features as of the observation date from those Parquet files with ``features_to_parquet`` (in chunks of
``--chunk-consumers``). ``--unchunked`` adds the same in one pass, as before issue 15, and checks that the
two files are identical. ``--spark`` adds the Spark engine at local[1] and local[2] and checks its file is
identical too. ``--one-consumer`` loads the population into SQLite with ``lucidscore ingest`` (once; kept
as bureau_<n>.db) and times ``compute_features(..., consumer_ids=[one])`` for random consumers in one
warm process, as the service would call it after a dispute (p50/p99), and the same from Parquet.

Each step runs in a fresh child process; its peak memory is the largest sum of the resident sizes of the
child and all its descendants (the JVM and Python workers for Spark), sampled every 0.2 s from /proc, and
its CPU seconds the sum of theirs (user + system) as last sampled.
Prints one JSON line per step and a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "synth_features"
AS_OF = "2025-06-30"  # the observation date of the default --end 2026-06-30
LATEST = "2026-06-30"  # the last simulated month: what a rescoring after a dispute would use

_SYNTH = """
import json, sys, time
from pathlib import Path
from lucidscore.synth import generate_population
started = time.perf_counter()
s = generate_population(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - started, "rows": s.rows, "bad_rate": s.bad_rate}))
"""

_FEATURES = """
import json, sys, time
from datetime import date
from lucidscore.features import features_to_parquet
started = time.perf_counter()
as_of, chunk = date.fromisoformat(sys.argv[2]), int(sys.argv[4])
w = features_to_parquet(sys.argv[1], as_of, sys.argv[3], chunk_consumers=chunk)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": w.rows, "chunks": w.chunks,
                  "statements": w.rows_used.get("statements", 0)}))
"""

_SPARK = """
import json, sys, time
from datetime import date
from lucidscore.features.spark import features_to_parquet, local_session
session = local_session(sys.argv[4], memory=sys.argv[5])
started = time.perf_counter()
w = features_to_parquet(sys.argv[1], date.fromisoformat(sys.argv[2]), sys.argv[3], spark=session)
seconds = time.perf_counter() - started
session.stop()
print(json.dumps({"seconds": seconds, "rows": w.rows}))
"""

_ONE = """
import json, random, sys, time
from datetime import date
import polars as pl
from lucidscore.features import compute_features
source, as_of, n = sys.argv[1], date.fromisoformat(sys.argv[2]), int(sys.argv[3])
ids = pl.read_parquet(sys.argv[4], columns=["consumer_id"])["consumer_id"].to_list()
rng = random.Random(15)
started = time.perf_counter()
first = compute_features(source, as_of, consumer_ids=[rng.choice(ids)])
first_s = time.perf_counter() - started
times = []
for _ in range(n):
    who = rng.choice(ids)
    t = time.perf_counter()
    frame = compute_features(source, as_of, consumer_ids=[who])
    times.append(time.perf_counter() - t)
    assert frame.height == 1 and frame["consumer_id"][0] == who
times.sort()
q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
print(json.dumps({"seconds": sum(times), "first": first_s, "p50": q(0.5), "p95": q(0.95), "p99": q(0.99),
                  "max": times[-1], "rows": n}))
"""

_INGEST = """
import json, sys, time
from lucidscore.ingest import ingest_directory
started = time.perf_counter()
ingest_directory(sys.argv[1], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - started, "rows": 0}))
"""


def _tree(pid: int) -> list[int]:
    """``pid`` and all its live descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def _rss_and_cpu(pid: int) -> tuple[int, float]:
    """Resident bytes and CPU seconds (user + system) of one process, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            rss = next((int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
        return 0, 0.0


def _child(code: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = [0]
    cpu: dict[int, float] = {}

    def watch() -> None:
        while proc.poll() is None:
            total = 0
            for pid in _tree(proc.pid):
                rss, seconds = _rss_and_cpu(pid)
                total += rss
                cpu[pid] = max(cpu.get(pid, 0.0), seconds)
            peak[0] = max(peak[0], total)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{err[-4000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_gb"] = peak[0] / 2**30
    # CPU seconds of the child and its descendants (the JVM, Spark's Python workers), as last sampled: on
    # a shared machine, throughput per CPU second is what the load does not distort.
    result["cpu_s"] = sum(cpu.values())
    return result


def _same(a: Path, b: Path) -> bool:
    import pyarrow.parquet as pq

    x, y = pq.read_table(a), pq.read_table(b)
    return x.schema == y.schema and x.schema.metadata == y.schema.metadata and x.equals(y)


def _synth(n: int, seed: int, data: Path, reuse: bool) -> dict[str, Any] | None:
    if reuse and (data / "outcomes.parquet").exists():
        return None
    shutil.rmtree(data, ignore_errors=True)
    return _child(_SYNTH, str(n), str(seed), str(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--consumers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep an existing population")
    parser.add_argument("--chunk-consumers", type=int, default=250_000)
    parser.add_argument("--unchunked", action="store_true", help="also one pass, and compare the files")
    parser.add_argument("--spark", action="store_true", help="also Spark local[1] and local[2]")
    parser.add_argument("--spark-memory", default="6g", help="driver JVM heap for Spark")
    parser.add_argument("--one-consumer", action="store_true", help="one consumer from SQLite and Parquet")
    parser.add_argument("--lookups", type=int, default=300, help="consumers timed by --one-consumer")
    parser.add_argument("--skip-small", action="store_true", help="skip the 20,000-consumer fast path")
    args = parser.parse_args()
    n = args.consumers
    results: list[tuple[str, dict[str, Any]]] = []

    def record(label: str, result: dict[str, Any]) -> None:
        results.append((label, result))
        print(json.dumps({"step": label, **result}), flush=True)

    data = WORK / f"data_{n}"
    synth = _synth(n, args.seed, data, args.reuse)
    if synth is not None:
        record(f"synth {n:,} consumers (Parquet)", synth)
    out = WORK / f"features_{n}.parquet"
    chunked = _child(_FEATURES, str(data), AS_OF, str(out), str(args.chunk_consumers))
    record(f"features {n:,} from Parquet, local engine, chunks of {args.chunk_consumers:,}", chunked)
    if args.unchunked:
        whole = WORK / f"features_{n}_one_pass.parquet"
        result = _child(_FEATURES, str(data), AS_OF, str(whole), str(n))
        result["identical"] = _same(out, whole)
        record(f"features {n:,} from Parquet, local engine, one pass", result)
    if args.spark:
        for master in ("local[1]", "local[2]"):
            target = WORK / f"features_{n}_spark.parquet"
            result = _child(_SPARK, str(data), AS_OF, str(target), master, args.spark_memory)
            result["identical"] = _same(out, target)
            cores = 1 if master == "local[1]" else 2
            result["statements_per_s_per_core"] = chunked["statements"] / result["seconds"] / cores
            result["consumers_per_s_per_core"] = n / result["seconds"] / cores
            result["consumers_per_cpu_s"] = n / result["cpu_s"]
            record(f"features {n:,} from Parquet, Spark {master}", result)
    if args.one_consumer:
        db = WORK / f"bureau_{n}.db"
        if not db.exists():
            record(
                f"ingest {n:,} into SQLite (once, for the lookups)",
                _child(_INGEST, str(data), f"sqlite:///{db}"),
            )
        consumers = str(data / "consumers.parquet")
        # As of the observation date (outcomes there) and of the last simulated month (none there: the
        # check for a bad column reads the whole outcomes index).
        for label, source in (("SQLite", f"sqlite:///{db}"), ("Parquet", str(data))):
            for as_of in (AS_OF, LATEST):
                result = _child(_ONE, source, as_of, str(args.lookups), consumers)
                record(f"one consumer of {n:,} from {label} as of {as_of} ({args.lookups} lookups)", result)

    if not args.skip_small:
        small = WORK / "data_20000"
        synth_small = _synth(20_000, args.seed, small, reuse=False)
        assert synth_small is not None
        record("synth 20,000 consumers (Parquet)", synth_small)
        record(
            "features 20,000 from Parquet",
            _child(_FEATURES, str(small), AS_OF, str(WORK / "f20k.parquet"), "250000"),
        )
        db = WORK / "small.db"
        db.unlink(missing_ok=True)
        subprocess.run(
            [sys.executable, "-c", _INGEST, str(small), f"sqlite:///{db}"],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        record(
            "features 20,000 from SQLite",
            _child(_FEATURES, f"sqlite:///{db}", AS_OF, str(WORK / "f.parquet"), "250000"),
        )

    load = os.getloadavg()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, 24 GB, Python {platform.python_version()}"
    print(
        f"\nMeasured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min).\n"
    )
    print("| step | rows | wall time | peak memory | notes (CPU s: child and its descendants) |")
    print("|---|---|---|---|---|")
    for label, r in results:
        rows = r["rows"]
        count = sum(rows.values()) if isinstance(rows, dict) else rows
        notes = []
        if "p99" in r:
            notes.append(
                f"first {r['first']:.2f} s, p50 {r['p50'] * 1000:.0f} ms, "
                f"p99 {r['p99'] * 1000:.0f} ms, max {r['max'] * 1000:.0f} ms"
            )
        if "identical" in r:
            notes.append("identical file" if r["identical"] else "FILE DIFFERS")
        if "statements_per_s_per_core" in r:
            notes.append(
                f"{r['statements_per_s_per_core']:,.0f} statements/s/core, "
                f"{r['consumers_per_s_per_core']:,.0f} consumers/s/core"
            )
        if "chunks" in r:
            notes.append(f"{r['chunks']} chunk(s)")
        notes.append(f"{r['cpu_s']:.1f} CPU s")
        cells = [label, f"{count:,}", f"{r['seconds']:.1f} s", f"{r['peak_gb']:.2f} GB", "; ".join(notes)]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
