"""Two ingests of one database at once queue instead of failing (issue 11): both complete, nothing is lost
and nothing is stored twice; a wait longer than allowed ends with one clear line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from lucidscore.ingest import ingest_file
from lucidscore.store import DatabaseBusy, make_engine, raw_table, write_transaction
from tests.ingest import test_kill

LUCIDSCORE = Path(sys.executable).with_name("lucidscore")


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(raw_table(table))).scalar_one())


def _ingest(path: Path, db_url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(LUCIDSCORE), "ingest", str(path), "--db", db_url, "--no-progress", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
    )


@pytest.mark.slow
def test_two_ingests_at_once_both_complete(tmp_path: Path, db_url: str, engine: Engine) -> None:
    data = tmp_path / "data"
    test_kill._write_population(data)
    ingest_file(data / "consumers.csv", "consumers", engine)
    ingest_file(data / "accounts.csv", "accounts", engine)
    copy = tmp_path / "again" / "statements.csv"
    copy.parent.mkdir()
    copy.write_bytes((data / "statements.csv").read_bytes())
    # The same rows twice, from two processes started together, plus a third loading other rows.
    procs = [
        _ingest(data / "statements.csv", db_url),
        _ingest(copy, db_url),
        _ingest(data / "accounts.csv", db_url),
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
    total = test_kill.N_ACCOUNTS * test_kill.N_MONTHS
    assert _count(engine, "statements") == total  # stored once, nothing lost
    with engine.connect() as conn:
        inserted = conn.execute(
            text("SELECT rows_inserted, rows_unchanged FROM ingest_batches WHERE table_name = 'statements'")
        ).all()
    assert sorted(tuple(r) for r in inserted) == [(0, total), (total, 0)]


def test_a_wait_longer_than_allowed_is_one_clear_line(tmp_path: Path, db_url: str, engine: Engine) -> None:
    from tests.ingest import _data

    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS})
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        other = make_engine(db_url)
        with write_transaction(other, wait=10):
            held.set()
            release.wait(30)
        other.dispose()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        proc = _ingest(data / "consumers.csv", db_url, "--wait", "1")
        out, err = proc.communicate(timeout=120)
    finally:
        release.set()
        holder.join()
    assert proc.returncode == 2, out + err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert "another ingest (or another writer) held the database for more than 1 s" in err
    assert "nothing of" in err and "consumers.csv was loaded" in err
    assert _count(engine, "consumers") == 0
    # Once the other writer is gone, the same command loads the file.
    again = _ingest(data / "consumers.csv", db_url, "--wait", "1")
    assert again.wait(120) == 0
    assert _count(engine, "consumers") == 3


def test_write_transaction_times_out_with_database_busy(db_url: str, engine: Engine) -> None:
    with write_transaction(engine, wait=5):
        other = make_engine(db_url)
        with (
            pytest.raises(DatabaseBusy, match=r"held the database for more than 0.2 s"),
            write_transaction(other, wait=0.2),
        ):
            pass
        other.dispose()
