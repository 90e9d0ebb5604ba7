"""Fit an anchor library on a given split; print one JSON line.

Runs inside the anchors virtualenv (benchmarks/_work/anchors-venv), never imported by lucidscore:
    python run_anchor.py LIB DATA TARGET BAD_VALUE AUDIT_COLS SPLIT.npz
LIB: optbinning (BinningProcess + Scorecard), toad (chi-merge + WOE + ScoreCard), ebm (InterpretML's
ExplainableBoostingClassifier, defaults, random_state 0; ebm_additive: interactions=0; ebm_pairs5:
interactions=5) or lightgbm (LGBMClassifier, defaults,
random_state 0: the black-box reference). SPLIT.npz holds ``train`` and ``test`` row indices (test may
be empty: fit only, for timing). Reports test AUC, fit seconds, fit CPU seconds (this process's threads
and any child process the fit waited for) and the process's peak RSS (MiB).
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

Predict = Callable[[pd.DataFrame], np.ndarray]


def _read(path: str) -> pd.DataFrame:
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, sep=r"\s+" if path.endswith(".data") else ",")


def _fit_optbinning(x: pd.DataFrame, y: np.ndarray, cats: list[str]) -> Predict:
    from optbinning import BinningProcess, Scorecard

    bp = BinningProcess(variable_names=list(x.columns), categorical_variables=cats)
    sc = Scorecard(
        binning_process=bp,
        estimator=LogisticRegression(),
        scaling_method="min_max",
        scaling_method_params={"min": 350, "max": 950},
    )
    sc.fit(x, y)
    return lambda frame: sc.predict_proba(frame)[:, 1]


def _fit_toad(x: pd.DataFrame, y: np.ndarray, cats: list[str]) -> Predict:
    import toad

    combiner = toad.transform.Combiner()
    combiner.fit(x, y, method="chi", min_samples=0.05)
    woe = toad.transform.WOETransformer()
    xw = woe.fit_transform(combiner.transform(x), y)
    card = toad.ScoreCard(combiner=combiner, transer=woe)
    card.fit(xw, y)
    return lambda frame: card.predict_proba(frame)[:, 1]


def _ebm(**options: object) -> Callable[[pd.DataFrame, np.ndarray, list[str]], Predict]:
    def fit(x: pd.DataFrame, y: np.ndarray, cats: list[str]) -> Predict:
        from interpret.glassbox import ExplainableBoostingClassifier

        ebm = ExplainableBoostingClassifier(random_state=0, **options).fit(x, y)
        return lambda frame: ebm.predict_proba(frame)[:, 1]

    return fit


def _fit_lightgbm(x: pd.DataFrame, y: np.ndarray, cats: list[str]) -> Predict:
    from lightgbm import LGBMClassifier

    def typed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for c in cats:
            out[c] = pd.Categorical(out[c], categories=sorted(x[c].dropna().unique()))
        return out

    model = LGBMClassifier(random_state=0, verbose=-1).fit(typed(x), y)
    return lambda frame: model.predict_proba(typed(frame))[:, 1]


def _cpu() -> float:
    """CPU seconds of this process (all threads) and of the child processes it has waited for."""
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


FITTERS = {
    "optbinning": _fit_optbinning,
    "toad": _fit_toad,
    "ebm": _ebm(),
    # EBM's additive part alone, and EBM with at most 5 pair terms (the bound on grids): where
    # a gap to EBM comes from (BENCHMARKS.md, issue 14).
    "ebm_additive": _ebm(interactions=0),
    "ebm_pairs5": _ebm(interactions=5),
    "lightgbm": _fit_lightgbm,
}


def main() -> None:
    lib, data, target, bad_value, audit, split = sys.argv[1:7]
    warnings.filterwarnings("ignore")
    frame = _read(data)
    idx = np.load(split)
    raw_y = frame[target]
    bad = 1 if bad_value == "" else type(raw_y.iloc[0])(bad_value)
    y = (raw_y == bad).to_numpy(dtype=int)
    x = frame.drop(columns=[target, *[c for c in audit.split(",") if c]])
    cats = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
    train, test = idx["train"], idx["test"]
    start, cpu = time.perf_counter(), _cpu()
    predict = FITTERS[lib](x.iloc[train].reset_index(drop=True), y[train], cats)
    fit_seconds, cpu_seconds = time.perf_counter() - start, _cpu() - cpu
    auc = float(roc_auc_score(y[test], predict(x.iloc[test].reset_index(drop=True)))) if len(test) else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "lib": lib,
                "test_auc": auc,
                "fit_seconds": fit_seconds,
                "cpu_seconds": cpu_seconds,
                "peak_rss_mib": peak,
            }
        )
    )


if __name__ == "__main__":
    main()
