"""Fairness at a cutoff: approval rate, adverse impact ratio, four-fifths flag, equal opportunity.

A row is approved when its score is at or above the cutoff. For each audit column the rows are put in
groups by their values (``audit_groups``), never quietly merged: text as given, one group per value;
numbers with at most ``MAX_VALUE_GROUPS`` values one group per value; more numbers in bands (ages in
years under an age name in age bands, other numbers in quintiles); empty cells in a "missing" group.
A column that cannot be grouped so is an error naming it. Against the most-approved group (among
groups of at least ``MIN_GROUP`` rows) each group gets an adverse impact ratio; below 0.8 is flagged
(the four-fifths rule of the US Uniform Guidelines). Equal opportunity compares the true-positive rate:
the approval rate among rows whose outcome was good.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.errors import FIRST_ROW, InputError, row_label

FOUR_FIFTHS = 0.8
MIN_GROUP = 30
AGE_EDGES = (25, 35, 45, 55)
AGE_LABELS = ("<25", "25–34", "35–44", "45–54", "55+")
MISSING = "missing"


MAX_VALUE_GROUPS = 10  # numbers with at most this many distinct values: one group per value
MAX_TEXT_GROUPS = 100  # more distinct text values than this is an identifier or free text, not groups
AGE_YEARS = (14.0, 120.0)  # numbers under an age name are banded only when all are ages in years
_AGE_NAME = re.compile(r"^(age|age_.*|.*_age)$", re.IGNORECASE)


def is_age_name(name: object) -> bool:
    """A column named ``age``, ``age_...`` or ``..._age`` (any case): its ages in years go in age bands."""
    return bool(_AGE_NAME.match(str(name or "")))


def age_bands(ages: pd.Series) -> pd.Series:
    """Age in years to the bands <25, 25–34, 35–44, 45–54, 55+ (non-numbers are 'missing')."""
    num = pd.to_numeric(ages, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    idx = np.searchsorted(np.asarray(AGE_EDGES, dtype=np.float64), num, side="right")
    labels = np.asarray(AGE_LABELS, dtype=object)[np.clip(idx, 0, len(AGE_LABELS) - 1)]
    labels[np.isnan(num)] = MISSING
    return pd.Series(labels, index=ages.index, name=ages.name, dtype=object)


def _absent(values: pd.Series) -> npt.NDArray[np.bool_]:
    """Empty cells: NaN, None, NA, blank text, and the text 'missing' (the name of their group)."""
    absent = values.isna().to_numpy(dtype=bool, copy=True)
    if not pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        text = values.map(lambda v: v.strip() if isinstance(v, str) else None)
        absent |= text.isin(["", MISSING]).to_numpy(dtype=bool)
    return absent


def _is_number(value: object) -> bool:
    numeric = isinstance(value, (int, float, np.integer, np.floating))
    return numeric and not isinstance(value, (bool, np.bool_))


def _as_number(value: object) -> float | None:
    """A cell as a number: a number, or text that reads as one ('34', ' 2.5'); None otherwise."""
    if _is_number(value):
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, str):
        try:
            x = float(value)
        except ValueError:
            return None
        return None if np.isnan(x) else x
    return None


def _number_label(x: float) -> str:
    """A number as a group label; distinct numbers never share a label."""
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(float(x))


def _problem(name: str, message: str) -> InputError:
    return InputError(f"audit column {name}: {message}")


def _numbers(values: pd.Series, absent: npt.NDArray[np.bool_], name: str) -> npt.NDArray[np.float64]:
    x = pd.to_numeric(values.where(~absent), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~absent & ~np.isfinite(x))
    if bad.size:
        pos = int(bad[0])
        raise _problem(name, f"{values.iloc[pos]} at {row_label(values, pos)} is not a finite number")
    return x


def _group_numbers(
    x: npt.NDArray[np.float64], absent: npt.NDArray[np.bool_], name: str, first_row: int = 1
) -> npt.NDArray:
    present = x[~absent]
    distinct = np.unique(present)
    labels = np.full(x.size, MISSING, dtype=object)
    in_years = bool(((present >= AGE_YEARS[0]) & (present <= AGE_YEARS[1])).all())
    if is_age_name(name) and in_years:
        labels[~absent] = age_bands(pd.Series(present)).to_numpy(dtype=object)
    elif distinct.size <= MAX_VALUE_GROUPS:
        names = {v: _number_label(float(v)) for v in distinct}
        labels[~absent] = [names[v] for v in present]
    elif is_age_name(name):
        pos = int(np.flatnonzero(~absent & ((x < AGE_YEARS[0]) | (x > AGE_YEARS[1])))[0])
        raise _problem(
            name,
            f"{_number_label(float(x[pos]))} at row {pos + first_row:,} is not an age in years "
            f"({AGE_YEARS[0]:g}–{AGE_YEARS[1]:g}); expected ages in years (banded <25 … 55+), missing cells "
            "for unknown ages, or bands as text",
        )
    else:
        labels[~absent] = _quintiles(present)
    return labels


def _quintiles(x: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
    """Quintile bands '≤ a', '(a, b]', ..., '> d' (fewer when quantiles tie), edges printed with just
    enough digits to tell them apart."""
    edges = np.unique(np.quantile(x, [0.2, 0.4, 0.6, 0.8]))
    edges = edges[edges < x.max()]  # an edge at the maximum would leave its last band empty
    if edges.size == 0:
        return np.full(x.size, f"≤ {_number_label(float(x.max()))}", dtype=object)
    for digits in range(3, 18):
        shown = [f"{e:.{digits}g}" for e in edges]
        if len(set(shown)) == len(shown):
            break
    names = [f"≤ {shown[0]}"]
    names += [f"({a}, {b}]" for a, b in itertools.pairwise(shown)]
    names.append(f"> {shown[-1]}")
    return np.asarray(names, dtype=object)[np.searchsorted(edges, x, side="left")]


def audit_groups(values: pd.Series) -> pd.Series:
    """Group labels for one audit column, by its values: no two groups are ever quietly merged.

    - empty cells (NaN, None, blank text, the text ``missing``) form the ``missing`` group;
    - text is grouped as given, one group per distinct value (at most ``MAX_TEXT_GROUPS``), and so is
      text that reads as numbers when it has at most ``MAX_VALUE_GROUPS`` distinct values ('01' and '1'
      stay two groups);
    - numbers with at most ``MAX_VALUE_GROUPS`` distinct values: one group per value;
    - more numbers (or text that reads as them, as a CSV column with one stray word would): under an
      age name (``age``, ``age_*``, ``*_age``) ages in years (14–120) go in the bands <25, 25–34, 35–44,
      45–54, 55+; other numbers in quintiles.
    Ages in years under an age name are banded even when they are few. Raises ``InputError`` naming the
    column for a column it cannot group: more than ``MAX_VALUE_GROUPS`` numbers mixed with text,
    infinite numbers, too many text values, or many numbers under an age name that are not ages in
    years.

    >>> list(audit_groups(pd.Series(["<25", "25-34", None], name="AGE_GROUP")))
    ['<25', '25-34', 'missing']
    """
    name = str(values.name if values.name is not None else "")
    absent = _absent(values)
    numbers: pd.Series | None = None
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values
    elif not pd.api.types.is_bool_dtype(values.dtype):
        cells = values[~absent]
        parsed = cells.map(_as_number)
        numberlike = parsed.notna().to_numpy(dtype=bool)
        many = pd.unique(parsed[numberlike]).size > MAX_VALUE_GROUPS
        if numberlike.all() and (many or cells.map(_is_number).all()):
            numbers = parsed.reindex(values.index)  # numbers, or many numbers written as text
        elif numberlike.any() and many:
            first = int(np.flatnonzero(~absent)[np.flatnonzero(~numberlike)[0]])
            raise _problem(
                name,
                f"holds numbers and text ({values.iloc[first]!r} at {row_label(values, first)}); "
                "expected all numbers (banded) or all text (grouped as given)",
            )
    if numbers is not None:
        labels = _group_numbers(
            _numbers(numbers, absent, name), absent, name, int(values.attrs.get(FIRST_ROW, 1))
        )
    else:
        text = values.where(~absent).map(lambda v: v if isinstance(v, str) else str(v))
        distinct = pd.unique(text[~absent])
        if distinct.size > MAX_TEXT_GROUPS:
            raise _problem(
                name,
                f"{distinct.size:,} distinct text values; expected an attribute of at most "
                f"{MAX_TEXT_GROUPS} groups (band it first, or give numbers to be banded)",
            )
        labels = text.to_numpy(dtype=object)
        labels[absent] = MISSING
    return pd.Series(labels, index=values.index, name=values.name, dtype=object)


def group_labels(groups: pd.Series) -> npt.NDArray[np.object_]:
    """Group labels as an object array of ``str``: numpy's fixed-width text would drop a label's trailing
    NUL characters and so merge two groups."""
    return np.asarray([str(v) for v in groups.to_numpy(dtype=object)], dtype=object)


_BAND = re.compile(r"^(≤ |\(|> )([^,\]]+)")


def _sort_key(label: str) -> tuple[int, float, int, str]:
    """Age bands in age order, numbers and quintile bands in numeric order, then text, then missing."""
    if label in AGE_LABELS:
        return (0, float(AGE_LABELS.index(label)), 0, "")
    try:
        return (1, float(label), 0, "")
    except ValueError:
        pass
    band = _BAND.match(label)
    if band is not None:
        try:
            return (1, -math.inf if band.group(1) == "≤ " else float(band.group(2)), 1, label)
        except ValueError:
            pass
    return (2 if label != MISSING else 3, 0.0, 0, label)


@dataclass
class GroupStats:
    """One group's figures at the cutoff."""

    group: str
    rows: int
    approval_rate: float
    bad_rate: float
    tpr: float | None  # approval rate among rows with a good outcome
    mean_score: float
    small: bool  # fewer than MIN_GROUP rows: shown, never the reference, never flagged
    adverse_impact_ratio: float | None = None
    four_fifths_flag: bool = False


def fairness_table(
    groups: pd.Series,
    score: npt.ArrayLike,
    bad: npt.ArrayLike,
    cutoff: int,
) -> dict[str, Any]:
    """Per-group approval, adverse impact ratio, four-fifths flag, TPR and mean score, and their gaps."""
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(bad, dtype=np.int64)
    approved = s >= cutoff
    lab = group_labels(groups)
    stats: list[GroupStats] = []
    codes, names = pd.factorize(lab)  # exact text: a numpy comparison would drop trailing NULs
    for i in sorted(range(len(names)), key=lambda i: _sort_key(str(names[i]))):
        m = codes == i
        goods = m & (y == 0)
        stats.append(
            GroupStats(
                group=str(names[i]),
                rows=int(m.sum()),
                approval_rate=float(approved[m].mean()),
                bad_rate=float(y[m].mean()),
                tpr=float(approved[goods].mean()) if goods.any() else None,
                mean_score=float(s[m].mean()),
                small=int(m.sum()) < MIN_GROUP,
            )
        )
    eligible = [g for g in stats if not g.small] or stats
    reference = max(eligible, key=lambda g: g.approval_rate)
    for g in stats:
        if reference.approval_rate > 0:
            g.adverse_impact_ratio = g.approval_rate / reference.approval_rate
            g.four_fifths_flag = g.adverse_impact_ratio < FOUR_FIFTHS and not g.small
    tprs = [g.tpr for g in eligible if g.tpr is not None]
    airs = [g.adverse_impact_ratio for g in eligible if g.adverse_impact_ratio is not None]
    means = [g.mean_score for g in eligible]
    return {
        "cutoff": cutoff,
        "reference_group": reference.group,
        "groups": [asdict(g) for g in stats],
        "min_adverse_impact_ratio": min(airs) if airs else None,
        "four_fifths_flagged": [g.group for g in stats if g.four_fifths_flag],
        "tpr_gap": (max(tprs) - min(tprs)) if tprs else None,
        "mean_score_gap": max(means) - min(means),
    }


def fairlearn_summary(
    groups: pd.Series, score: npt.ArrayLike, bad: npt.ArrayLike, cutoff: int
) -> dict[str, float]:
    """fairlearn's own figures on the same decision (positive = approved, true label = good outcome)."""
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equal_opportunity_difference,
        equalized_odds_difference,
    )

    approved = (np.asarray(score, dtype=np.float64) >= cutoff).astype(int)
    good = 1 - np.asarray(bad, dtype=np.int64)
    sf = group_labels(groups)
    kw = {"sensitive_features": sf}
    return {
        "demographic_parity_difference": float(demographic_parity_difference(good, approved, **kw)),
        "demographic_parity_ratio": float(demographic_parity_ratio(good, approved, **kw)),
        "equal_opportunity_difference": float(equal_opportunity_difference(good, approved, **kw)),
        "equalized_odds_difference": float(equalized_odds_difference(good, approved, **kw)),
    }
