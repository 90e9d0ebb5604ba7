"""Month arithmetic of the generator, for all dates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lucidscore.synth._calendar import day_in_month, month_end, month_index, month_label, months_before

dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))


@given(dates)
def test_month_index_round_trips_through_its_label(day: date) -> None:
    index = month_index(day)
    assert month_label(index) == day.strftime("%Y-%m")
    assert month_end(index).month == day.month
    assert (month_end(index) + timedelta(days=1)).day == 1


@given(dates, st.integers(min_value=0, max_value=600))
def test_months_before_moves_whole_months_and_clips_the_day(day: date, months: int) -> None:
    earlier = months_before(day, months)
    assert month_index(day) - month_index(earlier) == months
    assert earlier.day == min(day.day, month_end(month_index(earlier)).day)


@given(
    st.lists(
        st.integers(min_value=month_index(date(1990, 1, 1)), max_value=month_index(date(2030, 12, 1))),
        min_size=1,
        max_size=50,
    ),
    st.floats(min_value=0.0, max_value=0.999999),
    dates,
)
def test_day_in_month_stays_in_its_month_and_before_the_last_day(
    months: list[int], fraction: float, last: date
) -> None:
    index = np.array(months)
    days = day_in_month(index, np.full(len(months), fraction), last)
    for m, d in zip(months, days.astype(object), strict=True):
        assert d <= last
        if month_end(m) <= last:
            assert month_index(d) == m
