"""Each characteristic on a hand-made file with known answers; null where undefined, never 0 by default."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lucidscore.features import FEATURE_CATALOGUE, compute_features
from tests.features.conftest import AS_OF, TODAY, tiny_rows, write_tables


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    directory = write_tables(tmp_path_factory.mktemp("tiny"), tiny_rows())
    frame = compute_features(directory, AS_OF, today=TODAY)
    return {row["consumer_id"]: row for row in frame.iter_rows(named=True)}


def test_one_row_per_consumer_and_every_catalogue_column(tiny: dict[str, dict[str, object]]) -> None:
    assert set(tiny) == {"C1", "C2", "C3"}
    assert list(tiny["C1"]) == ["consumer_id", *FEATURE_CATALOGUE, "bad"]


EXPECTED_C1 = {
    "worst_dpd_6m": 0,
    "worst_dpd_12m": 60,
    "worst_dpd_24m": 60,
    "current_dpd": 0,
    "months_since_30dpd": 7,
    "n_60dpd_24m": 1,
    "payment_to_due_12m": 1240 / 1290,
    "n_credit_accounts": 2,
    "n_open_credit_accounts": 2,  # A2 closes in 2026: still open on the as-of date
    "thin_file": 0,
    "accounts_opened_12m": 1,
    "inquiries_6m": 2,
    "inquiries_12m": 3,
    "unpaid_judgments": 1,
    "public_records_5y": 1,
    "charge_offs_5y": 0,
    "bill_on_time_share_12m": 11 / 12,
    "bill_on_time_share_24m": 17 / 18,
    "worst_bill_dpd_12m": 30,
    "months_of_bill_history": 18,
    "n_bill_accounts": 1,
    "revolving_utilisation": 0.5,
    "utilisation_trend": 1300 / 3000 - 3100 / 12000,
    "total_credit_balance": 800.0,
    "debt_to_income": 135 / (14000 / 6),
    "balance_buffer": 500 / (14000 / 6),
    "instalment_paid_down": 0.75,
    "income_avg_6m": 14000 / 6,
    "income_volatility_12m": pl.Series([2000.0] * 5 + [3000.0] * 2).std() / (16000 / 7),
    "identity_verified": 1,
    "income_verified": 1,  # the latest month's, not the earlier unverified declaration
    "months_at_address": 60,
    "months_since_oldest_account": 65,
    "months_since_newest_account": 9,
    "bad": 1,
}


@pytest.mark.parametrize("name", list(EXPECTED_C1))
def test_thick_file_consumer(tiny: dict[str, dict[str, object]], name: str) -> None:
    assert tiny["C1"][name] == pytest.approx(EXPECTED_C1[name]), name


def test_bill_only_consumer_has_missing_credit_features(tiny: dict[str, dict[str, object]]) -> None:
    c2 = tiny["C2"]
    for name in (
        "worst_dpd_12m",
        "months_since_30dpd",
        "n_60dpd_24m",
        "payment_to_due_12m",
        "revolving_utilisation",
        "utilisation_trend",
        "total_credit_balance",
        "debt_to_income",
        "balance_buffer",
        "instalment_paid_down",
        "income_avg_6m",
        "income_verified",
    ):
        assert c2[name] is None, name
    assert c2["n_credit_accounts"] == 0
    assert c2["thin_file"] == 1
    assert c2["bill_on_time_share_12m"] == 1.0
    assert c2["months_of_bill_history"] == 12
    assert c2["months_at_address"] is None  # moved in after the as-of date
    assert c2["identity_verified"] == 0
    assert c2["bad"] == 0


def test_consumer_without_records_gets_zero_counts_and_missing_values(
    tiny: dict[str, dict[str, object]],
) -> None:
    c3 = tiny["C3"]
    counts = (
        "n_credit_accounts",
        "n_bill_accounts",
        "inquiries_6m",
        "unpaid_judgments",
        "months_of_bill_history",
    )
    assert all(c3[name] == 0 for name in counts)
    assert c3["months_since_oldest_account"] is None
    assert c3["worst_dpd_24m"] is None
    assert c3["bill_on_time_share_12m"] is None
    assert c3["bad"] is None  # its outcome was observed on another date


def test_no_bad_column_without_outcomes_on_the_as_of_date(tmp_path: Path) -> None:
    rows = tiny_rows()
    rows["outcomes"] = [{"consumer_id": "C1", "observation_date": AS_OF.replace(year=2024), "bad": 1}]
    frame = compute_features(write_tables(tmp_path, rows), AS_OF, today=TODAY)
    assert "bad" not in frame.columns
    (tmp_path / "outcomes.parquet").unlink()
    assert "bad" not in compute_features(tmp_path, AS_OF, today=TODAY).columns


def test_a_bill_history_older_than_a_century_counts_whole(tmp_path: Path) -> None:
    """Statement months were aged by a table of the last 100 years only: a rent statement of January 1920
    was left out, and the history counted 1 month instead of 1,266."""
    rows = {
        "consumers": [{"consumer_id": "C1", "identity_verified": True, "address_since": None}],
        "accounts": [
            {
                "account_id": "R1",
                "consumer_id": "C1",
                "kind": "rent",
                "opened": date(1919, 12, 1),
                "closed": None,
                "credit_limit": None,
                "original_amount": None,
            }
        ],
        "statements": [
            {
                "account_id": "R1",
                "period": period,
                "balance": 0.0,
                "amount_due": 500.0,
                "amount_paid": 500.0,
                "days_past_due": 0,
            }
            for period in ("1920-01", "2025-06")
        ],
    }
    frame = compute_features(write_tables(tmp_path, rows), AS_OF, today=TODAY)
    assert frame["months_of_bill_history"].item() == (2025 - 1920) * 12 + 6
