"""Accuracy on tables shaped like other public credit data (issue 14): lucidscore against EBM, optbinning
and toad on generated tables whose true logit is known, so that the AUC is measured on fresh rows of the
same generator, never on the rows a model was fitted on, and never tuned on.

Command (from the repo root; the anchors run in their own virtualenv, as in bench_fit.py):
    .venv/bin/python benchmarks/bench_shapes.py [--shapes heloc,gmsc,noise30,rare,wide] [--seeds 1,2,3]
        [--libs ebm,optbinning,toad] [--fresh 100000] [--reuse-anchors]
    .venv/bin/python benchmarks/bench_shapes.py --lucid-only PARAMS PATCH [--shapes ...] [--seeds ...]

The shapes (each a generator ``make(n, seed) -> (table, true logit)``):

- ``heloc``: like FICO's HELOC data: 10,000 rows, ~50% bad, 23 numeric bureau columns, most of them
  driven by two latent factors (correlated), with undeclared negative codes: -9 "no bureau record" on
  every column of ~5.6% of rows, -8 "no usable trade" and -7 "condition not met" (never delinquent, no
  inquiry) at the data set's rates (-7 on 45% of the months-since-delinquency column), monotone effects.
- ``gmsc``: like Kaggle's Give Me Some Credit: 150,000 rows, ~6.7% bad, a revolving utilisation with a
  tail to 50,000, a debt ratio that holds a debt in currency where income is missing, monthly income
  ~20% missing, three past-due counts with the codes 96/98 on the same ~0.2% of rows, open lines, real
  estate loans, dependants (2.6% missing). Its ``age`` is an audit column (lucidscore's policy guard
  refuses it as an input), left out by every library.
- ``noise30``: 5,000 rows, ~20% bad: a 30-category text column with no effect at all, a numeric column
  with none, and five real effects (two monotone, one U-shaped, a 5-category text column, a count).
- ``rare``: 30,000 rows, ~2% bad: eight weak-to-moderate effects (one with missing values, one a point
  mass at 0) and four columns with no effect.
- ``wide``: a wide bureau extract: 12,000 rows, ~15% bad, 184 columns: ten real attributes on three
  latent factors (two 15% missing, one effect with a convex part), 60 proxies correlated with the factors
  but with no effect of their own, 110 unrelated numeric and count columns and four unrelated codes.

For each shape and seed: ``make(n, seed)`` trains, ``make(fresh, 10_000 + seed)`` is scored. lucidscore is
fitted with the ``Scorecard`` defaults (as ``lucidscore train`` fits; no declared special values) by
bench_fit.py's ``--child`` path; EBM, optbinning and toad by benchmarks/anchors/run_anchor.py in the
anchors virtualenv (the same code paths as bench_fit.py). Reported per fit: AUC on the fresh rows and
fit CPU seconds (``time.process_time`` in the fitting process: threads count); per shape, the AUC of the
true logit on the fresh rows (the ceiling). ``--reuse-anchors`` takes the anchors' figures from an
earlier run's results when shape, seed, rows and fresh rows agree (they do not depend on lucidscore).

``--lucid-only PARAMS PATCH`` fits ``Scorecard(**PARAMS)`` in this process after setting each
``module.CONSTANT`` of PATCH (as bench_levers.py does) and prints the fresh AUC per fit: for screening
changes. Results are saved to benchmarks/_work/shapes.json (``--lucid-only``: printed only).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the generators live with the tests
from tests.model._shapes import Generated, gmsc, heloc, noise30, rare, wide

import bench_fit as bf

WORK = bf.WORK / "shapes"


# name: (generator, training rows, audit columns)
SHAPES: dict[str, tuple[Callable[[int, int], Generated], int, str]] = {
    "heloc": (heloc, 10_000, ""),
    "gmsc": (gmsc, 150_000, "age"),
    "noise30": (noise30, 5_000, ""),
    "rare": (rare, 30_000, ""),
    "wide": (wide, 12_000, ""),
}


def tables(shape: str, seed: int, fresh: int) -> tuple[Path, Path, float]:
    """The training rows and fresh rows of one shape and seed in one Parquet file (fresh rows after the
    training rows), its split file (``train``, ``test`` = fresh), and the true logit's fresh AUC."""
    make, n, _ = SHAPES[shape]
    WORK.mkdir(parents=True, exist_ok=True)
    data = WORK / f"{shape}_{seed}_{n}_{fresh}.parquet"
    split = data.with_suffix(".npz")
    train, _ = make(n, seed)
    new, logit = make(fresh, 10_000 + seed)
    if not data.exists():
        pd.concat([train, new], ignore_index=True).to_parquet(data, index=False)
        np.savez(split, train=np.arange(n), test=np.arange(n, n + fresh))
    return data, split, float(roc_auc_score(new["bad"], logit))


def lucid_only(shapes: list[str], seeds: list[int], fresh: int, params: dict[str, object]) -> None:
    from lucidscore.model import Scorecard

    out: dict[str, object] = {"params": params}
    for shape in shapes:
        make, n, audit = SHAPES[shape]
        aucs = []
        for seed in seeds:
            (train, _), (new, _) = make(n, seed), make(fresh, 10_000 + seed)
            card = Scorecard(audit_columns=[c for c in audit.split(",") if c], **params)  # type: ignore[arg-type]
            start = time.process_time()
            card.fit(train.drop(columns=["bad"]), train["bad"])
            cpu = time.process_time() - start
            scores = card.score_table(new.drop(columns=["bad"]))["score"].to_numpy()
            aucs.append(float(roc_auc_score(new["bad"], -scores)))
            chars = [c.name for s in card.artifact_.segments for c in s.characteristics]
            print(f"{shape} seed {seed}: fresh AUC {aucs[-1]:.5f}, {cpu:.1f} CPU-s, {chars}", flush=True)
        out[shape] = round(float(np.mean(aucs)), 5)
    print(json.dumps(out), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--libs", default="ebm,optbinning,toad")
    parser.add_argument("--fresh", type=int, default=100_000, help="fresh rows scored per fit")
    parser.add_argument("--label", default="lucidscore", help="lucidscore's name in the results")
    parser.add_argument("--reuse-anchors", action="store_true")
    parser.add_argument("--lucid-only", nargs=2, metavar=("PARAMS", "PATCH"))
    args = parser.parse_args()
    shapes, seeds = args.shapes.split(","), [int(s) for s in args.seeds.split(",")]
    if args.lucid_only:
        for key, value in json.loads(args.lucid_only[1]).items():
            module, attr = key.rsplit(".", 1)
            setattr(importlib.import_module(module), attr, value)
        lucid_only(shapes, seeds, args.fresh, json.loads(args.lucid_only[0]))
        return
    out = bf.WORK / "shapes.json"
    results: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    run = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "lucidscore": str(Path(importlib.import_module("lucidscore").__file__ or "").parent),
        "command": " ".join(sys.argv[1:]),
    }
    libs = [lib for lib in args.libs.split(",") if lib]
    for shape in shapes:
        _, n, audit = SHAPES[shape]
        key = f"{shape}_{n}_{args.fresh}"  # rows and fresh rows: a result is only merged with its like
        entry: dict[str, Any] = results.setdefault(key, {"rows": n, "fresh_rows": args.fresh, "seeds": {}})
        for seed in seeds:
            data, split, oracle = tables(shape, seed, args.fresh)
            row: dict[str, Any] = entry["seeds"].setdefault(str(seed), {})
            row["true_logit_auc"] = oracle
            row[args.label] = {
                **bf.run_child([bf.__file__, "--child", str(data), "bad", "", audit, str(split), "{}"]),
                "run": run["date"],
            }
            for lib in libs:
                if not (args.reuse_anchors and lib in row):
                    row[lib] = {
                        **bf.run_child(
                            [str(bf.ANCHOR), lib, str(data), "bad", "", audit, str(split)], bf.ANCHOR_PY
                        ),
                        "run": run["date"],
                    }
            shown = "  ".join(
                f"{k} {v['test_auc']:.4f} ({v.get('cpu_seconds', float('nan')):.1f} CPU-s)"
                for k, v in row.items()
                if isinstance(v, dict)
            )
            print(f"{shape} seed {seed} (true logit {oracle:.4f}): {shown}", flush=True)
        names = sorted({k for r in entry["seeds"].values() for k, v in r.items() if isinstance(v, dict)})
        done = [entry["seeds"][str(s)] for s in seeds]
        entry["summary_seeds"] = seeds
        entry["mean_auc"] = {
            k: round(float(np.mean([r[k]["test_auc"] for r in done])), 5)
            for k in names
            if all(k in r for r in done)
        }
        entry["mean_cpu_seconds"] = {
            k: round(float(np.mean([r[k].get("cpu_seconds", np.nan) for r in done])), 2)
            for k in names
            if all(k in r for r in done)
        }
        entry["true_logit_auc"] = round(float(np.mean([r["true_logit_auc"] for r in done])), 5)
        print(
            shape,
            json.dumps({k: entry[k] for k in ("mean_auc", "mean_cpu_seconds", "true_logit_auc")}),
            flush=True,
        )
        out.write_text(json.dumps(results, indent=1))
    run["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    results.setdefault("runs", []).append(run)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
