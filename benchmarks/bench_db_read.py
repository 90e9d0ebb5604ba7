"""Reading a bureau for the features, side by side (issue 15: the features read).

``--sources``: the whole read of a features run (``DatabaseSource(url).tables(as_of, None)``: every
view, one transaction) by this checkout and by ``--before-src``, alternating, each in a child process,
wall and CPU seconds; works on SQLite and PostgreSQL; the frames of the two are checked equal:

    git archive <commit> src | tar -x -C /tmp/before
    .venv/bin/python benchmarks/bench_db_read.py --db sqlite:///benchmarks/_work/rescore/bureau_100000.db \\
        --as-of 2026-05-31 --rounds 3 --sources --before-src /tmp/before/src

Without ``--sources``, ways to read a SQLite file's statements into polars (``--db`` a path). The query
is the one ``lucidscore features`` runs on the biggest view (the statements up to the as-of month, every
used column), on one SQLite file, each reader in turn and alternating over ``--rounds``, so all meet the
same machine load:

- ``rows``: the DB-API path before issue 15 (``sqlite3`` ``fetchmany`` of 200,000 rows, then
  ``pl.DataFrame(rows, orient="row")``);
- ``columns``: the same rows turned into columns in Python (``zip(*rows)``, one ``pl.Series`` each), the
  best the standard library offers without the row frame;
- ``adbc``: ``adbc-driver-sqlite`` (Arrow from the driver; what ``DatabaseSource`` uses now);
- ``connectorx``: ``connectorx.read_sql`` into polars, when installed (it opens its own connections, so it
  cannot keep a run's reads in one transaction).

    .venv/bin/python benchmarks/bench_db_read.py --db benchmarks/_work/rescore/bureau_100000.db \\
        --as-of 2026-05-31 --rounds 2

Prints one JSON line per read (seconds, rows) and the median of each reader, with the load average
around the runs. Every reader's frame is checked equal to the first one's.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = "account_id, period, balance, amount_due, amount_paid, days_past_due"


def _rows(path: str, sql: str) -> pl.DataFrame:
    conn = sqlite3.connect(path)
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    parts = []
    while rows := cursor.fetchmany(200_000):
        parts.append(pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None))
    conn.close()
    return pl.concat(parts)


def _columns(path: str, sql: str) -> pl.DataFrame:
    conn = sqlite3.connect(path)
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    parts = []
    while rows := cursor.fetchmany(200_000):
        parts.append(
            pl.DataFrame([pl.Series(n, v) for n, v in zip(names, zip(*rows, strict=True), strict=True)])
        )
    conn.close()
    return pl.concat(parts)


def _adbc(path: str, sql: str) -> pl.DataFrame:
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(path) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        frame = pl.from_arrow(cursor.fetch_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def _connectorx(path: str, sql: str) -> pl.DataFrame:
    import connectorx

    frame: pl.DataFrame = connectorx.read_sql(f"sqlite://{path}", sql, return_type="polars")
    return frame


_SOURCE = r"""
import json, sys, time
from datetime import date
from lucidscore.features._sources import DatabaseSource
started, started_cpu = time.perf_counter(), time.process_time()
source = DatabaseSource(sys.argv[1])
frames = {name: lf.collect() for name, lf in source.tables(date.fromisoformat(sys.argv[2]), None).items()}
source.close()
seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
for name, frame in frames.items():
    frame.write_parquet(f"{sys.argv[3]}/{name}.parquet")
print(json.dumps({"seconds": round(seconds, 2), "cpu_s": round(cpu, 2),
                  "rows": {name: frame.height for name, frame in frames.items()}}))
"""


def sources(args: argparse.Namespace) -> None:
    """The whole features read, before and after, alternating in child processes."""
    variants = {"after": ROOT / "src"}
    if args.before_src is not None:
        variants = {"before": args.before_src.resolve(), **variants}
    print(json.dumps({"load_before": os.getloadavg()}), flush=True)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="bench-db-read-", dir=ROOT / "benchmarks") as tmp:
        for i in range(args.rounds):
            order = list(variants.items())
            for name, src in order if i % 2 == 0 else reversed(order):
                out = Path(tmp) / name
                out.mkdir(exist_ok=True)
                done = subprocess.run(
                    [sys.executable, "-c", _SOURCE, args.db, args.as_of.isoformat(), str(out)],
                    env=os.environ | {"PYTHONPATH": str(src)},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
                result = {"variant": name, **json.loads(done.stdout.strip().splitlines()[-1])}
                runs[name].append(result)
                print(json.dumps(result), flush=True)
        same = None
        if len(variants) == 2:
            for path in sorted((Path(tmp) / "after").iterdir()):
                assert_frame_equal(
                    pl.read_parquet(path), pl.read_parquet(Path(tmp) / "before" / path.name), check_exact=True
                )
            same = True
    medians = {
        name: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "cpu_s")}
        for name, rs in runs.items()
    }
    print(json.dumps({"load_after": os.getloadavg(), "same_frames": same, "median": medians}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="a bureau loaded by lucidscore ingest (path or URL)")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sources", action="store_true", help="the whole read, before and after")
    parser.add_argument("--before-src", type=Path, help="the src/ directory of the code to compare with")
    args = parser.parse_args()
    if args.sources:
        sources(args)
        return
    month = f"{args.as_of.year:04d}-{args.as_of.month:02d}"
    sql = f"SELECT {COLUMNS} FROM statements_current WHERE period <= '{month}'"
    readers: dict[str, Callable[[str, str], pl.DataFrame]] = {
        "rows": _rows,
        "columns": _columns,
        "adbc": _adbc,
        "connectorx": _connectorx,
    }
    for name, module in (("adbc", "adbc_driver_sqlite"), ("connectorx", "connectorx")):
        try:
            __import__(module)
        except ImportError:
            del readers[name]
    print(json.dumps({"load_before": os.getloadavg(), "readers": list(readers)}), flush=True)
    seconds: dict[str, list[float]] = {name: [] for name in readers}
    first: pl.DataFrame | None = None
    for i in range(args.rounds):
        order = list(readers.items())
        for name, read in order if i % 2 == 0 else reversed(order):
            started = time.perf_counter()
            frame = read(args.db, sql)
            spent = time.perf_counter() - started
            seconds[name].append(spent)
            print(json.dumps({"reader": name, "seconds": round(spent, 2), "rows": frame.height}), flush=True)
            if first is None:
                first = frame
            else:
                assert_frame_equal(frame, first, check_exact=True)
            del frame
    result: dict[str, Any] = {name: round(statistics.median(s), 2) for name, s in seconds.items()}
    print(json.dumps({"load_after": os.getloadavg(), "median_seconds": result}), flush=True)


if __name__ == "__main__":
    main()
