"""Evaluation speed: bootstrap intervals and the whole validation report on the Taiwan test split.

Command (from the repo root):
    .venv/bin/python benchmarks/bench_evaluate.py

Trains the scorecard on a stratified 70% of taiwan_default.csv (seed 0), then on the 9,000 test rows:
the bootstrap (AUC, Gini, KS, Brier; 500 resamples) against a loop of scikit-learn's roc_auc_score over
the same 500 resamples; the whole report (scoring, bootstrap, calibration, CSI, fairness for SEX,
MARRIAGE and AGE with fairlearn, proxies, model card) and its HTML; and `monitor` (test vs train).
Prints Markdown; single process, bounded to well under a minute.
"""

from __future__ import annotations

import platform
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from lucidscore.evaluate import (
    Table,
    align_audit,
    bootstrap_intervals,
    drift_report,
    evaluation_report,
    score_table,
    write_report,
)
from lucidscore.model import train_scorecard

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "taiwan_default.csv"
AUDIT = ["SEX", "MARRIAGE", "AGE"]


def _best(fn: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    frame = pd.read_csv(DATA)
    train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=frame["default"])
    art = train_scorecard(train, "default", audit_columns=[*AUDIT, "EDUCATION"], seed=0)
    y = test["default"].to_numpy()
    scored = score_table(art, test)
    score, prob = scored["score"].to_numpy(), scored["probability"].to_numpy()
    risk = -score.astype(float)

    boot = _best(lambda: bootstrap_intervals(y, risk, prob, n_resamples=500, seed=0))
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(y), size=(500, len(y)))
    t = time.perf_counter()
    for row in idx:
        roc_auc_score(y[row], risk[row])
    loop = time.perf_counter() - t

    groups, how = align_audit(test, None, AUDIT, model_inputs=art.input_columns)
    t = time.perf_counter()
    report = evaluation_report(
        art,
        Table(test, "taiwan test", groups),
        cutoff=600,
        baseline=Table(train, "taiwan train"),
        audit_join=how,
    )
    build = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        html, _ = write_report(report, Path(d) / "report.html")
        render = time.perf_counter() - t
        size_mb = html.stat().st_size / 1e6
        t = time.perf_counter()
        write_report(drift_report(art, Table(train, "train"), Table(test, "test")), Path(d) / "drift.html")
        drift = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    machine = f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}"
    print(f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine}; {len(test):,} test rows.\n")
    print("| step | seconds |")
    print("|---|---|")
    print(f"| bootstrap, 500 resamples (AUC, Gini, KS, Brier), best of 3 | {boot:.3f} |")
    print(f"| loop of scikit-learn roc_auc_score, same 500 resamples (AUC only) | {loop:.3f} |")
    print(
        f"| whole report data (score, bootstrap, calibration, PSI/CSI, fairness x3, proxies) | {build:.2f} |"
    )
    print(f"| HTML + JSON render ({size_mb:.1f} MB, plotly.js inlined) | {render:.2f} |")
    print(f"| monitor: drift report, 21,000 vs 9,000 rows, HTML + JSON | {drift:.2f} |")
    print(f"\nbootstrap speed-up over the scikit-learn loop: {loop / boot:.0f}x; peak RSS {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
