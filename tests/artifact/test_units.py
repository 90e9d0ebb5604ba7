"""How values and ranges are written for a consumer: rounding is a function of the value, counts name
exactly the whole numbers of a bin, and the words are the ones a person uses."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.artifact import display_round, format_range, format_value, join_alternatives
from lucidscore.policy import UNITS, Unit

finite = st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    ("unit", "value", "text"),
    [
        ("money", 5050.4, "5,050"),
        ("money", 123_456.0, "123,000"),
        ("percent", 0.282, "28%"),
        ("percent", 0.053, "5.3%"),
        ("percent", -0.0226, "-2.3%"),
        ("months", 1.0, "1 month"),
        ("months", 14.0, "14 months"),
        ("months", 0.37, "0.4 months"),
        ("months", 0.0, "less than a month"),
        ("days", 30.0, "30 days"),
        ("count", 3.0, "3"),
        ("flag", 1.0, "yes"),
        ("flag", 0.0, "no"),
        ("number", 0.2821, "0.282"),
        ("number", 12_345.0, "12,300"),
        ("percent", math.nan, "not reported"),
    ],
)
def test_values_in_words(unit: Unit, value: float, text: str) -> None:
    assert format_value(unit, value) == text


@pytest.mark.parametrize(
    ("unit", "lower", "upper", "text"),
    [
        ("percent", None, 0.15, "under 15%"),
        ("percent", 0.1, 0.15, "from 10% to under 15%"),
        ("percent", 0.118, None, "11.8% or more"),
        ("months", 12.0, None, "12 months or more"),
        ("months", None, 1.0, "under 1 month"),
        ("months", 12.0, 36.0, "from 12 to under 36 months"),
        ("days", None, 30.0, "under 30 days"),
        ("money", 12_500.0, 79_312.5, "from 12,500 to under 79,300"),
        ("count", None, 1.0, "none"),
        ("count", None, 3.0, "2 or fewer"),
        ("count", 0.5, 2.5, "1 to 2"),
        ("count", 3.0, None, "3 or more"),
        ("count", 2.0, 3.0, "2"),
        ("flag", 0.5, None, "yes"),
        ("flag", None, 1.0, "no"),
        ("number", None, None, "any value"),
    ],
)
def test_ranges_in_words(unit: Unit, lower: float | None, upper: float | None, text: str) -> None:
    assert format_range(unit, lower, upper) == text


def test_alternatives() -> None:
    assert join_alternatives(["A13"]) == "A13"
    assert join_alternatives(["A12", "A13"]) == "A12 or A13"
    assert join_alternatives(["a", "b", "c"]) == "a, b or c"
    assert join_alternatives(["under 10%", "40% or more"]) == "under 10%, or 40% or more"


@settings(deadline=None)  # timing is not the property (the machine may be busy)
@given(st.sampled_from(UNITS), finite)
def test_rounding_is_what_is_written(unit: Unit, x: float) -> None:
    """Values that round alike are written alike, and rounding twice changes nothing: a batch can write
    each rounded value once."""
    once = float(display_round(unit, x))
    assert format_value(unit, once) == format_value(unit, x)
    assert float(display_round(unit, once)) == pytest.approx(once, rel=1e-12, abs=1e-12)


@settings(deadline=None)
@given(
    st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)),
    st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)),
)
def test_count_ranges_name_exactly_the_whole_numbers_of_the_bin(lo: float | None, hi: float | None) -> None:
    if lo is not None and hi is not None and lo >= hi:
        return
    inside = [n for n in range(0, 60) if (lo is None or lo <= n) and (hi is None or n < hi)]
    text = format_range("count", lo, hi)
    if not inside or (lo is not None and lo < 0 and hi is None):
        return
    if text == "none":
        assert inside == [0]
    elif m := re.fullmatch(r"([\d,]+) or fewer", text):
        assert inside == list(range(0, int(m[1].replace(",", "")) + 1))
    elif m := re.fullmatch(r"([\d,]+) or more", text):
        assert inside[0] == int(m[1].replace(",", "")) and inside[-1] == 59
    elif m := re.fullmatch(r"([\d,]+) to ([\d,]+)", text):
        assert inside == list(range(int(m[1].replace(",", "")), int(m[2].replace(",", "")) + 1))
    elif re.fullmatch(r"-?[\d,]+", text):
        assert inside == [int(text.replace(",", ""))]
