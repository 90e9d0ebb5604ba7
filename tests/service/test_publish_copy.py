"""Issue 15: a publish writes each chunk of scores in one transaction (on PostgreSQL one COPY): a chunk that
fails in the middle leaves none of its rows, the publication is marked failed, and publishing the month
again completes it with the rows a clean publish stores."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import lucidscore.service._history as history
from lucidscore.service import publish_month
from lucidscore.store import make_engine, verify_audit_chains
from lucidscore.store.service import Publication
from tests.fixtures.bureau import END, BureauFiles, with_active_model


def _month(url: str) -> tuple[dict[str, tuple[Any, ...]], list[str | None]]:
    """consumer -> what the consumer is shown of the month (one row each), and the chains' problems."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT consumer_id, score, tier, probability, segment, content_digest FROM score_history "
                "WHERE as_of = :m ORDER BY id"
            ),
            {"m": END},
        ).all()
    problems = [str(s.problem) for s in verify_audit_chains(engine) if not s.ok]
    engine.dispose()
    month = {r[0]: tuple(r[1:]) for r in rows}
    assert len(month) == len(rows)  # one row per consumer
    return month, problems


def test_a_chunk_failing_midway_leaves_none_of_its_rows_and_a_rerun_completes(
    bureau_url: str,
    bureau_files: BureauFiles,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    with_active_model(bureau_url, bureau_files)
    real = history.insert_chained
    calls = {"n": 0}

    def third_chunk_breaks(conn: Any, table: Any, rows: list[dict[str, Any]]) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:  # a value the database refuses, in the middle of the chunk's rows
            rows = [dict(r) for r in rows]
            rows[len(rows) // 2]["tier"] = "x" * 41 if conn.dialect.name == "postgresql" else 41
        return real(conn, table, rows)

    monkeypatch.setattr(history, "insert_chained", third_chunk_breaks)
    with pytest.raises((DBAPIError, RuntimeError)):
        publish_month(bureau_url, END, chunk_consumers=200)
    monkeypatch.setattr(history, "insert_chained", real)
    written, problems = _month(bureau_url)
    assert problems == []
    assert len(written) == 400  # the first two chunks; nothing of the third
    engine = make_engine(bureau_url)
    with Session(engine) as s:
        assert [p.status for p in s.scalars(select(Publication))] == ["failed"]
    engine.dispose()

    again = publish_month(bureau_url, END, chunk_consumers=200)
    assert (again.unchanged, again.new) == (400, again.consumers - 400)

    from tests.fixtures.bureau import copy_postgres  # a clean publish of the same bureau, to compare

    if bureau_url.startswith("sqlite"):
        clean_url = _clean_sqlite(request, bureau_url.replace("bureau.db", "clean.db"))
    else:
        clean_url = copy_postgres(
            request.getfixturevalue("postgres_server"), request.getfixturevalue("_bureau_postgres")
        )
    with_active_model(clean_url, bureau_files)
    publish_month(clean_url, END, chunk_consumers=200)
    assert _month(bureau_url) == _month(clean_url)


def _clean_sqlite(request: pytest.FixtureRequest, url: str) -> str:
    import sqlite3

    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(request.getfixturevalue("_bureau_sqlite")) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return url
