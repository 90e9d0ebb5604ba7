"""The access log, score history and dispute audit trail are append-only: the database refuses UPDATE
and DELETE (SQLite triggers, PostgreSQL triggers), and no code path issues one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
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
