"""Small raw-table directories for the feature tests: a hand-made one with known answers and a synthetic
one; helpers to cut a directory at an as-of date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from lucidscore.features._sources import polars_schema
from lucidscore.records import TABLES, TABLES_BY_NAME
from lucidscore.synth import SynthSummary, generate_population

AS_OF = date(2025, 6, 30)
TODAY = date(2026, 11, 22)


def _ts(day: str) -> datetime:
    return datetime.fromisoformat(day)


def write_tables(directory: Path, rows: dict[str, list[dict[str, object]]]) -> Path:
    """Write one Parquet file per table from row dicts (``reported_at`` defaults to 2026-07-01)."""
    directory.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        schema = polars_schema(table)
        records = [
            {"reported_at": _ts("2026-07-01"), **row} if "reported_at" in schema else row
            for row in rows.get(table.name, [])
        ]
        pl.DataFrame(records, schema=schema, orient="row").write_parquet(directory / f"{table.name}.parquet")
    return directory


def _monthly(account: str, first: str, count: int, **values: object) -> list[dict[str, object]]:
    year, month = map(int, first.split("-"))
    out = []
    for i in range(count):
        m = year * 12 + month - 1 + i
        row = {
            "account_id": account,
            "period": f"{m // 12:04d}-{m % 12 + 1:02d}",
            "balance": 0.0,
            "amount_due": 0.0,
            "amount_paid": 0.0,
            "days_past_due": 0,
        }
        row.update(values)
        out.append(row)
    return out


def tiny_rows() -> dict[str, list[dict[str, object]]]:
    """Three consumers with known features as of 2025-06-30, plus records dated after it."""
    a1 = _monthly("A1", "2024-07", 12, amount_due=25.0, amount_paid=25.0, balance=200.0)
    for row in a1:
        age = (2025 * 12 + 5) - (int(str(row["period"])[:4]) * 12 + int(str(row["period"])[5:]) - 1)
        row["balance"] = {0: 500.0, 1: 400.0, 2: 400.0}.get(age, 200.0)
        if age in (7, 8):
            row["amount_paid"] = 0.0
            row["days_past_due"] = 60 if age == 7 else 30
    a2 = _monthly("A2", "2024-10", 9, amount_due=110.0, amount_paid=110.0)
    for i, row in enumerate(a2):
        row["balance"] = 1100.0 - 100.0 * i
    a3 = _monthly("A3", "2024-01", 18, amount_due=800.0, amount_paid=800.0, balance=800.0)
    a3[14].update(days_past_due=30, amount_paid=0.0)  # 2025-03
    a4 = _monthly("A4", "2024-07", 12, amount_due=40.0, amount_paid=40.0, balance=40.0)
    return {
        "consumers": [
            {"consumer_id": "C1", "identity_verified": True, "address_since": date(2020, 6, 15)},
            {"consumer_id": "C2", "identity_verified": False, "address_since": date(2025, 9, 1)},
            {"consumer_id": "C3", "identity_verified": True, "address_since": None},
        ],
        "accounts": [
            {
                "account_id": "A1",
                "consumer_id": "C1",
                "kind": "revolving",
                "opened": date(2020, 1, 10),
                "closed": None,
                "credit_limit": 1000.0,
                "original_amount": None,
            },
            {
                "account_id": "A2",
                "consumer_id": "C1",
                "kind": "instalment",
                "opened": date(2024, 9, 5),
                "closed": date(2026, 1, 10),
                "credit_limit": None,
                "original_amount": 1200.0,
            },
            {
                "account_id": "A3",
                "consumer_id": "C1",
                "kind": "rent",
                "opened": date(2023, 1, 1),
                "closed": None,
                "credit_limit": None,
                "original_amount": None,
            },
            {
                "account_id": "A4",
                "consumer_id": "C2",
                "kind": "telecom",
                "opened": date(2024, 7, 1),
                "closed": None,
                "credit_limit": None,
                "original_amount": None,
            },
        ],
        "statements": a1 + a2 + a3 + a4,
        "inquiries": [
            {"consumer_id": "C1", "at": _ts("2025-06-30 23:00"), "merchant_id": "M1", "purpose": "loan"},
            {"consumer_id": "C1", "at": _ts("2025-01-15 10:00"), "merchant_id": "M2", "purpose": "loan"},
            {"consumer_id": "C1", "at": _ts("2024-11-01 10:00"), "merchant_id": "M3", "purpose": "other"},
        ],
        "public_records": [
            {
                "record_id": "P1",
                "consumer_id": "C1",
                "kind": "judgment",
                "filed": date(2022, 1, 1),
                "amount": 500.0,
                "satisfied": False,
            },
            {
                "record_id": "P2",
                "consumer_id": "C1",
                "kind": "charge_off",
                "filed": date(2019, 1, 1),
                "amount": 900.0,
                "satisfied": False,
            },
        ],
        "income": [
            {"consumer_id": "C1", "period": "2024-12", "amount": 2000.0, "verified": False},
            *(
                {"consumer_id": "C1", "period": f"2025-{m:02d}", "amount": a, "verified": True}
                for m, a in zip(range(1, 7), (2000.0, 2000.0, 2000.0, 2000.0, 3000.0, 3000.0), strict=True)
            ),
        ],
        "outcomes": [
            {"consumer_id": "C1", "observation_date": AS_OF, "bad": 1},
            {"consumer_id": "C2", "observation_date": AS_OF, "bad": 0},
            {"consumer_id": "C3", "observation_date": date(2024, 6, 30), "bad": 0},
        ],
    }


def later_rows() -> dict[str, list[dict[str, object]]]:
    """Records of every kind dated after 2025-06-30: none may change a feature as of that date."""
    return {
        "accounts": [
            {
                "account_id": "A5",
                "consumer_id": "C1",
                "kind": "revolving",
                "opened": date(2025, 7, 1),
                "closed": None,
                "credit_limit": 5000.0,
                "original_amount": None,
            },
            {
                "account_id": "A6",
                "consumer_id": "C3",
                "kind": "mortgage",
                "opened": date(2025, 12, 1),
                "closed": None,
                "credit_limit": None,
                "original_amount": 200000.0,
            },
        ],
        "statements": _monthly("A1", "2025-07", 6, balance=1000.0, amount_due=50.0, days_past_due=90)
        + _monthly("A5", "2025-07", 3, balance=4000.0, amount_due=100.0, days_past_due=30)
        + _monthly("A3", "2025-07", 2, balance=1600.0, amount_due=1600.0, days_past_due=60)
        + _monthly("A6", "2025-12", 2, balance=199000.0, amount_due=1000.0),
        "inquiries": [
            {
                "consumer_id": "C1",
                "at": _ts("2025-07-01 00:00"),
                "merchant_id": "M9",
                "purpose": "credit_card",
            },
            {"consumer_id": "C3", "at": _ts("2025-11-20 12:00"), "merchant_id": "M9", "purpose": "mortgage"},
        ],
        "public_records": [
            {
                "record_id": "P3",
                "consumer_id": "C1",
                "kind": "judgment",
                "filed": date(2025, 7, 1),
                "amount": 50.0,
                "satisfied": False,
            },
            {
                "record_id": "P4",
                "consumer_id": "C2",
                "kind": "bankruptcy",
                "filed": date(2026, 1, 1),
                "amount": 5000.0,
                "satisfied": False,
            },
        ],
        "income": [
            {"consumer_id": "C1", "period": "2025-07", "amount": 99999.0, "verified": False},
            {"consumer_id": "C3", "period": "2025-08", "amount": 1000.0, "verified": True},
        ],
    }


def merged(
    a: dict[str, list[dict[str, object]]], b: dict[str, list[dict[str, object]]]
) -> dict[str, list[dict[str, object]]]:
    return {name: a.get(name, []) + b.get(name, []) for name in TABLES_BY_NAME}


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate_population(1500, seed=21, out_dir=tmp_path_factory.mktemp("pop"), today=TODAY)


def cut_at(source: Path, target: Path, as_of: date) -> Path:
    """Copy a directory keeping only what was known on ``as_of``: records dated after it are dropped and a
    closing date after it is blanked (the account was still open then)."""
    target.mkdir(parents=True, exist_ok=True)
    month = f"{as_of.year:04d}-{as_of.month:02d}"
    end_of_day = datetime(as_of.year, as_of.month, as_of.day) + timedelta(days=1)
    keep = {
        "statements": pl.col("period") <= month,
        "income": pl.col("period") <= month,
        "accounts": pl.col("opened") <= as_of,
        "inquiries": pl.col("at") < end_of_day,
        "public_records": pl.col("filed") <= as_of,
    }
    for table in TABLES:
        frame = pl.read_parquet(source / f"{table.name}.parquet")
        if table.name in keep:
            frame = frame.filter(keep[table.name])
        if table.name == "accounts":
            frame = frame.with_columns(
                pl.when(pl.col("closed") <= as_of).then(pl.col("closed")).otherwise(None).alias("closed")
            )
        frame.write_parquet(target / f"{table.name}.parquet")
    return target
