"""How often the interaction search keeps a grid that chance gave (issue 14), and what it costs.

Additive generated tables (six characteristics acting one by one on the log odds, none together: the
generator of ``tests/model/test_interactions.py::_additive``), fitted with ``Scorecard(interactions=5)``
and with ``interactions=0``; for each table, whether a grid was kept and the difference in AUC on 100,000
fresh rows of the same generator. Any grid kept here is a false discovery.

    .venv/bin/python benchmarks/bench_chance_grids.py                  # 3,000 rows, bad rates ~25% and ~3%
    .venv/bin/python benchmarks/bench_chance_grids.py --rows 8000 --seeds 32
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.model.test_interactions import _additive

from lucidscore.model import Scorecard


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--bases", default="-1.5,-4.2", help="intercepts of the log odds (bad rates)")
    args = parser.parse_args()
    print(f"# load {' / '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    for base in (float(b) for b in args.bases.split(",")):
        kept, deltas, rates = [], [], []
        for seed in range(args.seeds):
            rng = np.random.default_rng(1000 + seed)
            x, y = _additive(args.rows, base, rng)
            fresh_x, fresh_y = _additive(100_000, base, rng)
            paired = Scorecard(interactions=5, segment_search=False).fit(x, y)
            plain = Scorecard(interactions=0, segment_search=False).fit(x, y)
            grids = [f"{i.first} x {i.second}" for s in paired.artifact_.segments for i in s.interactions]
            delta = roc_auc_score(fresh_y, paired.predict_proba(fresh_x)[:, 1]) - roc_auc_score(
                fresh_y, plain.predict_proba(fresh_x)[:, 1]
            )
            kept.append(grids)
            deltas.append(float(delta))
            rates.append(float(y.mean()))
            if grids:
                found = {"base": base, "seed": 1000 + seed, "grids": grids, "fresh_auc_delta": delta}
                print(json.dumps(found))
        print(
            json.dumps(
                {
                    "rows": args.rows,
                    "bad_rate": round(float(np.mean(rates)), 3),
                    "tables": args.seeds,
                    "tables_with_a_grid": sum(bool(k) for k in kept),
                    "fresh_auc_delta_mean": round(float(np.mean(deltas)), 5),
                    "fresh_auc_delta_min": round(float(np.min(deltas)), 5),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
