"""SIGKILL in the middle of a file: the database holds all of it or none of it, and re-running completes it.

A real ``lucidscore ingest`` process loads a statements file large enough to take a few seconds; the test
waits until the batch is recorded as started, lets the load run a moment, kills the process with SIGKILL
and looks at the database with a fresh connection. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from lucidscore.ingest import ingest_directory, ingest_file
from lucidscore.store import raw_table

N_ACCOUNTS = 8_000
N_MONTHS = 30  # 240,000 statement rows: a few seconds of work on either database
LUCIDSCORE = Path(sys.executable).with_name("lucidscore")


def _write_population(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    ids = [f"{i:06d}" for i in range(N_ACCOUNTS)]
    pl.DataFrame(
        {"consumer_id": [f"C{i}" for i in ids], "identity_verified": True, "address_since": "2020-01-01"}
    ).with_columns(reported_at=pl.lit("2026-01-01T00:00:00")).write_csv(directory / "consumers.csv")
    pl.DataFrame(
        {
            "account_id": [f"A{i}" for i in ids],
            "consumer_id": [f"C{i}" for i in ids],
            "kind": "revolving",
            "opened": "2020-01-01",
            "closed": pl.Series([None] * N_ACCOUNTS, dtype=pl.String),
            "credit_limit": 1000.0,
            "original_amount": pl.Series([None] * N_ACCOUNTS, dtype=pl.Float64),
            "reported_at": "2026-01-01T00:00:00",
        }
    ).write_csv(directory / "accounts.csv")
    periods = pl.DataFrame({"period": [f"{2022 + m // 12}-{m % 12 + 1:02d}" for m in range(N_MONTHS)]})
    statements = pl.DataFrame({"account_id": [f"A{i}" for i in ids]}).join(periods, how="cross")
    statements.with_columns(
        balance=(pl.int_range(pl.len()) % 997).cast(pl.Float64),
        amount_due=10.0,
        amount_paid=10.0,
        days_past_due=0,
        reported_at=pl.lit("2026-01-01T00:00:00"),
    ).write_csv(directory / "statements.csv")


def _statements(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(raw_table("statements"))).scalar_one())


def _batch_status(engine: Engine) -> str | None:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status FROM ingest_batches WHERE table_name = 'statements' ORDER BY id DESC")
        ).first()
    return None if row is None else str(row[0])


@pytest.mark.slow
def test_sigkill_mid_file_leaves_all_or_nothing(tmp_path: Path, db_url: str, engine: Engine) -> None:
    data = tmp_path / "data"
    _write_population(data)
    ingest_file(data / "consumers.csv", "consumers", engine)
    ingest_file(data / "accounts.csv", "accounts", engine)
    total = N_ACCOUNTS * N_MONTHS

    proc = subprocess.Popen(
        [str(LUCIDSCORE), "ingest", str(data / "statements.csv"), "--db", db_url, "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ, COLUMNS="200"),
    )
    try:
        deadline = time.monotonic() + 60
        while _batch_status(engine) != "started":
            assert proc.poll() is None, f"ingest ended before it could be killed: {proc.stderr!r}"
            assert time.monotonic() < deadline, "the batch never started"
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the load: reading and staging take seconds
        assert proc.poll() is None, "the load finished before the kill: make the file larger"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    # All or nothing (and here, killed mid-file: nothing), the attempt visible as never finished.
    assert _statements(engine) in (0, total)
    assert _statements(engine) == 0
    assert _batch_status(engine) == "started"

    # Re-running completes it, once.
    assert ingest_file(data / "statements.csv", "statements", engine).inserted == total
    assert _statements(engine) == total
    assert _batch_status(engine) == "committed"
    again = ingest_file(data / "statements.csv", "statements", engine)
    assert (again.unchanged, again.inserted) == (total, 0)


def _started(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT table_name FROM ingest_batches WHERE status = 'started'"))
        return {str(r[0]) for r in rows}


def _two_big_files(data: Path) -> None:
    _write_population(data)
    periods = [f"{2022 + m // 12}-{m % 12 + 1:02d}" for m in range(N_MONTHS)]
    income = pl.DataFrame({"consumer_id": [f"C{i:06d}" for i in range(N_ACCOUNTS)]}).join(
        pl.DataFrame({"period": periods}), how="cross"
    )
    income.with_columns(amount=1500.0, verified=True, reported_at=pl.lit("2026-01-01T00:00:00")).write_csv(
        data / "income.csv"
    )


def _signal_when_in_flight(data: Path, db_url: str, engine: Engine, signum: int) -> tuple[int, set[str], str]:
    """Ingest directory ``data`` in a real process and send it ``signum`` once statements and income are
    both loading (PostgreSQL: side by side; SQLite: statements, one file at a time). Returns the exit code,
    the tables that were in flight and the end of what the process wrote to stderr (for a failure's
    message: an exit by another signal than the one sent says why only there)."""
    proc = subprocess.Popen(
        [str(LUCIDSCORE), "ingest", str(data), "--db", db_url, "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ, COLUMNS="200"),
    )
    both = {"statements", "income"} if engine.dialect.name == "postgresql" else {"statements"}
    try:
        deadline = time.monotonic() + 60
        while not both <= _started(engine):
            if proc.poll() is not None:
                assert proc.stderr is not None
                raise AssertionError(f"ingest ended before the signal: {proc.stderr.read()[-3000:]!r}")
            assert time.monotonic() < deadline, f"never in flight together: {_started(engine)}"
            time.sleep(0.05)
        time.sleep(0.3)
        assert proc.poll() is None, "the load finished before the signal: make the files larger"
        proc.send_signal(signum)
    finally:
        _, err = proc.communicate(timeout=120)
    return proc.returncode, both, err.decode("utf-8", "replace")[-3000:]


@pytest.mark.slow
def test_ctrl_c_with_two_files_loading_commits_neither(tmp_path: Path, db_url: str, engine: Engine) -> None:
    """SIGINT (Ctrl-C) while statements and income load (side by side on PostgreSQL): the command stops
    with exit code 130 and neither file is committed — the loading threads stop at their next batch and
    roll back, rather than finishing after the interrupt."""
    data = tmp_path / "data"
    _two_big_files(data)
    returncode, both, err = _signal_when_in_flight(data, db_url, engine, signal.SIGINT)
    assert returncode == 130, err
    with engine.connect() as conn:
        for table in ("statements", "income"):
            assert conn.execute(select(func.count()).select_from(raw_table(table))).scalar_one() == 0, table
        failed = {
            str(r[0])
            for r in conn.execute(text("SELECT table_name FROM ingest_batches WHERE status = 'failed'"))
        }
    assert both <= failed


@pytest.mark.slow
def test_sigkill_with_two_files_loading_leaves_each_all_or_nothing(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    """A directory whose statements and income load side by side (PostgreSQL loads two files at once):
    SIGKILL while both are in flight leaves each of them all or nothing, and running the directory again
    completes both, once."""
    data = tmp_path / "data"
    _two_big_files(data)
    total = N_ACCOUNTS * N_MONTHS
    returncode, both, err = _signal_when_in_flight(data, db_url, engine, signal.SIGKILL)
    assert returncode == -signal.SIGKILL, err
    with engine.connect() as conn:
        counts = {
            t: int(conn.execute(select(func.count()).select_from(raw_table(t))).scalar_one())
            for t in ("statements", "income")
        }
    assert counts["statements"] in (0, total) and counts["income"] in (0, total)
    assert both <= _started(engine)  # each attempt visible as never finished
    assert all(counts[t] == 0 for t in both)
    report = ingest_directory(data, db_url)
    assert {f.table: f.inserted + f.unchanged for f in report.files}["statements"] == total
    with engine.connect() as conn:
        for table in ("statements", "income"):
            assert conn.execute(select(func.count()).select_from(raw_table(table))).scalar_one() == total
