"""The generator's output (lucidscore.synth) loads completely: no row quarantined, every row counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from lucidscore.ingest import ingest_directory
from lucidscore.store import raw_table
from lucidscore.synth import generate_population


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_synthetic_population_loads_without_quarantine(
    tmp_path: Path, db_url: str, engine: Engine, fmt: str
) -> None:
    summary = generate_population(300, 11, tmp_path / "data", fmt=fmt)  # type: ignore[arg-type]
    report = ingest_directory(tmp_path / "data", db_url)
    assert {f.table: f.inserted for f in report.files} == summary.rows
    assert report.total("quarantined") == 0
    with engine.connect() as conn:
        for table, n in summary.rows.items():
            assert conn.execute(select(func.count()).select_from(raw_table(table))).scalar_one() == n
