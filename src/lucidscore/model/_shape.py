"""Shape search: finer bins only where cross-validation inside the training rows says they rank better.

A coarse card (``min_bin_share`` 5%) is robust on any data; a large table often supports finer shapes.
``choose_shape`` compares the card with the given binning against a finer one (``FINE_SHARE`` minimum
bin share, from at least ``FINE_PREBINS`` pre-bins; ``max_bins`` and the trend rule stay as given, so
monotone stays monotone unless a turn is significant) by ``SEARCH_FOLDS``-fold stratified
cross-validation on the segment search's sample (at most ``SEARCH_ROWS`` training rows), and keeps the
finer one only when its mean held-out AUC is higher by at least ``MIN_SHAPE_GAIN``. The one-card AUC
of each fold is handed to the segment search, which would otherwise fit it again. Credible WOE
(``woe_prior``) keeps the extra, smaller bins from claiming more than their rows support.

Nothing here reads data outside the rows given to ``fit``; the result is deterministic.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.model._frame import Kind
from lucidscore.model._params import ScorecardParams
from lucidscore.model._search import (
    SEARCH_FOLDS,
    SEARCH_ROWS,
    SearchSample,
    fold_auc,
    sample_rows,
    search_sample,
)

FINE_SHARE = 0.02
FINE_PREBINS = 30
MIN_SHAPE_GAIN = 0.0005

Progress = Callable[[str], None]


@dataclass
class ShapeResult:
    """The parameters to fit with, the held-out AUC of each fold for the given and the finer shape
    (None where a card could not be fitted), and the rows compared on (for the segment search)."""

    params: ScorecardParams
    rows: int
    given: dict[int, float | None] = field(default_factory=dict)
    fine: dict[int, float | None] = field(default_factory=dict)
    sample: SearchSample | None = None

    @property
    def baseline(self) -> dict[int, float | None]:
        """Per fold, the one-card AUC of the shape chosen."""
        return self.fine if self.chosen_fine else self.given

    @property
    def chosen_fine(self) -> bool:
        return self.params.min_bin_share == FINE_SHARE and bool(self.fine)

    def note(self) -> str:
        """One line for the training notes."""
        where = f"{SEARCH_FOLDS}-fold cross-validation on {self.rows:,} rows"
        given = _mean(self.given)
        fine = _mean(self.fine)
        if given is None or fine is None:
            return f"shape search: no comparison possible on {where}; bins as given"
        if self.chosen_fine:
            return (
                f"shape search: finer bins (min share {FINE_SHARE:g}) raised the mean AUC "
                f"of {where} from {given:.4f} to {fine:.4f}; kept"
            )
        return (
            f"shape search: finer bins (min share {FINE_SHARE:g}) gave {fine:.4f} against {given:.4f} on "
            f"{where}; bins as given"
        )


def _mean(aucs: dict[int, float | None]) -> float | None:
    values = list(aucs.values())
    if not values or any(v is None for v in values):
        return None
    return float(np.mean([float(v) for v in values if v is not None]))


def finer(p: ScorecardParams) -> ScorecardParams | None:
    """The finer candidate, or None when the given binning is already at least as fine."""
    if p.min_bin_share <= FINE_SHARE:
        return None
    return p.model_copy(update={"min_bin_share": FINE_SHARE, "n_prebins": max(p.n_prebins, FINE_PREBINS)})


def choose_shape(
    frame: pd.DataFrame,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    p: ScorecardParams,
    progress: Progress | None = None,
) -> ShapeResult:
    """Cross-validate the given binning against the finer one (module docstring)."""
    candidate = finer(p)
    if candidate is None:
        return ShapeResult(params=p, rows=len(sample_rows(y, SEARCH_ROWS)))
    if progress is not None:
        progress(f"shape search: given vs finer bins x {SEARCH_FOLDS} folds")
    s = search_sample(frame, y, kinds)
    result = ShapeResult(params=p, rows=len(s.frame), sample=s)
    tasks = [(k, params) for k in range(len(s.folds)) for params in (p, candidate)]

    def run(task: tuple[int, ScorecardParams]) -> float | None:
        return fold_auc(s, task[0], task[1], None)

    # Independent fits: on all cores (the binning and regression kernels release the GIL).
    with ThreadPoolExecutor(max_workers=min(len(tasks), os.cpu_count() or 1)) as pool:
        aucs = list(pool.map(run, tasks))
    for (k, params), auc in zip(tasks, aucs, strict=True):
        (result.given if params is p else result.fine)[k] = auc
    given, fine = _mean(result.given), _mean(result.fine)
    if given is not None and fine is not None and fine - given >= MIN_SHAPE_GAIN:
        result.params = candidate
    return result
