"""Parquet columns of any type give a per-row reason or one clear error, never a traceback (issue 11)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import Engine

from lucidscore.errors import InputError
from lucidscore.ingest import ingest_file
from tests.ingest import _data


@pytest.fixture
def accounts_loaded(tmp_path: Path, engine: Engine) -> Path:
    data = _data.write(tmp_path / "d", {"consumers": _data.CONSUMERS, "accounts": _data.ACCOUNTS})
    ingest_file(data / "consumers.csv", "consumers", engine)
    ingest_file(data / "accounts.csv", "accounts", engine)
    return data


def _statements(**override: pa.Array) -> pa.Table:
    n = 3
    columns: dict[str, pa.Array] = {
        "account_id": pa.array(["A1", "A2", "A3"]),
        "period": pa.array(["2025-01"] * n),
        "balance": pa.array([1.0, 2.0, 3.0]),
        "amount_due": pa.array([1.0] * n),
        "amount_paid": pa.array([1.0] * n),
        "days_past_due": pa.array([0, 1, 2], type=pa.int64()),
        "reported_at": pa.array([datetime(2026, 1, 1)] * n, type=pa.timestamp("us")),
    }
    columns.update(override)
    return pa.table(columns)


def test_a_uint64_beyond_int64_is_quarantined_per_row(accounts_loaded: Path, engine: Engine) -> None:
    path = accounts_loaded / "statements.parquet"
    big = 2**64 - 1
    pq.write_table(_statements(days_past_due=pa.array([0, big, 5], type=pa.uint64())), path)
    report = ingest_file(path, "statements", engine)
    assert (report.inserted, report.quarantined) == (2, 1)
    assert report.problems == (f"statements.parquet row 2: days_past_due is '{big}'; expected an integer",)


@pytest.mark.parametrize(
    ("column", "array", "kind"),
    [
        ("balance", pa.array([[1.0], [2.0, 3.0], []], type=pa.list_(pa.float64())), "list<element: double>"),
        ("account_id", pa.array([{"a": "A1"}, {"a": "A2"}, {"a": "A3"}]), "struct<a: string>"),
    ],
    ids=["list", "struct"],
)
def test_a_nested_column_is_one_clear_error(
    accounts_loaded: Path, engine: Engine, column: str, array: pa.Array, kind: str
) -> None:
    path = accounts_loaded / "statements.parquet"
    pq.write_table(_statements(**{column: array}), path)
    with pytest.raises(
        InputError,
        match=rf"statements.parquet column {column}: a nested Parquet type \({kind}\) holds several values "
        r"per row; expected one .+ per row \(every row\)",
    ):
        ingest_file(path, "statements", engine)


def test_binary_text_is_decoded_and_bad_bytes_quarantined(accounts_loaded: Path, engine: Engine) -> None:
    path = accounts_loaded / "statements.parquet"
    pq.write_table(_statements(account_id=pa.array([b"A1", b"A\xe92", b"A3"], type=pa.binary())), path)
    report = ingest_file(path, "statements", engine)
    assert (report.inserted, report.quarantined) == (2, 1)
    assert report.problems == (
        "statements.parquet row 2: account_id is 'A\\\\xe92'; byte 0xe9 is not UTF-8; expected UTF-8 text",
    )


def test_timestamps_out_of_range_and_odd_types_are_per_row(accounts_loaded: Path, engine: Engine) -> None:
    path = accounts_loaded / "statements.parquet"
    table = _statements(
        reported_at=pa.array([datetime(2026, 1, 1), None, datetime(2026, 1, 1)], type=pa.timestamp("ms")),
        balance=pa.array([1, 2, 3], type=pa.decimal128(10, 2)),
        period=pa.array([1, 2, 3], type=pa.time32("s")),
    )
    pq.write_table(table, path)
    report = ingest_file(path, "statements", engine)
    assert report.quarantined == 3
    assert any("reported_at is empty" in p for p in report.problems)
    assert any("period is " in p and "expected a month YYYY-MM" in p for p in report.problems)
