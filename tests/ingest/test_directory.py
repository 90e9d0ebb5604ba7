"""Loading a directory: counts per file, current views, re-ingesting changes nothing, Parquet alike."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from lucidscore.errors import InputError
from lucidscore.ingest import find_table_files, ingest_directory, ingest_file
from lucidscore.records import LOAD_ORDER
from lucidscore.store import current_view_name, raw_table
from tests.ingest import _data


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(select(func.count()).select_from(raw_table(t))).scalar_one() for t in LOAD_ORDER
        }


def test_directory_loads_every_table_in_order(tmp_path: Path, db_url: str, engine: Engine) -> None:
    report = ingest_directory(_data.write(tmp_path / "data"), db_url)
    assert [f.table for f in report.files] == list(LOAD_ORDER)
    expected = {t: text.count("\n") - 1 for t, text in _data.ALL.items()}
    assert {f.table: f.inserted for f in report.files} == expected
    assert all(f.read == f.accepted and f.quarantined == 0 for f in report.files)
    assert report.quarantine_paths == ()
    assert _counts(engine) == expected
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT * FROM {current_view_name('statements')} WHERE period = '2025-02'"))
        got = row.mappings().one()
    assert dict(got) | {"reported_at": None} == {
        "account_id": "A1",
        "period": "2025-02",
        "balance": 120.5,
        "amount_due": 12.0,
        "amount_paid": 0.0,
        "days_past_due": 30,
        "reported_at": None,
    }


def test_reingesting_the_same_directory_changes_nothing(tmp_path: Path, db_url: str, engine: Engine) -> None:
    data = _data.write(tmp_path / "data")
    ingest_directory(data, db_url)
    before = _counts(engine)
    again = ingest_directory(data, db_url)
    assert _counts(engine) == before
    for f in again.files:
        assert (f.inserted, f.superseded, f.quarantined) == (0, 0, 0)
        assert f.unchanged == f.read > 0


def test_parquet_files_load_like_csv(tmp_path: Path, db_url: str, engine: Engine) -> None:
    csv_dir = _data.write(tmp_path / "csv")
    pq_dir = tmp_path / "pq"
    pq_dir.mkdir()
    for name in _data.ALL:
        pl.read_csv(csv_dir / f"{name}.csv", try_parse_dates=True).write_parquet(pq_dir / f"{name}.parquet")
    report = ingest_directory(pq_dir, db_url)
    assert all(f.quarantined == 0 for f in report.files), [f.problems for f in report.files]
    # The same records as CSV are then all unchanged: Parquet values parse to the same stored values.
    again = ingest_directory(csv_dir, db_url)
    assert all(f.unchanged == f.read and f.inserted == 0 for f in again.files)


def test_only_consumers_is_required(tmp_path: Path, db_url: str, engine: Engine) -> None:
    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS})
    report = ingest_directory(data, db_url)
    assert [f.table for f in report.files] == ["consumers"]


def test_directory_without_consumers_is_refused(tmp_path: Path) -> None:
    data = _data.write(tmp_path / "data", {"accounts": _data.ACCOUNTS})
    with pytest.raises(
        InputError, match=r"data: no consumers.csv / consumers.parquet; the consumers table is required"
    ):
        find_table_files(data)


def test_two_files_for_one_table_are_refused(tmp_path: Path) -> None:
    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS})
    pl.read_csv(data / "consumers.csv").write_parquet(data / "consumers.parquet")
    with pytest.raises(
        InputError, match=r"consumers has more than one file \(consumers.csv, consumers.parquet\)"
    ):
        find_table_files(data)


def test_unknown_files_are_listed_as_ignored(tmp_path: Path, db_url: str, engine: Engine) -> None:
    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS})
    (data / "statement.csv").write_text("typo in the name\n")
    report = ingest_directory(data, db_url)
    assert [p.name for p in report.ignored] == ["statement.csv"]


def test_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope: no such directory"):
        ingest_directory(tmp_path / "nope", "sqlite://")


def test_batches_are_logged_with_hash_and_counts(tmp_path: Path, db_url: str, engine: Engine) -> None:
    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS})
    report = ingest_file(data / "consumers.csv", "consumers", engine)
    with engine.connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM ingest_batches WHERE id = :i"), {"i": report.batch_id})
            .mappings()
            .one()
        )
    assert row["status"] == "committed"
    assert row["sha256"] == report.sha256 and len(report.sha256) == 64
    assert (row["rows_read"], row["rows_accepted"], row["rows_quarantined"], row["rows_inserted"]) == (
        3,
        3,
        0,
        3,
    )
    assert row["finished_at"] is not None and row["file_name"].endswith("consumers.csv")


def test_a_failing_file_stops_the_files_that_need_it(tmp_path: Path, db_url: str, engine: Engine) -> None:
    """A file-level fault raises and names the file; a file referencing its table never starts (on
    PostgreSQL files load two at a time, each as soon as the tables it references are loaded); the files
    before it stay loaded. Loading again after the fix completes the rest."""
    data = _data.write(
        tmp_path / "data",
        {"consumers": _data.CONSUMERS, "accounts": _data.ACCOUNTS, "statements": _data.STATEMENTS},
    )
    good = (data / "accounts.csv").read_text(encoding="utf-8")
    (data / "accounts.csv").write_text("account_id,consumer_id\nA1,C1\n", encoding="utf-8")  # columns missing
    with pytest.raises(InputError, match=r"accounts\.csv"):
        ingest_directory(data, db_url)
    counts = _counts(engine)
    assert (counts["consumers"], counts["accounts"], counts["statements"]) == (3, 0, 0)
    (data / "accounts.csv").write_text(good, encoding="utf-8")
    ingest_directory(data, db_url)
    counts = _counts(engine)
    assert (counts["consumers"], counts["accounts"], counts["statements"]) == (3, 3, 4)


@pytest.mark.postgres
def test_writers_of_different_tables_run_together_and_of_one_table_queue(postgres_server: object) -> None:
    """PostgreSQL: the write lock of one raw table does not stop a writer of another one; a second writer
    of the same table waits, and gives up with DatabaseBusy after its wait."""
    from lucidscore.store import DatabaseBusy, lock_transaction, make_engine, migrate

    eng = make_engine(str(postgres_server.create_database()))  # type: ignore[attr-defined]
    migrate(eng)
    with eng.connect() as a, lock_transaction(a, table="income"):
        with eng.connect() as b, lock_transaction(b, wait=2, table="statements"):
            pass  # taken at once
        with (
            pytest.raises(DatabaseBusy, match="another ingest"),
            eng.connect() as c,
            lock_transaction(c, wait=0.3, table="income"),
        ):
            pass
    eng.dispose()
