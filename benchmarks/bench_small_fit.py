"""CPU of fits whose cards are bagged (``_bag``: 200 bootstrap cards a segmented card): the demo's card and
German's, in one process of whichever lucidscore this Python imports.

Command (from the repo root; compare two builds by running each one's Python, interleaved):
    .venv/bin/python benchmarks/bench_small_fit.py [--consumers 1000] [--repeat 3] [--out MODELS_DIR]

``demo``: ``lucidscore demo``'s training step (``demo._build._train``: segmented thin/thick-file card, 30%
held out) on the point-in-time features of ``--consumers`` synthetic consumers (seed 7, the demo's), built
once in benchmarks/_work. ``german``: ``train_scorecard`` on german_credit.data from ../shared/data
(LUCIDSCORE_DATA), its audit columns kept out. Prints, per set and repetition, wall and CPU seconds (this
process: the fit's threads included) of the fit alone, after one warm-up fit (imports, compiled kernels).
``--out``: write each set's model file there without ``created_at``, ``content_hash`` and the date in
``model_id``, to byte-compare two builds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LUCIDSCORE_DATA", ROOT / ".." / "shared" / "data"))
WORK = ROOT / "benchmarks" / "_work"


def demo_table(consumers: int) -> Path:
    """The demo's training features for ``consumers`` synthetic consumers (built once)."""
    path = WORK / f"demo_features_{consumers}.parquet"
    if not path.exists():
        from lucidscore.features import compute_features
        from lucidscore.synth import generate_population

        folder = WORK / f"demo_{consumers}"
        summary = generate_population(consumers, 7, folder / "data")
        WORK.mkdir(parents=True, exist_ok=True)
        compute_features(folder / "data", summary.observation_date).to_pandas().to_parquet(path)
    return path


def fits(consumers: int) -> dict[str, Any]:
    """Set name -> a function fitting its model."""
    from lucidscore.demo._build import _train
    from lucidscore.features import FEATURE_CATALOGUE
    from lucidscore.model import train_scorecard
    from lucidscore.tabular import read_table

    demo = pd.read_parquet(demo_table(consumers))
    german = read_table(DATA / "german_credit.data")
    return {
        "demo": lambda: _train(demo, 7, dict(FEATURE_CATALOGUE), train_scorecard),
        "german": lambda: train_scorecard(
            german,
            "CLASSIFICATION",
            bad_value=0,
            audit_columns=["PERSONAL_STATUS_AND_SEX", "AGE", "FOREIGN"],
        ),
    }


def normalised(artifact: Any) -> str:
    model = json.loads(artifact.model_dump_json())
    model.pop("created_at", None)
    model.pop("content_hash", None)
    model["model_id"] = re.sub(r"^sc-\d{8}-", "sc-DATE-", model["model_id"])
    return json.dumps(model, indent=1, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="folder for the normalised model files")
    args = parser.parse_args()
    for name, fit in fits(args.consumers).items():
        artifact = fit()  # warm-up: imports and compiled kernels load once per process
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name}.json").write_text(normalised(artifact), "utf-8")
        for rep in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            fit()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            load = os.getloadavg()[0]
            print(f"{name} rep {rep}: {wall:.2f} s wall, {cpu:.2f} s CPU (load {load:.1f})", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
