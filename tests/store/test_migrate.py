"""migrate(): idempotent, creates the raw tables, views and batch log that match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from lucidscore.records import TABLES
from lucidscore.store import (
    BOOKKEEPING_COLUMNS,
    Base,
    current_revision,
    current_view_name,
    head_revision,
    migrate,
)

MINE = {t.name for t in TABLES} | {"ingest_batches"}


def test_migrate_reaches_head_and_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()


def test_initial_revision_id_is_the_agreed_one(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from lucidscore.store._migrate import _config

    base = ScriptDirectory.from_config(_config()).get_base()
    assert base == "0001_raw_records"


@pytest.mark.parametrize("record", TABLES, ids=lambda t: t.name)
def test_raw_table_has_record_and_bookkeeping_columns(engine: Engine, record: object) -> None:
    from lucidscore.records import Table

    assert isinstance(record, Table)
    inspector = inspect(engine)
    cols = [c["name"] for c in inspector.get_columns(record.name)]
    assert set(cols) == set(record.column_names) | set(BOOKKEEPING_COLUMNS)
    view_cols = [c["name"] for c in inspector.get_columns(current_view_name(record.name))]
    assert view_cols == list(record.column_names)


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if _table_of(d) in MINE]
    assert mine == []


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(part, str) and part in MINE:
            return part
        if name in MINE:
            return str(name)
    return None


def test_0003_adds_the_model_signature_where_it_is_missing(engine: Engine) -> None:
    """0002 builds the service tables from today's models, so a new database has ``models.signature``
    before 0003 runs (0003 then leaves it); one made before has not, and 0003 adds it."""
    from alembic import command

    from lucidscore.store._migrate import _config

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("models")}

    assert "signature" in columns()
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002_service")  # the table as a database made before issue 11 has it
    assert "signature" not in columns() and current_revision(engine) == "0002_service"
    migrate(engine)
    assert "signature" in columns() and current_revision(engine) == head_revision()
