"""What the training-row fingerprint costs (issue 13): building it, reading it back, its size and its error.

Command (from the repo root):
    .venv/bin/python benchmarks/bench_fingerprint.py [--rows 1000000]

Taiwan's rows (taiwan_default.csv) are replicated with 1% Gaussian noise on the amounts to ``--rows``
rows (plus an id column, as a real table has), then for 30,000, 100,000 and ``--rows`` training rows:
seconds to build the fingerprint (``fingerprint_rows``, what every fit adds), its size in the model file,
and seconds to estimate how many rows of a table of as many rows, half training rows and half fresh ones,
trained the model (``training_overlap``, what ``evaluate`` adds), with the estimate and its interval.
Prints Markdown; single process; about a minute at 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from lucidscore.artifact import fingerprint_rows, training_overlap

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "taiwan_default.csv"


def replicated(base: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    amounts = [c for c in rows.columns if c.startswith(("BILL_AMT", "PAY_AMT", "LIMIT_BAL"))]
    rows[amounts] = (rows[amounts] * (1 + 0.01 * rng.standard_normal((n, len(amounts))))).round(2)
    return rows.assign(id=np.arange(n) + seed * 10**9)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    base = pd.read_csv(DATA)
    machine = f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}"
    print(f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}.\n")
    print(
        "| training rows | build (s) | in the model file | rows kept | false-positive rate "
        "| estimate on half training, half fresh rows (95% interval) | estimate (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in sorted({30_000, 100_000, args.rows}):
        train = replicated(base, n, seed=1)
        started = time.perf_counter()
        fp = fingerprint_rows(train)
        build = time.perf_counter() - started
        size_kb = len(fp.model_dump_json()) / 1024
        half = n // 2
        table = pd.concat([train.iloc[:half], replicated(base, n - half, seed=2)], ignore_index=True)
        started = time.perf_counter()
        overlap = training_overlap(fp, table)
        read = time.perf_counter() - started
        print(
            f"| {n:,} | {build:.2f} | {size_kb:.0f} KB | {fp.kept_rows:,} | {fp.false_positive_rate:.2%} "
            f"| {overlap.in_training:,} of {n:,}, true {half:,} ({overlap.low:,}–{overlap.high:,}) "
            f"| {read:.2f} |"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
