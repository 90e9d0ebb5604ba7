"""Spark jobs and CPU of ``train_spark`` fits on a table with several text columns, in the tests' light JVM.

Command (from the repo root; ``tree_cpu.py`` adds the JVM's and its Python workers' CPU):
    python3 benchmarks/tree_cpu.py .venv/bin/python benchmarks/bench_spark_jobs.py [--rows 20000]

The table (Parquet, written to a temporary directory) has two numeric columns, one column of numbers
stored as text, four categorical text columns (one with missing cells) and a 0/1 target. Three fits in one
session, each in a job group of its own: the default searches, ``segment_by``, and no searches. Each
prints its Spark jobs (``statusTracker().getJobIdsForGroup``) and its CPU seconds in this process (the
driver's Python; the JVM's are in ``tree_cpu``'s total). The JVM settings are the tests'
(``tests/fixtures/spark.py``: C1 JIT only, serial GC, no adaptive execution, 2 shuffle partitions).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.spark import SUBMIT_ARGS, TEST_CONF  # noqa: E402


def table(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(7.5, 0.6, n), 0)
    income[rng.random(n) < 0.08] = np.nan
    late = rng.poisson(0.6, n).astype(np.float64)
    months = rng.integers(1, 120, n)
    housing = rng.choice(["own", "rent", "free", "mortgage"], n, p=[0.4, 0.3, 0.15, 0.15]).astype(object)
    housing[rng.random(n) < 0.05] = None
    region = rng.choice(["north", "south", "east", "west"], n).astype(object)
    job = rng.choice(["a", "b", "c", "d", "e", "f"], n).astype(object)
    channel = rng.choice(["web", "branch", "phone"], n).astype(object)
    z = -1.5 + 0.9 * late - 0.0004 * np.nan_to_num(income, nan=1500.0) + np.where(housing == "rent", 0.6, 0.0)
    z += np.where(region == "east", 0.4, 0.0) + np.where(job == "c", -0.5, 0.0) - 0.004 * months
    bad = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.int64)
    return pd.DataFrame(
        {
            "income": income,
            "late": late,
            "months_text": months.astype(str).astype(object),  # numbers stored as text
            "housing": housing,
            "region": region,
            "job": job,
            "channel": channel,
            "bad": bad,
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", SUBMIT_ARGS)
    from lucidscore.features.spark import local_session
    from lucidscore.model.spark import train_spark

    print(f"lucidscore from {Path(train_spark.__code__.co_filename).parent}")
    spark: Any = local_session("local[2]", memory="2g", app_name="bench-spark-jobs")
    for key, value in TEST_CONF.items():
        spark.conf.set(key, value)
    sc = spark.sparkContext
    fits: list[tuple[str, dict[str, Any]]] = [
        ("searches", {}),
        ("segment_by", {"segment_by": "region", "min_segment_rows": 1000, "shape_search": False}),
        ("no searches", {"segment_search": False, "shape_search": False}),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.parquet"
        table(args.rows).to_parquet(path)
        total = 0
        for name, params in fits:
            sc.setJobGroup(name, name)
            cpu = time.process_time()
            art = train_spark(spark.read.parquet(str(path)), "bad", **params)
            cpu = time.process_time() - cpu
            jobs = len(sc.statusTracker().getJobIdsForGroup(name))
            total += jobs
            cards = len(art.segments)
            print(f"{name}: {jobs} Spark jobs, {cards} card(s), driver Python {cpu:.1f} CPU-s")
        print(f"all fits: {total} Spark jobs")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
