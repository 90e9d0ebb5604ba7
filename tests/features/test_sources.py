"""Reading the raw tables: a directory (CSV or Parquet) or a database loaded by ``lucidscore ingest``;
bad input named precisely."""

from __future__ import annotations

import re
import sqlite3
import tempfile
from datetime import datetime, time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from lucidscore.errors import InputError
from lucidscore.features import compute_features
from lucidscore.ingest import ingest_directory
from lucidscore.synth import SynthSummary, generate_population
from tests.features._records import RecordSet, Rows, corrections, current, record_sets, write_directory
from tests.features.conftest import AS_OF, TODAY, tiny_rows, write_tables


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate_population(400, seed=8, out_dir=tmp_path_factory.mktemp("small"), today=TODAY)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """Big enough that float sums in another order differ in the last bits for hundreds of consumers."""
    return generate_population(3000, seed=3, out_dir=tmp_path_factory.mktemp("medium"), today=TODAY)


def test_csv_and_parquet_give_the_same_features(tmp_path: Path) -> None:
    csv = generate_population(400, seed=8, out_dir=tmp_path / "csv", fmt="csv", today=TODAY)
    pq = generate_population(400, seed=8, out_dir=tmp_path / "pq", today=TODAY)
    assert_frame_equal(
        compute_features(csv.out_dir, AS_OF, today=TODAY),
        compute_features(pq.out_dir, AS_OF, today=TODAY),
        check_exact=True,
    )


# Exactly equal, not within a tolerance: the sources hold the same values (SQLite REAL and PostgreSQL
# double precision keep every float64 bit), and every float sum is added up in one canonical order.
def test_sqlite_database_gives_the_same_features(medium: SynthSummary, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bureau.db'}"
    ingest_directory(medium.out_dir, url)
    assert_frame_equal(
        compute_features(url, AS_OF, today=TODAY),
        compute_features(medium.out_dir, AS_OF, today=TODAY),
        check_exact=True,
    )


@settings(max_examples=8, deadline=None)
@given(records=record_sets(keyed=True), data=st.data())
def test_generated_records_load_whole_and_give_the_directorys_features(
    records: RecordSet, data: st.DataObject
) -> None:
    """The property tests' record sets (tests/features/_records.py) hold only rows ingest accepts (none
    quarantined, on the day the tests call today); after corrections of some records, SQLite's current
    views give the features of the corrected directory, in one pass and in chunks."""
    corrected = data.draw(corrections(records), label="corrections")
    size = data.draw(st.integers(1, len(records.rows["consumers"]) + 1), label="chunk_consumers")
    now = datetime.combine(TODAY, time.max)
    with tempfile.TemporaryDirectory(prefix="lucidscore-load-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bureau.db'}"
        for name, rows in (("raw", records.rows), ("corrections", corrected)):
            report = ingest_directory(write_directory(Path(tmp) / name, rows), url, now=now)
            assert report.total("quarantined") == 0, [p for f in report.files for p in f.problems]
            assert report.total("accepted") == sum(len(r) for r in rows.values())
        assert report.total("inserted") == 0  # every correction is a new version of a stored record
        event(f"corrections superseded a record: {report.total('superseded') > 0}")
        directory = write_directory(Path(tmp) / "current", current(records.rows, corrected))
        expected = compute_features(directory, records.as_of, today=TODAY)
        assert_frame_equal(compute_features(url, records.as_of, today=TODAY), expected, check_exact=True)
        chunked = compute_features(url, records.as_of, today=TODAY, chunk_consumers=size)
        assert_frame_equal(chunked, expected, check_exact=True)


@pytest.mark.postgres
def test_postgresql_database_gives_the_same_features(small: SynthSummary, postgres_url: str) -> None:
    ingest_directory(small.out_dir, postgres_url)
    assert_frame_equal(
        compute_features(postgres_url, AS_OF, today=TODAY),
        compute_features(small.out_dir, AS_OF, today=TODAY),
        check_exact=True,
    )


def test_row_order_does_not_change_a_feature(medium: SynthSummary, tmp_path: Path) -> None:
    """Every table with its rows shuffled gives bit-for-bit the same features (a database hands rows
    back in its own order), and so does a second run on the same files."""
    for path in medium.files.values():
        pl.read_parquet(path).sample(fraction=1.0, shuffle=True, seed=5).write_parquet(tmp_path / path.name)
    expected = compute_features(medium.out_dir, AS_OF, today=TODAY)
    assert_frame_equal(compute_features(tmp_path, AS_OF, today=TODAY), expected, check_exact=True)
    assert_frame_equal(compute_features(medium.out_dir, AS_OF, today=TODAY), expected, check_exact=True)


def test_database_reads_only_current_rows(tmp_path: Path) -> None:
    """A correction (same key, newer reported_at) replaces the old value in the features."""
    raw = write_tables(tmp_path / "raw", tiny_rows())
    url = f"sqlite:///{tmp_path / 'bureau.db'}"
    ingest_directory(raw, url)
    fix = tmp_path / "fix"
    fix.mkdir()
    statements = pl.read_parquet(raw / "statements.parquet")
    corrected = statements.filter(
        (pl.col("account_id") == "A1") & (pl.col("period") == "2024-11")
    ).with_columns(pl.lit(0, pl.Int64).alias("days_past_due"), pl.col("reported_at").dt.offset_by("1d"))
    corrected.write_parquet(fix / "statements.parquet")
    pl.read_parquet(raw / "consumers.parquet").write_parquet(fix / "consumers.parquet")
    ingest_directory(fix, url)
    c1 = compute_features(url, AS_OF, today=TODAY).filter(pl.col("consumer_id") == "C1")
    assert c1["worst_dpd_12m"].item() == 30
    assert c1["n_60dpd_24m"].item() == 0


def test_a_missing_table_is_named(small: SynthSummary, tmp_path: Path) -> None:
    for path in small.files.values():
        if path.stem != "inquiries":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    with pytest.raises(InputError, match=r"the inquiries table is missing; expected inquiries.parquet or "):
        compute_features(tmp_path, AS_OF, today=TODAY)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_wrong_columns_are_named(tmp_path: Path, fmt: str) -> None:
    summary = generate_population(50, seed=2, out_dir=tmp_path, fmt=fmt, today=TODAY)  # type: ignore[arg-type]
    path = summary.files["statements"]
    frame = pl.read_parquet(path) if fmt == "parquet" else pl.read_csv(path)
    frame = frame.rename({"days_past_due": "dpd", "balance": "bal"})
    frame.write_parquet(path) if fmt == "parquet" else frame.write_csv(path)
    with pytest.raises(
        InputError,
        match=rf"statements.{fmt}: missing column\(s\) balance, days_past_due; found unexpected bal, dpd; "
        r"expected account_id, period, balance",
    ):
        compute_features(tmp_path, AS_OF, today=TODAY)


def test_unparseable_values_name_the_table(tmp_path: Path) -> None:
    summary = generate_population(50, seed=2, out_dir=tmp_path, fmt="csv", today=TODAY)
    path = summary.files["statements"]
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",0,", ",late,", 1)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        InputError, match=r"the statements table could not be read with the types of its schema \(.*late"
    ):
        compute_features(tmp_path, AS_OF, today=TODAY)


def _with_amount(rows: Rows, table: str, column: str, amount: float) -> Rows:
    """``rows`` with ``amount`` in the first record of ``table`` dated in the as-of month (or the first)."""
    records = rows[table]
    index = next((i for i, r in enumerate(records) if r.get("period") == "2025-06"), 0)
    records[index] = {**records[index], column: amount}
    return rows


# An income of 1e33 failed the run as "the one table could not be read with the types of its schema
# (decimal precision 38 can't fit values with 39 digits)"; a balance of 1e300, or an infinite limit, was
# dropped from its sums without a word (total_credit_balance 0.0). Ingest now refuses money above 1e12.
@pytest.mark.parametrize(
    ("table", "column", "amount", "where"),
    [
        ("income", "amount", 1e33, "consumer_id 'C1', period '2025-06'"),
        ("statements", "balance", 1e300, "account_id 'A1', period '2025-06'"),
        ("accounts", "credit_limit", float("inf"), "account_id 'A1'"),
    ],
)
def test_money_beyond_the_schema_is_named(
    tmp_path: Path, table: str, column: str, amount: float, where: str
) -> None:
    directory = write_tables(tmp_path, _with_amount(tiny_rows(), table, column, amount))
    expected = f"{tmp_path}: the {table} table's {column} is {amount:g} ({where}); expected an amount"
    with pytest.raises(InputError, match=rf"^{re.escape(expected)} of money ≤ 1e\+12 \(docs/data.md\)$"):
        compute_features(directory, AS_OF, today=TODAY)


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no-such: no such directory"):
        compute_features(tmp_path / "no-such", AS_OF, today=TODAY)


def test_a_database_without_the_tables_is_named(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with pytest.raises(InputError, match=r"the consumers table is missing \(no view consumers_current\)"):
        compute_features(f"sqlite:///{path}", AS_OF, today=TODAY)
