"""A file loads in one transaction: a failure part-way leaves none of its rows, and the batch says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from lucidscore.ingest import _load, ingest_file
from lucidscore.store import raw_table
from tests.ingest import _data


def test_failure_after_staging_rolls_back_the_whole_file(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _data.write(tmp_path / "d")
    ingest_file(data / "consumers.csv", "consumers", engine)
    ingest_file(data / "accounts.csv", "accounts", engine)
    real_merge = _load.merge

    def merge_then_fail(*args: object, **kwargs: object) -> object:
        real_merge(*args, **kwargs)  # type: ignore[arg-type]
        raise OSError("disk full")

    monkeypatch.setattr(_load, "merge", merge_then_fail)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(data / "statements.csv", "statements", engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(raw_table("statements"))).scalar_one() == 0
        status, error = conn.execute(
            text("SELECT status, error FROM ingest_batches WHERE table_name = 'statements'")
        ).one()
    assert (status, error) == ("failed", "disk full")
    monkeypatch.setattr(_load, "merge", real_merge)
    assert ingest_file(data / "statements.csv", "statements", engine).inserted == 4
