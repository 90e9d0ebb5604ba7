"""Screening accuracy levers of lucidscore alone, on the cross-validation folds of ``bench_fit.py --only cv``.

Command (from the repo root):
    .venv/bin/python benchmarks/bench_levers.py LABEL '{"max_bins": 12}' \
        '{"lucidscore.model._interactions.AXIS_GROUPS": 3}' [taiwan,german,simulated] [--test] [--reps=1] \
        [--pairs]

Fits ``Scorecard(**PARAMS)`` in this process on each of the repeated stratified 4-fold CV folds (2
repetitions, seeds 1-2) of the 70% training part of each data set, the very folds ``bench_fit.py`` writes
(the test split is never read, unless ``--test``; ``--reps=1`` keeps the first repetition only, 4 folds,
for screening: then one fit on the 70% part, scored on the 30% test split, for reporting only; ``--pairs``
adds each fit's grids, ``{name}_pairs``, per fold and card); before fitting, each ``module.CONSTANT`` of
the second JSON is set to its value (how the module constants of refinement, the searches and the
interaction grids were screened). Prints one JSON line: mean AUC of the integer score per data set, its
folds, and the mean CPU seconds of a fit (``time.process_time``: both cores count). The figures are in
BENCHMARKS.md (issue 14).

A model whose grids share a characteristic (the "stars" experiment: the patch
``{"lucidscore.model._interactions.SHARED_CHARACTERISTICS": true,
"lucidscore.artifact._model.SHARED_CHARACTERISTICS": true}``) is scored by the reference rule
(``lucidscore.artifact.reference_scores``), as the compiled engine refuses it; any other model is scored
by both, which must agree.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_fit as bf


def main() -> None:
    reps = [int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--reps=")]
    args = [a for a in sys.argv[1:] if a not in ("--test", "--pairs") and not a.startswith("--reps=")]
    show_pairs = "--pairs" in sys.argv
    test = "--test" in sys.argv
    label, params, patch = args[0], json.loads(args[1]), json.loads(args[2])
    names = args[3].split(",") if len(args) > 3 else ["taiwan", "german", "simulated"]
    for key, value in patch.items():
        module, attr = key.rsplit(".", 1)
        setattr(importlib.import_module(module), attr, value)
    from lucidscore.artifact import reference_scores

    out: dict[str, object] = {"label": label, "params": params, "patch": patch, "test": test}
    for name in names:
        data = bf.load_set(name)
        x, y = data.x, data.y
        paths = [bf.split(y, name)] if test else bf.cv_folds(name, y, 4, reps[0] if reps else 2)
        aucs, cpu, pairs = [], [], []
        for path in paths:
            idx = np.load(path)
            card, seconds = bf.fit_card(data, idx["train"], **params)
            cpu.append(seconds)
            segments = card.artifact_.segments
            grids = {s.name: [f"{i.first} x {i.second}" for i in s.interactions] for s in segments}
            pairs.append(grids)
            scores = reference_scores(segments, x.iloc[idx["test"]].reset_index(drop=True))
            members = [[m for i in s.interactions for m in (i.first, i.second)] for s in segments]
            if all(len(set(m)) == len(m) for m in members):
                engine = card.score_table(x.iloc[idx["test"]])["score"].to_numpy()
                if not np.array_equal(engine, scores):
                    raise AssertionError(f"{name} {path}: the engine and the reference rule disagree")
            aucs.append(float(roc_auc_score(y[idx["test"]], -scores)))
        out[name] = round(float(np.mean(aucs)), 5)
        out[f"{name}_folds"] = [round(a, 5) for a in aucs]
        out[f"{name}_cpu_seconds"] = round(float(np.mean(cpu)), 2)
        if show_pairs:
            out[f"{name}_pairs"] = pairs
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
