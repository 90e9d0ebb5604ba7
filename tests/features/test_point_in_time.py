"""Point in time: records dated after the as-of date never change a feature."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from lucidscore.features import compute_features
from lucidscore.synth import SynthSummary
from tests.features.conftest import AS_OF, TODAY, cut_at, later_rows, merged, tiny_rows, write_tables


def test_appending_later_records_of_every_kind_changes_nothing(tmp_path: Path) -> None:
    before = compute_features(write_tables(tmp_path / "before", tiny_rows()), AS_OF, today=TODAY)
    with_later = write_tables(tmp_path / "after", merged(tiny_rows(), later_rows()))
    after = compute_features(with_later, AS_OF, today=TODAY)
    assert_frame_equal(before, after)
    # ...while the same later records do count once the as-of date moves past them.
    moved = compute_features(with_later, date(2026, 1, 31), today=TODAY)
    assert moved.filter(moved["consumer_id"] == "C1")["n_credit_accounts"].item() == 3


def test_synthetic_outcome_months_are_ignored(population: SynthSummary, tmp_path: Path) -> None:
    """The synthetic files hold 12 months after the observation date; cutting them off changes nothing."""
    full = compute_features(population.out_dir, AS_OF, today=TODAY)
    cut = compute_features(cut_at(population.out_dir, tmp_path, AS_OF), AS_OF, today=TODAY)
    assert_frame_equal(full, cut)
    assert full.height == population.n_consumers
    assert full["bad"].sum() > 0


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=900))
def test_any_as_of_date_sees_only_its_past(population: SynthSummary, tmp_path: Path, days: int) -> None:
    as_of = date(2023, 12, 1) + timedelta(days=days)
    target = tmp_path / f"cut-{as_of.isoformat()}"
    full = compute_features(population.out_dir, as_of, today=TODAY)
    cut = compute_features(cut_at(population.out_dir, target, as_of), as_of, today=TODAY)
    assert_frame_equal(full, cut)


@pytest.mark.parametrize("as_of", [date(2026, 12, 1), date(2030, 1, 1)])
def test_future_as_of_is_refused(population: SynthSummary, as_of: date) -> None:
    with pytest.raises(Exception, match=rf"as_of: {as_of.isoformat()} is in the future"):
        compute_features(population.out_dir, as_of, today=TODAY)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=900))
def test_windows_nest_and_ratios_stay_in_range(population: SynthSummary, days: int) -> None:
    frame = compute_features(population.out_dir, date(2023, 12, 1) + timedelta(days=days), today=TODAY)
    nested = [
        ("worst_dpd_6m", "worst_dpd_12m"),
        ("worst_dpd_12m", "worst_dpd_24m"),
        ("inquiries_6m", "inquiries_12m"),
        ("n_open_credit_accounts", "n_credit_accounts"),
        ("accounts_opened_12m", "n_credit_accounts"),
        ("months_since_newest_account", "months_since_oldest_account"),
    ]
    for small, large in nested:
        pairs = frame.select(small, large).drop_nulls()
        assert (pairs[small] <= pairs[large]).all(), (small, large)
    for share in ("bill_on_time_share_12m", "bill_on_time_share_24m"):
        values = frame[share].drop_nulls()
        assert ((values >= 0) & (values <= 1)).all(), share
    assert (frame["instalment_paid_down"].drop_nulls() <= 1).all()  # below 0 when arrears exceed repayments
    assert (frame["revolving_utilisation"].drop_nulls() >= 0).all()  # above 1 when over the limit
    # Missing together: no revolving account in the month means no utilisation and no buffer.
    assert frame.filter(frame["revolving_utilisation"].is_null())["balance_buffer"].null_count() == (
        frame["revolving_utilisation"].null_count()
    )
    assert (frame["thin_file"] == (frame["n_credit_accounts"] < 2).cast(frame["thin_file"].dtype)).all()
