"""Check and type the training table: the target, numeric vs categorical columns, junk values.

Rows in messages are named by ``lucidscore.errors.row_label``: in a CSV file the header is row 1, as
``ingest`` counts; in Parquet and in memory, from 1.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import (
    nested_cell_error,
    numeric_values,
    parse_numbers,
)
from lucidscore.errors import COMMA_NUMBER_PATTERN, InputError, comma_note, comma_readings, row_label

Kind = Literal["numeric", "categorical"]
NUMERIC_SHARE = 0.9  # a text column whose values are at least this share numbers is numeric with junk
# A date, or a date and time, as a cell's text (a date or timestamp column's text too, in either engine:
# pandas writes 2024-01-05 or 2024-01-05 00:00:00, Spark's cast the same): ISO order with - or /, or day
# and month first with /, - or . (05/01/2024, 5.1.24), a time after it optional.
DATE_PATTERN = (
    r"([0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.]([0-9]{4}|[0-9]{2}))"
    r"([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?"
)


def _show(values: list[object], limit: int = 8) -> str:
    shown = ", ".join(
        repr(v) if isinstance(v, str) else f"{v:g}" if isinstance(v, float) else str(v)
        for v in values[:limit]
    )
    return shown + (f" (+{len(values) - limit} more)" if len(values) > limit else "")


def binary_target(y: pd.Series, name: str, bad_value: float | str | None) -> npt.NDArray[np.int8]:
    """The target as 1 = bad, 0 = good; ``bad_value`` says which value is bad.

    Without ``bad_value`` the target must have two numeric values and the greater is bad (1 of 0/1, as
    scikit-learn's positive class ``classes_[1]``); text labels such as 'good'/'bad' need ``bad_value``,
    since guessing would silently invert the score.
    """
    missing = y.isna().to_numpy()
    if missing.any():
        raise missing_target_error(name, int(missing.sum()), row_label(y, int(np.flatnonzero(missing)[0])))
    values = sorted(pd.unique(y).tolist(), key=str)
    numeric = all(isinstance(v, int | float | np.number | bool) for v in values)
    if numeric and len(values) > 2 and any(float(v) != int(v) for v in values if np.isfinite(float(v))):
        raise InputError(
            f"target {name}: Unknown label type: continuous ({len(values):,} distinct numbers such as "
            f"{_show(values, 4)}); expected two classes (bad and good)"
        )
    if len(values) != 2:
        count = "1 class" if len(values) == 1 else f"{len(values)} classes"
        raise InputError(
            f"target {name}: found {count} {_show(values)}; expected two classes, bad and good. "
            "Only binary classification is supported."
        )
    if bad_value is None:
        if not numeric:
            raise InputError.about(
                "bad_value",
                f"target {name} has values {_show(values)}, not numbers; say which value means bad",
            )
        return np.asarray(pd.to_numeric(y) == max(values, key=float), dtype=np.int8)
    matches = [v for v in values if str(v) == str(bad_value) or _num_eq(v, bad_value)]
    if not matches:
        raise InputError.about(
            "bad_value", f"{bad_value!r} is not one of the values of target {name}: {_show(values)}"
        )
    return np.asarray(y == matches[0], dtype=np.int8)


def missing_target_error(name: str, count: int, first: str) -> InputError:
    """The target ``name`` has ``count`` missing values, the first at ``first`` ('row N',
    ``errors.row_label``): one message for both engines."""
    return InputError(
        f"target {name}: {count:,} missing value(s), first at {first}; expected a value on every row"
    )


def _num_eq(a: object, b: object) -> bool:
    try:
        return float(a) == float(b)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def column_kind(values: pd.Series, name: str) -> Kind:
    """Numeric or categorical; refuse a mostly-numeric text column that holds a few junk strings."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return "numeric"
    nested = nested_cell_error(values, name)
    if nested is not None:
        raise nested
    numbers, junk = parse_numbers(values)
    n_num = int((~np.isnan(numbers)).sum())
    n_junk = int(junk.sum())
    if n_junk == 0:
        return "numeric"
    if n_num >= NUMERIC_SHARE * (n_num + n_junk):
        row = int(np.flatnonzero(junk)[0])
        raise junk_value_error(name, row_label(values, row), values.iloc[row], n_num, n_junk)
    # The cells that are not numbers, read once per distinct text (a text column holds few): numbers
    # written with a comma, then dates.
    at = np.flatnonzero(junk)
    codes, distinct = pd.factorize(values.iloc[at].to_numpy(dtype=object))
    shown = pd.Series(distinct, dtype=object).astype("string").str.strip()
    comma = at[shown.str.fullmatch(COMMA_NUMBER_PATTERN).fillna(False).to_numpy(dtype=np.bool_)[codes]]
    if comma.size and n_num + comma.size >= NUMERIC_SHARE * (n_num + n_junk):
        first, value = row_label(values, int(comma[0])), values.iloc[int(comma[0])]
        raise comma_number_error(name, first, value, n_num + comma.size, n_num + n_junk)
    dates = at[shown.str.fullmatch(DATE_PATTERN).fillna(False).to_numpy(dtype=np.bool_)[codes]]
    if dates.size >= NUMERIC_SHARE * (n_num + n_junk):
        first, value = row_label(values, int(dates[0])), values.iloc[int(dates[0])]
        raise date_column_error(name, first, value, dates.size, n_num + n_junk)
    return "categorical"


def junk_value_error(name: str, first: str, value: object, n_num: int, n_junk: int) -> InputError:
    """Column ``name``, mostly ``n_num`` numbers, also holds ``n_junk`` other values, the first ``value``
    at ``first`` ('row N', ``errors.row_label``): one message for both engines."""
    return InputError(
        f"column {name} {first}: value {value!r} is not a number; expected a number ({n_num:,} of "
        f"{n_num + n_junk:,} values are numbers, {n_junk:,} are not) — fix the value or leave the cell "
        f"empty for missing{comma_note(value)}"
    )


def comma_number_error(name: str, first: str, value: object, n_read: int, n_present: int) -> InputError:
    """Column ``name`` holds numbers written with a comma (a decimal comma or a thousands separator), the
    first ``value`` at ``first``: with their commas read, ``n_read`` of its ``n_present`` values would be
    numbers. Refused rather than binned as ``n_present`` texts, hundreds of categories of one amount
    (both engines)."""
    readings = " or ".join(comma_readings(value))
    return InputError(
        f"column {name} {first}: value {value!r} is a number written with a comma, which lucidscore does "
        f"not read (a decimal comma or a thousands separator); expected a plain number such as {readings} "
        f"({n_read:,} of {n_present:,} values are numbers if their commas are read) — save the file with "
        "plain numbers (a spreadsheet's number format and language setting); lucidscore does not guess "
        "what a file's commas mean"
    )


def date_shown(value: object) -> str:
    """A date cell as both engines show it: a date or a time stamp in ISO form (the time left out at
    midnight), a text as written.

    >>> import datetime
    >>> date_shown(pd.Timestamp("2024-02-04")), date_shown(datetime.datetime(2024, 2, 4, 9, 30))
    ('2024-02-04', '2024-02-04 09:30:00')
    >>> date_shown(datetime.date(2024, 2, 4)), date_shown(" 5.1.24")
    ('2024-02-04', '5.1.24')
    """
    import datetime

    if isinstance(value, datetime.datetime):
        at_midnight = value.time() == datetime.time(0) and value.tzinfo is None
        return value.date().isoformat() if at_midnight else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def date_column_error(name: str, first: str, value: object, n_dates: int, n_present: int) -> InputError:
    """Column ``name`` holds dates (``n_dates`` of its ``n_present`` values), the first ``value`` at
    ``first``: as categories, each day would be one (and every later day unseen). Both engines."""
    return InputError(
        f"column {name} {first}: value {date_shown(value)!r} is a date ({n_dates:,} of {n_present:,} "
        "values are dates); a scorecard reads numbers and categories, not dates, and each day would be "
        f"a category of its own that later applicants never match — leave the column out (--exclude "
        f"{name}) or give it as a number, such as the months since that date"
    )


def numeric_column(values: pd.Series) -> npt.NDArray[np.float64]:
    """A column known to be numeric (``column_kind``) as float64 by the artifact's one rule (NaN: missing)."""
    return numeric_values(values, str(values.name))
