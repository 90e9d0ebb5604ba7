"""Features of chosen consumers, and of a population in chunks: exactly the rows of one pass over
everyone, from files and from databases."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from lucidscore.errors import InputError
from lucidscore.features import (
    compute_features,
    compute_features_counted,
    features_to_parquet,
    write_features,
)
from lucidscore.ingest import ingest_directory
from lucidscore.policy import FEATURE_META_KEY
from lucidscore.synth import SynthSummary, generate_population
from tests.features._records import RecordSet, record_sets, write_directory
from tests.features.conftest import AS_OF, TODAY, tiny_rows, write_tables

_SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def sqlite_url(population: SynthSummary, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bureau.db'}"
    ingest_directory(population.out_dir, url)
    return url


@pytest.fixture(scope="module")
def everyone(population: SynthSummary) -> pl.DataFrame:
    return compute_features(population.out_dir, AS_OF, today=TODAY)


def _ids(everyone: pl.DataFrame) -> st.SearchStrategy[list[str]]:
    known = everyone["consumer_id"].to_list()
    unknown = st.sampled_from(["C99999999", "nobody", "", "C0000001"])  # not in the population
    return st.lists(st.one_of(st.sampled_from(known), unknown), max_size=25)


def _expected(everyone: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    return everyone.filter(pl.col("consumer_id").is_in(ids))


@_SLOW
@given(data=st.data())
def test_chosen_consumers_from_files_are_the_full_rows(
    population: SynthSummary, everyone: pl.DataFrame, data: st.DataObject
) -> None:
    ids = data.draw(_ids(everyone))
    got = compute_features(population.out_dir, AS_OF, today=TODAY, consumer_ids=ids)
    assert_frame_equal(got, _expected(everyone, ids), check_exact=True)


@_SLOW
@given(data=st.data())
def test_chosen_consumers_from_sqlite_are_the_full_rows(
    sqlite_url: str, everyone: pl.DataFrame, data: st.DataObject
) -> None:
    ids = data.draw(_ids(everyone))
    got = compute_features(sqlite_url, AS_OF, today=TODAY, consumer_ids=ids)
    assert_frame_equal(got, _expected(everyone, ids), check_exact=True)


@pytest.mark.postgres
def test_chosen_consumers_and_chunks_from_postgresql(
    population: SynthSummary, everyone: pl.DataFrame, postgres_url: str
) -> None:
    ingest_directory(population.out_dir, postgres_url)
    ids = [*everyone["consumer_id"].gather([3, 500, 501, 1499]).to_list(), "nobody"]
    got = compute_features(postgres_url, AS_OF, today=TODAY, consumer_ids=ids)
    assert_frame_equal(got, _expected(everyone, ids), check_exact=True)
    chunked = compute_features(postgres_url, AS_OF, today=TODAY, chunk_consumers=400)
    assert_frame_equal(chunked, everyone, check_exact=True)


def test_consumers_of_every_shape_are_covered(population: SynthSummary, everyone: pl.DataFrame) -> None:
    """The property above, on the cases that matter most: a consumer with no account at all, thin and
    thick files, a consumer with income but no credit."""
    kinds = {
        "no account": everyone.filter(pl.col("n_credit_accounts") + pl.col("n_bill_accounts") == 0),
        "thin": everyone.filter(pl.col("thin_file") == 1, pl.col("n_credit_accounts") == 1),
        "thick": everyone.filter(pl.col("n_credit_accounts") >= 3),
        "judgment": everyone.filter(pl.col("unpaid_judgments") > 0),
    }
    for kind, rows in kinds.items():
        assert rows.height > 0, kind
        ids = rows["consumer_id"].head(3).to_list()
        got = compute_features(population.out_dir, AS_OF, today=TODAY, consumer_ids=ids)
        assert_frame_equal(got, _expected(everyone, ids), check_exact=True)


def test_no_consumer_gives_an_empty_frame_with_every_column(
    population: SynthSummary, sqlite_url: str, everyone: pl.DataFrame
) -> None:
    for source in (population.out_dir, sqlite_url):
        got = compute_features(source, AS_OF, today=TODAY, consumer_ids=[])
        assert got.height == 0
        assert got.schema == everyone.schema


def test_a_corrected_record_reaches_the_chosen_consumer(tmp_path: Path) -> None:
    """Only current rows are read: a superseded statement no longer counts for the consumer chosen."""
    raw = write_tables(tmp_path / "raw", tiny_rows())
    url = f"sqlite:///{tmp_path / 'bureau.db'}"
    ingest_directory(raw, url)
    fix = tmp_path / "fix"
    fix.mkdir()
    statements = pl.read_parquet(raw / "statements.parquet")
    corrected = statements.filter((pl.col("account_id") == "A1") & (pl.col("period") == "2024-11"))
    corrected = corrected.with_columns(
        pl.lit(0, pl.Int64).alias("days_past_due"), pl.col("reported_at").dt.offset_by("1d")
    )
    corrected.write_parquet(fix / "statements.parquet")
    pl.read_parquet(raw / "consumers.parquet").write_parquet(fix / "consumers.parquet")
    ingest_directory(fix, url)
    everyone = compute_features(url, AS_OF, today=TODAY)
    c1 = compute_features(url, AS_OF, today=TODAY, consumer_ids=["C1"])
    assert_frame_equal(c1, everyone.filter(pl.col("consumer_id") == "C1"), check_exact=True)
    assert (c1["worst_dpd_12m"].item(), c1["n_60dpd_24m"].item()) == (30, 0)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[SynthSummary, str, pl.DataFrame]:
    """200 consumers of every shape (seed 23: 4 without any account, thin and thick files, unpaid
    judgments), ingested into SQLite, and their features in one pass.

    For the chunk property: a chunk is a range of consecutive consumer identifiers, read anew from every
    table (Parquet files or the database) for each chunk, so its cost is the number of chunks, and the
    property (where the boundaries fall does not change a row) needs consumers of every shape on both
    sides of a boundary, not many of them. On the module's 1,500 consumers a drawn size of 1 read the
    files 1,500 times and the test took 3.5 minutes of a loaded machine; here a chunk of 1 reads them
    200 times, and sizes run past the population (one chunk) as before."""
    summary = generate_population(200, seed=23, out_dir=tmp_path_factory.mktemp("small"), today=TODAY)
    url = f"sqlite:///{tmp_path_factory.mktemp('small-db') / 'bureau.db'}"
    ingest_directory(summary.out_dir, url)
    whole = compute_features(summary.out_dir, AS_OF, today=TODAY)
    assert whole.filter(pl.col("n_credit_accounts") + pl.col("n_bill_accounts") == 0).height > 0
    assert whole.filter(pl.col("thin_file") == 1, pl.col("n_credit_accounts") == 1).height > 0
    assert whole.filter(pl.col("n_credit_accounts") >= 3).height > 0
    assert whole.filter(pl.col("unpaid_judgments") > 0).height > 0
    return summary, url, whole


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=1, max_value=300))
def test_chunks_of_any_size_give_the_same_frame(
    small: tuple[SynthSummary, str, pl.DataFrame], size: int
) -> None:
    population, sqlite_url, everyone = small
    assert_frame_equal(
        compute_features(population.out_dir, AS_OF, today=TODAY, chunk_consumers=size),
        everyone,
        check_exact=True,
    )
    if (
        size >= 14
    ):  # at most 15 chunks: reading a database in tiny chunks takes long; the ranges are the same code
        assert_frame_equal(
            compute_features(sqlite_url, AS_OF, today=TODAY, chunk_consumers=size), everyone, check_exact=True
        )


@settings(max_examples=15, deadline=None)
@given(records=record_sets(), fmt=st.sampled_from(["parquet", "csv"]), data=st.data())
def test_chunks_of_generated_record_sets_give_the_rows_of_one_pass(
    records: RecordSet, fmt: str, data: st.DataObject
) -> None:
    """Chunk boundaries anywhere among awkward records (tests/features/_records.py: shared accounts,
    twins, the as-of date's edges, identifiers that sort next to one another), from Parquet and CSV: the
    same rows, values and row counts as one pass; chosen consumers get exactly their rows."""
    with tempfile.TemporaryDirectory(prefix="lucidscore-chunks-") as tmp:
        directory = write_directory(Path(tmp) / "raw", records.rows, fmt)
        whole = compute_features_counted(directory, records.as_of, today=TODAY)
        size = data.draw(st.integers(1, len(records.rows["consumers"]) + 1), label="chunk_consumers")
        chunked = compute_features_counted(directory, records.as_of, today=TODAY, chunk_consumers=size)
        ids = data.draw(st.lists(st.sampled_from(whole.frame["consumer_id"].to_list())), label="chosen")
        chosen = compute_features(directory, records.as_of, today=TODAY, consumer_ids=ids)
    assert_frame_equal(chunked.frame, whole.frame, check_exact=True)
    assert chunked.rows_used == whole.rows_used
    assert_frame_equal(chosen, whole.frame.filter(pl.col("consumer_id").is_in(ids)), check_exact=True)


def test_chunks_count_the_same_rows(population: SynthSummary, sqlite_url: str) -> None:
    whole = compute_features_counted(population.out_dir, AS_OF, today=TODAY)
    for source in (population.out_dir, sqlite_url):
        chunked = compute_features_counted(source, AS_OF, today=TODAY, chunk_consumers=333)
        assert chunked.rows_used == whole.rows_used
    assert whole.rows_used["statements"] > 0


def test_features_to_parquet_writes_what_write_features_writes(
    population: SynthSummary, everyone: pl.DataFrame, tmp_path: Path
) -> None:
    written = features_to_parquet(population.out_dir, AS_OF, tmp_path / "chunked.parquet", today=TODAY)
    write_features(everyone, tmp_path / "whole.parquet")
    assert (written.rows, written.columns, written.chunks) == (everyone.height, everyone.columns, 1)
    chunked = features_to_parquet(
        population.out_dir, AS_OF, tmp_path / "chunks.parquet", today=TODAY, chunk_consumers=400
    )
    assert chunked.chunks == 4
    assert chunked.rows_used == written.rows_used
    whole = pq.read_table(tmp_path / "whole.parquet")
    for path in (written.path, chunked.path):
        table = pq.read_table(path)
        assert table.schema == whole.schema
        assert table.schema.metadata[FEATURE_META_KEY] == whole.schema.metadata[FEATURE_META_KEY]
        assert table.equals(whole)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "chunked.parquet",
        "chunks.parquet",
        "whole.parquet",
    ]


def test_a_failed_run_leaves_the_previous_file_alone(tmp_path: Path) -> None:
    """The last chunk's statements do not parse: the chunks before it were written, but only to a
    temporary file, which goes; the previous output stays."""
    summary = generate_population(600, seed=2, out_dir=tmp_path / "data", today=TODAY)
    path = summary.files["statements"]
    statements = pl.read_parquet(path).with_columns(pl.col("days_past_due").cast(pl.String))
    accounts = pl.read_parquet(summary.files["accounts"])
    last = accounts.filter(pl.col("consumer_id") > "C00000400")["account_id"]
    broken = statements.with_columns(
        pl.when(pl.col("account_id").is_in(last.implode()))
        .then(pl.lit("late"))
        .otherwise("days_past_due")
        .alias("days_past_due")
    )
    pq.write_table(broken.sort("account_id").to_arrow(), path, row_group_size=5_000)
    first = pl.read_parquet(summary.files["consumers"])["consumer_id"].sort().head(200).to_list()
    assert compute_features(summary.out_dir, AS_OF, today=TODAY, consumer_ids=first).height == 200
    out = tmp_path / "out" / "features.parquet"
    out.parent.mkdir()
    out.write_bytes(b"previous run")
    with pytest.raises(InputError, match=r"the statements table could not be read with the types"):
        features_to_parquet(summary.out_dir, AS_OF, out, today=TODAY, chunk_consumers=200)
    assert out.read_bytes() == b"previous run"
    assert [p.name for p in out.parent.iterdir()] == ["features.parquet"]


def test_a_single_string_is_not_taken_for_a_list(population: SynthSummary) -> None:
    with pytest.raises(InputError, match=r"consumer_ids: got the single string 'C00000001'; expected a list"):
        compute_features(population.out_dir, AS_OF, today=TODAY, consumer_ids="C00000001")


def test_a_consumer_without_identifier_is_named(tmp_path: Path) -> None:
    rows = tiny_rows()
    rows["consumers"].append({"consumer_id": None, "identity_verified": True, "address_since": None})
    with pytest.raises(InputError, match=r"the consumers table has 1 row\(s\) without a consumer_id"):
        compute_features(write_tables(tmp_path, rows), AS_OF, today=TODAY)


def test_chunk_size_must_be_positive(population: SynthSummary) -> None:
    with pytest.raises(InputError, match=r"chunk_consumers: 0 is too small; expected at least 1"):
        compute_features(population.out_dir, AS_OF, today=TODAY, chunk_consumers=0)
