"""Small simulated credit tables for model tests and the fit benchmark (no public data needed)."""

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


def two_populations(n: int = 16000, seed: int = 3) -> pd.DataFrame:
    """Revolvers (payment_status >= 0) default on utilisation; payers-in-full on tenure and inquiries:
    one additive card cannot express that, a card per side can."""
    rng = np.random.default_rng(seed)
    status = rng.choice([-1.0, 0.0, 1.0, 2.0], n, p=[0.4, 0.35, 0.15, 0.1])
    util = rng.beta(2, 3, n)
    tenure = rng.integers(0, 240, n).astype(float)
    inquiries = rng.poisson(1.0, n).astype(float)
    logit = np.where(
        status >= 0,
        -1.2 + 0.6 * status + 3.5 * (util - 0.4),
        -2.2 - 0.012 * (tenure - 120) + 0.35 * inquiries,
    )
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "payment_status": status,
            "utilisation": util,
            "tenure_months": tenure,
            "inquiries": inquiries,
            "bad": bad,
        }
    )
