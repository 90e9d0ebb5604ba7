"""Audit groups never quietly merge: every column grouped by its values, every row counted (issue 13).

The defect: an audit column named ``age``, ``age_*`` or ``*_age`` holding text bands (``AGE_GROUP`` with
``<25``, ``25-34``, ...) became one "missing" group, and the report said "no group under four-fifths".
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lucidscore.errors import InputError
from lucidscore.evaluate import align_audit, audit_groups, fairness_table
from lucidscore.evaluate._fairness import AGE_LABELS, MAX_TEXT_GROUPS, MISSING, is_age_name

TEXT_BANDS = ["<25", "25-34", "35-44", "45-54", "55+"]
AGE_NAMES = [
    "age",
    "AGE",
    "Age",
    "AGE_GROUP",
    "age_band",
    "applicant_age",
    "APPLICANT_AGE",
    "age_at_application",
]
OTHER_NAMES = ["band", "group", "SEX", "MARRIAGE", "x", "PAGE", "usage", "mortgage", "vintage"]


def test_text_age_bands_under_an_age_name_are_their_own_groups() -> None:
    """The reported defect: before the fix every row of this column fell in one 'missing' group."""
    values = pd.Series(TEXT_BANDS * 20, name="AGE_GROUP")
    groups = audit_groups(values)
    assert sorted(set(groups)) == sorted(TEXT_BANDS)
    assert MISSING not in set(groups)
    assert list(groups) == list(audit_groups(values.rename("band")))


def test_text_age_bands_show_the_real_gap_in_the_fairness_table() -> None:
    """Same data, two names: the same adverse impact ratios and the same four-fifths flags."""
    rng = np.random.default_rng(0)
    band = pd.Series(rng.choice(TEXT_BANDS, 2000), name="AGE_GROUP")
    score = np.where(band == "<25", rng.integers(450, 700, 2000), rng.integers(560, 800, 2000))
    bad = (rng.random(2000) < 0.2).astype(int)
    by_age_name = fairness_table(audit_groups(band), score, bad, 600)
    by_other_name = fairness_table(audit_groups(band.rename("cohort")), score, bad, 600)
    assert by_age_name == by_other_name
    assert by_age_name["four_fifths_flagged"] == ["<25"]
    assert len(by_age_name["groups"]) == len(TEXT_BANDS)


def test_coded_age_bands_are_not_banded_as_years() -> None:
    """Numeric band codes 1..5 under an age name are not ages in years: before the fix all were '<25'."""
    groups = audit_groups(pd.Series([1, 2, 3, 4, 5] * 10, name="age_band"))
    assert sorted(set(groups)) == ["1", "2", "3", "4", "5"]


def test_ages_in_years_are_banded() -> None:
    ages = pd.Series([18, 24, 25, 34, 35, 44, 45, 54, 55, 90, 30, 31, np.nan], name="AGE")
    assert list(audit_groups(ages)) == [
        "<25", "<25", "25–34", "25–34", "35–44", "35–44", "45–54", "45–54", "55+", "55+", "25–34", "25–34",
        MISSING,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            [*range(20, 80), -1],
            r"audit column AGE: -1 at row 61 is not an age in years \(14–120\); .*missing cells",
        ),
        (
            [*range(20, 80), "unknown"],
            r"audit column AGE: holds numbers and text \('unknown' at row 61\); .*all numbers .*or all text",
        ),
        (
            [f"id-{i}" for i in range(MAX_TEXT_GROUPS + 1)],
            rf"audit column AGE: {MAX_TEXT_GROUPS + 1} distinct",
        ),
        ([1.0, 2.0, math.inf], r"audit column AGE: inf at row 3 is not a finite number"),
    ],
)
def test_a_column_it_cannot_group_is_an_error_naming_it(values: list[Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        audit_groups(pd.Series(values, name="AGE"))


def test_align_audit_names_the_file_of_a_column_it_cannot_group() -> None:
    data = pd.DataFrame({"x": range(61)})
    audit = pd.DataFrame({"AGE": [*range(20, 80), "n/a"]})
    with pytest.raises(InputError, match=r"^audit\.csv: audit column AGE: holds numbers and text"):
        align_audit(data, audit, ["AGE"], audit_name="audit.csv")


@pytest.mark.parametrize("name", AGE_NAMES)
def test_age_names(name: str) -> None:
    assert is_age_name(name)


@pytest.mark.parametrize("name", OTHER_NAMES)
def test_not_age_names(name: str) -> None:
    assert not is_age_name(name)


# -- properties over generated audit columns ----------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
_labels = st.one_of(
    st.sampled_from([*TEXT_BANDS, *AGE_LABELS, "missing", " ", "", "M", "F", "1", "01"]), _text
)


@st.composite
def text_columns(draw: st.DrawFn) -> list[Any]:
    """Text values (bands, codes, anything), with missing cells of every kind."""
    pool = draw(st.lists(_labels, min_size=1, max_size=12, unique=True))
    cells = st.one_of(st.sampled_from(pool), st.sampled_from([None, np.nan, pd.NA]))
    return draw(st.lists(cells, min_size=1, max_size=120))


@st.composite
def number_columns(draw: st.DrawFn, min_distinct: int = 1) -> list[float]:
    """Numbers: few codes or many values, in age range or not, each value present, with missing cells."""
    low = draw(st.sampled_from([-10.0, 0.0, 14.0, 18.0, 100.0]))
    width = draw(st.sampled_from([5.0, 60.0, 1000.0]))
    distinct = draw(st.integers(min_distinct, max(40, min_distinct)))
    values = draw(
        st.lists(
            st.floats(low, low + width, allow_nan=False), min_size=distinct, max_size=distinct, unique=True
        )
    )
    extra = draw(st.lists(st.one_of(st.sampled_from(values), st.just(math.nan)), max_size=100))
    return list(draw(st.permutations([*values, *extra])))


def _absent(v: Any) -> bool:
    return (
        v is None
        or v is pd.NA
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _reads_as_number(v: str) -> bool:
    try:
        return not math.isnan(float(v))
    except ValueError:
        return False


def _check_counted(values: list[Any], groups: pd.Series, rows_in_group: dict[str, int]) -> None:
    """Every row in exactly one group; the group counts of the fairness table add up to the rows."""
    assert len(groups) == len(values)
    assert sum(rows_in_group.values()) == len(values)
    present = [not _absent(v) and v != "missing" for v in values]
    assert all(
        g != MISSING for g, p in zip(groups, present, strict=True) if p
    )  # nothing present is "missing"
    assert all(g == MISSING for g, p in zip(groups, present, strict=True) if not p)


def _table_counts(groups: pd.Series) -> dict[str, int]:
    score = np.arange(len(groups)) % 600 + 350
    table = fairness_table(groups, score, np.arange(len(groups)) % 2, 600)
    return {g["group"]: g["rows"] for g in table["groups"]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_columns(), st.sampled_from(AGE_NAMES), st.sampled_from(OTHER_NAMES))
def test_text_is_grouped_as_given_under_any_name(values: list[Any], age_name: str, other: str) -> None:
    series = pd.Series(values, dtype=object)
    present = {v for v in values if not _absent(v) and v != "missing"}
    assume(len(present) <= MAX_TEXT_GROUPS)
    assume(not (all(_reads_as_number(v) for v in present) and len({float(v) for v in present}) > 10))
    by_age = audit_groups(series.rename(age_name))
    by_other = audit_groups(series.rename(other))
    assert list(by_age) == list(by_other)  # the same data under any name gives the same groups
    counts = _table_counts(by_age)
    _check_counted(values, by_age, counts)
    # No text group merged: one group per distinct present value, labelled as given.
    assert set(counts) - {MISSING} == present
    for v, g in zip(values, by_age, strict=True):
        if v in present:
            assert g == v


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    number_columns(), st.sampled_from(AGE_NAMES), st.sampled_from(OTHER_NAMES), st.sampled_from(OTHER_NAMES)
)
def test_numbers_are_banded_as_documented_under_any_name(
    values: list[float], age_name: str, other: str, other2: str
) -> None:
    series = pd.Series(values, dtype=np.float64)
    present = sorted({v for v in values if not math.isnan(v)})
    ages_in_years = all(14 <= v <= 120 for v in present)
    outcomes: dict[str, pd.Series | None] = {}
    for name in (age_name, other, other2):
        try:
            outcomes[name] = audit_groups(series.rename(name))
        except InputError as exc:  # only an age name over numbers that are not ages in years
            assert name == age_name and not ages_in_years and len(present) > 10
            assert re.match(rf"audit column {re.escape(name)}: .* is not an age in years", str(exc))
            outcomes[name] = None
    # Any two names of the same kind give the same groups.
    assert list(outcomes[other]) == list(outcomes[other2])  # type: ignore[arg-type]
    for groups in (g for g in outcomes.values() if g is not None):
        counts = _table_counts(groups)
        _check_counted(values, groups, counts)
        seen: dict[float, set[str]] = {}
        for v, g in zip(values, groups, strict=True):
            if not math.isnan(v):
                seen.setdefault(v, set()).add(g)
        assert all(len(s) == 1 for s in seen.values())  # one value, one group
        label_of = {v: next(iter(s)) for v, s in seen.items()}
        if len(present) <= 10 and not (groups is outcomes[age_name] and ages_in_years):
            assert len(set(label_of.values())) == len(present)  # few values: one group per value
        # Bands are intervals: values between two values of one group are in that group too.
        for a, b in itertools.combinations(present, 2):
            if label_of[a] == label_of[b]:
                assert all(label_of[c] == label_of[a] for c in present if a < c < b)
    age_groups = outcomes[age_name]
    if age_groups is not None and ages_in_years and present:
        assert set(age_groups) - {MISSING} <= set(AGE_LABELS)


@settings(max_examples=60, deadline=None)
@given(number_columns(min_distinct=11), st.sampled_from([*AGE_NAMES, *OTHER_NAMES]))
def test_many_numbers_written_as_text_are_the_same_groups_as_the_numbers(
    values: list[float], name: str
) -> None:
    """A CSV column of numbers read as text (one stray word elsewhere, or a text dtype) is banded alike."""
    as_text = pd.Series([None if math.isnan(v) else repr(v) for v in values], dtype=object, name=name)
    try:
        expected = list(audit_groups(pd.Series(values, dtype=np.float64, name=name)))
    except InputError as exc:
        with pytest.raises(InputError, match=re.escape(str(exc))):
            audit_groups(as_text)
        return
    assert list(audit_groups(as_text)) == expected


@settings(max_examples=60, deadline=None)
@given(number_columns(), st.sampled_from(["unknown", "n/a", "refused", "55+"]), st.integers(0, 200))
def test_numbers_mixed_with_text_are_refused_when_they_would_be_banded(
    values: list[float], word: str, at: int
) -> None:
    cells: list[Any] = [*values]
    cells.insert(at % (len(cells) + 1), word)
    present = {v for v in values if not math.isnan(v)}
    series = pd.Series(cells, dtype=object, name="years")
    if len(present) > 10:
        row = cells.index(word) + 1
        with pytest.raises(
            InputError,
            match=rf"audit column years: holds numbers and text \('{re.escape(word)}' at row {row}\)",
        ):
            audit_groups(series)
    else:  # a few codes and a word: grouped as given
        groups = audit_groups(series)
        assert groups.iloc[cells.index(word)] == word
        assert len(set(groups) - {MISSING}) == len(present) + 1
