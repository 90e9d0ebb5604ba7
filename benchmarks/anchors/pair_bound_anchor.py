"""EBM's pair terms fitted on top of a lucidscore card; print one JSON line (issue 14, the pair bound).

Runs inside the anchors virtualenv (benchmarks/_work/anchors-venv), never imported by lucidscore; called by
``benchmarks/bench_pair_bound.py``:
    python pair_bound_anchor.py DATA TARGET AUDIT_COLS SPLIT.npz INIT.npz MODES
DATA, TARGET and AUDIT_COLS as ``run_anchor.py`` reads them (the audit columns are dropped, as there).
SPLIT.npz holds ``train`` and ``test`` row indices; INIT.npz the card's log-odds of bad on those rows
(``init_train``, ``init_test``) and the 0/1 target (``y_train``, ``y_test``). MODES, comma-separated:

- ``pairs5``: ``ExplainableBoostingClassifier(random_state=0, exclude="mains", interactions=5)`` fitted
  with ``init_score`` = the card: EBM's own pair search and pair boosting, at most 5 pairs, any overlap.
- ``default``: the same with EBM's default number of pairs (``"3x"``: three times the features).
- ``disjoint``: EBM's pairs of ``default`` (or of ``pairs5`` when ``default`` is not run) ranked by
  ``term_importances()``, taken greedily while neither characteristic is in a pair already taken, at most
  5; then refitted alone on the card (``interactions=[...]``, ``exclude="mains"``).

Each mode reports the held-out AUC of ``decision_function(X_test, init_score=init_test)``, its pairs (with
their importances) and the fit's CPU seconds (this process's threads and the child processes it waited
for). ``card`` is the AUC of the card's own log-odds, for the check that the init rows line up.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

MAX_PAIRS = 5


def _read(path: str) -> pd.DataFrame:
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, sep=r"\s+" if path.endswith(".data") else ",")


def _cpu() -> float:
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


def _pairs(ebm: object) -> list[tuple[str, str, float]]:
    """The fitted model's pair terms, most important first: (first, second, importance)."""
    names = ebm.feature_names_in_  # type: ignore[attr-defined]
    importances = ebm.term_importances()  # type: ignore[attr-defined]
    out = [
        (str(names[t[0]]), str(names[t[1]]), float(imp))
        for t, imp in zip(ebm.term_features_, importances, strict=True)  # type: ignore[attr-defined]
        if len(t) == 2
    ]
    return sorted(out, key=lambda p: -p[2])


def _disjoint(ranked: list[tuple[str, str, float]]) -> list[tuple[str, str]]:
    used: set[str] = set()
    chosen: list[tuple[str, str]] = []
    for a, b, _ in ranked:
        if a in used or b in used:
            continue
        chosen.append((a, b))
        used |= {a, b}
        if len(chosen) == MAX_PAIRS:
            break
    return chosen


def main() -> None:
    data, target, audit, split, init, modes = sys.argv[1:7]
    warnings.filterwarnings("ignore")
    from interpret.glassbox import ExplainableBoostingClassifier

    frame = _read(data)
    idx, z = np.load(split), np.load(init)
    x = frame.drop(columns=[target, *[c for c in audit.split(",") if c]])
    x_train = x.iloc[idx["train"]].reset_index(drop=True)
    x_test = x.iloc[idx["test"]].reset_index(drop=True)
    y_train, y_test = z["y_train"], z["y_test"]
    init_train, init_test = z["init_train"], z["init_test"]
    if len(init_train) != len(x_train) or len(init_test) != len(x_test):
        sys.exit(
            f"{init}: {len(init_train)}/{len(init_test)} init rows for {len(x_train)}/{len(x_test)} rows"
        )
    out: dict[str, object] = {"card": float(roc_auc_score(y_test, init_test))}
    ranked: list[tuple[str, str, float]] = []

    def fit(key: str, interactions: object) -> None:
        nonlocal ranked
        start = _cpu()
        ebm = ExplainableBoostingClassifier(random_state=0, exclude="mains", interactions=interactions)
        ebm.fit(x_train, y_train, init_score=init_train)
        cpu = _cpu() - start
        got = ebm.decision_function(x_test, init_score=init_test)
        pairs = _pairs(ebm)
        if key != "disjoint" and (key == "default" or not ranked):
            ranked = pairs
        out[key] = {
            "auc": float(roc_auc_score(y_test, got)),
            "pairs": [[a, b, round(imp, 5)] for a, b, imp in pairs[:10]],
            "n_pairs": len(pairs),
            "cpu_seconds": round(cpu, 1),
        }

    wanted = modes.split(",")
    if "default" in wanted:
        fit("default", "3x")
    if "pairs5" in wanted:
        fit("pairs5", MAX_PAIRS)
    if "disjoint" in wanted:
        if not ranked:
            sys.exit("disjoint needs default or pairs5 in MODES: its pairs are ranked by their fit")
        chosen = _disjoint(ranked)
        fit("disjoint", [list(p) for p in chosen] if chosen else 0)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
