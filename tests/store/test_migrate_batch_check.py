"""Revision ``0008_ingest_batch_check`` (issue 15) on SQLite and PostgreSQL: the raw tables' ``_batch_id``
is no longer a per-row foreign key, but the database still refuses a row that names no ingest batch
(INSERT of one or many rows, and COPY on PostgreSQL), a change of a stored row's batch, and the deletion
of a batch; rows already stored survive the upgrade and a downgrade restores the foreign key."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError

from lucidscore.ingest import ingest_frame
from lucidscore.store import RAW_TABLE_NAMES, current_revision, head_revision, make_engine, migrate
from lucidscore.store._migrate import _config

NOW = datetime(2026, 7, 1, 12, 0, 0)


def _batch(conn: object, batch_id: int) -> None:
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO ingest_batches (id, table_name, file_name, sha256, status, started_at) "
            "VALUES (:id, 'income', 'f.csv', :sha, 'done', :now)"
        ),
        {"id": batch_id, "sha": "0" * 64, "now": NOW},
    )


def _income(conn: object, rows: list[tuple[str, int]]) -> None:
    """Insert income rows (consumer, batch) in ONE statement."""
    values = ", ".join(f"(:c{i}, '2026-06', 100.0, true, :now, :b{i}, :now)" for i in range(len(rows)))
    params: dict[str, object] = {"now": NOW}
    for i, (consumer, batch) in enumerate(rows):
        params |= {f"c{i}": consumer, f"b{i}": batch}
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO income (consumer_id, period, amount, verified, reported_at, _batch_id, "
            f"_ingested_at) VALUES {values}"
        ),
        params,
    )


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_no_foreign_key_left_but_every_batch_id_is_checked(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in RAW_TABLE_NAMES:
        assert inspector.get_foreign_keys(table) == [], table
    with engine.begin() as conn:
        _batch(conn, 1)
        _income(conn, [("C1", 1), ("C2", 1)])
    # One unknown batch among good ones, in one statement: the whole statement is refused.
    with pytest.raises(DatabaseError, match=r"_batch_id .*is not an ingest batch"), engine.begin() as conn:
        _income(conn, [("C3", 1), ("C4", 99), ("C5", 1)])
    with pytest.raises(DatabaseError, match=r"_batch_id .*is not an ingest batch"), engine.begin() as conn:
        _income(conn, [("C6", 7)])
    assert _count(engine, "SELECT count(*) FROM income") == 2
    # A stored row keeps its batch; its other bookkeeping (superseding) still changes.
    with (
        pytest.raises(DatabaseError, match="_batch_id of a stored row never changes"),
        engine.begin() as conn,
    ):
        _batch(conn, 2)
        conn.execute(text("UPDATE income SET _batch_id = 2 WHERE consumer_id = 'C1'"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE income SET _superseded_at = :now WHERE consumer_id = 'C1'"), {"now": NOW})
    assert _count(engine, "SELECT count(*) FROM income_current") == 1
    # The batch log is kept.
    with pytest.raises(DatabaseError, match="a batch is never deleted"), engine.begin() as conn:
        conn.execute(text("DELETE FROM ingest_batches WHERE id = 1"))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="a batch is never deleted"), engine.begin() as conn:
            conn.execute(text("TRUNCATE ingest_batches CASCADE"))
    assert _count(engine, "SELECT count(*) FROM ingest_batches") == 1


@pytest.mark.postgres
def test_copy_with_an_unknown_batch_is_refused_on_postgresql(postgres_server: Any) -> None:
    engine = make_engine(str(postgres_server.create_database()))
    migrate(engine)
    with engine.begin() as conn:
        _batch(conn, 1)
    lines = "".join(
        f"C{i}\t2026-06\t10.5\tt\t2026-07-01 00:00:00\t{1 if i != 500 else 42}\t2026-07-01\n"
        for i in range(1000)
    )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        statement = (
            "COPY income (consumer_id, period, amount, verified, reported_at, _batch_id, _ingested_at) "
            "FROM STDIN"
        )
        with (
            pytest.raises(Exception, match=r"table income: _batch_id 42 is not an ingest batch"),
            cursor.copy(statement) as copy,  # type: ignore[attr-defined]
        ):
            copy.write(lines)
        raw.rollback()
    finally:
        raw.close()
    assert _count(engine, "SELECT count(*) FROM income") == 0
    engine.dispose()


def _migrate_to(engine: Engine, target: str, down: bool) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def test_stored_rows_survive_the_upgrade_and_a_downgrade_restores_the_foreign_key(engine: Engine) -> None:
    _migrate_to(engine, "0007_oauth", down=True)
    assert any(fk["referred_table"] == "ingest_batches" for fk in inspect(engine).get_foreign_keys("income"))
    with engine.begin() as conn:
        _batch(conn, 1)
        _income(conn, [("C1", 1), ("C2", 1), ("C3", 1)])
        conn.execute(text("UPDATE income SET _superseded_at = :now WHERE consumer_id = 'C3'"), {"now": NOW})
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert inspect(engine).get_foreign_keys("income") == []
    assert _count(engine, "SELECT count(*) FROM income") == 3
    assert _count(engine, "SELECT count(*) FROM income_current") == 2
    # The unique index of current keys came through the rebuild (SQLite) untouched.
    with pytest.raises(DatabaseError), engine.begin() as conn:
        _income(conn, [("C1", 1)])
    _migrate_to(engine, "0007_oauth", down=True)
    assert any(fk["referred_table"] == "ingest_batches" for fk in inspect(engine).get_foreign_keys("income"))
    assert _count(engine, "SELECT count(*) FROM income_current") == 2
    migrate(engine)
    assert current_revision(engine) == head_revision()


def _triggers(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
    return {str(name): str(sql) for name, sql in rows}


def test_a_first_load_leaves_the_check_as_the_migration_made_it(engine: Engine, tmp_path: Path) -> None:
    """SQLite's first load drops the per-row check for its own rows and makes it again: afterwards the
    trigger is the migration's, to the letter, and a forged row is refused again (both databases)."""
    migrated = _triggers(make_fresh(tmp_path)) if engine.dialect.name == "sqlite" else {}
    frame = pl.DataFrame(
        {
            "consumer_id": [f"C{i:04d}" for i in range(50)],
            "identity_verified": ["true"] * 50,
            "address_since": ["2020-01-01"] * 50,
            "reported_at": ["2026-07-01T00:00:00"] * 50,
        }
    )
    report = ingest_frame(frame, "consumers", engine, source="first load")
    assert report.inserted == 50
    if engine.dialect.name == "sqlite":
        assert _triggers(engine) == migrated
    with (
        pytest.raises(DatabaseError, match=r"_batch_id .*is not an ingest batch"),
        engine.begin() as conn,
    ):
        conn.execute(
            text(
                "INSERT INTO consumers (consumer_id, identity_verified, reported_at, _batch_id, "
                "_ingested_at) VALUES ('X1', true, :now, 999, :now)"
            ),
            {"now": NOW},
        )


def make_fresh(tmp_path: Path) -> Engine:
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(fresh)
    return fresh
