"""Would EBM-style bagging of whole cards help? (issue 14: the lever left after the pair bound)

Command (from the repo root):
    .venv/bin/python benchmarks/bench_card_bags.py [--sets taiwan,german,simulated] [--bags 8]
        [--share 0.85] [--bootstrap] [--reps 2]

On each of the repeated stratified 4-fold CV folds (2 repetitions) of the 70% training part of each data
set (the folds of ``bench_fit.py --only cv`` and ``bench_levers.py``; the test split is never read), this
fits lucidscore's default card on the fold's training rows, then ``--bags`` more default cards, each on a
seeded stratified subsample of ``--share`` of those rows (``--bootstrap``: a bootstrap sample instead, in
row order), the way an Explainable Boosting Machine fits its outer bags. Each card's held-out log-odds of
bad come from its integer points (unclipped, PDO scaling mapped back); the bagged model is the **mean of
the bags' log-odds**. That is what averaging the bags' points on the common refinement of their bins gives
when the bags share their segment split, before rounding; so its AUC bounds what a points card built from
the bags' average can reach. Prints one JSON line per fold (AUC of the single card, of the bag average, of
the average with the single card as one more bag, and of each bag alone) and a summary per set; writes
``benchmarks/_work/card_bags_results.json``. Figures: BENCHMARKS.md ("The pair bound", issue 14).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_fit as bf
from bench_pair_bound import card_log_odds


def subsample(y: np.ndarray, share: float, seed: int, bootstrap: bool) -> np.ndarray:
    """Positions into ``y``: a stratified subsample of ``share`` of each class, or a bootstrap sample."""
    rng = np.random.default_rng(seed)
    if bootstrap:
        return np.sort(rng.integers(0, y.size, y.size))
    out = [
        rng.choice(np.flatnonzero(y == k), round(share * int(np.sum(y == k))), replace=False) for k in (0, 1)
    ]
    return np.sort(np.concatenate(out))


def cv_indices(
    name: str, y: np.ndarray, folds: int, repeats: int
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``bench_fit.cv_folds``'s folds, computed in memory (no split files written, so this can run beside
    another benchmark that reads them)."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    train, _ = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=y)
    train = np.sort(train)
    out = []
    for rep in range(repeats):
        kfold = StratifiedKFold(folds, shuffle=True, random_state=1 + rep)
        for i, (a, b) in enumerate(kfold.split(train, y[train])):
            out.append((f"cv_{name}_{rep}_{i}", train[a], train[b]))
    return out


def held_log_odds(
    data: bf.CardSet, rows: np.ndarray, held: pd.DataFrame, **params: Any
) -> tuple[np.ndarray, Any]:
    """The held-out rows' log-odds of bad under a card fitted on ``rows`` (``Scorecard(**params)``, defaults
    otherwise), and the card."""
    card, _ = bf.fit_card(data, rows, **params)
    return card_log_odds(card, held, True), card


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="taiwan,german,simulated")
    parser.add_argument("--bags", type=int, default=8)
    parser.add_argument("--share", type=float, default=0.85)
    parser.add_argument("--bootstrap", action="store_true")
    parser.add_argument(
        "--same-split",
        action="store_true",
        help="every bag keeps the single card's segment split (or its one card) and has no grids",
    )
    parser.add_argument("--reps", type=int, default=2, help="repetitions of the 4-fold CV")
    args = parser.parse_args()

    out_path = bf.WORK / "card_bags_results.json"
    results: dict[str, object] = json.loads(out_path.read_text()) if out_path.exists() else {}
    key = f"bags={args.bags},share={args.share},bootstrap={args.bootstrap},same_split={args.same_split}"
    for name in args.sets.split(","):
        data = bf.load_set(name)
        x, y = data.x, data.y
        folds: list[dict[str, object]] = []
        for stem, train, test in cv_indices(name, y, 4, args.reps):
            held = x.iloc[test].reset_index(drop=True)

            start = time.process_time()
            single, card = held_log_odds(data, train, held)
            params: dict[str, Any] = {}
            if args.same_split:  # every bag keeps the card's segments: its average is a points card
                segments = card.artifact_.segments
                rule = segments[0].condition if len(segments) > 1 else None
                params = {"segment_rule": rule} if rule is not None else {"segment_search": False}
                params["interactions"] = 0
            samples = [subsample(y[train], args.share, seed, args.bootstrap) for seed in range(args.bags)]
            bags = [held_log_odds(data, train[s], held, **params)[0] for s in samples]
            cpu = time.process_time() - start
            yt = y[test]
            row = {
                "fold": stem,
                "split": [str(s.condition) for s in card.artifact_.segments if s.condition is not None],
                "bare": round(float(roc_auc_score(yt, card_log_odds(card, held, False))), 5),
                "single": round(float(roc_auc_score(yt, single)), 5),
                "bagged": round(float(roc_auc_score(yt, np.mean(bags, axis=0))), 5),
                "bagged_with_single": round(float(roc_auc_score(yt, np.mean([single, *bags], axis=0))), 5),
                "each_bag": [round(float(roc_auc_score(yt, b)), 5) for b in bags],
                "cpu_seconds": round(cpu, 1),
            }
            folds.append(row)
            print(name, json.dumps(row), flush=True)
        summary: dict[str, object] = {"folds": folds}
        for label in ["single", "bare", "bagged", "bagged_with_single"]:
            summary[label] = round(float(np.mean([f[label] for f in folds])), 5)  # type: ignore[arg-type]
        summary["each_bag_mean"] = round(float(np.mean([np.mean(f["each_bag"]) for f in folds])), 5)  # type: ignore[arg-type]
        results.setdefault(key, {})[name] = summary  # type: ignore[union-attr]
        print(name, json.dumps({k: v for k, v in summary.items() if k != "folds"}), flush=True)
        out_path.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
