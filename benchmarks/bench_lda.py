"""Less-discriminatory-alternative search on Taiwan: run time, and the alternative checked on held-out rows.

Command (from the repo root):
    .venv/bin/python benchmarks/bench_lda.py            # the search on the 70% development rows
    .venv/bin/python benchmarks/bench_lda.py --full     # also the README command on all 30,000 rows

Trains the base scorecard as the README does (`train --test-size 0.3 --seed 0`: a stratified 70% of
taiwan_default.csv; SEX, EDUCATION, MARRIAGE, AGE kept for the audit), then times `lucidscore lda` as a
whole process with its defaults (5 folds, 2 worker processes, at most 60 candidates; cutoff 600,
--max-auc-loss 0.002; audit SEX, MARRIAGE, AGE) on the 21,000 development rows. The base model and the
alternative's model file are then scored on the 9,000 rows train held out, each approving the share the
base model approves there at 600 (best scores first, ties by the seeded lottery), for AUC and the worst
group's adverse impact ratio that no part of the search saw. Prints Markdown. A few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from lucidscore.artifact import ScorecardArtifact, load_artifact
from lucidscore.evaluate import align_audit, approve_at_rate, auc, fairness_table, reference_scores
from lucidscore.model import train_scorecard

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "taiwan_default.csv"
WORK = ROOT / "benchmarks" / "_work" / "lda"
AUDIT = ["SEX", "MARRIAGE", "AGE"]


def _lda(model: Path, data: Path, report: Path) -> tuple[float, dict[str, Any]]:
    """Run the CLI as a whole process; its wall time and report."""
    cmd = [sys.executable, "-m", "lucidscore.cli.main", "lda", str(model), str(data), "--target", "default",
           "--audit-columns", ",".join(AUDIT), "--cutoff", "600", "--max-auc-loss", "0.002",
           "--report", str(report)]  # fmt: skip
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=os.environ.copy(), stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    return seconds, json.loads(report.with_suffix(".json").read_text("utf-8"))


def _held_out(art: ScorecardArtifact, test: pd.DataFrame, rate: float) -> tuple[float, float, str]:
    """AUC and worst adverse impact ratio (groups of 30+ rows) on held-out rows at approval ``rate``."""
    scores = reference_scores(art, test)
    y = test["default"].to_numpy()
    approved, _ = approve_at_rate(scores, rate, 0)
    groups, _ = align_audit(test, None, AUDIT, model_inputs=art.input_columns)
    worst, where = 1.0, ""
    for attr, labels in groups.items():
        table = fairness_table(labels, approved.astype(np.int64), y, 1)
        for g in table["groups"]:
            if not g["small"] and g["adverse_impact_ratio"] is not None and g["adverse_impact_ratio"] < worst:
                worst, where = g["adverse_impact_ratio"], f"{attr} {g['group']}"
    return auc(y, -scores.astype(float)), worst, where


def _row(name: str, report: dict[str, Any], seconds: float) -> str:
    base, choice = report["base"], report["choice"]
    alt = next((c for c in report["candidates"] if c["id"] == choice["candidate"]), None)
    alt_text = "none found" if alt is None else f"{alt['auc']:.4f} / {alt['worst_air']:.3f} ({alt['label']})"
    return (
        f"| {name} | {report['data']['rows']:,} | {report['settings']['approval_rate']:.2%} | "
        f"{base['auc']:.4f} / {base['worst_air']:.3f} ({base['worst_attribute']} {base['worst_group']}) | "
        f"{alt_text} | {report['space']['fitted']} | {seconds:.0f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also search all 30,000 rows (README command)")
    args = parser.parse_args()
    if not DATA.is_file():
        raise SystemExit(f"{DATA} not found: the public data sets live in ../shared/data")
    WORK.mkdir(parents=True, exist_ok=True)
    frame = pd.read_csv(DATA)
    # The README model, and the very rows train_scorecard held out for it (same split call).
    base = train_scorecard(frame, "default", test_size=0.3, seed=0, audit_columns=[*AUDIT, "EDUCATION"])
    train_idx, test_idx = train_test_split(
        np.arange(len(frame)), test_size=0.3, random_state=0, stratify=frame["default"].to_numpy()
    )
    train, test = frame.iloc[np.sort(train_idx)], frame.iloc[np.sort(test_idx)]
    assert base.training["split"]["test_rows"] == len(test)
    model = base.save(WORK / "model.json")
    dev = WORK / "taiwan_dev.parquet"
    train.to_parquet(dev, index=False)

    load = os.getloadavg()
    seconds, report = _lda(model, dev, WORK / "lda_dev.html")
    rows = [_row("70% development rows", report, seconds)]
    if args.full:
        full_seconds, full = _lda(model, DATA, WORK / "lda_full.html")
        rows.append(_row("all rows (README)", full, full_seconds))
    load_after = os.getloadavg()

    print(
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {load[0]:.1f} before, {load_after[0]:.1f} after.\n"
    )
    print("| searched on | rows | approval rate at 600 | base configuration, CV AUC / worst ratio | "
          "best alternative, CV AUC / worst ratio | cards fitted | wall time |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))

    test_rate = float(np.mean(reference_scores(base, test) >= 600))
    print(f"\nHeld out (9,000 rows the search never saw; each model approves {test_rate:.2%}, the base "
          "model's share at 600 there):\n")  # fmt: skip
    print("| model | AUC | worst adverse impact ratio |")
    print("|---|---|---|")
    b_auc, b_air, b_where = _held_out(base, test, test_rate)
    print(f"| base ({base.model_id}) | {b_auc:.4f} | {b_air:.3f} ({b_where}) |")
    if report["choice"]["found"]:
        alt = load_artifact(report["choice"]["model"]["path"])
        a_auc, a_air, a_where = _held_out(alt, test, test_rate)
        print(f"| alternative ({report['choice']['candidate']}) | {a_auc:.4f} | {a_air:.3f} ({a_where}) |")


if __name__ == "__main__":
    main()
