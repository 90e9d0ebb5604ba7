"""A file loads in one transaction: a failure part-way leaves none of its rows, and the batch says so.

Both ways a file is loaded: straight into a table with no rows yet, and through the staging table (a table
that already holds rows, or a file whose keys repeat).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from lucidscore.ingest import _file, ingest_file
from lucidscore.store import raw_table
from tests.ingest import _data

HEADER = "account_id,period,balance,amount_due,amount_paid,days_past_due,reported_at\n"
MORE = HEADER + "A1,2025-03,1,1,1,0,2026-01-01\nA1,2025-02,120.5,12,12,0,2026-02-01\n"


def _statements(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(raw_table("statements"))).scalar_one())


@pytest.mark.parametrize("path", ["straight", "staged"])
def test_failure_after_writing_rolls_back_the_whole_file(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    data = _data.write(tmp_path / "d")
    ingest_file(data / "consumers.csv", "consumers", engine)
    ingest_file(data / "accounts.csv", "accounts", engine)
    target = data / "statements.csv"
    before = 0
    if path == "staged":
        ingest_file(target, "statements", engine)
        before = _statements(engine)
        target = data / "more.csv"
        target.write_text(MORE, encoding="utf-8")
    real_finish = _file._finish
    calls: list[int] = []

    def finish_then_fail(*args: object, **kwargs: object) -> object:
        real_finish(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(1)
        raise OSError("disk full")

    monkeypatch.setattr(_file, "_finish", finish_then_fail)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(target, "statements", engine)
    assert calls == [1]
    assert _statements(engine) == before
    with engine.connect() as conn:
        status, error = conn.execute(
            text("SELECT status, error FROM ingest_batches WHERE table_name = 'statements' ORDER BY id DESC")
        ).first() or (None, None)
    assert (status, error) == ("failed", "disk full")
    monkeypatch.setattr(_file, "_finish", real_finish)
    report = ingest_file(target, "statements", engine)
    assert (report.inserted, report.superseded) == ((4, 0) if path == "straight" else (1, 1))


def test_a_key_repeated_in_a_first_load_goes_through_staging(tmp_path: Path, engine: Engine) -> None:
    """The straight load stops at the repeated key and leaves nothing; staging then quarantines every copy."""
    data = _data.write(tmp_path / "d")
    ingest_file(data / "consumers.csv", "consumers", engine)
    ingest_file(data / "accounts.csv", "accounts", engine)
    path = data / "statements.csv"
    rows = [f"A1,2024-{m:02d},1,1,1,0,2026-01-01\n" for m in range(1, 13)]
    path.write_text(HEADER + "A1,2023-01\n" + "".join(rows) + rows[0], encoding="utf-8")
    report = ingest_file(path, "statements", engine)
    assert (report.read, report.inserted, report.quarantined) == (14, 11, 3)
    assert report.problems[0].startswith("statements.csv row 2: 2 fields; expected 7")
    assert report.problems[1].startswith(
        "statements.csv row 3: account_id+period is 'A1|2024-01'; duplicated"
    )
    assert _statements(engine) == 11
