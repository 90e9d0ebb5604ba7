"""Ways to read a SQLite bureau's statements into polars, side by side (issue 15: the features read).

The query is the one ``lucidscore features`` runs on the biggest view (the statements up to the as-of
month, every used column), on one SQLite file, each reader in turn and alternating over ``--rounds``, so
all meet the same machine load:

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
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="a SQLite bureau loaded by lucidscore ingest")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
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
