"""``train --engine spark`` (issue 15): the local engine's scorecard, fitted from statistics aggregated in
Spark, giving the same model file from the same rows.

What runs where:

- **Spark**: one aggregation counts the numbers (by the artifact rule's ``NUMBER_PATTERN``) and the other
  values of every text column (numeric or categorical, as ``column_kind`` decides; a nested input
  column, an array, map or struct, is refused as locally, its first present cell found by one job); one
  pass normalises every model column by the artifact's rules (numbers as float64, NaN missing;
  categories as text, None missing), maps the target to 0/1 and hashes each row for the fingerprint (the
  result is cached and read by every later step; the job that fills the cache collects each row's
  target and hash); per segment, its rows and bads (one
  aggregation), every column's per-distinct-value row and bad counts (one ``groupBy`` for all numeric
  and categorical columns); the rows' bin codes and their count per distinct (codes,
  target) tuple; the training scores' histogram per segment.
- **Driver**: the same binning DP (``bin_numeric_from_cells``, ``bin_categorical_from_counts``), the
  same selection, the same Newton fit on the compressed rows sorted as ``compress_rows`` sorts them
  (``sign_safe_fit``), the same points and metrics (exact: integer-score histograms); the same
  refinement (``_refine.refine_sample``) on the rows it reads, collected in row order (the segment's
  row indexes first when it has more than ``REFINE_ROWS``), with every cell's counts from Spark's.

Row order is the input's order (``zipWithIndex`` on the file as read); it defines, as in the local
engine, the evenly strided sample for numeric pre-bin edges above ``_binning.SAMPLE_ROWS`` segment
rows, the searches' sample (``sample_rows`` over the targets in row order), the WOE correlations' strided
sample above ``_selection.SAMPLE_ROWS`` rows and the fingerprint's key (each row's 8-byte hash, collected
with its 1-byte target in one pass). Known differences (docs/model.md): the WOE
correlation is summed over compressed rows (equal to the local sum up to float rounding, which could
only matter for a pair within ~1e-12 of ``max_correlation``); a characteristic set too large for one
62-bit key (``compress_rows`` then fits uncompressed rows) fits on compressed rows here, the same
optimum up to the Newton tolerance; ``--test-size`` is refused; a nested column that is not an input
(the target, an excluded or audit column) is refused, where the local engine hashes its cells, as pandas
holds them, into the fingerprint. pyspark is imported only inside functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import (
    NUMBER_PATTERN,
    SPACE_PATTERN,
    Characteristic,
    Condition,
    ScorecardArtifact,
    Segment,
    category_values,
    condition_mask,
    fingerprint_from_hashes,
    nested_cell_error,
    reference_scores,
    row_hashes,
    segment_of_rows,
)
from lucidscore.errors import COMMA_NUMBER_PATTERN, FIRST_ROW, InputError, LucidError
from lucidscore.model import _card
from lucidscore.model._bag import bag_notes, bagged_size, medium_size
from lucidscore.model._binning import (
    SAMPLE_ROWS,
    BinnedColumn,
    bin_categorical_from_counts,
    bin_numeric_from_cells,
    cells_from_value_counts,
    prebin_edges_from_counts,
)
from lucidscore.model._card import (
    Columns,
    bag_card,
    bag_medium,
    binning_options,
    card_points,
    chance_of,
    model_columns,
    sign_safe_fit,
    with_left_out,
)
from lucidscore.model._fit import _assemble, _model_columns, validated_params
from lucidscore.model._frame import (
    DATE_PATTERN,
    NUMERIC_SHARE,
    Kind,
    binary_target,
    comma_number_error,
    date_column_error,
    junk_value_error,
    missing_target_error,
)
from lucidscore.model._interactions import segment_interactions
from lucidscore.model._params import ScorecardParams
from lucidscore.model._refine import (
    MIN_ROWS,
    REFINE_ROWS,
    refinable,
    refine_sample,
    refinement_notes,
    rows_per_card,
    sample_positions,
    without_unmoved,
)
from lucidscore.model._search import SEARCH_ROWS, rule_name, sample_rows, search_segment
from lucidscore.model._selection import SAMPLE_ROWS as CORRELATION_ROWS
from lucidscore.model._selection import select_characteristics
from lucidscore.model._shape import ShapeResult, choose_shape
from lucidscore.sparktable import positional

Progress = Callable[[str], None]
ROW = "__lucid_row"
Y = "__lucid_y"
PLAN = "__lucid_plan"
HASH = "__lucid_h"


def _alias(j: int) -> str:
    return f"__lucid_c{j}"


def _note(progress: Progress | None, text: str) -> None:
    if progress is not None:
        progress(text)


def train_spark(
    sdf: Any,
    target: str,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    first_row: int = 1,
    **params: Any,
) -> ScorecardArtifact:
    """``train_scorecard`` (without ``test_size``) on a Spark DataFrame: the same artifact as the local
    engine on the same rows in the same order, but for ``model_id``'s date (module docstring).
    ``first_row``: the number messages give the first data row (``errors.FIRST_ROW``: 2 for a CSV file,
    whose header is row 1; 1 for Parquet), so that a bad value is named at the row the local engine
    names for the same file. An ``InputError`` raised in a Spark worker is raised as itself, not inside
    the Spark exception that reports the failed job."""
    from lucidscore.sparkenv import input_error_of

    try:
        return _train_spark(sdf, target, seed, progress, first_row, params)
    except LucidError:
        raise
    except Exception as exc:
        raised = input_error_of(exc)
        if raised is None:
            raise
        raise raised from None


def _train_spark(
    sdf: Any,
    target: str,
    seed: int,
    progress: Progress | None,
    first_row: int,
    params: dict[str, Any],
) -> ScorecardArtifact:
    """``train_spark``."""
    from pyspark.sql import functions as F

    if target not in sdf.columns:
        raise InputError(f"target column {target!r} not found; the columns are {', '.join(sdf.columns)}")
    p = validated_params(params)
    features = [c for c in sdf.columns if c != target]
    if not features:
        raise InputError("expected at least one characteristic column besides the target")
    columns = _model_columns(pd.DataFrame(columns=features), target, p)
    _refuse_nested(sdf, [target])
    # From here Spark reads the input's columns by position-given names (``inner``): the user's names,
    # which may hold a dot or a backtick or differ only in case, reach only messages and the model file.
    named, inner = positional(sdf)
    indexed = _with_row_index(named)
    mapping = _target_mapping(named, inner, target, p, first_row)
    kinds = _kinds(named, inner, columns, first_row)
    _refuse_nested(sdf, [c for c in features if c not in kinds])  # after the local engine's refusals
    alias = {c: _alias(j) for j, c in enumerate(columns)}
    prepared = _prepare(indexed, inner, target, kinds, alias, mapping, [*features, target]).cache()
    targets, hashes = _targets_and_hashes(prepared)  # the pass that fills the cache
    n = targets.size
    if n == 0:
        raise InputError("the training table has no rows; expected at least one row of each class")
    seg_col = p.segment_by or (p.segment_rule.column if p.segment_rule else None)
    if seg_col is not None and seg_col not in columns:
        raise InputError.about(
            "segment_by" if p.segment_by else "segment_rule",
            f"segment column {seg_col} is not a model input column; the inputs are {', '.join(columns)}",
        )
    sample: tuple[pd.DataFrame, npt.NDArray[np.int8]] | None = None

    def searched() -> tuple[pd.DataFrame, npt.NDArray[np.int8]]:
        nonlocal sample
        if sample is None:
            sample = _search_sample(prepared, alias, targets)
        return sample

    shape: ShapeResult | None = None
    if p.shape_search and n >= 2 * p.min_segment_rows:
        frame_s, y_s = searched()
        card_kinds = {c: k for c, k in kinds.items() if c != p.segment_by}
        shape = choose_shape(frame_s, y_s, card_kinds, p, progress)
        p = shape.params
    notes: list[str] = [] if shape is None or not shape.fine else [shape.note()]
    conds: list[Condition] = []
    if p.segment_by is not None:
        conds = _segment_by_values(prepared, alias[p.segment_by], p.segment_by, kinds[p.segment_by])
    elif p.segment_rule is not None:
        conds = [p.segment_rule]
    elif p.segment_search and n >= 2 * p.min_segment_rows:
        frame_s, y_s = searched()
        baseline, drawn = (shape.baseline, shape.sample) if shape else (None, None)
        found = search_segment(frame_s, y_s, kinds, p, progress, baseline, drawn)
        notes.append(found.note())
        if found.chosen is not None:
            conds.append(found.chosen)
    plan, planned = _plan(prepared, alias, conds, p, notes)
    card_kinds = {c: k for c, k in kinds.items() if c != p.segment_by}
    segments: list[Segment] = []
    limit = rows_per_card(len(plan), p.refine_rows)  # as ``_fit._fit_segments``
    for name, cond, index in plan:
        rows = planned if index is None else planned.filter(F.col(PLAN) == index)
        seg, seg_notes = fit_card_spark(name, cond, rows, card_kinds, alias, p, progress, limit)
        segments.append(seg)
        notes += seg_notes
    planned.unpersist()
    seg_of, scores, y = _scored(prepared, alias, segments)
    art = _assemble(None, y, target, columns, segments, notes, scores, p, seg_of=seg_of)
    art = art.model_copy(update={"fingerprint": fingerprint_from_hashes([*features, target], hashes)})
    prepared.unpersist()
    return art.model_copy(update={"training": {**art.training, "split": None, "seed": seed}})


def _with_row_index(sdf: Any) -> Any:
    """``sdf`` with its rows' positions in input order as ``ROW`` (``zipWithIndex`` keeps partition order)."""
    from pyspark.sql.types import LongType, StructField, StructType

    schema = StructType([*sdf.schema.fields, StructField(ROW, LongType(), False)])
    return sdf.rdd.zipWithIndex().map(lambda r: (*r[0], r[1])).toDF(schema)


def _target_mapping(
    sdf: Any, inner: Mapping[str, str], target: str, p: ScorecardParams, first_row: int = 1
) -> dict[Any, int]:
    """Each distinct target value's class (1 bad), by the local rule applied to the distinct values. A
    missing target (null, or NaN in a floating-point column) is refused as locally, naming how many rows
    and the first (``first_row``: see ``train_spark``), found by a second job only then. ``sdf``'s
    columns are named as ``inner`` maps the user's names (``sparktable.positional``)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    name = inner[target]
    values = sdf.select(name).distinct().toPandas()[name].rename(target)
    if values.isna().any():
        col = F.col(name)
        missing = col.isNull()
        if isinstance(sdf.schema[name].dataType, DoubleType | FloatType):
            missing = missing | F.isnan(col)
        got = (
            _with_row_index(sdf.select(name))
            .agg(
                F.sum(F.when(missing, 1).otherwise(0)).alias("n"),
                F.min(F.when(missing, F.col(ROW))).alias("at"),
            )
            .first()
        )
        raise missing_target_error(target, int(got["n"]), f"row {int(got['at']) + first_row:,}")
    classes = binary_target(values.reset_index(drop=True), target, p.bad_value)
    return {v: int(c) for v, c in zip(values.tolist(), classes.tolist(), strict=True)}


def _stripped(column: str) -> Any:
    """A column's cells as text without surrounding white space, as ``artifact.parse_numbers`` reads them."""
    from pyspark.sql import functions as F

    space = f"{SPACE_PATTERN}+"
    return F.regexp_replace(F.col(column).cast("string"), f"^{space}|{space}$", "")


def _number_or_junk(column: str) -> tuple[Any, Any]:
    """Spark conditions on a text column's cell: (a number, present but not a number), as
    ``artifact.parse_numbers`` reads it (surrounding white space ignored; empty is missing): by its rule's
    patterns, not Spark's cast, which also reads ``NaN``, ``1d`` or ``0x1p3`` as numbers."""
    value = _stripped(column)
    present = value.isNotNull() & (value != "")
    number = value.rlike(f"^({NUMBER_PATTERN})$")  # stripped: no line break before the end
    return present & number, present & ~number


def _matches(column: str, pattern: str) -> Any:
    """Spark condition on a cell's text, white space around it ignored: the whole of it matches ``pattern``
    (``errors.COMMA_NUMBER_PATTERN``, ``_frame.DATE_PATTERN``: the rules ``column_kind`` reads; a date or
    timestamp column's cells by their text, as pandas writes them)."""
    value = _stripped(column)
    return value.isNotNull() & value.rlike(f"^({pattern})$")


def _is_nested(kind: Any) -> bool:
    """Whether a Spark type holds more than one value a cell (an array, a map or a struct)."""
    from pyspark.sql.types import ArrayType, MapType, StructType

    return isinstance(kind, ArrayType | MapType | StructType)


def _refuse_nested(sdf: Any, columns: list[str]) -> None:
    """Refuse a nested column among ``columns``, which are not model inputs (the target, an excluded or an
    audit column), from the schema alone: the local engine hashes their cells for the training-row
    fingerprint as pandas holds them (a NumPy array, a list of pairs), which Spark's cells do not give."""
    for field in sdf.schema.fields:
        if field.name in columns and _is_nested(field.dataType):
            raise InputError(
                f"column {field.name} is nested ({field.dataType.simpleString()}); the Spark engine "
                "cannot hash its cells for the model's training-row fingerprint as the local engine "
                "does: leave the column out of the table, or train with the local engine"
            )


def _nested_error(sdf: Any, inner: Mapping[str, str], column: str, first_row: int) -> InputError | None:
    """The local engine's error for a nested model column (``artifact.nested_cell_error``): its first
    present cell, in row order, found by one job, as pandas holds it; None when every cell is missing
    (the local engine then reads the column as numbers, all missing). ``inner``: see ``_target_mapping``."""
    from pyspark.sql import functions as F

    name = inner[column]
    got = (
        _with_row_index(sdf.select(name))
        .filter(F.col(name).isNotNull())
        .agg(F.min_by(F.col(name), F.col(ROW)).alias("v"), F.min(ROW).alias("at"))
        .first()
    )
    if got["at"] is None:
        return None
    cell = pd.Series([_pandas_cell(got["v"], sdf.schema[name].dataType)], dtype=object, name=column)
    cell.attrs[FIRST_ROW] = int(got["at"]) + first_row
    return nested_cell_error(cell, column)


def _pandas_cell(value: Any, kind: Any) -> Any:
    """A nested Spark cell as pandas holds the same Parquet cell (pyarrow's conversion), for its text in
    messages: an array as a list (of numbers with a missing one: floats, NaN missing), a map as a list of
    (key, value) pairs, a struct as a dict. Not followed: an array inside an array, which pandas holds as
    a NumPy array, and the numbers of a struct column with a missing cell, which pandas holds as floats."""
    from pyspark.sql.types import ArrayType, DoubleType, FloatType, IntegralType, MapType, StructType

    if value is None:
        return None
    if isinstance(kind, ArrayType):
        items = [_pandas_cell(v, kind.elementType) for v in value]
        if isinstance(kind.elementType, IntegralType | FloatType | DoubleType) and None in items:
            return [np.nan if v is None else float(v) for v in items]
        return items
    if isinstance(kind, MapType):
        return [(_pandas_cell(k, kind.keyType), _pandas_cell(v, kind.valueType)) for k, v in value.items()]
    if isinstance(kind, StructType):
        return {f.name: _pandas_cell(value[f.name], f.dataType) for f in kind.fields}
    return value


def _kinds(sdf: Any, inner: Mapping[str, str], columns: list[str], first_row: int = 1) -> dict[str, Kind]:
    """``column_kind`` of each of ``columns`` (in their order) from the schema and, for the text columns,
    counts in Spark of their values that are numbers and of those that are not: one aggregation (one
    Spark job) for every text column. The first column in order that is nested (an array, map or struct)
    or mostly numbers with some that are not is refused, as the local engine does, naming its first such
    row (``first_row``: see ``train_spark``) and value, found by a second job only then (a nested column's
    before any of its cells reaches a Python worker). ``inner``: see ``_target_mapping``."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BooleanType, NumericType, StringType

    def kind(c: str) -> Any:
        return sdf.schema[inner[c]].dataType

    nested = {c for c in columns if _is_nested(kind(c))}
    text = [c for c in columns if c not in nested and not isinstance(kind(c), NumericType | BooleanType)]
    counts: dict[str, tuple[int, int, int, int]] = {}  # numbers, not numbers, commas, dates
    if text:
        aggs = []
        for j, c in enumerate(text):
            number, junk = _number_or_junk(inner[c])
            counted = {
                "num": number,
                "junk": junk,
                "comma": junk & _matches(inner[c], COMMA_NUMBER_PATTERN),
                "date": junk & _matches(inner[c], DATE_PATTERN),
            }
            aggs += [F.sum(F.when(cond, 1).otherwise(0)).alias(f"{key}{j}") for key, cond in counted.items()]
        row = sdf.agg(*aggs).first()
        counts = {
            c: (
                int(row[f"num{j}"] or 0),
                int(row[f"junk{j}"] or 0),
                int(row[f"comma{j}"] or 0),
                int(row[f"date{j}"] or 0),
            )
            for j, c in enumerate(text)
        }
    kinds: dict[str, Kind] = {}
    for c in columns:
        refused = _nested_error(sdf, inner, c, first_row) if c in nested else None
        if refused is not None:
            raise refused
        n_num, n_junk, n_comma, n_dates = counts.get(c, (0, 0, 0, 0))
        if n_junk == 0:
            kinds[c] = "numeric"
            continue
        # As ``column_kind``: mostly numbers with some that are not, then mostly numbers once decimal
        # commas are read as points.
        comma = n_num < NUMERIC_SHARE * (n_num + n_junk) and n_comma > 0
        comma = comma and n_num + n_comma >= NUMERIC_SHARE * (n_num + n_junk)
        if comma or n_num >= NUMERIC_SHARE * (n_num + n_junk):
            name = inner[c]
            shown = F.col(name) if isinstance(kind(c), StringType) else F.col(name).cast("string")
            found = _number_or_junk(name)[1]
            if comma:
                found = found & _matches(name, COMMA_NUMBER_PATTERN)
            first = (
                _with_row_index(sdf.select(name))
                .filter(found)
                .agg(F.min_by(shown, F.col(ROW)).alias("v"), F.min(ROW).alias("at"))
                .first()
            )
            at = f"row {int(first['at']) + first_row:,}"
            if comma:
                raise comma_number_error(c, at, first["v"], n_num + n_comma, n_num + n_junk)
            raise junk_value_error(c, at, first["v"], n_num, n_junk)
        if n_dates >= NUMERIC_SHARE * (n_num + n_junk):  # as ``column_kind``: a column of dates
            name = inner[c]
            first = (
                _with_row_index(sdf.select(name))
                .filter(_number_or_junk(name)[1] & _matches(name, DATE_PATTERN))
                .agg(F.min_by(F.col(name), F.col(ROW)).alias("v"), F.min(ROW).alias("at"))
                .first()
            )
            raise date_column_error(
                c, f"row {int(first['at']) + first_row:,}", first["v"], n_dates, n_num + n_junk
            )
        kinds[c] = "categorical"
    return kinds


def _prepare(
    indexed: Any,
    inner: Mapping[str, str],
    target: str,
    kinds: dict[str, Kind],
    alias: dict[str, str],
    mapping: dict[Any, int],
    hashed: list[str],
) -> Any:
    """ROW, Y, each model column normalised by the artifact's rules and HASH, each row's fingerprint hash
    of the columns ``hashed`` as read (``row_hashes``), in one pass of pandas batches: the fingerprint then
    reads the cached rows instead of numbering and hashing the input again. ``indexed``'s columns are
    named as ``inner`` maps the user's names (``sparktable.positional``); the hashes are of those names."""
    from pyspark.sql.types import (
        ByteType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    from lucidscore.model._frame import numeric_column

    fields = [StructField(ROW, LongType(), False), StructField(Y, ByteType(), False)]
    for c, k in kinds.items():
        fields.append(StructField(alias[c], DoubleType() if k == "numeric" else StringType(), True))
    fields.append(StructField(HASH, LongType(), False))

    def batches(it: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in it:
            out: dict[str, pd.Series] = {
                ROW: pdf[ROW].astype("int64"),
                Y: pdf[inner[target]].map(mapping).astype("int8"),
            }
            for c, k in kinds.items():
                cells = pdf[inner[c]].rename(c)
                out[alias[c]] = (
                    pd.Series(numeric_column(cells))
                    if k == "numeric"
                    else pd.Series(category_values(cells), dtype=object)
                )
            read = pdf[[inner[c] for c in hashed]].set_axis(hashed, axis=1).reset_index(drop=True)
            out[HASH] = pd.Series(row_hashes(read, hashed).view(np.int64))
            yield pd.DataFrame(out)

    return indexed.mapInPandas(batches, StructType(fields))


def _local_frame(pdf: pd.DataFrame, alias: dict[str, str]) -> pd.DataFrame:
    """Prepared rows as the local engine's table (original column names)."""
    return pd.DataFrame({c: pdf[a] for c, a in alias.items()})


def _targets_and_hashes(prepared: Any) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.uint64]]:
    """Every row's target and fingerprint hash (``_prepare``), in row order: one pass over the prepared
    rows, collected with each row's index (17 bytes a row) as they come and put in row order on the
    driver by that index (9 bytes a row kept). The searches draw their sample from the targets, the
    fingerprint's key hashes the hashes in order."""
    got = prepared.select(ROW, Y, HASH).toPandas()
    order = np.argsort(got[ROW].to_numpy(dtype=np.int64), kind="stable")
    targets = got[Y].to_numpy(dtype=np.int8)[order]
    hashes = got[HASH].to_numpy(dtype=np.int64)[order].view(np.uint64)
    return targets, hashes


def in_row_order(rows: Any) -> pd.DataFrame:
    """``rows`` (a Spark DataFrame with ``ROW``) collected, then put in row order on the driver: what
    ``rows.orderBy(ROW).toPandas()`` gives, in one Spark job instead of two (a sort's range partitioner
    first runs the plan above it once more to sample its keys) and without a shuffle. The rows reach the
    driver whole either way; row positions are unique, so the order is the same."""
    got = rows.toPandas()
    order = np.argsort(got[ROW].to_numpy(dtype=np.int64), kind="stable")
    return got.take(order).reset_index(drop=True)


def _search_sample(
    prepared: Any, alias: dict[str, str], y: npt.NDArray[np.int8]
) -> tuple[pd.DataFrame, npt.NDArray[np.int8]]:
    """The searches' rows: ``sample_rows`` over the targets ``y`` in row order (``_targets_and_hashes``),
    then those rows collected in order; the local searches take the same rows."""
    take = sample_rows(y, SEARCH_ROWS)
    spark = prepared.sparkSession
    ids = spark.createDataFrame(pd.DataFrame({ROW: take.astype(np.int64)}))
    rows = in_row_order(prepared.join(ids, on=ROW, how="inner"))
    return _local_frame(rows, alias), rows[Y].to_numpy(dtype=np.int8)


def _segment_by_values(prepared: Any, column: str, name: str, kind: Kind) -> list[Condition]:
    """``_fit._segment_values`` from Spark counts: present values, most frequent first (ties by text)."""
    from pyspark.sql import functions as F

    col = F.col(column)
    present = ~F.isnan(col) if kind == "numeric" else col.isNotNull()
    if kind == "numeric":
        present = col.isNotNull() & present
    counts = prepared.filter(present).groupBy(column).count().toPandas()
    pairs = [
        (float(v) if kind == "numeric" else v, int(c))
        for v, c in zip(counts[column], counts["count"], strict=True)
    ]
    ordered = sorted(pairs, key=lambda vc: (-vc[1], str(vc[0])))
    return [Condition(column=name, op="==", value=v if kind == "numeric" else str(v)) for v, _ in ordered]


def _plan(
    prepared: Any, alias: dict[str, str], conds: list[Condition], p: ScorecardParams, notes: list[str]
) -> tuple[list[tuple[str, Condition | None, int | None]], Any]:
    """``_fit._segment_plan`` with rows as a ``PLAN`` column on ``prepared`` (the first condition that
    matches, else -1): (name, condition, PLAN value or None for every row) per card, the default last."""
    from pyspark.sql.types import IntegerType, StructField, StructType

    source = prepared.drop(HASH)  # the fingerprint's, read from ``prepared`` itself
    fields = [*source.schema.fields, StructField(PLAN, IntegerType(), False)]
    candidates = list(conds)

    def batches(it: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in it:
            frame = _local_frame(pdf, alias)
            plan = np.full(len(pdf), -1, dtype=np.int32)
            for i, cond in enumerate(candidates):
                plan[(plan == -1) & condition_mask(cond, frame)] = i
            yield pdf.assign(**{PLAN: plan})

    marked = source.mapInPandas(batches, StructType(fields)).cache()
    counts = {
        int(r[PLAN]): (int(r["n"]), int(r["b"]))
        for r in marked.groupBy(PLAN)
        .agg({"*": "count", Y: "sum"})
        .withColumnsRenamed({"count(1)": "n", f"sum({Y})": "b"})
        .collect()
    }

    def big_enough(n: int, bads: int) -> bool:
        return n >= p.min_segment_rows and min(bads, n - bads) >= p.min_segment_bads

    kept: list[int] = []
    for i, cond in enumerate(candidates):
        if big_enough(*counts.get(i, (0, 0))):
            kept.append(i)
        elif p.segment_by is not None:
            value = cond.value
            shown = f"{value:g}" if isinstance(value, float) else value
            notes.append(
                f"segment {cond.column}={shown}: fewer than {p.min_segment_rows} rows or "
                f"{p.min_segment_bads} of each class; scored by the default card"
            )
        else:
            notes.append(
                f"segment rule {rule_name(cond)}: fewer than {p.min_segment_rows} rows or "
                f"{p.min_segment_bads} of each class; one card for everyone"
            )
    # Rows of a dropped candidate fall to the default: renumber PLAN to the kept conditions.
    from pyspark.sql import functions as F

    renumber = F.lit(-1)
    for pos, i in enumerate(kept):
        renumber = F.when(F.col(PLAN) == i, F.lit(pos)).otherwise(renumber)
    prepared_plan = marked.withColumn(PLAN, renumber)
    rest_n = sum(counts.get(i, (0, 0))[0] for i in range(-1, len(candidates)) if i not in kept)
    rest_b = sum(counts.get(i, (0, 0))[1] for i in range(-1, len(candidates)) if i not in kept)
    plan: list[tuple[str, Condition | None, int | None]] = [
        (rule_name(candidates[i]), candidates[i], pos) for pos, i in enumerate(kept)
    ]
    if kept and rest_n == 0:
        name, _, index = plan.pop(0)
        plan.append((f"{name} (default)", None, index))
        notes.append(
            f"segment {name}: every training row has a card of its own value, so this largest card "
            "is the default: it also scores values never seen in training and missing values"
        )
        return plan, prepared_plan
    if kept and not big_enough(rest_n, rest_b):
        notes.append("segment default: too few remaining rows of each class; fitted on all rows")
        plan.append(("default", None, None))
        return plan, prepared_plan
    plan.append(("default", None, -1 if kept else None))
    return plan, prepared_plan


def _stacked_counts(rows: Any, names: list[str], alias: dict[str, str], numeric: bool) -> pd.DataFrame:
    """(j, v, n, b): row and bad counts per distinct value of each of ``names``, in one ``groupBy``
    (numbers: NaN and null both as missing, shown as NaN; text: None missing)."""
    from pyspark.sql import functions as F

    if not names:
        return pd.DataFrame({"j": [], "v": [], "n": [], "b": []})
    cells = []
    for j, c in enumerate(names):
        col = F.col(alias[c])
        if numeric:
            col = F.when(col.isNull() | F.isnan(col), F.lit(None)).otherwise(col)
        cells.append(F.struct(F.lit(j).alias("j"), col.alias("v")))
    grouped = (
        rows.select(F.explode(F.array(*cells)).alias("cell"), F.col(Y))
        .select("cell.j", "cell.v", Y)
        .groupBy("j", "v")
        .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(Y).cast("long")).alias("b"))
        .toPandas()
    )
    return grouped


def _value_counts(
    rows: Any, numeric: list[str], categorical: list[str], alias: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``_stacked_counts`` of the ``numeric`` columns and of the ``categorical`` ones, in one ``groupBy``
    (one Spark job instead of two): each cell carries its number or its text, the other null."""
    from pyspark.sql import functions as F

    if not numeric or not categorical:
        return (
            _stacked_counts(rows, numeric, alias, numeric=True),
            _stacked_counts(rows, categorical, alias, numeric=False),
        )
    cells = []
    for j, c in enumerate(numeric):
        col = F.col(alias[c])
        number = F.when(col.isNull() | F.isnan(col), F.lit(None)).otherwise(col)
        cells.append(F.struct(F.lit(j).alias("j"), number.alias("x"), F.lit(None).cast("string").alias("t")))
    for j, c in enumerate(categorical, start=len(numeric)):
        text = F.col(alias[c])
        cells.append(F.struct(F.lit(j).alias("j"), F.lit(None).cast("double").alias("x"), text.alias("t")))
    grouped = (
        rows.select(F.explode(F.array(*cells)).alias("cell"), F.col(Y))
        .select("cell.j", "cell.x", "cell.t", Y)
        .groupBy("j", "x", "t")
        .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(Y).cast("long")).alias("b"))
        .toPandas()
    )
    is_number = grouped["j"] < len(numeric)
    nums = grouped.loc[is_number, ["j", "x", "n", "b"]].rename(columns={"x": "v"})
    cats = grouped.loc[~is_number, ["j", "t", "n", "b"]].rename(columns={"t": "v"})
    cats["j"] = cats["j"] - len(numeric)
    return nums.reset_index(drop=True), cats.reset_index(drop=True)


def _strided(rows: Any, n: int, limit: int) -> Any:
    """The evenly strided sample of at most ``limit`` of ``rows`` the local engine takes (``x[::step]``):
    every ``step``-th row in input order (a window over the row index: one sorted pass)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    step = -(-n // limit)
    position = F.row_number().over(Window.orderBy(ROW)) - 1
    return rows.withColumn("__pos", position).filter(F.col("__pos") % step == 0).drop("__pos")


def _edge_sample_counts(rows: Any, names: list[str], alias: dict[str, str], n: int) -> pd.DataFrame:
    """``_stacked_counts`` of the sample the local ``bin_numeric`` takes its edges from."""
    return _stacked_counts(_strided(rows, n, SAMPLE_ROWS), names, alias, numeric=True)


def _cells(
    x: pd.Series, edges: npt.NDArray[np.float64], specials: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Each value's cell (0 missing, 1..S special, S+1.. pre-bin), as ``_dp.prebin_counts`` assigns it."""
    v = x.to_numpy(dtype=np.float64, na_value=np.nan)
    cell = np.zeros(v.size, dtype=np.int64)
    at = np.searchsorted(specials, v) if specials.size else np.zeros(v.size, dtype=np.int64)
    miss = np.isnan(v)
    special = ~miss & (at < specials.size)
    special[special] = specials[at[special]] == v[special]
    cell[special] = 1 + at[special]
    plain_rows = ~miss & ~special
    cell[plain_rows] = 1 + specials.size + np.searchsorted(edges, v[plain_rows], side="right")
    return cell


def _numeric_coder(
    edges: npt.NDArray[np.float64], specials: npt.NDArray[np.float64], lut: npt.NDArray[np.int16]
) -> Callable[[pd.Series], npt.NDArray[np.int16]]:
    def numeric_codes(x: pd.Series) -> npt.NDArray[np.int16]:
        return np.asarray(lut[_cells(x, edges, specials)], dtype=np.int16)

    return numeric_codes


def _bin_large_numeric(
    rows: Any, names: list[str], alias: dict[str, str], n: int, p: ScorecardParams
) -> dict[str, tuple[BinnedColumn, Callable[[pd.Series], npt.NDArray[np.int16]]] | str]:
    """Numeric columns of a segment above ``SAMPLE_ROWS`` rows, without collecting per-value counts (on
    noisy data nearly one per row): missing counts and range in one aggregation, edges from the strided
    sample's value counts (at most SAMPLE_ROWS per column), then row and bad counts per cell in Spark."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ByteType, IntegerType, StructField, StructType

    aggs = []
    for j, c in enumerate(names):
        col = F.col(alias[c])
        gone = col.isNull() | F.isnan(col)
        aggs += [
            F.sum(F.when(gone, 1).otherwise(0)).alias(f"m{j}"),
            F.min(F.when(~gone, col)).alias(f"lo{j}"),
            F.max(F.when(~gone, col)).alias(f"hi{j}"),
        ]
    facts = rows.agg(*aggs).first()
    sample = _edge_sample_counts(rows, names, alias, n)
    out: dict[str, tuple[BinnedColumn, Callable[[pd.Series], npt.NDArray[np.int16]]] | str] = {}
    edges_of: dict[str, npt.NDArray[np.float64]] = {}
    specials_of: dict[str, npt.NDArray[np.float64]] = {}
    for j, c in enumerate(names):
        missing, lo, hi = int(facts[f"m{j}"] or 0), facts[f"lo{j}"], facts[f"hi{j}"]
        if missing == n:
            out[c] = f"{c}: all values missing; skipped"
            continue
        if missing == 0 and lo == hi:
            out[c] = f"{c}: constant ({float(lo):g} on every row); skipped"
            continue
        specials = np.array(sorted(set(binning_options(c, p).special_values)), dtype=np.float64)
        part = sample[sample["j"] == j]
        raw = part["v"].to_numpy(dtype=np.float64, na_value=np.nan)
        order = np.argsort(raw, kind="stable")
        ev: npt.NDArray[np.float64] = raw[order]
        en: npt.NDArray[np.int64] = part["n"].to_numpy(dtype=np.int64)[order]
        plain = ~np.isnan(ev) & ~np.isin(ev, specials)
        edges_of[c] = prebin_edges_from_counts(ev[plain], en[plain], binning_options(c, p).n_prebins)
        specials_of[c] = specials
    binned = list(edges_of)
    if binned:
        fields = [StructField(Y, ByteType(), False)] + [
            StructField(f"__cell{j}", IntegerType(), False) for j in range(len(binned))
        ]

        def batches(it: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            for pdf in it:
                cols = {Y: pdf[Y].astype("int8")}
                for j, c in enumerate(binned):
                    cols[f"__cell{j}"] = pd.Series(
                        _cells(pdf[alias[c]], edges_of[c], specials_of[c]), dtype="int32"
                    )
                yield pd.DataFrame(cols)

        cells = F.array(
            *[F.struct(F.lit(j).alias("j"), F.col(f"__cell{j}").alias("v")) for j in range(len(binned))]
        )
        counts = (
            rows.mapInPandas(batches, StructType(fields))
            .select(F.explode(cells).alias("cell"), F.col(Y))
            .select("cell.j", "cell.v", Y)
            .groupBy("j", "v")
            .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(Y).cast("long")).alias("b"))
            .toPandas()
        )
        for j, c in enumerate(binned):
            part = counts[counts["j"] == j]
            size = 1 + specials_of[c].size + edges_of[c].size + 1
            where = part["v"].to_numpy(dtype=np.int64)
            cell_rows = np.bincount(where, weights=part["n"].to_numpy(dtype=np.float64), minlength=size)
            cell_bads = np.bincount(
                where, weights=part["b"].fillna(0).to_numpy(dtype=np.float64), minlength=size
            )
            binned_col, lut = bin_numeric_from_cells(
                c, edges_of[c], cell_rows.astype(np.int64), cell_bads.astype(np.int64), binning_options(c, p)
            )
            out[c] = (binned_col, _numeric_coder(edges_of[c], specials_of[c], lut))
    return out


def _bin_from_counts(
    name: str, kind: Kind, counts: pd.DataFrame, p: ScorecardParams
) -> tuple[BinnedColumn, Callable[[pd.Series], npt.NDArray[np.int16]]] | str:
    """The column's binning and a map from its (prepared) values to bin codes, or why it is skipped."""
    opts = binning_options(name, p)
    n_rows = int(counts["n"].sum())
    if kind == "numeric":
        raw = counts["v"].to_numpy(dtype=np.float64, na_value=np.nan)
        order = np.argsort(raw, kind="stable")
        values: npt.NDArray[np.float64] = raw[order]
        rows: npt.NDArray[np.int64] = counts["n"].to_numpy(dtype=np.int64)[order]
        bads: npt.NDArray[np.int64] = counts["b"].fillna(0).to_numpy(dtype=np.int64)[order]
        missing = int(rows[np.isnan(values)].sum())
        present = values[~np.isnan(values)]
        if missing == n_rows:
            return f"{name}: all values missing; skipped"
        if missing == 0 and present.size == 1:
            return f"{name}: constant ({present[0]:g} on every row); skipped"
        specials = np.array(sorted(set(opts.special_values)), dtype=np.float64)
        plain = ~np.isnan(values) & ~np.isin(values, specials)
        edges = prebin_edges_from_counts(values[plain], rows[plain], opts.n_prebins)
        cell_rows, cell_bads = cells_from_value_counts(values, rows, bads, edges, specials)
        col, lut = bin_numeric_from_cells(name, edges, cell_rows, cell_bads, opts)

        return col, _numeric_coder(edges, specials, lut)
    present_rows = counts[counts["v"].notna()]
    n_missing = int(counts.loc[counts["v"].isna(), "n"].sum())
    b_missing = int(counts.loc[counts["v"].isna(), "b"].fillna(0).sum())
    if present_rows.empty:
        return f"{name}: all values missing; skipped"
    # As objects: numpy's fixed-width text type drops trailing NUL characters (``_binning.distinct_texts``).
    texts = np.array([str(v) for v in present_rows["v"]], dtype=object)
    order = np.argsort(texts, kind="stable")
    cats: npt.NDArray[np.object_] = texts[order]
    if cats.size == 1 and n_missing == 0:
        return f"{name}: constant ({str(cats[0])!r} on every row); skipped"
    n: npt.NDArray[np.float64] = present_rows["n"].to_numpy(dtype=np.float64)[order]
    nb: npt.NDArray[np.float64] = present_rows["b"].fillna(0).to_numpy(dtype=np.float64)[order]
    col, code_of = bin_categorical_from_counts(name, cats, n, nb, n_missing, b_missing, opts)
    lookup = {str(c): int(k) for c, k in zip(cats, code_of, strict=True)}

    def categorical_codes(x: pd.Series) -> npt.NDArray[np.int16]:
        return np.array([0 if v is None else lookup.get(v, 0) for v in x.tolist()], dtype=np.int16)

    return col, categorical_codes


def _weighted_correlation(
    names: list[str],
    tables: list[npt.NDArray[np.float64]],
    codes: npt.NDArray[np.int16],
    w: npt.NDArray[np.float64],
) -> pd.DataFrame:
    """``woe_correlation`` over compressed rows with their counts as weights."""
    k = len(names)
    block = np.empty((k, codes.shape[0]))
    for j in range(k):
        block[j] = tables[j][codes[:, j]]
    n = float(w.sum())
    total = block @ w
    cross = (block * w) @ block.T
    mean = total / max(n, 1.0)
    cov = cross / max(n, 1.0) - np.outer(mean, mean)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    sd[sd < 1e-12] = np.inf
    corr = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
    return pd.DataFrame(corr, index=names, columns=names)


def _compress(
    codes: npt.NDArray[np.int16], t: npt.NDArray[np.int8], w: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """``compress_rows`` of already-counted rows: the same key, so the same rows in the same order."""
    key = t.astype(np.int64)
    radix = 2
    for j in range(codes.shape[1]):
        size = int(codes[:, j].max()) + 1
        key += codes[:, j].astype(np.int64) * radix
        radix *= size
    uniques, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=w, minlength=uniques.size).astype(np.float64)
    return np.ascontiguousarray(codes[first]), t[first], weights


def fit_card_spark(
    name: str,
    condition: Condition | None,
    rows: Any,
    kinds: dict[str, Kind],
    alias: dict[str, str],
    params: ScorecardParams,
    progress: Progress | None = None,
    limit: int = REFINE_ROWS,
) -> tuple[Segment, list[str]]:
    """``_card.fit_card`` on a Spark DataFrame of prepared rows: the same segment (module docstring);
    ``limit``: the rows refinement and the grid search read at most (``_refine.rows_per_card``)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ByteType, ShortType, StructField, StructType

    _note(progress, f"{name}: counting values in Spark")
    size = rows.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(Y).cast("long")).alias("b")).first()
    n_rows, y_bad = int(size["n"]), int(size["b"] or 0)
    numeric = [c for c, k in kinds.items() if k == "numeric"]
    categorical = [c for c, k in kinds.items() if k != "numeric"]
    large = n_rows > SAMPLE_ROWS
    num_counts, cat_counts = _value_counts(rows, [] if large else numeric, categorical, alias)
    large_numeric = _bin_large_numeric(rows, numeric, alias, n_rows, params) if large and numeric else {}
    notes: list[str] = []
    binned: dict[str, BinnedColumn] = {}
    coders: dict[str, Callable[[pd.Series], npt.NDArray[np.int16]]] = {}
    for c, k in kinds.items():
        if k == "numeric" and large:
            result = large_numeric[c]
        elif k == "numeric":
            result = _bin_from_counts(c, k, num_counts[num_counts["j"] == numeric.index(c)], params)
        else:
            result = _bin_from_counts(c, k, cat_counts[cat_counts["j"] == categorical.index(c)], params)
        if isinstance(result, str):
            notes.append(result)
        else:
            binned[c], coders[c] = result
    if not binned:
        raise InputError(
            f"segment {name}: no usable column ({'; '.join(notes) or 'no input columns'}); "
            "expected at least one column that is neither all missing nor constant"
        )
    names = list(binned)
    fields = [StructField(Y, ByteType(), False)] + [
        StructField(f"__k{j}", ShortType(), False) for j in range(len(names))
    ]

    def batches(it: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in it:
            out = {Y: pdf[Y].astype("int8")}
            for j, c in enumerate(names):
                out[f"__k{j}"] = pd.Series(coders[c](pdf[alias[c]]), dtype="int16")
            yield pd.DataFrame(out)

    _note(progress, f"{name}: counting bin-code tuples in Spark")
    keys = [Y, *[f"__k{j}" for j in range(len(names))]]
    code_names = [f"__k{j}" for j in range(len(names))]

    def tuple_counts(source: Any) -> tuple[Any, Any, Any]:
        tuples = source.mapInPandas(batches, StructType(fields)).groupBy(*keys).count().toPandas()
        return (
            tuples[code_names].to_numpy(dtype=np.int16),
            tuples[Y].to_numpy(dtype=np.int8),
            tuples["count"].to_numpy(dtype=np.float64),
        )

    all_codes, t_all, w_all = tuple_counts(rows)
    # The correlations: from the local engine's strided sample above its size, else from every row.
    corr_codes, corr_w = all_codes, w_all
    if n_rows > CORRELATION_ROWS:
        corr_codes, _, corr_w = tuple_counts(_strided(rows, n_rows, CORRELATION_ROWS))
    tables = {c: np.array([b.woe for b in binned[c].bins]) for c in names}
    strong = [c for c in names if binned[c].iv >= params.iv_threshold]
    corr = _weighted_correlation(
        strong, [tables[c] for c in strong], corr_codes[:, [names.index(c) for c in strong]], corr_w
    )
    chance = chance_of({c: binned[c] for c in names}, params, params.refine)
    kept, sel_notes = select_characteristics(
        {c: binned[c].iv for c in names},
        corr,
        iv_threshold=params.iv_threshold,
        max_correlation=params.max_correlation,
        max_characteristics=params.max_characteristics,
        chance=chance,
    )
    notes += sel_notes
    _note(progress, f"{name}: logistic regression on WOE")
    if kept:
        distinct, t, w = _compress(all_codes[:, [names.index(c) for c in kept]], t_all, w_all)
    else:
        distinct, t, w = np.empty((0, 0), dtype=np.int16), t_all[:0], w_all[:0]
    idx, intercept, coef, reg_notes = sign_safe_fit(
        distinct, t, w, [tables[c] for c in kept], kept, params.regularization
    )
    notes += reg_notes
    final = [binned[kept[i]] for i in idx]
    base, _, chars = card_points(name, final, tables, intercept, coef, params)
    small = params.refine and _card.BAG_SMALL and bagged_size(n_rows, y_bad)
    medium = None
    if params.refine and not small and _card.BAG_MEDIUM and medium_size(n_rows, y_bad):
        card = with_left_out(chars, final, binned, kept, params, chance)
        medium = _bag_medium(
            rows,
            n_rows,
            card,
            len(final),
            alias,
            coders,
            kinds,
            params,
            progress,
            name,
            condition,
            limit,
            chance,
        )
    if small:
        card = with_left_out(chars, final, binned, kept, params, chance)
        chars, base, bagging = _bag(
            rows,
            n_rows,
            card,
            len(final),
            base,
            alias,
            coders,
            kinds,
            params,
            progress,
            name,
            condition,
            chance,
        )
        notes += bagging
    elif medium is not None:
        chars, base, medium_notes = medium
        notes += medium_notes
    elif params.refine:
        card = with_left_out(chars, final, binned, kept, params, chance)
        chars, refine_notes = _refine(
            rows, n_rows, card, len(final), base, alias, coders, params, progress, name, limit
        )
        notes += refine_notes
    segment = Segment(
        name=name,
        condition=condition,
        intercept=intercept,
        base_points=base,
        characteristics=chars,
        n_train=int(n_rows),
        bad_rate=float(y_bad / n_rows) if n_rows else float("nan"),
    )
    if params.interactions:
        segment, pair_notes = _interactions(rows, n_rows, segment, alias, params, progress, limit)
        notes += pair_notes
    return segment, [f"segment {name}: {note}" for note in notes]


def _refine(
    rows: Any,
    n_rows: int,
    card: tuple[list[Characteristic], list[BinnedColumn]],
    n_card: int,
    base: int,
    alias: dict[str, str],
    coders: dict[str, Callable[[pd.Series], npt.NDArray[np.int16]]],
    params: ScorecardParams,
    progress: Progress | None,
    name: str,
    limit: int = REFINE_ROWS,
) -> tuple[list[Characteristic], list[str]]:
    """``_card.fit_card``'s refinement: the rows ``sample_positions`` picks, in row order, collected with
    the card's columns (at most ``REFINE_ROWS``; above that many, the segment's row indexes first, 8
    bytes a row), their cells found on the driver, the per-cell counts already aggregated. ``card``: the
    card's characteristics and binnings followed by those selection left out (``_card.with_left_out``),
    of which the first ``n_card`` are the card's."""
    chars, final = card
    trends = [params.trend_of(c.name) for c in final]
    if not refinable(chars, trends) or n_rows < MIN_ROWS:
        return chars[:n_card], []
    _note(progress, f"{name}: refining points")
    sample = _sample(rows, n_rows, [alias[c.name] for c in final], limit)
    ys = sample[Y].to_numpy(dtype=np.int8)
    cells = [
        _cells(sample[alias[c.name]], c.fine_edges, c.fine_specials)
        if c.dtype == "numeric"
        else coders[c.name](sample[alias[c.name]]).astype(np.int64)
        for c in final
    ]
    s = params.scaling
    refined = refine_sample(
        chars, final, cells, ys, base, s, params.woe_prior, trends, params.max_bins, added_from=n_card
    )
    refined, _ = without_unmoved(refined, final, n_card)
    return refined.characteristics, refinement_notes(refined)


def _bag(
    rows: Any,
    n_rows: int,
    card: tuple[list[Characteristic], list[BinnedColumn]],
    n_card: int,
    base: int,
    alias: dict[str, str],
    coders: dict[str, Callable[[pd.Series], npt.NDArray[np.int16]]],
    kinds: dict[str, Kind],
    params: ScorecardParams,
    progress: Progress | None,
    name: str,
    condition: Condition | None,
    chance: Mapping[str, float] | None = None,
) -> tuple[list[Characteristic], int, list[str]]:
    """``_card.fit_card``'s bagging of a small card: its rows (fewer than ``MIN_ROWS``) collected in row
    order with every model column, then ``_card.bag_card`` on them, as locally."""
    _note(progress, f"{name}: bagging points")
    local, ys, cells_of = _collected(rows, n_rows, alias, coders, kinds)

    bagged = bag_card(
        name,
        condition,
        local,
        ys,
        kinds,
        params,
        None,
        card,
        n_card,
        cells_of,
        chance=chance,
    )
    if not bagged.bags:
        return card[0][:n_card], base, bag_notes(bagged)
    return bagged.characteristics, bagged.base_points, bag_notes(bagged)


def _bag_medium(
    rows: Any,
    n_rows: int,
    card: tuple[list[Characteristic], list[BinnedColumn]],
    n_card: int,
    alias: dict[str, str],
    coders: dict[str, Callable[[pd.Series], npt.NDArray[np.int16]]],
    kinds: dict[str, Kind],
    params: ScorecardParams,
    progress: Progress | None,
    name: str,
    condition: Condition | None,
    limit: int,
    chance: Mapping[str, float] | None = None,
) -> tuple[list[Characteristic], int, list[str]] | None:
    """``_card.fit_card``'s bagging of a medium card: its rows (fewer than ``_bag.MEDIUM_ROWS``) collected
    in row order with every model column, then ``_card.bag_medium`` on them, as locally; None where no
    bag could be fitted (the card is then refined as usual)."""
    _note(progress, f"{name}: bagging and refining points")
    local, ys, cells_of = _collected(rows, n_rows, alias, coders, kinds)

    medium = bag_medium(
        name,
        condition,
        local,
        ys,
        kinds,
        params,
        None,
        card,
        n_card,
        limit,
        cells_of,
        chance=chance,
    )
    if medium is None:
        return None
    chars, _, _, base, notes = medium
    return chars, base, notes


def _collected(
    rows: Any,
    n_rows: int,
    alias: dict[str, str],
    coders: dict[str, Callable[[pd.Series], npt.NDArray[np.int16]]],
    kinds: dict[str, Kind],
) -> tuple[Columns, npt.NDArray[np.int8], Callable[[BinnedColumn], npt.NDArray[np.int64]]]:
    """A bagged card's rows, collected in row order with every model column, as ``_card.bag_card`` and
    ``_card.bag_medium`` read them: the model columns, the targets and each row's cell of a binning."""
    sample = _sample(rows, n_rows, [alias[c] for c in kinds], n_rows)
    local = _local_frame(sample, {c: alias[c] for c in kinds})

    def cells_of(col: BinnedColumn) -> npt.NDArray[np.int64]:
        if col.dtype == "numeric":
            return _cells(local[col.name], col.fine_edges, col.fine_specials)
        return coders[col.name](local[col.name]).astype(np.int64)

    return model_columns(local, kinds), sample[Y].to_numpy(dtype=np.int8), cells_of


def _sample(rows: Any, n_rows: int, columns: list[str], limit: int = REFINE_ROWS) -> pd.DataFrame:
    """The segment's rows that ``sample_positions`` picks (all of them up to ``limit``), in row
    order, with the target and ``columns``: what refinement and the interaction search read, as locally
    (above that many rows, the segment's row indexes are collected first, 8 bytes a row)."""
    take = sample_positions(n_rows, limit)
    picked = rows
    if take is not None:
        order = np.sort(rows.select(ROW).toPandas()[ROW].to_numpy(dtype=np.int64))
        ids = rows.sparkSession.createDataFrame(pd.DataFrame({ROW: order[take]}))
        picked = rows.join(ids, on=ROW, how="inner")
    return in_row_order(picked.select(ROW, Y, *columns))


def _interactions(
    rows: Any,
    n_rows: int,
    segment: Segment,
    alias: dict[str, str],
    params: ScorecardParams,
    progress: Progress | None,
    limit: int = REFINE_ROWS,
) -> tuple[Segment, list[str]]:
    """``_fit.with_interactions``: the same search on the same rows (``_sample``), collected."""
    _note(progress, f"{segment.name}: searching interactions")
    names = [c.name for c in segment.characteristics]
    sample = _sample(rows, n_rows, [alias[n] for n in names], limit)
    frame = pd.DataFrame({n: sample[alias[n]] for n in names})
    ys = sample[Y].to_numpy(dtype=np.int8)
    inters, notes = segment_interactions(segment, frame, ys, params.scaling, params.interactions)
    if inters:
        update = {"interactions": [i.model_dump() for i in inters]}
        segment = Segment.model_validate({**segment.model_dump(), **update})
    return segment, notes


def _scored(
    prepared: Any, alias: dict[str, str], segments: list[Segment]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    """Each training row's card and score by the artifact's scoring rule, counted in Spark per
    (card, score, target) and expanded on the driver (metrics are integer-score histograms: any order)."""
    from pyspark.sql.types import ByteType, LongType, StructField, StructType

    def batches(it: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in it:
            frame = _local_frame(pdf, alias)
            yield pd.DataFrame(
                {
                    "s": segment_of_rows(segments, frame).astype(np.int64),
                    "p": reference_scores(segments, frame).astype(np.int64),
                    Y: pdf[Y].astype("int8"),
                }
            )

    schema = StructType(
        [
            StructField("s", LongType(), False),
            StructField("p", LongType(), False),
            StructField(Y, ByteType(), False),
        ]
    )
    counts = prepared.mapInPandas(batches, schema).groupBy("s", "p", Y).count().toPandas()
    reps = counts["count"].to_numpy(dtype=np.int64)
    return (
        np.repeat(counts["s"].to_numpy(dtype=np.int64), reps),
        np.repeat(counts["p"].to_numpy(dtype=np.int64), reps),
        np.repeat(counts[Y].to_numpy(dtype=np.int8), reps),
    )
