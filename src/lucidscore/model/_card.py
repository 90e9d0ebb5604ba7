"""Fit one scorecard (one segment): bin, select, regress on WOE with sign checks, scale to points.

The points maths is :func:`points_for`, a small pure function: with WOE = ln(%good/%bad) and a logistic
regression predicting bad, ln(odds good) = -(b0 + sum_j beta_j * woe_j), so every beta_j must be negative
and points_ij = round(-factor * beta_j * woe_ij), base_points = round(offset - factor * b0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression

from lucidscore.errors import InputError
from lucidscore.model._artifact import Bin, Characteristic, Condition, Segment
from lucidscore.model._assign import bin_index, category_values
from lucidscore.model._binning import BinnedColumn, BinningOptions, bin_categorical, bin_numeric
from lucidscore.model._frame import Kind, numeric_column
from lucidscore.model._meta import meta_for
from lucidscore.model._params import ScorecardParams
from lucidscore.model._scaling import Scaling
from lucidscore.model._selection import select_characteristics

Progress = Callable[[str], None]


def points_for(
    scaling: Scaling, intercept: float, coefficients: list[float], woes: list[list[float]]
) -> tuple[int, list[list[int]]]:
    """Base points and integer points per bin from the regression on WOE.

    >>> points_for(Scaling(), -1.0, [-0.5], [[1.0, -1.0]])
    (525, [[29, -29]])
    """
    f = scaling.factor
    base = round(scaling.offset - f * intercept)
    return base, [[round(-f * beta * w) for w in ws] for beta, ws in zip(coefficients, woes, strict=True)]


def _bin_column(
    name: str, values: pd.Series, kind: Kind, y: npt.NDArray[np.int8], params: ScorecardParams
) -> BinnedColumn | str:
    """The column's binning, or the reason it is skipped."""
    if values.isna().all():
        return f"{name}: all values missing; skipped"
    opts = BinningOptions(
        trend=params.trend_of(name),
        min_bin_share=params.min_bin_share,
        max_bins=params.max_bins,
        n_prebins=params.n_prebins,
        special_values=params.special_values,
    )
    if kind == "numeric":
        x = numeric_column(values)
        present = x[~np.isnan(x)]
        if present.size and present.min() == present.max() and not np.isnan(x).any():
            return f"{name}: constant ({present[0]:g} on every row); skipped"
        return bin_numeric(name, x, y, opts)
    cats = category_values(values)
    if len({v for v in cats if v is not None}) == 1 and all(v is not None for v in cats):
        return f"{name}: constant ({cats[0]!r} on every row); skipped"
    return bin_categorical(name, cats, y, opts)


def _characteristic(col: BinnedColumn, params: ScorecardParams) -> Characteristic:
    meta = meta_for(col.name, params.feature_meta)
    return Characteristic(
        name=col.name,
        family=meta.family,
        dtype=col.dtype,
        description=meta.description,
        actionable=meta.actionable,
        monotonic_trend=col.trend,
        special_values=col.special_values,
        iv=col.iv,
        coefficient=0.0,
        bins=[
            Bin(
                kind=b.kind,
                lower=b.lower,
                upper=b.upper,
                categories=b.categories,
                special_value=b.special_value,
                label=b.label,
                count=b.count,
                bad_count=b.bad_count,
                woe=b.woe,
                points=0,
            )
            for b in col.bins
        ],
    )


def woe_matrix(chars: list[Characteristic], frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Rows x characteristics matrix of each row's bin WOE."""
    out = np.empty((len(frame), len(chars)), dtype=np.float64)
    for j, ch in enumerate(chars):
        out[:, j] = np.array([b.woe for b in ch.bins])[bin_index(ch, frame[ch.name])]
    return out


def _sign_safe_regression(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.int8], names: list[str], c: float
) -> tuple[list[int], float, npt.NDArray[np.float64], list[str]]:
    """Fit, drop the characteristic with the most positive coefficient, refit, until all are negative."""
    keep = list(range(len(names)))
    notes: list[str] = []
    while keep:
        model = LogisticRegression(C=c, max_iter=1000)
        model.fit(x[:, keep], y)
        coef = model.coef_[0]
        worst = int(np.argmax(coef))
        if coef[worst] < 0:
            return keep, float(model.intercept_[0]), coef, notes
        notes.append(
            f"{names[keep[worst]]}: coefficient {coef[worst]:+.3f} has the wrong sign on WOE "
            "(it would reward risk); dropped and refitted"
        )
        del keep[worst]
    return [], 0.0, np.empty(0), notes


def fit_card(
    name: str,
    condition: Condition | None,
    frame: pd.DataFrame,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    params: ScorecardParams,
    progress: Progress | None = None,
) -> tuple[Segment, list[str]]:
    """One segment's scorecard from its rows, with notes on every column skipped or dropped."""
    notes: list[str] = []
    binned: list[BinnedColumn] = []
    for col, kind in kinds.items():
        if progress is not None:
            progress(f"{name}: binning {col}")
        result = _bin_column(col, frame[col], kind, y, params)
        if isinstance(result, str):
            notes.append(result)
        else:
            binned.append(result)
    if not binned:
        raise InputError(
            f"segment {name}: no usable column ({'; '.join(notes) or 'no input columns'}); "
            "expected at least one column that is neither all missing nor constant"
        )
    chars = {b.name: _characteristic(b, params) for b in binned}
    woe_all = woe_matrix(list(chars.values()), frame)
    woe = {n: woe_all[:, j] for j, n in enumerate(chars)}
    if progress is not None:
        progress(f"{name}: selecting characteristics")
    kept, sel_notes = select_characteristics(
        {n: c.iv for n, c in chars.items()},
        woe,
        iv_threshold=params.iv_threshold,
        max_correlation=params.max_correlation,
        max_characteristics=params.max_characteristics,
    )
    notes += sel_notes
    if progress is not None:
        progress(f"{name}: logistic regression on WOE")
    x = np.column_stack([woe[n] for n in kept]) if kept else np.empty((len(frame), 0))
    idx, intercept, coef, reg_notes = _sign_safe_regression(x, y, kept, params.regularization)
    notes += reg_notes
    if not idx:
        raise InputError(
            f"segment {name}: no characteristic predicts the target (IV below {params.iv_threshold:g} "
            "or wrong-signed); expected at least one informative column"
        )
    final = [chars[kept[i]] for i in idx]
    base, pts = points_for(params.scaling, intercept, coef.tolist(), [[b.woe for b in c.bins] for c in final])
    out_chars = [
        c.model_copy(
            update={
                "coefficient": float(beta),
                "bins": [b.model_copy(update={"points": p}) for b, p in zip(c.bins, ps, strict=True)],
            }
        )
        for c, beta, ps in zip(final, coef, pts, strict=True)
    ]
    segment = Segment(
        name=name,
        condition=condition,
        intercept=intercept,
        base_points=base,
        characteristics=out_chars,
        n_train=len(frame),
        bad_rate=float(y.mean()),
    )
    return segment, [f"segment {name}: {n}" for n in notes]
