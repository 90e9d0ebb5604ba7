"""Fit one scorecard (one segment): bin, select, regress on WOE with sign checks, scale to points.

The points maths is :func:`points_for`, a small pure function: with WOE = ln(%good/%bad) and a logistic
regression predicting bad, ln(odds good) = -(b0 + sum_j beta_j * woe_j), so every beta_j must be negative
and points_ij = round(-factor * beta_j * woe_ij), base_points = round(offset - factor * b0).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import (
    Bin,
    Characteristic,
    Condition,
    Scaling,
    Segment,
    bin_index,
    category_values,
)
from lucidscore.errors import InputError
from lucidscore.model import _refine
from lucidscore.model._bag import Bagged, bag_notes, bag_sample, bagged_size, medium_size
from lucidscore.model._binning import (
    BinnedColumn,
    BinningOptions,
    CategoryCodes,
    ValueRanks,
    bin_categorical,
    bin_categorical_codes,
    bin_numeric,
    category_codes_of,
    value_ranks,
)
from lucidscore.model._dp import column_facts
from lucidscore.model._frame import Kind, numeric_column
from lucidscore.model._meta import characteristic_fields, meta_for
from lucidscore.model._newton import distinct_keys, logistic_newton_binned
from lucidscore.model._params import ScorecardParams
from lucidscore.model._refine import (
    REFINE_ROWS,
    REFINED_BINS_PER_BIN,
    refinable,
    refine_card,
    refinement_notes,
    sample_positions,
    without_unmoved,
)
from lucidscore.model._selection import chance_levels, select_characteristics, woe_correlation

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


# A numeric column may come as a numpy array: float64 (NaN = missing) or int64, which has no missing.
Column = pd.Series | npt.NDArray[np.float64] | npt.NDArray[np.int64]
Columns = Mapping[str, Column]  # a DataFrame, or columns already taken out of one


def _numeric_array(values: pd.Series) -> npt.NDArray[np.float64] | npt.NDArray[np.int64]:
    """int64 and float64 columns as they are stored (no conversion, no copy); others as float64."""
    if values.dtype in (np.dtype(np.int64), np.dtype(np.float64)):
        return values.to_numpy()
    return numeric_column(values)


def model_columns(frame: pd.DataFrame, kinds: dict[str, Kind]) -> dict[str, Column]:
    """The model columns, numeric ones as numpy arrays: taken out once, then binned per segment in
    place (``fit_card(rows=...)``) without copying the table."""
    return {c: _numeric_array(frame[c]) if k == "numeric" else frame[c] for c, k in kinds.items()}


def binning_options(name: str, params: ScorecardParams) -> BinningOptions:
    """The options a column is binned with (both engines)."""
    return BinningOptions(
        trend=params.trend_of(name),
        min_bin_share=params.min_bin_share,
        max_bins=params.max_bins,
        n_prebins=params.n_prebins,
        special_values=params.special_values,
        woe_prior=params.woe_prior,
    )


def chance_of(
    binned: Mapping[str, BinnedColumn], params: ScorecardParams, left_out: bool
) -> dict[str, float]:
    """Each binned column's chance level (``_selection.chance_iv``) when ``CHANCE_SELECTION`` is on, else
    0.0: of the columns at or above ``iv_threshold`` (selection drops the others anyway), and with
    ``left_out`` (the card's refinement or bagging will start from what selection left out) of all."""
    if not CHANCE_SELECTION:
        return dict.fromkeys(binned, 0.0)
    todo = {n: c for n, c in binned.items() if left_out or c.iv >= params.iv_threshold}
    return {**dict.fromkeys(binned, 0.0), **chance_levels(todo, lambda name: binning_options(name, params))}


# Selection drops a characteristic whose IV is within chance for its binning on the card's rows
# (``_selection.chance_iv``), and refinement and bagging never add one back (``with_left_out``).
CHANCE_SELECTION = True
# A bag's selection reads its card's chance levels instead of drawing its own on the bootstrap rows.
BAG_SHARED_CHANCE = True


# What may be known of a column before it is binned (``_bin_column``'s ``ranks``).
Known = ValueRanks | CategoryCodes


def _bin_column(
    name: str,
    values: Column,
    kind: Kind,
    y: npt.NDArray[np.int8],
    params: ScorecardParams,
    rows: npt.NDArray[np.int64] | None,
    ranks: Known | None = None,
) -> BinnedColumn | str:
    """The column's binning on ``rows`` (None: all), or the reason it is skipped; ``ranks``: the
    numeric column's ``value_ranks``, or the categorical column's ``CategoryCodes`` (its texts, each
    row's position among them), if known."""
    opts = binning_options(name, params)
    if kind == "numeric":
        x = values if isinstance(values, np.ndarray) else numeric_column(values)
        where = rows if rows is not None else np.empty(0, dtype=np.int64)
        missing, constant = column_facts(x, where, rows is not None)
        if missing == y.size:
            return f"{name}: all values missing; skipped"
        if constant:
            first = x[rows[0]] if rows is not None else x[0]
            return f"{name}: constant ({first:g} on every row); skipped"
        return bin_numeric(name, x, y, opts, rows, ranks if isinstance(ranks, ValueRanks) else None)
    if isinstance(ranks, CategoryCodes):  # the texts, read once (``card_columns``): a value's text is its own
        code = ranks.code if rows is None else ranks.code[rows]
        per_text = np.bincount(code + 1, minlength=ranks.texts.size + 1)  # position 0: missing
        seen = np.flatnonzero(per_text[1:])
        if not seen.size:
            return f"{name}: all values missing; skipped"
        if seen.size == 1 and not per_text[0]:
            return f"{name}: constant ({str(ranks.texts[seen[0]])!r} on every row); skipped"
        return bin_categorical_codes(name, ranks, rows, y, opts)
    else:
        series = pd.Series(values) if rows is None else pd.Series(values).iloc[rows].reset_index(drop=True)
        if series.isna().all():
            return f"{name}: all values missing; skipped"
        cats = category_values(series)
    if len({v for v in cats if v is not None}) == 1 and all(v is not None for v in cats):
        return f"{name}: constant ({cats[0]!r} on every row); skipped"
    return bin_categorical(name, cats, y, opts)


PARALLEL_ROWS = 100_000  # from this many rows, columns are binned on all cores (the kernels drop the GIL)


def _bin_columns(
    frame: Columns,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    params: ScorecardParams,
    name: str,
    progress: Progress | None,
    rows: npt.NDArray[np.int64] | None,
    ranks: Mapping[str, Known] | None = None,
) -> list[BinnedColumn | str]:
    """Every column's binning (or why it is skipped), in column order; threads on large tables."""

    def one(col: str) -> BinnedColumn | str:
        return _bin_column(col, frame[col], kinds[col], y, params, rows, ranks.get(col) if ranks else None)

    workers = min(os.cpu_count() or 1, len(kinds))
    if y.size < PARALLEL_ROWS or workers < 2:
        out: list[BinnedColumn | str] = []
        for col in kinds:
            if progress is not None:
                progress(f"{name}: binning {col}")
            out.append(one(col))
        return out
    if progress is not None:
        progress(f"{name}: binning {len(kinds)} columns on {workers} threads")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, kinds))


def _characteristic(
    col: BinnedColumn, params: ScorecardParams, coefficient: float, points: list[int], checked: bool = True
) -> Characteristic:
    """The artifact entry of a binned column with its points; ``checked`` False: built without pydantic's
    validation (``fit_card(checked=False)``, a bag's card: the same values, fields of the types given)."""
    make_bin, make_char = (
        (Bin, Characteristic) if checked else (Bin.model_construct, Characteristic.model_construct)
    )
    return make_char(
        name=col.name,
        dtype=col.dtype,
        **characteristic_fields(meta_for(col.name, params.feature_meta)),
        monotonic_trend=col.trend,
        special_values=col.special_values,
        iv=col.iv,
        coefficient=coefficient,
        bins=[
            make_bin(
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


def compress_rows(
    codes: list[npt.NDArray[np.int16]], y: npt.NDArray[np.int8]
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """Distinct (bins, target) rows with their counts: a weighted regression on them has exactly the
    likelihood of the full one, on far fewer rows (characteristics have a handful of bins each). Rows
    that agree on every characteristic also agree on any subset, so one compression serves every refit.

    >>> c, t, w = compress_rows([np.array([0, 0, 1, 1], np.int16)], np.array([1, 1, 0, 1], np.int8))
    >>> c.ravel().tolist(), t.tolist(), w.tolist()
    ([0, 1, 1], [1, 0, 1], [2.0, 1.0, 1.0])
    """
    if not codes:
        return np.empty((y.size, 0), dtype=np.int16), y, np.ones(y.size)
    key = y.astype(np.int64)
    radix = 2
    for c in codes:
        size = int(c.max()) + 1
        if radix * size >= 2**62:  # too many combinations for one integer key: no compression
            return _stack(codes, None), y, np.ones(y.size)
        key += c.astype(np.int64) * radix
        radix *= size
    row_of, counts = distinct_keys(key)  # a row of each key (any will do: they agree on every column)
    return _stack(codes, row_of), y[row_of], counts


def _stack(codes: list[npt.NDArray[np.int16]], rows: npt.NDArray[np.int64] | None) -> npt.NDArray[np.int16]:
    """Rows x characteristics int16 codes, C order (what the Newton pass reads row by row)."""
    n = codes[0].shape[0] if rows is None else rows.size
    out = np.empty((n, len(codes)), dtype=np.int16)
    for j, c in enumerate(codes):
        out[:, j] = c if rows is None else c[rows]
    return out


def logistic_newton(
    x: npt.NDArray[np.float64],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    c: float,
    start: npt.NDArray[np.float64] | None = None,
) -> tuple[float, npt.NDArray[np.float64]]:
    """Weighted L2 logistic regression by Newton's method: minimises
    sum_i w_i logloss_i + |beta|^2 / (2c), intercept unpenalised — the objective of scikit-learn's
    ``LogisticRegression(C=c)``, which a test checks. Few columns and (compressed) rows make each step a
    small linear solve; ``start`` (intercept first) warm-starts a refit after a column is dropped.

    >>> b0, b = logistic_newton(np.array([[0.0], [1.0]]), np.array([0, 1], np.int8), np.ones(2), 1e6)
    >>> round(b0, 1) < -5 and float(b[0]) > 10
    True
    """
    a = np.column_stack([np.ones(x.shape[0]), x])
    penalty = np.full(a.shape[1], 1.0 / c)
    penalty[0] = 0.0
    if start is None:  # all coefficients 0 and the intercept at the mean rate: one step closer
        beta = np.zeros(a.shape[1])
        rate = float(np.clip((w @ t) / w.sum(), 1e-6, 1 - 1e-6))
        beta[0] = np.log(rate / (1.0 - rate))
    else:
        beta = start.astype(np.float64).copy()

    def objective(z: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
        return float(w @ (np.logaddexp(0.0, z) - t * z) + 0.5 * penalty @ (b * b))

    z = a @ beta
    current = objective(z, beta)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-z))
        gradient = a.T @ (w * (p - t)) + penalty * beta
        hessian = (a * (w * p * (1.0 - p))[:, None]).T @ a + np.diag(penalty)
        hessian[np.diag_indices_from(hessian)] += 1e-12  # a column of one value stays solvable
        step = np.linalg.solve(hessian, gradient)
        size = 1.0
        while True:  # halve the step until the objective does not rise (Newton can overshoot)
            trial = beta - size * step
            z_trial = a @ trial
            value = objective(z_trial, trial)
            if value <= current + 1e-12 * abs(current) or size < 1e-6:
                break
            size /= 2
        beta, z, current = trial, z_trial, value
        if float(np.max(np.abs(size * step))) < 1e-7:
            break
    return float(beta[0]), beta[1:]


# Above this many distinct rows the sign rule's drops are screened on a strided sample of them first
# (``sign_safe_fit``): on the 1,000,000 noisy Taiwan rows (708,136 distinct) each refit after a drop was
# a full Newton fit, ~0.1 s of the critical path. The accuracy benchmarks (at most 21,000 rows) never
# reach it.
SCREEN_ROWS = 200_000
SCREEN_SAMPLE = 65_536
# The sample drops only what it finds clearly wrong-signed; a coefficient between 0 and this is left to
# the fit on every row (on those rows a sample fit had PAY_AMT2 at +0.001, which every row puts below 0).
SCREEN_MARGIN = 0.02
# The fit on every row starts from the sample's fit unless that has a coefficient or intercept this large
# (WOE coefficients are near -1; a tiny or separable sample can run off to huge ones).
SANE_START = 30.0


def sign_safe_regression(
    codes: list[npt.NDArray[np.int16]],
    tables: list[npt.NDArray[np.float64]],
    y: npt.NDArray[np.int8],
    names: list[str],
    c: float,
) -> tuple[list[int], float, npt.NDArray[np.float64], list[str]]:
    """Fit, drop the characteristic with the most positive coefficient, refit, until all are negative."""
    distinct, t, w = compress_rows(codes, y)
    return sign_safe_fit(distinct, t, w, tables, names, c)


def sign_safe_fit(
    distinct: npt.NDArray[np.int16],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    tables: list[npt.NDArray[np.float64]],
    names: list[str],
    c: float,
) -> tuple[list[int], float, npt.NDArray[np.float64], list[str]]:
    """``sign_safe_regression`` on rows already compressed (``compress_rows``), by whichever engine.

    Above ``SCREEN_ROWS`` distinct rows (data that no longer compress, such as a million rows with noise
    on every number), the characteristics to drop are first found by the same rule on an evenly strided
    ``SCREEN_SAMPLE`` of the distinct rows (weights scaled to the same total; only coefficients above
    ``SCREEN_MARGIN`` are dropped there), and the loop then goes on on every row from what is left,
    warm-started from the sample's fit (``SANE_START``): one full fit instead of one per drop when the
    sample finds them all, and the rule still holds on every row (a sign the sample missed is dropped
    there).
    Both engines compress to the same rows in the same order, so both drop the same."""
    keep = list(range(len(names)))
    notes: list[str] = []
    start: npt.NDArray[np.float64] | None = None
    n = distinct.shape[0]
    if n > SCREEN_ROWS and n >= 2 * SCREEN_SAMPLE and keep:
        every = n // SCREEN_SAMPLE
        ws = w[::every] * (float(w.sum()) / float(w[::every].sum()))
        where = f"; in a fit on {ws.size:,} of the {n:,} distinct rows, evenly strided"
        sample = distinct[::every], t[::every], ws
        keep, start, notes, _ = _drop_wrong_signs(*sample, tables, names, c, keep, where, SCREEN_MARGIN)
        if not keep:
            return [], 0.0, np.empty(0), notes
        if start is not None and not float(np.max(np.abs(start))) <= SANE_START:
            start = None  # the sample's fit ran off (a separable sample): every row's fit starts afresh
    keep, _, more, fitted = _drop_wrong_signs(distinct, t, w, tables, names, c, keep, "", 0.0, start)
    notes += more
    if fitted is None:
        return [], 0.0, np.empty(0), notes
    return keep, fitted[0], fitted[1:], notes


def _drop_wrong_signs(
    distinct: npt.NDArray[np.int16],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    tables: list[npt.NDArray[np.float64]],
    names: list[str],
    c: float,
    keep: list[int],
    where: str,
    margin: float = 0.0,
    start: npt.NDArray[np.float64] | None = None,
) -> tuple[list[int], npt.NDArray[np.float64] | None, list[str], npt.NDArray[np.float64] | None]:
    """Fit, drop the most positive coefficient, refit, until all are below ``margin`` (0: negative):
    the characteristics kept, the last fit (intercept first) as a warm start, the notes, and that fit
    (None if none kept)."""
    keep = list(keep)
    notes: list[str] = []
    while keep:
        intercept, coef = logistic_newton_binned(distinct, keep, [tables[j] for j in keep], t, w, c, start)
        fitted = np.concatenate([[intercept], coef])
        worst = int(np.argmax(coef))
        if coef[worst] < margin:
            return keep, fitted, notes, fitted
        notes.append(
            f"{names[keep[worst]]}: coefficient {coef[worst]:+.3f} has the wrong sign on WOE "
            f"(it would reward risk{where}); dropped and refitted"
        )
        start = np.delete(fitted, 1 + worst)
        del keep[worst]
    return [], None, notes, None


def card_points(
    name: str,
    final: list[BinnedColumn],
    tables: dict[str, npt.NDArray[np.float64]],
    intercept: float,
    coef: npt.NDArray[np.float64],
    params: ScorecardParams,
    checked: bool = True,
) -> tuple[int, list[list[int]], list[Characteristic]]:
    """The fitted regression as integer points (both engines): base points, each kept characteristic's
    points per bin and its artifact entry (``checked``: as ``_characteristic``). Refuses a segment where
    no characteristic was kept."""
    if not final:
        raise InputError(
            f"segment {name}: no characteristic predicts the target (IV below {params.iv_threshold:g} "
            "or wrong-signed); expected at least one informative column"
        )
    base, pts = points_for(params.scaling, intercept, coef.tolist(), [tables[c.name].tolist() for c in final])
    chars = [
        _characteristic(c, params, float(beta), ps, checked)
        for c, beta, ps in zip(final, coef, pts, strict=True)
    ]
    return base, pts, chars


# Refinement may add the characteristics selection left out (IV below ``iv_threshold``, or the lower-IV one
# of a correlated pair), from zero points, where the held-out rows of its bags support them
# (``_refine.held_out_gains``; docs/model.md 7b). On the 2x4-fold cross-validation inside the training
# parts: Taiwan 0.77866 -> 0.78007, simulated 0.71765 -> 0.71819, German unchanged (its cards are never
# refined). The sign rule's drops stay out (adding them as well gave the same AUC). The searches' quick
# refinement (``quick_rounds``) adds none: it holds nothing out to judge them by. False: the card's own.
REFINE_LEFT_OUT = True


def with_left_out(
    chars: list[Characteristic],
    final: list[BinnedColumn],
    binned: Mapping[str, BinnedColumn],
    kept: Sequence[str],
    params: ScorecardParams,
    chance: Mapping[str, float] | None = None,
) -> tuple[list[Characteristic], list[BinnedColumn]]:
    """The card's characteristics and their binnings, followed (``REFINE_LEFT_OUT``) by those selection
    left out, in column order, at zero points: what refinement starts from (both engines). The sign
    rule's drops (kept by selection, dropped by the regression) stay out: their WOE effect given the card
    would reward risk; so do the columns whose IV is within chance (``chance``, from ``chance_of``)."""
    if not REFINE_LEFT_OUT:
        return chars, final
    chosen = set(kept)
    level = chance or {}
    extra = [col for n, col in binned.items() if n not in chosen and col.iv > level.get(n, 0.0)]
    zero = [_characteristic(c, params, 0.0, [0] * len(c.bins)) for c in extra]
    return chars + zero, final + extra


# Cards of fewer than ``_refine.MIN_ROWS`` rows, which refinement leaves as they are, are bagged when the fit
# refines (``_bag``; docs/model.md 7c). False: such cards keep their own points (as before 2026-12-06).
BAG_SMALL = True
# Cards of at least ``_refine.MIN_ROWS`` and fewer than ``_bag.MEDIUM_ROWS`` rows are, when the fit refines,
# the average of ``BAG_MEDIUM`` unrefined cards fitted on bootstrap samples of their rows, read on the card's
# cells as small cards are, then refined once on that average (``bag_medium``; docs/model.md 7c). On the
# 2x4-fold cross-validation inside the training parts, simulated 0.71819 -> 0.71945 (8 of 8 folds higher;
# bootstrap seed 1: 0.71927), Taiwan 0.78007 -> 0.78031 (seed 1: 0.78004); 4 / 16 / 32 bags: simulated
# 0.71932 / 0.71957 / 0.71912 (BENCHMARKS.md, "Bagged medium cards"). 0: off (as before 2026-12-06).
# A card of 100,000 rows or more is refined as before (a 1,000,000-row fit does not change).
BAG_MEDIUM = 8
# A characteristic a medium card left out joins its bagged average only where at least this share of the
# bags kept it (a majority: stability selection). With any bag enough (0.0, as small cards still are), each
# unrelated column of a wide table that one bootstrap sample or two happened to keep joined at a fraction
# of its points: 49 of 200 no-effect columns joined an 8,000-row card (fresh AUC 0.6989 against 0.7100
# unbagged), and on ``tests/model/_shapes.py``'s ``wide`` (184 columns) 20-37 unrelated ones did.
MEDIUM_JOIN_SHARE = 0.5
# The finer categorical binning bagging reads (``finer_categories``): bins of at least this share of rows.
BAG_CATEGORY_SHARE = 0.005


def finer_categories(
    chars: list[Characteristic],
    columns: list[BinnedColumn],
    frame: Columns,
    y: npt.NDArray[np.int8],
    params: ScorecardParams,
    rows: npt.NDArray[np.int64] | None,
) -> tuple[list[Characteristic], list[BinnedColumn]]:
    """Each refinable categorical characteristic on a finer binning of its column (bins of at least
    ``BAG_CATEGORY_SHARE`` of the rows, at most ``REFINED_BINS_PER_BIN`` times ``max_bins``: about one bin
    a category) with the card's points, so that bagging (``_bag``) can give categories of one bin of the
    card points of their own, as it gives a numeric characteristic's pre-bins. Others as they are."""
    todo = set(refinable(chars, [params.trend_of(c.name) for c in columns]))
    fine_params = params.model_copy(
        update={
            "min_bin_share": BAG_CATEGORY_SHARE,
            "max_bins": REFINED_BINS_PER_BIN * params.max_bins,
            "woe_prior": 1e-6,  # raw WOE: no split loses IV, so categories stay apart (bins' WOE is redone)
        }
    )
    out_chars, out_cols = list(chars), list(columns)
    for k, (ch, col) in enumerate(zip(chars, columns, strict=True)):
        if k not in todo or col.dtype != "categorical":
            continue
        fine = _bin_column(col.name, frame[col.name], "categorical", y, fine_params, rows)
        if isinstance(fine, str):
            continue
        missing = next(b.points for b in ch.bins if b.kind == "missing")
        points = [
            missing
            if b.kind == "missing"
            else int(ch.bins[int(bin_index(ch, pd.Series([b.categories[0]]))[0])].points)
            for b in fine.bins
        ]
        out_chars[k], out_cols[k] = _characteristic(fine, params, ch.coefficient, points), fine
    return out_chars, out_cols


def card_columns(
    frame: Columns, kinds: Mapping[str, Kind], rows: npt.NDArray[np.int64] | None
) -> tuple[Columns, dict[str, Known]]:
    """The card's rows of every model column (``frame`` itself when ``rows`` is None), and what every
    bootstrap card of the card can be binned from without reading the column again (``bag_card``): a
    numeric column's ``value_ranks`` where they are exact, so that a bag's pre-bin edges come from a count
    per distinct value (``_binning._edges_from_ranks``: the same edges) instead of a sort of its rows; a
    text column's ``CategoryCodes``, so that a bag counts its rows per category instead of reading and
    sorting their texts again (for text only: equal texts are the same category, whichever row a subset
    meets first). A bag of a
    segment indexes the segment's rows, not the table's."""
    own: dict[str, Column] = {}
    known: dict[str, Known] = {}
    for c, kind in kinds.items():
        values = frame[c]
        if rows is not None and isinstance(values, np.ndarray):
            values = values[rows]
            values.flags.writeable = False  # as a table's columns come: the kernels' loaded versions
        elif rows is not None:
            values = _values_at(values, rows)
        own[c] = values
        if kind == "numeric":
            found = value_ranks(values if isinstance(values, np.ndarray) else numeric_column(values))
            if found is not None:
                known[c] = found
        elif isinstance(values, pd.Series) and _all_text(values):
            known[c] = category_codes_of(category_values(values))
    return (frame if rows is None else own), known


def _all_text(values: pd.Series) -> bool:
    """Whether every present value of the column is a ``str`` (a pandas string column, or objects)."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    if values.dtype != object:
        return False
    return all(isinstance(v, str) for v in values[values.notna()])


def _values_at(values: Column, at: npt.NDArray[np.int64]) -> pd.Series:
    """A column's values at positions ``at`` as a Series (what ``bin_index`` reads)."""
    if isinstance(values, np.ndarray):
        return pd.Series(values[at])
    return values.iloc[at].reset_index(drop=True)


def bag_card(
    name: str,
    condition: Condition | None,
    frame: Columns,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    params: ScorecardParams,
    rows: npt.NDArray[np.int64] | None,
    card: tuple[list[Characteristic], list[BinnedColumn]],
    n_card: int,
    cells_of: Callable[[BinnedColumn], npt.NDArray[np.integer[Any]]] | None = None,
    n_bags: int = 0,
    join_share: float = 0.0,
    chance: Mapping[str, float] | None = None,
) -> Bagged:
    """A small card's bagged points (``_bag``), both engines: ``card`` is the card followed by what
    selection left out (``with_left_out``), the first ``n_card`` the card's; ``frame``/``rows``/``y`` its
    rows, as for ``fit_card``; ``cells_of`` each row's cell of a binning that has no row codes (the Spark
    engine counts cells only); ``n_bags``: bags averaged (0: ``_bag.BAGS``); ``join_share``: the share of the
    bags that must keep a characteristic the card left out for it to join (``bag_sample``); ``chance``: the
    card's chance levels (``chance_of``), which each bag's selection reads when ``BAG_SHARED_CHANCE`` is on
    instead of drawing its own."""
    card = finer_categories(*card, frame, y, params, rows)
    unrefined = params.model_copy(update={"refine": False})
    own, ranks = card_columns(frame, kinds, rows)

    def fit_bag(pos: npt.NDArray[np.int64]) -> Segment:
        shared = chance if BAG_SHARED_CHANCE else None
        fitted = fit_card(
            name,
            condition,
            own,
            y[pos],
            kinds,
            unrefined,
            rows=pos,
            ranks=ranks,
            chance=shared,
            checked=False,
        )
        return fitted[0]

    at = np.arange(y.size) if rows is None else rows
    values = pd.DataFrame({c.name: _values_at(frame[c.name], at) for c in card[1]})
    cells = _row_cells(card[1], y.size, cells_of)
    return bag_sample(
        *card,
        n_card,
        cells,
        values,
        y,
        params.scaling,
        params.woe_prior,
        [params.trend_of(c.name) for c in card[1]],
        params.max_bins,
        fit_bag,
        n_bags,
        join_share,
    )


def _row_cells(
    columns: Sequence[BinnedColumn],
    n: int,
    cells_of: Callable[[BinnedColumn], npt.NDArray[np.integer[Any]]] | None,
) -> list[npt.NDArray[np.integer[Any]]]:
    """Each column's cell of every row: its row codes, or (a Spark binning: counts only) ``cells_of``."""
    return [c.fine_codes if c.fine_codes.size == n or cells_of is None else cells_of(c) for c in columns]


def bag_medium(
    name: str,
    condition: Condition | None,
    frame: Columns,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    params: ScorecardParams,
    rows: npt.NDArray[np.int64] | None,
    card: tuple[list[Characteristic], list[BinnedColumn]],
    n_card: int,
    refine_rows: int,
    cells_of: Callable[[BinnedColumn], npt.NDArray[np.integer[Any]]] | None = None,
    chance: Mapping[str, float] | None = None,
) -> tuple[list[Characteristic], list[BinnedColumn], dict[int, npt.NDArray[np.int64]], int, list[str]] | None:
    """A medium card (``BAG_MEDIUM``), both engines: the average of ``BAG_MEDIUM`` unrefined bootstrap
    cards (``bag_card``), refined once on all its rows (at most ``refine_rows``, as ``refine_card`` reads
    them) together with what neither the card nor the bags kept, from zero points (joining where held-out
    rows support it, as in refinement). Its characteristics, their binnings, each refined or averaged
    one's points per cell (by position), the base points and the notes; None if no bag could be fitted
    (the card is then refined as usual). Arguments as for ``bag_card``."""
    bagged = bag_card(
        name,
        condition,
        frame,
        y,
        kinds,
        params,
        rows,
        card,
        n_card,
        cells_of,
        BAG_MEDIUM,
        join_share=MEDIUM_JOIN_SHARE,
        chance=chance,
    )
    if not bagged.bags:
        return None
    have = {c.name for c in bagged.characteristics}
    extra = [k for k, c in enumerate(card[0]) if c.name not in have]
    chars = bagged.characteristics + [card[0][k] for k in extra]
    columns = bagged.columns + [card[1][k] for k in extra]
    n_bagged = len(bagged.characteristics)
    take = sample_positions(y.size, refine_rows)
    cells = [c if take is None else np.asarray(c)[take] for c in _row_cells(columns, y.size, cells_of)]
    refined = _refine.refine_sample(  # through the module: tests count the rows it reads
        chars,
        columns,
        cells,
        y if take is None else y[take],
        bagged.base_points,
        params.scaling,
        params.woe_prior,
        [params.trend_of(c.name) for c in columns],
        params.max_bins,
        added_from=n_bagged if extra else None,
        start=bagged.cell_points,
    )
    refined, columns = without_unmoved(refined, columns, n_bagged)
    cell_points = {**bagged.cell_points, **refined.cell_points}
    notes = bag_notes(bagged, medium=True) + refinement_notes(refined)
    return refined.characteristics, columns, cell_points, bagged.base_points, notes


def fit_card(
    name: str,
    condition: Condition | None,
    frame: Columns,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    params: ScorecardParams,
    progress: Progress | None = None,
    rows: npt.NDArray[np.int64] | None = None,
    quick_rounds: int | None = None,
    refine_rows: int = REFINE_ROWS,
    ranks: Mapping[str, Known] | None = None,
    chance: Mapping[str, float] | None = None,
    checked: bool = True,
) -> tuple[Segment, list[str], npt.NDArray[np.int64]]:
    """One segment's scorecard from its rows (``rows`` of ``frame``, None for all; ``y`` is aligned with
    them), notes on every column skipped or dropped, and the training rows' points before the 350-950
    clip. ``quick_rounds``: refine quickly (the searches' fold cards, ``_refine.refine_sample``);
    ``refine_rows``: rows refinement reads at most (``_refine.rows_per_card``); ``ranks``: numeric
    columns' ``value_ranks`` where known (the searches' sample), categorical ones' ``CategoryCodes``
    where known (a bag's: ``card_columns``), which only saves work; ``chance``: the
    columns' chance levels where known (a bag's: its card's, ``BAG_SHARED_CHANCE``), else drawn here;
    ``checked`` False: the characteristics are built without pydantic's validation (a bag's card, which
    is only read for its points and never written: a sixth of a small bag's CPU went to validating
    the same fields the card itself has checked)."""
    notes: list[str] = []
    binned: dict[str, BinnedColumn] = {}
    results = _bin_columns(frame, y, kinds, params, name, progress, rows, ranks)
    for col, result in zip(kinds, results, strict=True):
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
    if chance is None:
        chance = chance_of(binned, params, params.refine and quick_rounds is None)
    kept, sel_notes = select_characteristics(
        {n: c.iv for n, c in binned.items()},
        corr,
        iv_threshold=params.iv_threshold,
        max_correlation=params.max_correlation,
        max_characteristics=params.max_characteristics,
        chance=chance,
    )
    notes += sel_notes
    if progress is not None:
        progress(f"{name}: logistic regression on WOE")
    idx, intercept, coef, reg_notes = sign_safe_regression(
        [binned[n].codes for n in kept], [tables[n] for n in kept], y, kept, params.regularization
    )
    notes += reg_notes
    final = [binned[kept[i]] for i in idx]
    base, _, out_chars = card_points(name, final, tables, intercept, coef, params, checked)
    cell_points: dict[int, npt.NDArray[np.int64]] = {}
    full = params.refine and quick_rounds is None  # the card itself, not a search's fold card
    medium = None
    if full and BAG_SMALL and bagged_size(y.size, int(y.sum())):
        if progress is not None:
            progress(f"{name}: bagging points")
        card = with_left_out(out_chars, final, binned, kept, params, chance)
        bagged = bag_card(name, condition, frame, y, kinds, params, rows, card, len(final), chance=chance)
        if bagged.bags:
            out_chars, final, cell_points = bagged.characteristics, bagged.columns, bagged.cell_points
            base = bagged.base_points
        notes += bag_notes(bagged)
    else:
        if full and BAG_MEDIUM and medium_size(y.size, int(y.sum())):
            if progress is not None:
                progress(f"{name}: bagging and refining points")
            card = with_left_out(out_chars, final, binned, kept, params, chance)
            medium = bag_medium(
                name, condition, frame, y, kinds, params, rows, card, len(final), refine_rows, chance=chance
            )
        if medium is not None:
            out_chars, final, cell_points, base, medium_notes = medium
            notes += medium_notes
        elif params.refine:
            if progress is not None:
                progress(f"{name}: refining points")
            columns = final
            if quick_rounds is None:
                out_chars, columns = with_left_out(out_chars, final, binned, kept, params, chance)
            trends = [params.trend_of(c.name) for c in columns]
            refined = refine_card(
                out_chars,
                columns,
                y,
                base,
                params.scaling,
                params.woe_prior,
                trends,
                params.max_bins,
                quick_rounds,
                refine_rows,
                len(final),
            )
            refined, final = without_unmoved(refined, columns, len(final))
            out_chars, cell_points = refined.characteristics, refined.cell_points
            notes += refinement_notes(refined)
    raw = np.full(y.size, base, dtype=np.int64)
    for k, (c, ch) in enumerate(zip(final, out_chars, strict=True)):
        if k in cell_points:
            raw += cell_points[k][c.fine_codes]
        else:
            raw += np.asarray([b.points for b in ch.bins], dtype=np.int64)[c.codes]
    segment = Segment(
        name=name,
        condition=condition,
        intercept=intercept,
        base_points=base,
        characteristics=out_chars,
        n_train=int(y.size),
        bad_rate=float(y.mean()),
    )
    return segment, [f"segment {name}: {n}" for n in notes], raw
