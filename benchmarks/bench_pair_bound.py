"""How much could a better pair estimator add on top of lucidscore's card? (issue 14, the pair bound)

Command (from the repo root):
    .venv/bin/python benchmarks/bench_pair_bound.py [--sets taiwan,german,simulated]
        [--modes default,pairs5,disjoint] [--init bare|card] [--reps 2] [--params '{}']

On each of the repeated stratified 4-fold CV folds (2 repetitions) of the 70% training part of each data
set, the very folds ``bench_fit.py --only cv`` and ``bench_levers.py`` use (the test split is never read),
this fits lucidscore's card (``Scorecard(**PARAMS)``, defaults unless ``--params``) and takes each row's
log-odds of bad from the card's **integer points** (the unclipped sum of base, bin and grid points,
mapped back through the model's PDO scaling: ``(offset - points) / factor``; so the card alone ranks rows
exactly as its shipped score). ``--init bare`` (the default) leaves the card's own grids out of that
sum: EBM's pairs then stand in for lucidscore's grid estimator; ``--init card`` keeps them, and EBM's
pairs come on top of the card as shipped. The card's log-odds on the fold's training and held-out rows
go through an .npz file to ``benchmarks/anchors/pair_bound_anchor.py`` in the anchors virtualenv, which
fits InterpretML's pair terms alone on them (``exclude="mains"``, ``init_score``): ``pairs5`` (at most 5,
any overlap), ``default`` (EBM's default count) and ``disjoint`` (EBM's pairs ranked by importance, taken
greedily while no characteristic repeats, at most 5, refitted alone).

Prints one JSON line per fold and writes every fold to ``benchmarks/_work/pair_bound_results.json``:
AUC of the shipped integer score (``lucidscore``), of the card without its grids (``bare``), of each EBM
mode on top of the init, the pairs EBM chose and the CPU seconds of each fit. Figures: BENCHMARKS.md
("The pair bound", issue 14).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_fit as bf

CHILD = bf.ROOT / "benchmarks" / "anchors" / "pair_bound_anchor.py"


def card_log_odds(card: object, frame: object, grids: bool) -> np.ndarray:
    """Each row's log-odds of bad from the card's integer points (unclipped), with or without its grids."""
    from lucidscore.artifact import raw_points

    art = card.artifact_  # type: ignore[attr-defined]
    segments = art.segments if grids else [s.model_copy(update={"interactions": []}) for s in art.segments]
    points = raw_points(segments, frame).astype(np.float64)  # type: ignore[arg-type]
    return np.asarray((art.scaling.offset - points) / art.scaling.factor)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="taiwan,german,simulated")
    parser.add_argument("--modes", default="default,pairs5,disjoint")
    parser.add_argument("--init", choices=["bare", "card"], default="bare")
    parser.add_argument("--reps", type=int, default=2, help="repetitions of the 4-fold CV")
    parser.add_argument("--params", default="{}", help="Scorecard parameters (JSON)")
    args = parser.parse_args()
    if not bf.ANCHOR_PY.exists():
        sys.exit(f"{bf.ANCHOR_PY} not found: see bench_fit.py for the anchors virtualenv")
    from lucidscore.artifact import reference_scores

    params = json.loads(args.params)
    out_path = bf.WORK / "pair_bound_results.json"
    results: dict[str, object] = json.loads(out_path.read_text()) if out_path.exists() else {}
    key = f"{args.init}:{args.params}"
    for name in args.sets.split(","):
        data = bf.load_set(name)
        x, y = data.x, data.y
        folds: list[dict[str, object]] = []
        for path in bf.cv_folds(name, y, 4, args.reps):
            idx = np.load(path)
            card, cpu = bf.fit_card(data, idx["train"], **params)
            train = x.iloc[idx["train"]].reset_index(drop=True)
            test = x.iloc[idx["test"]].reset_index(drop=True)
            shipped = reference_scores(card.artifact_.segments, test)
            grids = args.init == "card"
            init = bf.WORK / f"pair_bound_init_{name}_{path.stem}.npz"
            np.savez(
                init,
                init_train=card_log_odds(card, train, grids),
                init_test=card_log_odds(card, test, grids),
                y_train=y[idx["train"]],
                y_test=y[idx["test"]],
            )
            child = bf.run_child(
                [str(CHILD), str(data.path), data.target, data.audit, str(path), str(init), args.modes],
                bf.ANCHOR_PY,
            )
            row: dict[str, object] = {
                "fold": path.stem,
                "lucidscore": round(float(roc_auc_score(y[idx["test"]], -shipped)), 5),
                "bare": round(float(roc_auc_score(y[idx["test"]], card_log_odds(card, test, False))), 5),
                "init": round(float(child["card"]), 5),  # type: ignore[arg-type]
                "grids": [
                    f"{s.name}: {i.first} x {i.second}"
                    for s in card.artifact_.segments
                    for i in s.interactions
                ],
                "card_cpu_seconds": round(cpu, 1),
                **{m: child[m] for m in args.modes.split(",")},
            }
            folds.append(row)
            print(name, json.dumps(row), flush=True)
        summary: dict[str, object] = {"folds": folds}
        for label in ["lucidscore", "bare", "init"]:
            summary[label] = round(float(np.mean([f[label] for f in folds])), 5)  # type: ignore[arg-type]
        for m in args.modes.split(","):
            summary[m] = round(float(np.mean([f[m]["auc"] for f in folds])), 5)  # type: ignore[index]
        results.setdefault(key, {})[name] = summary  # type: ignore[index, union-attr]
        print(name, json.dumps({k: v for k, v in summary.items() if k != "folds"}), flush=True)
        out_path.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
