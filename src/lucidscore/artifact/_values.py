"""How a raw cell is read by the scoring rule: a number, a category text, or missing. One rule, every engine.

- Missing: None, NaN, pandas NA, an empty or blank text. Missing values score in the ``missing`` bin.
- A numeric characteristic reads numbers (booleans as 0/1, numeric text such as ``" 12.5 "`` or ``"1e3"``;
  ``inf`` is a number above every edge). Any other text (``"n/a"``, ``"12,5"``, ``"ten"``) is bad input:
  the row cannot be scored, and the Python engines raise ``InputError`` naming the column, the row and
  the value (the SQL export gives the row a NULL score; see ``score.to_sql``).
- A categorical characteristic reads text: numbers are written canonically (``2.0`` -> ``"2"``), text is
  stripped. A category never seen in training scores in the ``missing`` bin.

This module is plain numpy and pandas, so it can be the contract every engine is tested against.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.errors import InputError, comma_note, row_label

FloatArray = npt.NDArray[np.float64]

# ``parse_numbers``' rule as regular expressions, for an engine that reads text without pandas (Spark's
# ``rlike``; Java reads them as Python does): SPACE_PATTERN is one character of the white space
# ``str.strip`` removes (and so ``parse_numbers``), NUMBER_PATTERN a stripped text that is a number (digits
# with an optional point and exponent, or an infinity). tests/score/test_one_rule.py holds them to it.
SPACE_PATTERN = r"[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NUMBER_PATTERN = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(?i:inf|infinity)"


def canonical_number(value: float) -> str:
    """Text of a number as categories compare it: 1.0 -> '1', 2.5 -> '2.5'.

    >>> canonical_number(2.0), canonical_number(2.5)
    ('2', '2.5')
    """
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def category_text(value: object) -> str | None:
    """A raw cell as a category string, or None when it is missing (None, NaN, NA, empty or blank).

    >>> category_text(3.0), category_text(" A11 "), category_text(""), category_text(True)
    ('3', 'A11', None, 'True')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else canonical_number(float(value))
    text = str(value).strip()
    return text or None


def category_keys(category: str) -> list[str]:
    """The texts that match a category: itself and, for a number written '1.0', also '1'."""
    keys = [category]
    try:
        number = float(category)
    except ValueError:
        return keys
    canon = canonical_number(number)
    if canon != category and math.isfinite(number):
        keys.append(canon)
    return keys


_SCALAR_KINDS = frozenset({"string", "empty", "floating", "integer", "boolean", "mixed-integer-float"})


def nested_cell_error(values: pd.Series, name: str) -> InputError | None:
    """The error for the first cell holding a list, tuple, mapping, set or array (a nested Parquet column),
    which no characteristic reads, or None.

    >>> print(nested_cell_error(pd.Series(["a", {"k": 1}]), "product"))  # doctest: +ELLIPSIS
    column product row 2: value {'k': 1} is a dict; expected a number or a text per cell (a nested ...)
    """
    # Columns pandas infers (in C) to hold only text, or only numbers of one kind, and missing values — the
    # usual object columns — hold no nested cell; the per-cell check runs on the others only.
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in _SCALAR_KINDS:
        return None
    nested = values.map(lambda v: isinstance(v, list | tuple | dict | set | np.ndarray)).to_numpy(bool)
    if not nested.any():
        return None
    row = int(np.flatnonzero(nested)[0])
    found = values.iloc[row]
    kind = "list" if isinstance(found, list | tuple | np.ndarray) else type(found).__name__
    shown = repr(found.tolist() if isinstance(found, np.ndarray) else found)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return InputError(
        f"column {name} {row_label(values, row)}: value {shown} is a {kind}; expected a number or a text "
        "per cell (a nested column cannot be scored or binned: flatten it or leave it out)"
    )


def category_codes(values: pd.Series) -> tuple[npt.NDArray[np.intp], list[str | None]]:
    """Each row's code into a list of distinct category texts (code -1 = missing); a nested cell raises
    ``InputError`` naming its column and row."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # an unhashable cell: a list, mapping or array
        raise nested_cell_error(values, str(values.name)) or InputError(
            f"column {values.name}: a cell that is neither a number nor a text; expected one per cell"
        ) from None
    return codes, [category_text(u) for u in uniques]


def category_values(values: pd.Series) -> npt.NDArray[np.object_]:
    """Values as category text, None for missing (2.0 -> '2')."""
    codes, texts = category_codes(values)
    table = np.array([*texts, None], dtype=object)
    return table[codes]  # code -1 (missing) picks the trailing None


def parse_numbers(values: pd.Series) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """The numbers in a column (NaN for missing or junk) and which cells are junk (present, not numbers)."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(values), dtype=np.bool_)
    text = values.astype("string").str.strip()
    empty = text.isna() | (text == "")
    numbers = pd.to_numeric(text.where(~empty, None), errors="coerce")
    junk = ((~empty) & numbers.isna()).to_numpy(dtype=np.bool_)
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan), junk


def numeric_values(
    values: pd.Series, name: str, row_offset: int = 0, positions: npt.NDArray[np.int64] | None = None
) -> FloatArray:
    """A column as float64 with NaN for missing; text that is not a number raises ``InputError``.

    Rows are named as ``lucidscore.errors.row_label`` says (a CSV's header is row 1; in memory, from 1):
    ``row_offset`` data rows come before ``values`` (a chunk of a file), and ``positions`` gives each
    value's position when ``values`` is a subset of the rows.

    >>> numeric_values(pd.Series(["1", " 2.5", "", None]), "x").tolist()
    [1.0, 2.5, nan, nan]
    >>> numeric_values(pd.Series(["1", "n/a"]), "x")
    Traceback (most recent call last):
    ...
    lucidscore.errors.InputError: column x row 2: found 'n/a'; expected a number ...)
    """
    numbers, junk = parse_numbers(values)
    if junk.any():
        pos = int(np.flatnonzero(junk)[0])
        row = row_label(values, pos if positions is None else int(positions[pos]), row_offset)
        raise InputError(
            f"column {name} {row}: found {values.iloc[pos]!r}; "
            f"expected a number (or an empty cell for missing){comma_note(values.iloc[pos])}"
        )
    return numbers


def numeric_columns(frame: pd.DataFrame, names: list[str], row_offset: int = 0) -> dict[str, FloatArray]:
    """Several numeric columns read at once; text that is not a number in any of them raises, naming the
    first such row (and, in that row, the first of ``names``), as every engine does."""
    parsed = {name: parse_numbers(frame[name]) for name in names}
    bad = [
        (int(np.flatnonzero(junk)[0]), k, name)
        for k, (name, (_, junk)) in enumerate(parsed.items())
        if junk.any()
    ]
    if bad:
        pos, _, name = min(bad)
        found = frame[name].iloc[pos]
        raise InputError(
            f"column {name} {row_label(frame, pos, row_offset)}: found {found!r}; "
            f"expected a number (or an empty cell for missing){comma_note(found)}"
        )
    return {name: numbers for name, (numbers, _) in parsed.items()}
