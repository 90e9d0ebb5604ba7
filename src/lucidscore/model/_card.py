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
from lucidscore.model._scaling import MAX_SCORE, MIN_SCORE, Scaling
from lucidscore.model._selection import select_characteristics, woe_correlation

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
        if x.size and bool((x == x[0]).all()):  # NaN != NaN, so a missing cell breaks constancy
            return f"{name}: constant ({x[0]:g} on every row); skipped"
        return bin_numeric(name, x, y, opts)
    cats = category_values(values)
    if len({v for v in cats if v is not None}) == 1 and all(v is not None for v in cats):
        return f"{name}: constant ({cats[0]!r} on every row); skipped"
    return bin_categorical(name, cats, y, opts)


def _characteristic(
    col: BinnedColumn, params: ScorecardParams, coefficient: float, points: list[int]
) -> Characteristic:
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
        coefficient=coefficient,
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
                points=p,
            )
            for b, p in zip(col.bins, points, strict=True)
        ],
    )


def woe_matrix(chars: list[Characteristic], frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Rows x characteristics matrix of each row's bin WOE (by the scoring rule, for new data)."""
    out = np.empty((len(frame), len(chars)), dtype=np.float64)
    for j, ch in enumerate(chars):
        out[:, j] = np.array([b.woe for b in ch.bins])[bin_index(ch, frame[ch.name])]
    return out


def compress_rows(
    codes: list[npt.NDArray[np.int16]], tables: list[npt.NDArray[np.float64]], y: npt.NDArray[np.int8]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """Distinct (bins, target) rows with their counts: the weighted regression on them has exactly the
    likelihood of the full one, on far fewer rows (characteristics have a handful of bins each).

    >>> codes, woe = [np.array([0, 0, 1, 1], np.int16)], [np.array([-1.0, 1.0])]
    >>> x, t, w = compress_rows(codes, woe, np.array([1, 1, 0, 1], np.int8))
    >>> x.ravel().tolist(), t.tolist(), w.tolist()
    ([-1.0, 1.0, 1.0], [1, 0, 1], [2.0, 1.0, 1.0])
    """
    key = y.astype(np.int64)
    radix = 2
    for c, t in zip(codes, tables, strict=True):
        if radix * t.size >= 2**62:  # too many combinations for one integer key: no compression
            return np.column_stack([t[c] for c, t in zip(codes, tables, strict=True)]), y, np.ones(y.size)
        key = key + c.astype(np.int64) * radix
        radix *= t.size
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    x = np.column_stack([t[c[first]] for c, t in zip(codes, tables, strict=True)])
    return x.reshape(first.size, len(codes)), y[first], counts.astype(np.float64)


def _sign_safe_regression(
    codes: list[npt.NDArray[np.int16]],
    tables: list[npt.NDArray[np.float64]],
    y: npt.NDArray[np.int8],
    names: list[str],
    c: float,
) -> tuple[list[int], float, npt.NDArray[np.float64], list[str]]:
    """Fit, drop the characteristic with the most positive coefficient, refit, until all are negative."""
    keep = list(range(len(names)))
    notes: list[str] = []
    while keep:
        x, t, w = compress_rows([codes[j] for j in keep], [tables[j] for j in keep], y)
        # Newton steps suit few columns and many (weighted) rows: a handful of iterations.
        model = LogisticRegression(C=c, solver="newton-cholesky", max_iter=100)
        model.fit(x, t, sample_weight=w)
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
) -> tuple[Segment, list[str], npt.NDArray[np.int64]]:
    """One segment's scorecard from its rows, notes on every column skipped or dropped, and the
    training rows' scores."""
    notes: list[str] = []
    binned: dict[str, BinnedColumn] = {}
    for col, kind in kinds.items():
        if progress is not None:
            progress(f"{name}: binning {col}")
        result = _bin_column(col, frame[col], kind, y, params)
        if isinstance(result, str):
            notes.append(result)
        else:
            binned[col] = result
    if not binned:
        raise InputError(
            f"segment {name}: no usable column ({'; '.join(notes) or 'no input columns'}); "
            "expected at least one column that is neither all missing nor constant"
        )
    tables = {n: np.array([b.woe for b in col.bins]) for n, col in binned.items()}
    if progress is not None:
        progress(f"{name}: selecting characteristics")
    strong = [n for n, col in binned.items() if col.iv >= params.iv_threshold]
    corr = woe_correlation(strong, [tables[n] for n in strong], [binned[n].codes for n in strong])
    kept, sel_notes = select_characteristics(
        {n: c.iv for n, c in binned.items()},
        corr,
        iv_threshold=params.iv_threshold,
        max_correlation=params.max_correlation,
        max_characteristics=params.max_characteristics,
    )
    notes += sel_notes
    if progress is not None:
        progress(f"{name}: logistic regression on WOE")
    idx, intercept, coef, reg_notes = _sign_safe_regression(
        [binned[n].codes for n in kept], [tables[n] for n in kept], y, kept, params.regularization
    )
    notes += reg_notes
    if not idx:
        raise InputError(
            f"segment {name}: no characteristic predicts the target (IV below {params.iv_threshold:g} "
            "or wrong-signed); expected at least one informative column"
        )
    final = [binned[kept[i]] for i in idx]
    base, pts = points_for(params.scaling, intercept, coef.tolist(), [tables[c.name].tolist() for c in final])
    out_chars = [
        _characteristic(c, params, float(beta), ps) for c, beta, ps in zip(final, coef, pts, strict=True)
    ]
    raw = np.full(len(frame), base, dtype=np.int64)
    for c, ps in zip(final, pts, strict=True):
        raw += np.asarray(ps, dtype=np.int64)[c.codes]
    segment = Segment(
        name=name,
        condition=condition,
        intercept=intercept,
        base_points=base,
        characteristics=out_chars,
        n_train=len(frame),
        bad_rate=float(y.mean()),
    )
    return segment, [f"segment {name}: {n}" for n in notes], np.clip(raw, MIN_SCORE, MAX_SCORE)
