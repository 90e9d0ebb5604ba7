"""The access log, score history and dispute audit trail are append-only: the database refuses UPDATE
and DELETE (SQLite triggers, PostgreSQL triggers), and no code path issues one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from lucidscore.store import make_engine
from lucidscore.store.service import APPEND_ONLY_TABLES
from tests.api._world import World

SRC = Path(__file__).resolve().parents[2] / "src" / "lucidscore"


def _fill(world: World) -> None:
    alice = world.signed_in("alice")
    token = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "premium"}).json()["token"]
    world.merchant("shop_x").post("/v1/decisions", json={"consent_token": token, "product": "premium"})
    alice.post(
        "/v1/me/disputes", json={"record_table": "accounts", "record_key": "A1", "reason": "closed in 2020"}
    )


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_database_refuses_update_and_delete(any_world: World, table: str) -> None:
    _fill(any_world)
    engine = make_engine(any_world.db_url)
    with engine.connect() as conn:
        before = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    assert before > 0
    for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match=f"{table} is append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == before
    engine.dispose()


def test_no_code_path_updates_or_deletes_append_only_rows() -> None:
    models = ("AccessLog", "ScoreRecord", "DisputeEvent")
    pattern = re.compile(
        rf"\b(update|delete)\(\s*({'|'.join(models)})\b|\.delete\(\s*\w*(event|log|record)\w*\s*\)"
    )
    offenders = []
    for path in SRC.rglob("*.py"):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) or re.search(
                rf"(UPDATE|DELETE FROM)\s+({'|'.join(APPEND_ONLY_TABLES)})\b", line
            ):
                offenders.append(f"{path.relative_to(SRC)}:{lineno}: {line.strip()}")
    assert offenders == []


# What an attacker who reaches the database through SQL (the service's own connection, a stolen URL)
# tries after UPDATE and DELETE are refused: replace a row in place, or empty the table at once.
_FORGED = {
    "access_log": ("result", "'approved (FORGED)'"),
    "score_history": ("score", "999"),
    "dispute_events": ("action", "'accepted'"),
}


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_database_refuses_an_insert_that_replaces_a_row(any_world: World, table: str) -> None:
    """SQLite's INSERT OR REPLACE deletes the old row without firing DELETE triggers (issue 11);
    PostgreSQL's INSERT ... ON CONFLICT DO UPDATE is its equivalent."""
    _fill(any_world)
    engine = make_engine(any_world.db_url)
    columns = [c["name"] for c in inspect(engine).get_columns(table)]
    forged_column, forged_value = _FORGED[table]
    values = ", ".join(forged_value if c == forged_column else c for c in columns)
    with engine.connect() as conn:
        target = conn.execute(text(f"SELECT min(id) FROM {table}")).scalar_one()
        before = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
    copy = f"({', '.join(columns)}) SELECT {values} FROM {table} WHERE id = {target}"
    replace = (
        f"INSERT OR REPLACE INTO {table} {copy}"
        if engine.dialect.name == "sqlite"
        else f"INSERT INTO {table} {copy} ON CONFLICT (id) DO UPDATE "
        f"SET {forged_column} = EXCLUDED.{forged_column}"
    )
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), engine.begin() as conn:
        conn.execute(text(replace))
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))] == before
    engine.dispose()


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_database_refuses_to_empty_a_table(any_world: World, table: str) -> None:
    """PostgreSQL's TRUNCATE fires no row triggers (issue 11: it emptied all three tables); SQLite has no
    TRUNCATE, and its DELETE without WHERE fires the row triggers."""
    _fill(any_world)
    engine = make_engine(any_world.db_url)
    with engine.connect() as conn:
        before = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    empty = f"TRUNCATE {table}" if engine.dialect.name == "postgresql" else f"DELETE FROM {table}"
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), engine.begin() as conn:
        conn.execute(text(empty))
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == before
    engine.dispose()
