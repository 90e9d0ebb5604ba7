"""``lucidscore synth`` through its real entry point."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app
from lucidscore.errors import InputError
from lucidscore.records import TABLES


def test_synth_writes_every_table_and_reports_counts(tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = CliRunner().invoke(app, ["synth", "--consumers", "300", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {f"{t.name}.parquet" for t in TABLES}
    assert "consumers 300" in result.output
    statements = pl.read_parquet(out / "statements.parquet").height
    assert f"statements {statements:,}" in result.output
    assert "outcomes observed on 2025-06-30" in result.output


def test_synth_csv_with_end_and_bad_rate(tmp_path: Path) -> None:
    args = ["synth", "--consumers", "300", "--out", str(tmp_path), "--format", "csv", "--end", "2025-12-31"]
    result = CliRunner().invoke(app, [*args, "--bad-rate", "0.15"])
    assert result.exit_code == 0, result.output
    statements = pl.read_csv(tmp_path / "statements.csv")
    assert statements["period"].max() == "2025-12"
    assert "outcomes observed on 2024-12-31" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--end", (date.today() + timedelta(days=2)).isoformat()], r"end: .* is in the future"),
        (["--end", "30/06/2025"], r"--end: '30/06/2025' is not a date; expected YYYY-MM-DD"),
        (["--bad-rate", "0.9"], r"bad_rate: 0.9; expected a share between"),
        (["--consumers", "0"], r"consumers: 0 is not a positive number"),
    ],
)
def test_bad_options_are_named(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path), *args])
    assert isinstance(result.exception, InputError), result.output
    assert re.search(message, result.exception.message)
    assert not any(tmp_path.iterdir())


def test_future_end_is_one_line_and_exit_2_from_the_real_command(tmp_path: Path) -> None:
    future = (date.today() + timedelta(days=30)).isoformat()
    proc = subprocess.run(
        [sys.executable, "-m", "lucidscore.cli.main", "synth", "--out", str(tmp_path), "--end", future],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert f"error: end: {future} is in the future" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())
