"""Properties of ingestion that must hold for any data: counts add up, and loading twice changes nothing."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lucidscore.ingest import ingest_file
from lucidscore.store import make_engine, migrate, raw_table
from tests.ingest import _data

_account = st.sampled_from(["A1", "A2", "A3", "A9", "", "x"])  # some unknown or empty
_row = st.tuples(
    _account,
    st.sampled_from(["2025-01", "2025-02", "2024-12", "2025-13", "2099-01", ""]),
    st.sampled_from(["0", "12.5", "-1", "abc", "1e3", ""]),
    st.sampled_from(["10", "0"]),
    st.sampled_from(["10", "-0.5"]),
    st.sampled_from(["0", "30", "-3", "2.5", "4000"]),
    st.sampled_from(["2026-01-01", "2026-02-01T10:00:00", "2099-01-01", "yesterday"]),
)


@pytest.fixture(scope="module")
def consumers_and_accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database holding the consumers and accounts every example starts from (each example
    works on its own copy): migrating and loading them anew for every example took most of the time."""
    directory = _data.write(
        tmp_path_factory.mktemp("base"), {"consumers": _data.CONSUMERS, "accounts": _data.ACCOUNTS}
    )
    engine = make_engine(f"sqlite:///{directory / 'base.db'}")
    migrate(engine)
    ingest_file(directory / "consumers.csv", "consumers", engine)
    ingest_file(directory / "accounts.csv", "accounts", engine)
    engine.dispose()
    return directory / "base.db"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_row, min_size=0, max_size=30))
def test_counts_add_up_and_a_second_load_is_a_no_op(
    consumers_and_accounts: Path, rows: list[tuple[str, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        src, dst = sqlite3.connect(consumers_and_accounts), sqlite3.connect(directory / "l.db")
        try:
            src.backup(dst)
        finally:  # a connection's ``with`` only commits; these are closed before the directory goes
            src.close()
            dst.close()
        engine = make_engine(f"sqlite:///{directory / 'l.db'}")
        path = directory / "statements.csv"
        names = [
            "account_id",
            "period",
            "balance",
            "amount_due",
            "amount_paid",
            "days_past_due",
            "reported_at",
        ]
        pl.DataFrame(rows, schema=names, orient="row").write_csv(path)

        first = ingest_file(path, "statements", engine)
        assert first.read == len(rows)
        assert first.read == first.accepted + first.quarantined
        assert first.accepted == first.inserted + first.superseded + first.unchanged
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(raw_table("statements"))).scalar_one()
        assert stored == first.inserted

        second = ingest_file(path, "statements", engine)
        assert (second.inserted, second.superseded) == (0, 0)
        assert second.unchanged == first.accepted
        assert second.quarantined == first.quarantined
        with engine.connect() as conn:
            again = conn.execute(select(func.count()).select_from(raw_table("statements"))).scalar_one()
        assert again == stored
        engine.dispose()
