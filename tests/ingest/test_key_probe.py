"""Loading rows into a table that already holds many current rows probes each staged key through the key
index (issue 15): the check for stored keys, written as a join, let SQLite read every current row — a
quarter of a second for one corrected statement at 100,000 consumers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from lucidscore.ingest import _load, ingest_directory
from lucidscore.records import TABLES_BY_NAME
from lucidscore.store import make_engine
from tests.ingest import _data


def test_the_stored_key_check_probes_the_key_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    ingest_directory(_data.write(tmp_path / "data"), url)
    engine = make_engine(url)
    record = TABLES_BY_NAME["statements"]
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "EXISTS" in statement.upper():
            seen.append((statement, parameters))

    with engine.begin() as conn:
        stage = _load.create_stage(conn, record)
        row = {"account_id": "A1", "period": "2025-01", "balance": 1.0, "amount_due": 1.0, "amount_paid": 1.0,
               "days_past_due": 0, "reported_at": None, "_row": 2}  # fmt: skip
        conn.execute(stage.insert(), [row])
        _load.index_stage(
            conn, stage, record
        )  # as ingest does: with both sides indexed, the join may go either way
        event.listen(engine, "before_cursor_execute", capture)
        try:
            assert _load.has_current_keys(conn, stage, record)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert seen
        statement, parameters = seen[-1]
        plan = " | ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    engine.dispose()
    assert "SCAN cur" not in plan and "SEARCH cur USING" in plan, plan
