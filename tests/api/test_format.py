"""The pages' plain-language formatters (issue 12) over generated values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from lucidscore.api._format import (
    code_label,
    day,
    field_label,
    money,
    month,
    number,
    value_text,
    when,
    yes_no,
)
from lucidscore.records import TABLES

amounts = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(amounts)
def test_money_reads_back_as_the_amount_to_the_cent(value: float) -> None:
    text = money(value, "EUR")
    assert re.fullmatch(r"-?€\d{1,3}(,\d{3})*(\.\d{2})?", text), text
    back = Decimal(text.replace("€", "").replace(",", ""))
    assert abs(back - Decimal(value).quantize(Decimal("0.01"))) <= Decimal("0.01")
    assert not text.endswith(".0") and not text.endswith(".00")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_whole_amounts_have_no_decimals_and_other_codes_follow_the_amount(value: int) -> None:
    assert money(float(value), "EUR") == ("-" if value < 0 else "") + f"€{abs(value):,}"
    assert money(value, "CHF") == ("-" if value < 0 else "") + f"{abs(value):,} CHF"
    assert money(value + 0.5, "JPY") == money(round(value + 0.5), "JPY")  # no minor unit


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_numbers_never_end_in_point_zero(value: float) -> None:
    text = number(value)
    assert not text.endswith(".0") and "e" not in text
    assert abs(float(text.replace(",", "")) - value) <= max(0.01, abs(value) * 1e-9)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_are_dates_without_clock(value: date) -> None:
    text = day(value)
    assert text == f"{value.day} {value.strftime('%B')} {value.year}"
    midnight = datetime(value.year, value.month, value.day).isoformat(timespec="microseconds")
    assert day(midnight) == text and when(midnight) == text and "00:00" not in when(midnight)
    assert month(value.strftime("%Y-%m")) == f"{value.strftime('%B')} {value.year}"


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_moments_have_minutes_not_microseconds(value: datetime) -> None:
    text = when(value)
    assert "." not in text.split(",")[-1] and "000000" not in text
    if (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0):
        assert text.endswith(f"{value:%H:%M} UTC")


def test_flags_and_codes_read_as_words() -> None:
    assert [yes_no(v) for v in (1, 0, True, False, "true", "false", "1", "0")] == ["yes", "no"] * 4
    assert code_label("revolving") == "Credit card or revolving credit"
    assert code_label("something_new") == "something new"
    assert value_text("accounts", "closed", None, "EUR") == "—"
    assert value_text("statements", "days_past_due", 45, "EUR") == "45 days"
    assert value_text("statements", "balance", 1500.0, "EUR") == "€1,500"
    assert value_text("consumers", "identity_verified", 1, "EUR") == "yes"


def test_every_record_field_has_a_label_of_words() -> None:
    for table in TABLES:
        for column in table.column_names:
            label = field_label(column)
            assert "_" not in label and label[0].isupper(), (table.name, column, label)
