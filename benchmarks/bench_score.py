"""Batch scoring throughput on one core: points only and with 4 reasons, vs optbinning's Scorecard.score.

Command (from the repo root):
    .venv/bin/python benchmarks/bench_score.py [--rows 1000000] [--repeats 5] [--skip-anchor] [--model M.json]

The model is trained by ``lucidscore.model.train_scorecard`` on taiwan_default.csv (protected columns to
the audit; saved to benchmarks/_work/score_bench_model.json), or read from ``--model``. The table is
the Taiwan rows sampled with replacement to ``--rows`` rows, amounts jittered by 1% noise (seed 0).
Timed separately, best of ``--repeats``: preparation (frame -> matrix), the numba kernel (points only;
with 4 reasons), ``score_frame`` end to end (with the four columns of each reason: the consumer statement
with the person's value, code, characteristic, points), ``score_frame`` with recourse (every numeric
characteristic declared lower or higher, the way its card scores better, so every row has a plan to
search), and ``score_file`` from a Parquet file and from a CSV file to a Parquet file. optbinning
(BinningProcess + Scorecard, fitted on the same Taiwan rows) runs in benchmarks/_work/anchors-venv, in a
subprocess that times ``Scorecard.score`` on the same table. NUMBA_NUM_THREADS=1 and a single-thread
BLAS keep everything on one core.
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402 - the thread limits above must be set before numpy/numba load
import datetime as dt  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lucidscore.artifact import ScorecardArtifact, load_artifact  # noqa: E402
from lucidscore.model import train_scorecard  # noqa: E402
from lucidscore.score import CompiledScorecard, score_file, score_frame  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "taiwan_default.csv"
WORK = ROOT / "benchmarks" / "_work"
ANCHOR_PY = WORK / "anchors-venv" / "bin" / "python"
AUDIT = ["SEX", "EDUCATION", "MARRIAGE", "AGE"]
TARGET = "default"

ANCHOR = r"""
import json, os, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
from optbinning import BinningProcess, Scorecard
from sklearn.linear_model import LogisticRegression
train = pd.read_csv(sys.argv[1])
big = pd.read_parquet(sys.argv[2])
audit, target, repeats = sys.argv[3].split(","), sys.argv[4], int(sys.argv[5])
x = train.drop(columns=[target, *audit])
bp = BinningProcess(variable_names=list(x.columns))
sc = Scorecard(binning_process=bp, estimator=LogisticRegression(max_iter=1000), scaling_method="pdo_odds",
               scaling_method_params={"pdo": 40, "odds": 10, "scorecard_points": 600})
sc.fit(x, train[target].to_numpy())
xb = big[list(x.columns)]
best = float("inf")
for _ in range(repeats):
    t = time.perf_counter(); sc.score(xb); best = min(best, time.perf_counter() - t)
print(json.dumps({"optbinning_score_seconds": best, "rows": len(xb)}))
"""


def replicate(frame: pd.DataFrame, rows: int, seed: int = 0) -> pd.DataFrame:
    """Taiwan rows sampled with replacement, money amounts jittered by 1% (repayment codes kept)."""
    rng = np.random.default_rng(seed)
    big = frame.iloc[rng.integers(0, len(frame), rows)].reset_index(drop=True)
    money = [c for c in big.columns if c.startswith(("LIMIT_BAL", "BILL_AMT", "PAY_AMT"))]
    for c in money:
        big[c] = (big[c] * (1 + rng.normal(0, 0.01, rows))).round(0)
    return big


def advised(art: ScorecardArtifact) -> ScorecardArtifact:
    """Every numeric characteristic declared lower or higher, the way its card scores better."""
    segments = []
    for seg in art.segments:
        chars = []
        for c in seg.characteristics:
            ends = sorted((b for b in c.bins if b.kind == "interval"), key=lambda b: b.lower or -np.inf)
            way = "none"
            if c.dtype == "numeric" and ends[0].points != ends[-1].points:
                way = "lower" if ends[0].points > ends[-1].points else "higher"
            chars.append(c.model_copy(update={"advice": way, "actionable": way != "none"}))
        segments.append(seg.model_copy(update={"characteristics": chars}))
    return art.model_copy(update={"segments": segments})


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def anchor(big_path: Path, repeats: int) -> dict[str, float] | None:
    if not ANCHOR_PY.exists():
        print(f"(optbinning anchor skipped: {ANCHOR_PY} not found; see docs/model.md for the anchors venv)")
        return None
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    args = [str(ANCHOR_PY), "-c", ANCHOR, str(DATA), str(big_path), ",".join(AUDIT), TARGET, str(repeats)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False, timeout=1800)
    if done.returncode != 0:
        print(f"(optbinning anchor failed: {done.stderr.strip().splitlines()[-1:]})")
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-anchor", action="store_true")
    parser.add_argument("--model", type=Path, help="score with this model file instead of training one")
    args = parser.parse_args()
    if not DATA.is_file():
        raise SystemExit(f"{DATA} not found: the public data sets live in ../shared/data")
    WORK.mkdir(parents=True, exist_ok=True)
    taiwan = pd.read_csv(DATA)
    if args.model is not None:
        art = load_artifact(args.model)
    else:
        art = train_scorecard(taiwan, TARGET, audit_columns=AUDIT, seed=0)
        art.save(WORK / "score_bench_model.json")
    n_segments = len(art.segments)
    n_chars = sum(len(s.characteristics) for s in art.segments)
    n_bins = sum(len(c.bins) for s in art.segments for c in s.characteristics)
    big = replicate(taiwan.drop(columns=[TARGET]), args.rows)
    big_path = WORK / "score_bench.parquet"
    big.to_parquet(big_path)
    csv_path = WORK / "score_bench.csv"
    big.to_csv(csv_path, index=False)
    out = WORK / "score_bench_out.parquet"

    movable = advised(art)
    score_frame(movable, big.head(1000), recourse=True)  # compile the recourse kernel
    compiled = CompiledScorecard.from_artifact(art)
    warm = compiled.prepare(big.head(1000))
    compiled.score(warm), compiled.score_with_reasons(warm, 4)  # compile (or load the numba cache)
    batch = compiled.prepare(big)
    rows = batch.n_rows
    results: dict[str, float] = {
        "prepare_s": best_of(args.repeats, lambda: compiled.prepare(big)),
        "kernel_points_s": best_of(args.repeats, lambda: compiled.score(batch)),
        "kernel_reasons4_s": best_of(args.repeats, lambda: compiled.score_with_reasons(batch, 4)),
        "score_frame_points_s": best_of(args.repeats, lambda: score_frame(art, big, reasons=0)),
        "score_frame_reasons4_s": best_of(args.repeats, lambda: score_frame(art, big, reasons=4)),
        "score_frame_recourse_s": best_of(
            args.repeats, lambda: score_frame(movable, big, reasons=0, recourse=True, max_changes=2)
        ),
        "score_file_reasons4_s": best_of(
            1, lambda: score_file("", big_path, out, 4, progress=False, artifact=art)
        ),
        "score_file_csv_reasons4_s": best_of(
            1, lambda: score_file("", csv_path, out, 4, progress=False, artifact=art)
        ),
    }
    rate = {k.replace("_s", "_rows_per_s"): rows / v for k, v in results.items()}
    anchor_result = None if args.skip_anchor else anchor(big_path, args.repeats)
    if anchor_result:
        rate["optbinning_score_rows_per_s"] = rows / anchor_result["optbinning_score_seconds"]
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "rows": rows,
        "model": f"{args.model or 'train_scorecard on taiwan_default.csv'}: "
        f"{n_segments} segment(s), {n_chars} characteristics, {n_bins} bins",
        "seconds": results,
        "rows_per_second": rate,
    }
    (WORK / "score_results.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    print("\n| measurement (one core) | seconds | rows/s |\n|---|---:|---:|")
    for key, seconds in results.items():
        print(f"| {key[:-2]} | {seconds:.3f} | {rows / seconds / 1e6:.2f} M |")
    if anchor_result:
        s = anchor_result["optbinning_score_seconds"]
        print(f"| optbinning Scorecard.score | {s:.3f} | {rows / s / 1e6:.2f} M |")


if __name__ == "__main__":
    main()
