"""Paths are paths, not patterns: a directory or file whose name holds ``[``, ``]``, ``*`` or ``?`` (a month
in brackets, ``local[2]`` in a work file's name) is read and written like any other. Polars expands such
names as glob patterns unless told not to, and then finds no file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lucidscore.features import compute_features, features_to_parquet
from lucidscore.ingest import read_quarantine, write_quarantine_file
from tests.features.conftest import AS_OF, TODAY, tiny_rows, write_tables

NAMES = ["month [2026-06]", "local[2]", "star * and what ?", "{a,b}"]


@pytest.mark.parametrize("name", NAMES)
def test_features_from_and_to_awkward_names(tmp_path: Path, name: str) -> None:
    plain = write_tables(tmp_path / "plain", tiny_rows())
    awkward = write_tables(tmp_path / name / name, tiny_rows())
    expected = compute_features(plain, AS_OF, today=TODAY)
    assert_frame_equal(compute_features(awkward, AS_OF, today=TODAY), expected)
    out = tmp_path / name / f"features {name}.parquet"
    written = features_to_parquet(awkward, AS_OF, out, today=TODAY)
    assert written.path == out and out.exists()
    assert_frame_equal(pl.read_parquet(out, glob=False), expected)


@pytest.mark.parametrize("name", NAMES)
def test_csv_tables_under_awkward_names(tmp_path: Path, name: str) -> None:
    plain = write_tables(tmp_path / "plain", tiny_rows())
    awkward = tmp_path / name
    awkward.mkdir()
    for table in plain.iterdir():
        pl.read_parquet(table).write_csv(awkward / table.with_suffix(".csv").name)
    expected = compute_features(plain, AS_OF, today=TODAY)
    assert_frame_equal(compute_features(awkward, AS_OF, today=TODAY), expected)


@pytest.mark.parametrize("name", NAMES)
def test_a_quarantine_file_under_an_awkward_name(tmp_path: Path, name: str) -> None:
    problems = pl.DataFrame(
        {"row": [3], "column": ["amount"], "value": ["-5"], "reason": ["negative"]},
        schema_overrides={"row": pl.Int64},
    )
    path = write_quarantine_file(problems, tmp_path / f"{name}.quarantine.csv")
    assert read_quarantine(path).equals(problems)
