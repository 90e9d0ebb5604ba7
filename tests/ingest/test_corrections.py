"""Corrections: a newer reported_at supersedes, the old version stays in history, stale ones are refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from lucidscore.errors import InputError
from lucidscore.ingest import ingest_file, ingest_frame
from lucidscore.store import history
from tests.ingest import _data

HEADER = "account_id,period,balance,amount_due,amount_paid,days_past_due,reported_at\n"


@pytest.fixture
def stored(tmp_path: Path, engine: Engine) -> Path:
    data = _data.write(
        tmp_path / "data",
        {"consumers": _data.CONSUMERS, "accounts": _data.ACCOUNTS, "statements": _data.STATEMENTS},
    )
    for table in ("consumers", "accounts", "statements"):
        ingest_file(data / f"{table}.csv", table, engine)
    return data


def _current(engine: Engine, account: str, period: str) -> dict[str, object]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM statements_current WHERE account_id = :a AND period = :p"),
            {"a": account, "p": period},
        )
        return dict(rows.mappings().one())


def test_newer_report_supersedes_and_keeps_history(stored: Path, engine: Engine) -> None:
    fix = stored / "fix.csv"
    fix.write_text(HEADER + "A1,2025-02,120.5,12,12,0,2026-02-01\n", encoding="utf-8")
    report = ingest_file(fix, "statements", engine)
    assert (report.superseded, report.inserted, report.unchanged) == (1, 0, 0)
    assert _current(engine, "A1", "2025-02")["days_past_due"] == 0
    versions = history(engine, "statements", {"account_id": "A1", "period": "2025-02"})
    assert [v["days_past_due"] for v in versions] == [30, 0]
    assert [v["amount_paid"] for v in versions] == [0.0, 12.0]  # the old values, untouched
    assert versions[0]["_superseded_at"] is not None and versions[1]["_superseded_at"] is None
    assert versions[1]["_batch_id"] == report.batch_id != versions[0]["_batch_id"]
    # Loading the correction again is a no-op.
    again = ingest_file(fix, "statements", engine)
    assert (again.superseded, again.inserted, again.unchanged) == (0, 0, 1)
    assert len(history(engine, "statements", {"account_id": "A1", "period": "2025-02"})) == 2


def test_older_report_with_other_values_is_quarantined_as_stale(stored: Path, engine: Engine) -> None:
    old = stored / "old.csv"
    old.write_text(HEADER + "A1,2025-02,999,12,12,0,2025-12-01\n", encoding="utf-8")
    report = ingest_file(old, "statements", engine)
    assert (report.quarantined, report.superseded) == (1, 0)
    assert report.problems[0].startswith(
        "old.csv row 2: reported_at is '2025-12-01 00:00:00'; older than the stored"
    )
    assert _current(engine, "A1", "2025-02")["balance"] == 120.5


def test_same_reported_at_with_other_values_is_a_conflict(stored: Path, engine: Engine) -> None:
    clash = stored / "clash.csv"
    clash.write_text(HEADER + "A1,2025-02,1,12,12,0,2026-01-01\n", encoding="utf-8")
    report = ingest_file(clash, "statements", engine)
    assert report.quarantined == 1
    assert "same reported_at as the stored version but different values" in report.problems[0]


def test_same_values_reported_again_later_change_nothing(stored: Path, engine: Engine) -> None:
    same = stored / "same.csv"
    same.write_text(HEADER + "A1,2025-02,120.5,12,0,30,2026-03-01\n", encoding="utf-8")
    report = ingest_file(same, "statements", engine)
    assert (report.unchanged, report.superseded, report.inserted) == (1, 0, 0)


def test_a_correction_can_come_from_memory(stored: Path, engine: Engine) -> None:
    frame = pd.DataFrame(
        {
            "consumer_id": ["C2"],
            "identity_verified": [True],
            "address_since": ["2020-06-01"],
            "reported_at": [datetime(2026, 3, 1)],
        }
    )
    report = ingest_frame(frame, "consumers", engine, source="dispute-17")
    assert (report.superseded, report.quarantine_path) == (1, None)
    versions = history(engine, "consumers", "C2")
    assert [v["identity_verified"] for v in versions] == [False, True]
    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT file_name FROM ingest_batches WHERE id = :i"), {"i": report.batch_id}
        )
        assert name.scalar_one() == "dispute-17"


def test_history_needs_the_whole_key(engine: Engine) -> None:
    with pytest.raises(
        InputError, match=r"statements: the key has columns account_id, period; pass a mapping"
    ):
        history(engine, "statements", "A1")
    with pytest.raises(InputError, match=r"key columns missing: period; unexpected: none"):
        history(engine, "statements", {"account_id": "A1"})
    with pytest.raises(InputError, match=r"table 'nope' is unknown"):
        history(engine, "nope", "x")


def test_outcomes_cannot_be_silently_changed(tmp_path: Path, engine: Engine) -> None:
    data = _data.write(tmp_path / "d", {"consumers": _data.CONSUMERS, "outcomes": _data.OUTCOMES})
    ingest_file(data / "consumers.csv", "consumers", engine)
    ingest_file(data / "outcomes.csv", "outcomes", engine)
    (data / "outcomes.csv").write_text(
        "consumer_id,observation_date,bad\nC1,2025-06-30,1\n", encoding="utf-8"
    )
    report = ingest_file(data / "outcomes.csv", "outcomes", engine)
    assert report.quarantined == 1
    assert report.problems == (
        "outcomes.csv row 2: consumer_id+observation_date is 'C1|2025-06-30'; differs from the stored row, "
        "and this table has no reported_at to order corrections",
    )


def test_two_corrections_in_the_same_second_both_count(stored: Path, engine: Engine) -> None:
    """Sub-second reported_at survives the store on both databases, so the second correction is newer."""
    for balance, at in ((130.0, "2026-02-01T10:00:00.250000"), (140.0, "2026-02-01T10:00:00.750000")):
        frame = pd.DataFrame(
            {
                "account_id": ["A1"],
                "period": ["2025-02"],
                "balance": [balance],
                "amount_due": [12.0],
                "amount_paid": [0.0],
                "days_past_due": [30],
                "reported_at": [at],
            }
        )
        report = ingest_frame(frame, "statements", engine, source="dispute")
        assert (report.superseded, report.quarantined) == (1, 0), report.problems
    versions = history(engine, "statements", {"account_id": "A1", "period": "2025-02"})
    assert [v["balance"] for v in versions] == [120.5, 130.0, 140.0]
    assert [v["reported_at"].microsecond for v in versions] == [0, 250_000, 750_000]


def test_corrections_at_the_same_instant_are_ordered_by_sequence(stored: Path, engine: Engine) -> None:
    """correct_record gives each correction a reported_at newer than the stored one, even if the clock
    has not moved (same microsecond, or a clock set back): the second correction is never refused."""
    from lucidscore.ingest import correct_record

    now = datetime(2026, 2, 1, 10, 0, 0)
    key = {"account_id": "A1", "period": "2025-02"}
    first = correct_record(engine, "statements", key, {"amount_paid": 12.0}, source="dispute 1", now=now)
    second = correct_record(engine, "statements", key, {"days_past_due": 0}, source="dispute 2", now=now)
    third = correct_record(
        engine, "statements", key, {"balance": 1.0}, source="dispute 3", now=datetime(2026, 1, 15)
    )
    assert [r.superseded for r in (first, second, third)] == [1, 1, 1]
    versions = history(engine, "statements", key)
    assert [(v["amount_paid"], v["days_past_due"], v["balance"]) for v in versions] == [
        (0.0, 30, 120.5),
        (12.0, 30, 120.5),
        (12.0, 0, 120.5),
        (12.0, 0, 1.0),
    ]
    times = [v["reported_at"] for v in versions]
    assert times == sorted(times) and len(set(times)) == 4
    assert times[1] == now and (times[2] - now).total_seconds() == 1e-6


def test_correct_record_refuses_what_it_cannot_do(stored: Path, engine: Engine) -> None:
    from lucidscore.ingest import correct_record

    key = {"account_id": "A1", "period": "2025-02"}
    with pytest.raises(
        InputError, match=r"statements: account_id is part of the key and cannot be corrected"
    ):
        correct_record(engine, "statements", key, {"account_id": "A2"}, source="x")
    with pytest.raises(InputError, match=r"statements: no column colour; expected one of balance"):
        correct_record(engine, "statements", key, {"colour": "red"}, source="x")
    with pytest.raises(InputError, match=r"statements: no current record A9\|2025-02"):
        correct_record(
            engine, "statements", {"account_id": "A9", "period": "2025-02"}, {"balance": 1}, source="x"
        )
    bad = correct_record(engine, "statements", key, {"balance": -1}, source="x")
    assert bad.quarantined == 1 and "balance is '-1'" in bad.problems[0]


def test_a_history_is_read_through_the_key_indexes_and_first_loads_leave_no_superseded_entries(
    stored: Path, engine: Engine
) -> None:
    """Revision 0009: no index holds every version any more; a record's history is read through the
    unique index of current keys and the partial index of superseded ones (never a scan of the table),
    and after a first load the superseded index is empty."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            count = "SELECT count(*) FROM statements INDEXED BY ix_statements_superseded_key "
            count += "WHERE _superseded_at IS NOT NULL"
            assert conn.execute(text(count)).scalar_one() == 0
    fix = stored / "fix.csv"
    fix.write_text(HEADER + "A1,2025-02,120.5,12,12,0,2026-02-01\n", encoding="utf-8")
    ingest_file(fix, "statements", engine)
    seen: list[tuple[str, object]] = []

    def capture(conn: object, cursor: object, statement: str, params: object, *args: object) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert len(history(engine, "statements", {"account_id": "A1", "period": "2025-02"})) == 2
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    if engine.dialect.name != "sqlite":
        return
    (statement, params), *_ = [(s, p) for s, p in seen if "FROM statements" in s]
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)  # type: ignore[arg-type]
        plan = " | ".join(str(r[-1]) for r in rows)
    assert "ux_statements_current_key" in plan and "ix_statements_superseded_key" in plan, plan
    assert "SCAN statements" not in plan, plan
