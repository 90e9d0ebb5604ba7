"""The Spark engine gives the local engine's features bit for bit: every column of every row, on a
synthetic population, on the edge cases, and on generated record sets with the awkward things real data
has (in the shared test session, tests/fixtures/spark.py)."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from lucidscore.errors import InputError
from lucidscore.features import compute_features, features_to_parquet
from lucidscore.ingest import ingest_directory
from lucidscore.synth import SynthSummary
from tests.features._records import RecordSet, record_sets
from tests.features.conftest import AS_OF, TODAY, later_rows, merged, tiny_rows, write_tables
from tests.fixtures.spark import SPARK_MARKS

pytestmark = SPARK_MARKS


def _spark_features(
    spark: Any, source: str | Path, as_of: date = AS_OF, partitions: int | None = None
) -> Any:
    from lucidscore.features.spark import compute_features as spark_compute

    return spark_compute(source, as_of, spark=spark, today=TODAY, partitions=partitions)


def _cached(spark: Any) -> int:
    """The number of RDDs the session keeps cached (``persist``)."""
    return int(spark.sparkContext._jsc.getPersistentRDDs().size())


def test_a_synthetic_population_gives_the_same_file(
    spark: Any, population: SynthSummary, tmp_path: Path
) -> None:
    """Every column of every row, the types and the catalogue metadata: the same Parquet table."""
    from lucidscore.features.spark import features_to_parquet as spark_to_parquet

    local = features_to_parquet(population.out_dir, AS_OF, tmp_path / "local.parquet", today=TODAY)
    kept = _cached(spark)
    remote = spark_to_parquet(population.out_dir, AS_OF, tmp_path / "spark.parquet", spark=spark, today=TODAY)
    assert _cached(spark) == kept  # the features kept while sorted and written are let go
    a, b = pq.read_table(local.path), pq.read_table(remote.path)
    assert a.schema == b.schema and a.schema.metadata == b.schema.metadata
    assert a.equals(b)
    assert (remote.rows, remote.columns) == (population.n_consumers, local.columns)
    assert "bad" in remote.columns


@pytest.mark.parametrize(("as_of", "partitions"), [(date(2024, 2, 29), 3), (date(2025, 12, 14), 7)])
def test_other_dates_and_partitionings_agree(
    spark: Any, population: SynthSummary, as_of: date, partitions: int
) -> None:
    """Records after the as-of date (the synthetic files run past it) and any number of partitions."""
    expected = compute_features(population.out_dir, as_of, today=TODAY)
    assert "bad" not in expected.columns  # no outcome was observed on these dates
    assert_frame_equal(
        _spark_features(spark, population.out_dir, as_of, partitions), expected, check_exact=True
    )


def test_edge_cases_agree(spark: Any, tmp_path: Path) -> None:
    """A consumer with no account (C3), records of every kind after the as-of date, an outcome observed
    on another date, an account without statements, and an account listed under two consumers."""
    rows = merged(tiny_rows(), later_rows())
    rows["consumers"].append({"consumer_id": "C4", "identity_verified": False, "address_since": None})
    shared = next(dict(a) for a in rows["accounts"] if a["account_id"] == "A1")
    rows["accounts"].append({**shared, "consumer_id": "C4"})
    rows["accounts"].append({**shared, "account_id": "A7", "consumer_id": "C2"})  # no statements
    directory = write_tables(tmp_path / "edge", rows)
    expected = compute_features(directory, AS_OF, today=TODAY)
    assert expected.filter(pl.col("consumer_id") == "C4")["revolving_utilisation"].item() is not None
    assert_frame_equal(_spark_features(spark, directory, partitions=5), expected, check_exact=True)


# Each example is one Spark job of two shuffles (1–3 s on a loaded two-core machine), so few examples, each
# with several consumers: the population, not the number of examples, carries the variety.
@settings(max_examples=7, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=record_sets(min_consumers=3, max_consumers=10), partitions=st.integers(1, 9))
def test_generated_record_sets_agree(spark: Any, records: RecordSet, partitions: int) -> None:
    """Any record set ingest accepts (or a directory that repeats keys), any as-of date, any number of
    partitions: dates on, just before and just after the as-of date, at month ends, on 29 February and
    on the windows' edges; nulls in every optional field; zero, tiny and the largest amounts and limits;
    consumers without accounts, accounts without statements, accounts shared between consumers,
    twins, and many records on one day (tests/features/_records.py)."""
    with tempfile.TemporaryDirectory(prefix="lucidscore-spark-prop-") as tmp:
        directory = write_tables(Path(tmp) / "raw", records.rows)
        expected = compute_features(directory, records.as_of, today=TODAY)
        got = _spark_features(spark, directory, records.as_of, partitions)
    assert_frame_equal(got, expected, check_exact=True)


def test_money_beyond_the_schema_is_refused_in_the_local_engines_words(spark: Any, tmp_path: Path) -> None:
    """A balance of 1e300 (above the schema's 1e12; ingest refuses it, a directory may hold it) vanished
    from the sums of both engines; now both refuse it and name it alike."""
    rows = tiny_rows()
    statements = rows["statements"]
    index = next(i for i, r in enumerate(statements) if (r["account_id"], r["period"]) == ("A1", "2025-06"))
    statements[index] = {**statements[index], "balance": 1e300}
    directory = write_tables(tmp_path / "raw", rows)
    with pytest.raises(InputError) as local:
        compute_features(directory, AS_OF, today=TODAY)
    with pytest.raises(InputError) as remote:
        _spark_features(spark, directory, partitions=2)
    assert remote.value.message == local.value.message
    from lucidscore.features.spark import features_to_parquet as spark_to_parquet

    kept = _cached(spark)
    with pytest.raises(InputError, match="balance is 1e"):
        spark_to_parquet(directory, AS_OF, tmp_path / "f.parquet", spark=spark, today=TODAY, partitions=2)
    # Nothing is left cached (a job that fails caches nothing before it fails: this guards a change that
    # would materialise the features outside the write's ``finally``, not the ``unpersist`` itself,
    # which the test above holds to).
    assert _cached(spark) == kept
    assert not (tmp_path / "f.parquet").exists()
    where = "the statements table's balance is 1e+300 (account_id 'A1', period '2025-06')"
    assert where in local.value.message


def test_without_outcomes_there_is_no_bad_column(spark: Any, tmp_path: Path) -> None:
    directory = write_tables(tmp_path / "raw", tiny_rows())
    (directory / "outcomes.parquet").unlink()
    got = _spark_features(spark, directory)
    assert "bad" not in got.columns
    assert_frame_equal(got, compute_features(directory, AS_OF, today=TODAY), check_exact=True)


@pytest.mark.postgres
def test_postgresql_over_jdbc_with_a_correction(spark: Any, postgres_url: str, tmp_path: Path) -> None:
    """Read over JDBC from the current views: the superseded statement is not seen, as locally."""
    from lucidscore.sparkenv import jdbc_jar

    if jdbc_jar() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "the PostgreSQL JDBC driver is required on CI (apt-get install libpostgresql-jdbc-java)"
            )
        pytest.skip("no PostgreSQL JDBC driver: apt-get install libpostgresql-jdbc-java")
    raw = write_tables(tmp_path / "raw", merged(tiny_rows(), later_rows()))
    ingest_directory(raw, postgres_url)
    fix = tmp_path / "fix"
    fix.mkdir()
    statements = pl.read_parquet(raw / "statements.parquet")
    corrected = statements.filter((pl.col("account_id") == "A1") & (pl.col("period") == "2024-11"))
    corrected = corrected.with_columns(
        pl.lit(0, pl.Int64).alias("days_past_due"), pl.col("reported_at").dt.offset_by("1d")
    )
    corrected.write_parquet(fix / "statements.parquet")
    pl.read_parquet(raw / "consumers.parquet").write_parquet(fix / "consumers.parquet")
    ingest_directory(fix, postgres_url)
    expected = compute_features(postgres_url, AS_OF, today=TODAY)
    assert expected.filter(pl.col("consumer_id") == "C1")["worst_dpd_12m"].item() == 30  # corrected
    assert_frame_equal(_spark_features(spark, postgres_url, partitions=3), expected, check_exact=True)


def test_sqlite_and_csv_are_refused_with_the_way_out(spark: Any, tmp_path: Path) -> None:
    csv = tmp_path / "csv"
    write_tables(csv, tiny_rows())
    pl.read_parquet(csv / "accounts.parquet").write_csv(csv / "accounts.csv")
    (csv / "accounts.parquet").unlink()
    with pytest.raises(
        InputError, match=r"accounts.csv: the Spark engine reads Parquet; .* or use the local engine"
    ):
        _spark_features(spark, csv)
    with pytest.raises(
        InputError,
        match=r"^parameter source: sqlite:///.*: the Spark engine reads PostgreSQL \(over JDBC\) or a "
        r"directory of Parquet files; use the local engine for SQLite$",
    ):
        _spark_features(spark, f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(InputError, match=r"the inquiries table is missing"):
        (csv / "inquiries.parquet").unlink()
        _spark_features(spark, csv)


@pytest.mark.postgres
def test_jdbc_reads_after_a_scoring_session_started_spark(postgres_url: str, tmp_path: Path) -> None:
    """The JDBC driver joins Spark's classpath only when the JVM starts: a process that scored with Spark
    first, then reads features over JDBC, must still find it (a fresh process, so a fresh JVM)."""
    import subprocess
    import sys

    from lucidscore.sparkenv import jdbc_jar

    if jdbc_jar() is None:
        pytest.skip("no PostgreSQL JDBC driver: apt-get install libpostgresql-jdbc-java")
    ingest_directory(write_tables(tmp_path / "raw", tiny_rows()), postgres_url)
    expected = compute_features(postgres_url, AS_OF, today=TODAY)
    code = (
        "import sys, datetime\n"
        "from lucidscore.score.spark import local_session\n"
        "local_session('scoring-first').stop()\n"
        "from lucidscore.features.spark import compute_features\n"
        "rows = compute_features(sys.argv[1], datetime.date.fromisoformat(sys.argv[2]),"
        " today=datetime.date.fromisoformat(sys.argv[3]), partitions=2)\n"
        "rows.write_parquet(sys.argv[4])\n"
    )
    out = tmp_path / "features.parquet"
    args = [postgres_url, AS_OF.isoformat(), TODAY.isoformat(), str(out)]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert_frame_equal(pl.read_parquet(out), expected, check_exact=True)


def test_awkward_file_names_are_paths_not_patterns(spark: Any, tmp_path: Path) -> None:
    """``local[1]`` in a work file's name once made the Spark writer's own part files unreadable (polars
    read the name as a glob pattern and found nothing)."""
    from lucidscore.features.spark import features_to_parquet as spark_to_parquet

    directory = write_tables(tmp_path / "month [2026-06]", tiny_rows())
    out = tmp_path / "features_local[1].parquet"
    written = spark_to_parquet(directory, AS_OF, out, spark=spark, today=TODAY)
    assert written.path == out
    assert_frame_equal(pl.read_parquet(out, glob=False), compute_features(directory, AS_OF, today=TODAY))
