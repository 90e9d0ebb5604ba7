"""Fitting a (segmented) scorecard from a table: validation of the inputs, the segment plan (declared,
or found by the segment search), one card per segment (``_card.fit_card``) and the artifact with its
training metrics. No scikit-learn here: ``lucidscore train`` never imports it (``Scorecard`` is the
scikit-learn face of ``fit_table``)."""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from lucidscore.artifact import (
    MAX_SCORE,
    MIN_SCORE,
    Characteristic,
    Condition,
    Scaling,
    ScorecardArtifact,
    ScoreProbability,
    Segment,
    bin_index,
    bin_index_of_numbers,
    category_values,
    condition_mask,
    fingerprint_rows_later,
    segment_of_rows,
)
from lucidscore.errors import InputError
from lucidscore.model._card import Column, fit_card, model_columns
from lucidscore.model._frame import Kind, binary_target, column_kind, numeric_column
from lucidscore.model._interactions import segment_interactions
from lucidscore.model._metrics import discrimination
from lucidscore.model._params import ScorecardParams
from lucidscore.model._refine import REFINE_ROWS, rows_per_card, sample_positions
from lucidscore.model._search import SearchSample, rule_name, search_segment
from lucidscore.model._shape import ShapeResult, choose_shape
from lucidscore.policy.guard import check_model_inputs

Progress = Callable[[str], None]


@dataclass
class Fitted:
    """What a fit learns: the artifact, the input table's column names (and whether they were named, or
    made up as x0, x1, ... for an array), the notes, and the target's labels as [good, bad]."""

    artifact: ScorecardArtifact
    feature_names: list[str]
    named: bool
    notes: list[str]
    classes: list[Any]


def as_frame(X: Any) -> pd.DataFrame:
    """A table with named columns: pandas as is (column names as text), polars/pyarrow converted, arrays
    with columns x0, x1, ..."""
    if isinstance(X, pd.DataFrame):
        if all(isinstance(c, str) for c in X.columns):
            return X
        return X.set_axis([str(c) for c in X.columns], axis=1)
    if hasattr(X, "to_pandas"):  # polars and pyarrow tables
        frame: pd.DataFrame = X.to_pandas()
        return frame
    if hasattr(X, "toarray"):  # scipy sparse
        raise InputError(
            f"expected a table (pandas or polars DataFrame, or a 2-d array); got a sparse {type(X).__name__}"
        )
    array = np.asarray(X)
    if array.ndim != 2:
        raise InputError(
            f"expected a table (pandas or polars DataFrame, or a 2-d array); got {array.ndim}-d "
            f"{type(X).__name__}. Reshape your data: a single column with X.reshape(-1, 1)"
        )
    if np.iscomplexobj(array):
        raise InputError("Complex data not supported; expected real numbers or text")
    return pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])])


def params_error(exc: ValidationError) -> InputError:
    first = exc.errors()[0]
    if not first["loc"]:  # a rule across parameters (segment_by with segment_rule)
        return InputError(f"parameters: {first['msg'].removeprefix('Value error, ')}")
    where = str(first["loc"][0])
    rest = ".".join(str(x) for x in first["loc"][1:])
    return InputError.about(
        where, f"{first['msg']}{' at ' + rest if rest else ''} (got {first.get('input')!r})"
    )


def validated_params(raw: Mapping[str, Any]) -> ScorecardParams:
    """``ScorecardParams`` from estimator-style arguments (sequences as tuples, mappings as dicts; None
    means the default); a bad one is an ``InputError`` naming it."""
    given = {k: v for k, v in raw.items() if v is not None}
    for key in ("exclude", "audit_columns", "special_values"):
        if key in given:
            given[key] = tuple(given[key])
    for key in ("feature_meta", "monotonic_trend"):
        if isinstance(given.get(key), Mapping):
            given[key] = dict(given[key])
    try:
        return ScorecardParams.model_validate(given)
    except ValidationError as exc:
        raise params_error(exc) from None


def fit_table(X: Any, y: Any, p: ScorecardParams, progress: Progress | None = None) -> Fitted:
    """Fit a (segmented) scorecard on a table; ``y`` is the target (1 = bad unless ``p.bad_value`` says
    otherwise). What ``Scorecard.fit`` and ``train_scorecard`` run."""
    named = hasattr(X, "columns") and all(isinstance(c, str) for c in X.columns)
    frame = as_frame(X)
    if frame.shape[1] == 0:
        raise InputError(
            f"0 feature(s) (shape={frame.shape}) while a minimum of 1 is required; "
            "expected at least one characteristic column"
        )
    target_series = target_labels(y)
    target = str(target_series.name) if target_series.name is not None else "target"
    if len(target_series) != len(frame):
        raise InputError(f"target {target}: {len(target_series)} values for {len(frame)} rows")
    if len(frame) == 0:
        raise InputError("the training table has no rows; expected at least one row of each class")
    target_series = target_series.reset_index(drop=True)
    yb = binary_target(target_series, target, p.bad_value)
    frame = frame.reset_index(drop=True)
    columns = _model_columns(frame, target, p)
    seg_col = p.segment_by or (p.segment_rule.column if p.segment_rule else None)
    if seg_col is not None and seg_col not in columns:
        raise InputError.about(
            "segment_by" if p.segment_by else "segment_rule",
            f"segment column {seg_col} is not a model input column; the inputs are {', '.join(columns)}",
        )
    kinds: dict[str, Kind] = {c: column_kind(frame[c], c) for c in columns}
    # Which rows trained it (issue 13), so that ``evaluate`` can tell training rows from held-out ones:
    # every column of the table, the target included (the audit columns too: without them, two people
    # with the same record look like one). Hashed on another thread while the model is fitted: the fit
    # leaves a core idle in its serial parts, and numpy drops the GIL in the hashing loops.
    rows = frame if target in frame.columns else frame.assign(**{target: target_series.to_numpy()})
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lucidscore-fingerprint") as pool:
        fingerprint = pool.submit(fingerprint_rows_later(rows))
        shape: ShapeResult | None = None
        if p.shape_search and len(frame) >= 2 * p.min_segment_rows:
            card_kinds = {c: k for c, k in kinds.items() if c != p.segment_by}
            shape = choose_shape(frame, yb, card_kinds, p, progress)
            p = shape.params
        segments, notes, scores, seg_of = _fit_segments(frame, yb, kinds, p, progress, shape)
        artifact = _assemble(frame, yb, target, columns, segments, notes, scores, p, seg_of)
        artifact = artifact.model_copy(update={"fingerprint": fingerprint.result()})
    # classes[1] is the bad class, whose probability predict_proba gives in its second column.
    classes = [target_series[yb == 0].iloc[0], target_series[yb == 1].iloc[0]]
    return Fitted(artifact, [str(c) for c in frame.columns], named, notes, classes)


def check_input_values(frame: pd.DataFrame, target: str, p: ScorecardParams) -> None:
    """Refuse a junk value in any input column of the whole table, before a split takes rows from it, so
    that the message names the row of the file (``errors.row_label``), not of the training part."""
    for column in _model_columns(frame, target, p):
        column_kind(frame[column], column)


def _model_columns(frame: pd.DataFrame, target: str | None, p: ScorecardParams) -> list[str]:
    for label, names in (("exclude", p.exclude), ("audit_columns", p.audit_columns)):
        unknown = [c for c in names if c not in frame.columns]
        if unknown:
            raise InputError.about(
                label,
                f"column(s) {', '.join(unknown)} not in the data; "
                f"the columns are {', '.join(map(str, frame.columns))}",
            )
    # The target itself, when passed inside X too, must never become an input (leakage).
    candidates = [c for c in frame.columns if c != target and c not in p.exclude]
    return check_model_inputs(candidates, p.audit_columns, p.feature_meta)


def _fit_segments(
    frame: pd.DataFrame,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    p: ScorecardParams,
    progress: Progress | None,
    shape: ShapeResult | None = None,
) -> tuple[list[Segment], list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The cards of the segment plan, the notes, each row's score and each row's card."""
    notes: list[str] = [] if shape is None or not shape.fine else [shape.note()]
    card_kinds = {c: k for c, k in kinds.items() if c != p.segment_by}
    baseline, drawn = (shape.baseline, shape.sample) if shape else (None, None)
    plan = _segment_plan(frame, y, kinds, p, notes, progress, baseline, drawn)
    segments: list[Segment] = []
    scores = np.zeros(len(frame), dtype=np.int64)
    per_card: list[npt.NDArray[np.int64]] = []
    columns = model_columns(frame, card_kinds)  # each card bins its rows of these, in place
    limit = rows_per_card(len(plan), p.refine_rows)  # refinement's and the grids' rows, shared by the cards

    def card(
        name: str, cond: Condition | None, rows: npt.NDArray[np.bool_]
    ) -> tuple[Segment, list[str], npt.NDArray[np.int64]]:
        where = None if rows.all() else np.flatnonzero(rows)
        seg, seg_notes, seg_raw = fit_card(
            name, cond, columns, y[rows], card_kinds, p, progress, rows=where, refine_rows=limit
        )
        if p.interactions:
            if progress is not None:
                progress(f"{name}: searching interactions")
            seg, pair_notes, seg_raw = with_interactions(
                seg, frame, rows, y[rows], seg_raw, p, limit, columns
            )
            seg_notes += pair_notes
        return seg, seg_notes, seg_raw

    # The cards are independent: fitted side by side, each fills the other's serial stretches (selection,
    # compression, the grids) on the second core. Results are taken in plan order, so the model, its
    # notes and the first error raised are those of one card after the other.
    workers = min(len(plan), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lucidscore-card") as pool:
        fitted = list(pool.map(lambda part: card(*part), plan))
    for (_, _, rows), (seg, seg_notes, seg_raw) in zip(plan, fitted, strict=True):
        seg_scores = np.clip(seg_raw, MIN_SCORE, MAX_SCORE)
        segments.append(seg)
        notes += seg_notes
        full = np.zeros(len(frame), dtype=np.int64)
        full[rows] = seg_scores
        per_card.append(full)
    # Each row scores on the card the scoring rule picks (the default card may be fitted on all rows).
    seg_of = segment_of_rows(segments, frame)
    for i, full in enumerate(per_card):
        scores[seg_of == i] = full[seg_of == i]
    return segments, notes, scores, seg_of


def with_interactions(
    seg: Segment,
    frame: pd.DataFrame,
    rows: npt.NDArray[np.bool_],
    y: npt.NDArray[np.int8],
    raw: npt.NDArray[np.int64],
    p: ScorecardParams,
    limit: int = REFINE_ROWS,
    columns: Mapping[str, Column] | None = None,
) -> tuple[Segment, list[str], npt.NDArray[np.int64]]:
    """``seg`` with the interaction grids its training rows (``rows`` of ``frame``, targets ``y``) support,
    read where refinement reads (``sample_positions``, at most ``limit`` rows); notes on each grid; the
    rows' points before the clip (``raw``, the card's) with the grids' points added. ``columns``: the
    frame's model columns (``model_columns``), if taken out already: a numeric one's rows are then placed
    in their bins from its numbers, without copying the column out of the frame and reading it again."""
    positions = np.flatnonzero(rows)
    take = sample_positions(positions.size, limit)
    read = positions if take is None else positions[take]
    names = [c.name for c in seg.characteristics]
    inters, notes = segment_interactions(
        seg, frame.iloc[read][names], y if take is None else y[take], p.scaling, p.interactions
    )
    if not inters:
        return seg, [], raw
    seg = Segment.model_validate({**seg.model_dump(), "interactions": [i.model_dump() for i in inters]})
    chars = {c.name: c for c in seg.characteristics}
    raw = raw.copy()
    for inter in inters:
        grid = np.asarray(inter.points_by_bin(), dtype=np.int64)
        first, second = (_bins_at(chars[n], frame, positions, columns) for n in (inter.first, inter.second))
        raw += grid[first, second]
    return seg, [f"segment {seg.name}: {n}" for n in notes], raw


def _bins_at(
    char: Characteristic,
    frame: pd.DataFrame,
    positions: npt.NDArray[np.int64],
    columns: Mapping[str, Column] | None,
) -> npt.NDArray[np.int64]:
    """``bin_index`` of ``char`` on the rows at ``positions`` of ``frame``; from the model column's numbers
    when ``columns`` holds them (the same bins: they were read by the same rule, junk refused)."""
    column = None if columns is None else columns.get(char.name)
    if char.dtype == "numeric" and isinstance(column, np.ndarray):
        return bin_index_of_numbers(char, column[positions].astype(np.float64, copy=False))
    return bin_index(char, frame[char.name].iloc[positions], positions=positions)


def _segment_plan(
    frame: pd.DataFrame,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    p: ScorecardParams,
    notes: list[str],
    progress: Progress | None = None,
    baseline: dict[int, float | None] | None = None,
    drawn: SearchSample | None = None,
) -> list[tuple[str, Condition | None, npt.NDArray[np.bool_]]]:
    """(name, condition, rows) per segment: conditions first, the default last. With neither
    ``segment_by`` nor ``segment_rule``, the segment search (``_search``) may propose a split (on the
    shape search's rows ``drawn``, if any)."""

    def big_enough(rows: npt.NDArray[np.bool_]) -> bool:
        n, bads = int(rows.sum()), int(y[rows].sum())
        return n >= p.min_segment_rows and min(bads, n - bads) >= p.min_segment_bads

    everything = np.ones(len(frame), dtype=np.bool_)
    conds: list[Condition] = []
    if p.segment_by is not None:
        col = p.segment_by
        for value in _segment_values(frame[col], kinds[col]):
            cond = Condition(column=col, op="==", value=value)
            if big_enough(condition_mask(cond, frame)):
                conds.append(cond)
            else:
                shown = f"{value:g}" if isinstance(value, float) else value
                notes.append(
                    f"segment {col}={shown}: fewer than {p.min_segment_rows} rows or "
                    f"{p.min_segment_bads} of each class; scored by the default card"
                )
    elif p.segment_rule is not None:
        if big_enough(condition_mask(p.segment_rule, frame)):
            conds.append(p.segment_rule)
        else:
            notes.append(
                f"segment rule {rule_name(p.segment_rule)}: fewer than {p.min_segment_rows} rows or "
                f"{p.min_segment_bads} of each class; one card for everyone"
            )
    elif p.segment_search and len(frame) >= 2 * p.min_segment_rows:
        found = search_segment(frame, y, kinds, p, progress, baseline, drawn)
        notes.append(found.note())
        if found.chosen is not None:
            conds.append(found.chosen)
    plan: list[tuple[str, Condition | None, npt.NDArray[np.bool_]]] = []
    rest = everything.copy()
    for cond in conds:
        rows = condition_mask(cond, frame) & rest
        plan.append((rule_name(cond), cond, rows))
        rest &= ~rows
    if conds and not rest.any():
        # Every training row has a card of its own: a default card would score no training row. The
        # largest card becomes the default instead (listed last, as the scoring rule wants), so it
        # also scores values never seen in training and missing values.
        name, _, rows = plan.pop(0)
        plan.append((f"{name} (default)", None, rows))
        notes.append(
            f"segment {name}: every training row has a card of its own value, so this largest card "
            "is the default: it also scores values never seen in training and missing values"
        )
        return plan
    if conds and not big_enough(rest):
        notes.append("segment default: too few remaining rows of each class; fitted on all rows")
        rest = everything
    plan.append(("default", None, rest))
    return plan


def _assemble(
    frame: pd.DataFrame | None,
    y: npt.NDArray[np.int8],
    target: str,
    columns: list[str],
    segments: list[Segment],
    notes: list[str],
    scores: npt.NDArray[np.int64],
    p: ScorecardParams,
    seg_of: npt.NDArray[np.int64] | None = None,
) -> ScorecardArtifact:
    """The artifact with training metrics; ``seg_of``: each row's card (``segment_of_rows``), if known, as
    when ``frame`` is None (Spark)."""
    used: list[str] = []
    for seg in segments:
        if seg.condition is not None and seg.condition.column not in used:
            used.append(seg.condition.column)
        used += [c.name for c in seg.characteristics if c.name not in used]
    order = {c: i for i, c in enumerate(columns)}
    used.sort(key=lambda c: order[c])
    if seg_of is None:
        assert frame is not None
        seg_of = segment_of_rows(segments, frame)
    with_metrics = [
        s.model_copy(
            update={"metrics": _prefixed("train_", discrimination(y[seg_of == i], scores[seg_of == i]))}
        )
        for i, s in enumerate(segments)
    ]
    digest = hashlib.sha256("".join(s.model_dump_json() for s in with_metrics).encode("utf-8")).hexdigest()[
        :8
    ]
    return ScorecardArtifact(
        model_id=f"sc-{datetime.now(UTC):%Y%m%d}-{digest}",
        target=target,
        input_columns=used,
        excluded_columns=list(p.exclude),
        audit_columns=list(p.audit_columns),
        scaling=p.scaling,
        segments=with_metrics,
        score_probability=score_probability_table(p.scaling, scores, y),
        training={
            "rows": len(y),
            "bad_rate": float(y.mean()),
            "metrics": _prefixed("train_", discrimination(y, scores)),
            "notes": notes,
            "params": p.model_dump(mode="json", exclude={"feature_meta", "scaling"}),
        },
    )


def _segment_values(values: pd.Series, kind: Kind) -> list[float | str]:
    """Distinct present values of a ``--segment-by`` column, most frequent first (ties by text), as the
    condition compares them: numbers (booleans as 0/1) for a numeric column, text otherwise."""
    present: pd.Series
    if kind == "numeric":
        x = numeric_column(values)
        present = pd.Series(x[~np.isnan(x)])
    else:
        present = pd.Series([v for v in category_values(values) if v is not None], dtype=object)
    counts = present.value_counts()
    ordered = sorted(counts.index, key=lambda v: (-counts[v], str(v)))
    return [float(v) if kind == "numeric" else str(v) for v in ordered]


def _prefixed(prefix: str, metrics: dict[str, float]) -> dict[str, float]:
    return {prefix + k: v for k, v in metrics.items()}


def score_probability_table(
    scaling: Scaling, scores: npt.NDArray[np.int64], y: npt.NDArray[np.int8], step: int = 10
) -> list[ScoreProbability]:
    """One row per ``step`` points from 350 to 950: implied probability of bad and, where at least 20
    training rows score in [s, s + step), their observed bad rate."""
    band = (np.clip(scores, MIN_SCORE, MAX_SCORE) - MIN_SCORE) // step
    n_bands = (MAX_SCORE - MIN_SCORE) // step + 1
    rows_in = np.bincount(band, minlength=n_bands)
    bads_in = np.bincount(band, weights=y, minlength=n_bands)
    rows: list[ScoreProbability] = []
    for i, s in enumerate(range(MIN_SCORE, MAX_SCORE + 1, step)):
        rows.append(
            ScoreProbability(
                score=s,
                probability=float(scaling.probability_from_score(s)),
                observed_bad_rate=float(bads_in[i] / rows_in[i]) if rows_in[i] >= 20 else None,
            )
        )
    return rows


def target_labels(y: Any) -> pd.Series:
    """The target as a Series: one column of labels (a single-column 2-d array is taken, with a warning)."""
    if y is None:
        raise InputError("Scorecard requires y to be passed, but the target y is None")
    if isinstance(y, pd.Series):
        return y
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        return y.iloc[:, 0]
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected: taking its only column",
            _data_conversion_warning(),
            stacklevel=3,
        )
        array = array[:, 0]
    if array.ndim != 1:
        raise InputError(f"target: expected one column of labels; got an array of shape {array.shape}")
    if np.iscomplexobj(array):
        raise InputError("target: Complex data not supported; expected two classes (bad and good)")
    return pd.Series(array)


def _data_conversion_warning() -> type[Warning]:
    """scikit-learn's DataConversionWarning (imported only on this rare path: fitting never needs it)."""
    from sklearn.exceptions import DataConversionWarning

    return DataConversionWarning
