"""The access log, score history and dispute audit trail are append-only: the database refuses UPDATE,
DELETE, TRUNCATE and an INSERT that replaces a row, and no code path issues one; the service's own writes,
concurrent decisions included, keep every hash chain valid."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from lucidscore.store import make_engine, verify_audit_chains
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


def _links(world: World) -> dict[str, int]:
    engine = make_engine(world.db_url)
    statuses = verify_audit_chains(engine)
    engine.dispose()
    assert [str(s.problem) for s in statuses if not s.ok] == []
    return {s.table: s.links for s in statuses}


def test_the_services_own_writes_keep_every_chain_valid(any_world: World) -> None:
    """Decisions from many threads at once, then a dispute accepted with a correction and a rescore."""
    ann = any_world.signed_in("ann")
    for open_dispute in ann.get("/v1/analyst/disputes").json():  # a record has one open dispute at a time
        ann.post(f"/v1/analyst/disputes/{open_dispute['id']}/reject", json={"reason": "answered"})
    before = _links(any_world)
    alice = any_world.signed_in("alice")
    token = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "premium"}).json()["token"]

    def decisions(_: int) -> list[int]:
        merchant = any_world.merchant("shop_x")
        body = {"consent_token": token, "product": "premium"}
        return [merchant.post("/v1/decisions", json=body).status_code for _ in range(10)]

    with ThreadPoolExecutor(8) as pool:
        codes = [code for codes in pool.map(decisions, range(8)) for code in codes]
    assert codes == [200] * 80
    dispute = alice.post(
        "/v1/me/disputes", json={"record_table": "accounts", "record_key": "A1", "reason": "limit is 8000"}
    ).json()["id"]
    accepted = any_world.signed_in("ann").post(
        f"/v1/analyst/disputes/{dispute}/accept", json={"corrections": {"credit_limit": 8000}}
    )
    assert accepted.status_code == 200, accepted.text
    after = _links(any_world)
    assert after["access_log"] == before["access_log"] + 80
    assert after["score_history"] == before["score_history"] + 1  # the rescore
    assert after["dispute_events"] == before["dispute_events"] + 5  # opened … accepted: five steps
