"""A small simulated credit table for model tests (no public data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def credit_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    late = rng.poisson(0.5, n).astype(float)
    util = rng.beta(2, 3, n)
    tenure = rng.integers(0, 200, n).astype(float)
    n_accounts = rng.integers(0, 6, n).astype(float)
    housing = rng.choice(["rent", "own", "free"], n, p=[0.4, 0.5, 0.1])
    logit = -1.5 + 0.9 * late + 2.0 * util - 0.006 * tenure + np.where(housing == "rent", 0.4, 0.0)
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    util[rng.random(n) < 0.05] = np.nan
    tenure[rng.random(n) < 0.04] = -8.0
    return pd.DataFrame(
        {
            "months_late": late,
            "utilisation": util,
            "tenure_months": tenure,
            "n_credit_accounts": n_accounts,
            "housing": housing,
            "bad": bad,
        }
    )
