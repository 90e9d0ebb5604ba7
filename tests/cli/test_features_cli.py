"""``lucidscore features`` through its real entry point."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app
from lucidscore.errors import InputError
from lucidscore.features import FEATURE_CATALOGUE
from lucidscore.policy import FEATURE_META_KEY
from lucidscore.synth import SynthSummary, generate_population


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate_population(300, seed=3, out_dir=tmp_path_factory.mktemp("data"))


def test_features_from_a_directory(data: SynthSummary, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    args = ["features", "--data", str(data.out_dir), "--as-of", "2025-06-30", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.num_rows == 300
    assert table.column_names == ["consumer_id", *FEATURE_CATALOGUE, "bad"]
    assert len(json.loads(table.schema.metadata[FEATURE_META_KEY])) == len(FEATURE_CATALOGUE)
    statements = pl.read_parquet(data.files["statements"])
    used = statements.filter(pl.col("period") <= "2025-06").height
    assert 0 < used < statements.height  # the synthetic files run 12 months past the as-of date
    assert "rows read, dated on or before 2025-06-30: consumers 300, accounts" in result.output
    assert f"statements {used:,}," in result.output
    assert f"rows written: 300 consumers x {len(FEATURE_CATALOGUE)} features + bad" in result.output


def test_features_from_a_database(data: SynthSummary, tmp_path: Path) -> None:
    from lucidscore.ingest import ingest_directory

    url = f"sqlite:///{tmp_path / 'bureau.db'}"
    ingest_directory(data.out_dir, url)
    out = tmp_path / "features.parquet"
    result = CliRunner().invoke(app, ["features", "--db", url, "--as-of", "2025-06-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).num_rows == 300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", (date.today() + timedelta(days=2)).isoformat()], r"as_of: .* is in the future"),
        (["--as-of", "2025-13-01"], r"--as-of: '2025-13-01' is not a date; expected YYYY-MM-DD"),
        (["--as-of", "2025-06-30", "--db", "sqlite://"], r"give exactly one of --db URL or --data DIR"),
    ],
)
def test_bad_options_are_named(data: SynthSummary, tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        app, ["features", "--data", str(data.out_dir), "--out", str(tmp_path / "f.parquet"), *args]
    )
    assert isinstance(result.exception, InputError), result.output
    assert re.search(message, result.exception.message)
    assert not (tmp_path / "f.parquet").exists()


def test_neither_source_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["features", "--as-of", "2025-06-30", "--out", str(tmp_path / "f.parquet")]
    )
    assert isinstance(result.exception, InputError)
    assert "give exactly one of --db URL or --data DIR" in result.exception.message


def test_missing_table_is_one_line_from_the_real_command(data: SynthSummary, tmp_path: Path) -> None:
    for path in data.files.values():
        if path.stem != "accounts":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lucidscore.cli.main",
            "features",
            "--data",
            str(tmp_path),
            "--as-of",
            "2025-06-30",
            "--out",
            str(tmp_path / "f.parquet"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert re.search(
        r"error: .*: the accounts table is missing; expected accounts.parquet or accounts.csv",
        proc.stderr.replace("\n", ""),
    )
    assert "Traceback" not in proc.stderr


def test_chosen_consumers_only(data: SynthSummary, tmp_path: Path) -> None:
    full, some = tmp_path / "full.parquet", tmp_path / "some.parquet"
    base = ["features", "--data", str(data.out_dir), "--as-of", "2025-06-30"]
    assert CliRunner().invoke(app, [*base, "--out", str(full)]).exit_code == 0
    chosen = ["C00000002", "C00000150"]
    args = [
        *base,
        "--out",
        str(some),
        "--consumer",
        chosen[0],
        "--consumer",
        chosen[1],
        "--consumer",
        "nobody",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "rows written: 2 consumers x" in result.output
    expected = pl.read_parquet(full).filter(pl.col("consumer_id").is_in(chosen))
    assert pl.read_parquet(some).equals(expected)


def test_chunks_write_the_same_file(data: SynthSummary, tmp_path: Path) -> None:
    base = ["features", "--data", str(data.out_dir), "--as-of", "2025-06-30"]
    one = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "one.parquet")])
    three = CliRunner().invoke(
        app, [*base, "--out", str(tmp_path / "three.parquet"), "--chunk-consumers", "100"]
    )
    assert one.exit_code == 0 and three.exit_code == 0, three.output
    assert "(local engine, 3 chunks)" in three.output
    assert "(local engine)" in one.output
    assert one.output.splitlines()[-2] == three.output.splitlines()[-2]  # the same rows read
    assert pq.read_table(tmp_path / "one.parquet").equals(pq.read_table(tmp_path / "three.parquet"))


def test_spark_with_chosen_consumers_is_refused(data: SynthSummary, tmp_path: Path) -> None:
    args = [
        "features",
        "--data",
        str(data.out_dir),
        "--as-of",
        "2025-06-30",
        "--out",
        str(tmp_path / "f.parquet"),
    ]
    result = CliRunner().invoke(app, [*args, "--engine", "spark", "--consumer", "C00000002"])
    assert isinstance(result.exception, InputError)
    assert "--consumer: choosing consumers works with --engine local" in result.exception.message


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.usefixtures("spark")
def test_spark_engine_writes_the_local_file(data: SynthSummary, tmp_path: Path) -> None:
    """The command's ``local_session`` finds the shared test session (``getOrCreate``) and uses it."""
    base = ["features", "--data", str(data.out_dir), "--as-of", "2025-06-30"]
    base_db = ["features", "--db", "sqlite://", "--as-of", "2025-06-30", "--engine", "spark"]
    local = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "local.parquet")])
    spark = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "spark.parquet"), "--engine", "spark"])
    sqlite = CliRunner().invoke(app, [*base_db, "--out", str(tmp_path / "s.parquet")])
    assert local.exit_code == 0 and spark.exit_code == 0, spark.output
    # The library names its parameter (source); the CLI says the flag it came from.
    assert isinstance(sqlite.exception, InputError)
    assert sqlite.exception.message.startswith("--db: sqlite://: the Spark engine reads PostgreSQL")
    assert f"rows written: 300 consumers x {len(FEATURE_CATALOGUE)} features + bad" in spark.output
    assert "(spark engine)" in spark.output
    a, b = pq.read_table(tmp_path / "local.parquet"), pq.read_table(tmp_path / "spark.parquet")
    assert a.schema.metadata == b.schema.metadata and a.equals(b)
