"""The database readers (``COPY`` into columns on PostgreSQL, the ``sqlite3`` cursor on SQLite) give exactly
the frames the DB-API row path gave, for any values the store's column types hold, and read one snapshot
per source."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from lucidscore.errors import InputError
from lucidscore.features import compute_features
from lucidscore.features._selection import Consumers, IdRange, Selection, consumers
from lucidscore.features._sources import DatabaseSource, conform, polars_schema, used_columns
from lucidscore.ingest import ingest_directory
from lucidscore.records import TABLES, Table
from lucidscore.store._tables import sql_type
from tests.features.conftest import AS_OF, TODAY, tiny_rows, write_tables
from tests.fixtures.postgres import PostgresServer

ROW_BATCH = 3  # small batches, so the row path's per-batch typing is exercised


class RowSource(DatabaseSource):
    """The source as it read before issue 15: the DB-API cursor's rows, batch by batch, into polars
    (``orient="row"``), each batch cast by ``conform``. Its own connection reads the same data."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        if self._sqlite:
            self._rows_conn: Any = sqlite3.connect(sa.make_url(url).database or "")
        else:
            import psycopg

            u = sa.make_url(url)
            self._rows_conn = psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database)

    def close(self) -> None:
        if hasattr(self, "_rows_conn"):
            self._rows_conn.close()
        super().close()

    def _fetch(self, rest: str, params: list[object], table: Table, view: str) -> pl.DataFrame:
        cursor = self._rows_conn.cursor()
        cursor.execute(f"SELECT {', '.join(used_columns(table))} {rest}", params)
        names = [d[0] for d in cursor.description]
        parts = []
        while rows := cursor.fetchmany(ROW_BATCH):
            batch = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
            parts.append(conform(batch, table, view))
        cursor.close()
        if not parts:
            schema = polars_schema(table)
            return pl.DataFrame(schema={c: schema[c] for c in used_columns(table)})
        return pl.concat(parts)


# Text the CSV of COPY and the SQL literals must carry through: quotes, commas, newlines, backslashes,
# the words a parser might take for NULL, and any unicode PostgreSQL stores (no NUL, no lone surrogate).
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
) | st.sampled_from(["", "NULL", "\\N", "null", "NaN", '"', '""', ",", "\n", "\r\n", "'", "\\", "t", "f"])
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "string": _TEXT,
    "month": _TEXT.filter(lambda v: len(v) <= 7),  # VARCHAR(7)
    "integer": st.integers(-(2**63), 2**63 - 1),
    "float": st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.1, 1e308, 5e-324, -0.0]),
    "boolean": st.booleans(),
    "date": st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    "datetime": st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
}


def _rows(table: Table) -> st.SearchStrategy[list[dict[str, Any]]]:
    row = st.fixed_dictionaries(
        {c.name: st.none() | _VALUES[c.type] for c in table.columns if c.name != "reported_at"}
    )
    return st.lists(row, max_size=8)


_DATA = st.fixed_dictionaries({t.name: _rows(t) for t in TABLES})


def _metadata() -> sa.MetaData:
    """Plain tables named like the store's views, with the store's column types, every column nullable."""
    metadata = sa.MetaData()
    for table in TABLES:
        columns = [sa.Column(c.name, sql_type(c.type), nullable=True) for c in table.columns]
        sa.Table(f"{table.name}_current", metadata, *[c for c in columns if c.name != "reported_at"])
    return metadata


def _load(url: str, data: dict[str, list[dict[str, Any]]]) -> None:
    metadata = _metadata()
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            metadata.create_all(conn)
            for name, rows in data.items():
                if rows:
                    conn.execute(metadata.tables[f"{name}_current"].insert(), rows)
    finally:
        engine.dispose()


def _selections(data: dict[str, list[dict[str, Any]]]) -> Iterator[Selection]:
    ids = sorted({r["consumer_id"] for r in data["consumers"] if r["consumer_id"] is not None})
    yield None
    yield consumers([*ids[::2], "no such consumer", "x'); DROP TABLE consumers_current; --"])
    if ids:
        yield IdRange(ids[0], ids[len(ids) // 2])
    yield Consumers(())


def _same_frames(url: str, data: dict[str, list[dict[str, Any]]]) -> None:
    _load(url, data)
    new = DatabaseSource(url)
    try:
        old = RowSource(url)
    except BaseException:
        new.close()
        raise
    try:
        assert new.count_consumers() == old.count_consumers() == len(data["consumers"])
        assert new.consumer_ids().dtype == pl.String
        for selection in _selections(data):
            for (name, got), want in zip(
                new.tables(AS_OF, selection).items(), old.tables(AS_OF, selection).values(), strict=True
            ):
                assert name in new.views
                assert_frame_equal(got.collect(), want.collect(), check_exact=True)
    finally:
        new.close()
        old.close()


_AWKWARD: dict[str, list[dict[str, Any]]] = {
    t.name: [{c.name: None for c in t.columns if c.name != "reported_at"}] for t in TABLES
}


@given(data=_DATA)
@example(data=_AWKWARD)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sqlite_reads_what_the_row_path_read(data: dict[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    path = tmp_path / "awkward.db"
    path.unlink(missing_ok=True)
    _same_frames(f"sqlite:///{path}", data)


@pytest.mark.postgres
@given(data=_DATA)
@example(data=_AWKWARD)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_postgresql_reads_what_the_row_path_read(
    data: dict[str, list[dict[str, Any]]], postgres_url: str
) -> None:
    _same_frames(postgres_url, data)


def test_a_column_null_for_thousands_of_rows_keeps_its_type(tmp_path: Path) -> None:
    """A column NULL for thousands of rows, then text: a reader typing columns from their first values
    (as the ADBC driver does, from 1,024 rows) would take it for integers."""
    table = next(t for t in TABLES if t.name == "accounts")
    rows = [
        {c.name: None for c in table.columns if c.name != "reported_at"} | {"account_id": f"A{i}"}
        for i in range(5000)
    ]
    rows[-1] |= {"closed": date(2024, 2, 29), "credit_limit": 1.5, "kind": "revolving"}
    data = {t.name: [] for t in TABLES} | {"accounts": rows}
    _same_frames(f"sqlite:///{tmp_path / 'late.db'}", data)
    source = DatabaseSource(f"sqlite:///{tmp_path / 'late.db'}")
    frame = source.tables(AS_OF, None)["accounts"].collect()
    source.close()
    assert frame.filter(pl.col("closed").is_not_null()).row(0, named=True)["closed"] == date(2024, 2, 29)


@pytest.fixture
def bureau(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "raw", tiny_rows())


def _correct(raw: Path, into: Path) -> Path:
    """A correction of one statement of consumer C1 (days past due 0, reported a day later)."""
    into.mkdir()
    statements = pl.read_parquet(raw / "statements.parquet")
    corrected = statements.filter(
        (pl.col("account_id") == "A1") & (pl.col("period") == "2024-11")
    ).with_columns(pl.lit(0, pl.Int64).alias("days_past_due"), pl.col("reported_at").dt.offset_by("1d"))
    corrected.write_parquet(into / "statements.parquet")
    pl.read_parquet(raw / "consumers.parquet").write_parquet(into / "consumers.parquet")
    return into


def _one_snapshot(url: str, raw: Path, tmp_path: Path) -> None:
    ingest_directory(raw, url)
    source = DatabaseSource(url)
    try:
        before = {k: v.collect() for k, v in source.tables(AS_OF, None).items()}
        ingest_directory(_correct(raw, tmp_path / "fix"), url)  # commits while the source reads
        again = {k: v.collect() for k, v in source.tables(AS_OF, consumers(["C1"])).items()}
        accounts = before["accounts"].filter(pl.col("consumer_id") == "C1").get_column("account_id").to_list()
        for name, frame in again.items():
            mine = (
                pl.col("account_id").is_in(accounts)
                if name == "statements"
                else pl.col("consumer_id") == "C1"
            )
            assert_frame_equal(frame, before[name].filter(mine), check_exact=True)
        assert again["statements"].height > 0
    finally:
        source.close()
    fresh = compute_features(url, AS_OF, today=TODAY).filter(pl.col("consumer_id") == "C1")
    assert fresh["worst_dpd_12m"].item() == 30  # a new source sees the correction


@pytest.mark.timeout(300)
def test_sqlite_source_reads_one_snapshot_while_an_ingest_commits(bureau: Path, tmp_path: Path) -> None:
    _one_snapshot(f"sqlite:///{tmp_path / 'bureau.db'}", bureau, tmp_path)


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_postgresql_source_reads_one_snapshot_while_an_ingest_commits(
    bureau: Path, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    _one_snapshot(postgres_server.create_database(), bureau, tmp_path)


def test_a_view_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    _load(url, {t.name: [] for t in TABLES})
    with sqlite3.connect(tmp_path / "broken.db") as conn:
        conn.execute("DROP TABLE inquiries_current")
        conn.execute(
            "CREATE VIEW inquiries_current AS SELECT consumer_id, address_since AS at FROM consumers_current"
        )
    source = DatabaseSource(url)
    with pytest.raises(
        InputError, match=r"^inquiries_current: cannot be read \(.*no such column: merchant_id"
    ):
        source.tables(AS_OF, None)
    source.close()


@pytest.mark.postgres
def test_a_copy_that_fails_midway_is_named_and_the_source_still_closes(
    postgres_server: PostgresServer,
) -> None:
    """PostgreSQL fails the COPY after 49,999 rows were sent: the error names the view, and what is left of
    the copy is read so the connection rolls back cleanly."""
    url = postgres_server.create_database()
    _load(url, {t.name: [] for t in TABLES})
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE inquiries_current")
        conn.exec_driver_sql(
            "CREATE VIEW inquiries_current AS SELECT 'C' || g AS consumer_id, "
            "timestamp '2024-01-01' + (g / (g - 50000)) * interval '1 second' AS at, "
            "'M1' AS merchant_id, 'loan' AS purpose FROM generate_series(1, 100000) AS g"
        )
    engine.dispose()
    source = DatabaseSource(url)
    with pytest.raises(InputError, match=r"^inquiries_current: cannot be read \(ERROR:  division by zero"):
        source.tables(AS_OF, None)
    source.close()


# Few identifiers, so accounts, statements and the selections meet; duplicate and missing ids included.
_IDS = st.none() | st.sampled_from(["C1", "C2", "C3", "C10"])
_ACCOUNT_IDS = st.none() | st.sampled_from(["A1", "A2", "A3", "A4", "A5"])
_LINKED = st.fixed_dictionaries(
    {
        "consumers": st.lists(st.fixed_dictionaries({"consumer_id": _IDS}), max_size=5),
        "accounts": st.lists(
            st.fixed_dictionaries({"account_id": _ACCOUNT_IDS, "consumer_id": _IDS}), max_size=6
        ),
        "statements": st.lists(
            st.fixed_dictionaries(
                {
                    "account_id": _ACCOUNT_IDS,
                    "period": st.none() | st.sampled_from(["2025-01", "2025-06", "2025-07", "2026-01"]),
                    "balance": st.none() | st.floats(0, 1e6),
                    "days_past_due": st.none() | st.integers(0, 120),
                }
            ),
            max_size=12,
        ),
    }
)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def _statements_follow_the_accounts(url: str, data: dict[str, list[dict[str, Any]]]) -> None:
    """A selection's statements are exactly the statements (cut at the as-of month) of the accounts the
    same selection reads, each once, however the backend's query reaches them."""
    _load(url, data)
    source = DatabaseSource(url)
    try:
        every = source.tables(AS_OF, None)["statements"].collect()
        ids = sorted({r["consumer_id"] for r in data["consumers"] + data["accounts"] if r["consumer_id"]})
        choices: list[Selection] = [consumers(ids), consumers([*ids[::2], "C99"]), Consumers(())]
        if ids:
            choices.append(IdRange(ids[0], ids[len(ids) // 2]))
        for selection in choices:
            tables = source.tables(AS_OF, selection)
            accounts = tables["accounts"].collect()["account_id"].drop_nulls()
            want = every.filter(pl.col("account_id").is_in(accounts.implode()))
            assert_frame_equal(_sorted(tables["statements"].collect()), _sorted(want), check_exact=True)
    finally:
        source.close()


# One account listed under two selected consumers: its statements are still read once.
_SHARED_ACCOUNT: dict[str, list[dict[str, Any]]] = {
    "consumers": [{"consumer_id": "C1"}, {"consumer_id": "C2"}],
    "accounts": [{"account_id": "A1", "consumer_id": "C1"}, {"account_id": "A1", "consumer_id": "C2"}],
    "statements": [{"account_id": "A1", "period": "2025-06", "balance": 1.0, "days_past_due": 0}],
}


@given(data=_LINKED)
@example(data=_SHARED_ACCOUNT)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sqlite_chunk_reads_the_statements_of_its_accounts(
    data: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    path = tmp_path / "linked.db"
    path.unlink(missing_ok=True)
    _statements_follow_the_accounts(f"sqlite:///{path}", data)


@pytest.mark.postgres
@given(data=_LINKED)
@example(data=_SHARED_ACCOUNT)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_postgresql_chunk_reads_the_statements_of_its_accounts(
    data: dict[str, list[dict[str, Any]]], postgres_url: str
) -> None:
    _statements_follow_the_accounts(postgres_url, data)
