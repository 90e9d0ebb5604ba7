"""migrate(): idempotent, creates the raw tables, views, batch log and service tables that match the models;
revision 0003 chains the audit rows a database already holds."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.engine import Engine

from lucidscore.errors import InputError
from lucidscore.records import TABLES
from lucidscore.store import (
    BOOKKEEPING_COLUMNS,
    Base,
    chained_tables,
    current_revision,
    current_view_name,
    head_revision,
    migrate,
    verify_audit_chains,
)
from lucidscore.store._migrate import _config
from lucidscore.store.service import AccessLog, service_tables

MINE = (
    {t.name for t in TABLES}
    | {"ingest_batches", "audit_chain_heads", "shard_identity"}
    | {t.name for t in service_tables()}
)


def test_migrate_reaches_head_and_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()


def test_every_script_is_named_as_its_revision_in_one_numbered_line() -> None:
    """What lets ``migrate`` find the newest revision without loading Alembic: each script's revision is
    its file's name, and each follows the one numbered before it, so the last name is Alembic's head."""
    import ast

    from alembic.script import ScriptDirectory

    from lucidscore.store._migrate import newest_script, script_names

    names = script_names()
    scripts = ScriptDirectory.from_config(_config())
    assert sorted(r.revision for r in scripts.walk_revisions()) == names
    assert newest_script() == head_revision() == scripts.get_current_head()
    for before, name in zip([None, *names], names, strict=False):
        assert name[:4] == f"{names.index(name) + 1:04d}", f"{name}: not numbered after {before}"
        revision = scripts.get_revision(name)
        assert revision is not None and revision.down_revision == before
        source = Path(revision.path).read_text("utf-8")
        assigned = {
            node.targets[0].id: node.value.value
            for node in ast.parse(source).body
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
        }
        assert assigned["revision"] == Path(revision.path).stem == name


def test_the_revision_is_read_as_alembic_reads_it_at_every_step(db_url: str) -> None:
    """``current_revision`` reads the version table itself: at every revision, and before the first, it
    says what Alembic's own reader says; a migrated database is only read, whatever its revision."""
    from lucidscore.store import make_engine
    from lucidscore.store._migrate import script_names

    engine = make_engine(db_url)

    def alembic_says() -> str | None:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    assert current_revision(engine) is None and alembic_says() is None
    for name in script_names():
        migrate(engine, name)
        assert current_revision(engine) == alembic_says() == name
    migrate(engine)
    assert current_revision(engine) == alembic_says() == head_revision()
    engine.dispose()


def test_a_database_at_the_newest_revision_is_opened_without_alembic(tmp_path: Path) -> None:
    """Every command checks its database's revision; for one already migrated, Alembic (about 0.3 s of
    imports) is not loaded — in a fresh process, as a command runs."""
    import subprocess
    import sys

    from lucidscore.store import make_engine

    url = f"sqlite:///{tmp_path / 'head.db'}"
    first = make_engine(url)
    migrate(first)
    first.dispose()
    code = (
        "import sys\n"
        "from lucidscore.store import make_engine, migrate, current_revision\n"
        "engine = make_engine(sys.argv[1]); migrate(engine)\n"
        "print(current_revision(engine), 'alembic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [head_revision(), "False"]


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


def test_0005_adds_the_model_signature(engine: Engine) -> None:
    """Revision 0005_model_signature adds ``models.signature``; a downgrade removes it, an upgrade adds it."""
    from alembic import command

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("models")}

    assert "signature" in columns()
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003_audit_chain")
    assert "signature" not in columns() and current_revision(engine) == "0003_audit_chain"
    migrate(engine)
    assert "signature" in columns() and current_revision(engine) == head_revision()


def test_the_audit_chain_revision_follows_the_service_tables() -> None:
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(_config()).get_revision("0003_audit_chain")
    assert revision is not None and revision.down_revision == "0002_service"


def _old_rows(conn: object, name: str) -> Table:
    """The table as revision 0002 made it (no chain columns), as the service before 0003 wrote to it."""
    return Table(name, MetaData(), autoload_with=conn)  # type: ignore[arg-type]


def test_upgrade_chains_the_audit_rows_already_there_and_downgrade_undoes_it(db_url: str) -> None:
    from lucidscore.store import make_engine

    engine = make_engine(db_url)
    migrate(engine, "0002_service")
    moment = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    with engine.begin() as conn:
        users = _old_rows(conn, "users")
        conn.execute(
            insert(users),
            [
                {
                    "username": "m",
                    "role": "merchant",
                    "display_name": "M",
                    "password_hash": "x",
                    "created_at": moment,
                }
            ],
        )
        disputes = _old_rows(conn, "disputes")
        conn.execute(
            insert(disputes),
            {
                "consumer_id": "C1",
                "record_table": "accounts",
                "record_key": "A1",
                "reason": "é",
                "status": "open",
                "created_at": moment,
            },
        )
        log = [
            {
                "consumer_id": f"C{i}",
                "merchant_id": 1,
                "purpose": "premium",
                "at": moment + timedelta(minutes=i),
                "result": "declined" if i % 2 else "refused: expired",
                "score": 577 + i if i % 2 else None,
                "model_id": "sc-1" if i % 2 else None,
            }
            for i in range(7)
        ]
        conn.execute(insert(_old_rows(conn, "access_log")), log)
        scores = [
            {
                "consumer_id": f"C{i}",
                "model_id": "sc-1",
                "as_of": date(2026, 1, 1 + i),
                "score": 600 + i,
                "tier": "good",
                "probability": 0.1 / (i + 1),
                "segment": "thin",
                "reasons": [{"text": "ünïcode"}],
                "explanation": None if i % 2 else {"families": {"credit_history": -3.5}},
                "scored_at": moment,
            }
            for i in range(5)
        ]
        conn.execute(insert(_old_rows(conn, "score_history")), scores)
        events = [
            {
                "dispute_id": 1,
                "seq": i + 1,
                "at": moment,
                "actor_id": 1,
                "action": "opened",
                "detail": {"n": i},
            }
            for i in range(3)
        ]
        conn.execute(insert(_old_rows(conn, "dispute_events")), events)
    migrate(engine)
    statuses = {s.table: s for s in verify_audit_chains(engine)}
    assert {t: (s.ok, s.links) for t, s in statuses.items()} == {
        "access_log": (True, 7),
        "dispute_events": (True, 3),
        "score_history": (True, 5),
    }
    with engine.begin() as conn:  # the service goes on appending to the chain the migration started
        conn.execute(
            insert(AccessLog), {"consumer_id": "C9", "merchant_id": 1, "purpose": "p", "result": "declined"}
        )
        assert conn.execute(select(func.max(AccessLog.chain_seq))).scalar_one() == 8
    assert all(s.ok for s in verify_audit_chains(engine))

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002_service")
    assert current_revision(engine) == "0002_service"
    inspector = inspect(engine)
    assert not inspector.has_table("audit_chain_heads")
    assert "chain_seq" not in {c["name"] for c in inspector.get_columns("access_log")}
    with engine.begin() as conn:  # revision 0002's guards are back
        assert conn.execute(text("SELECT count(*) FROM access_log")).scalar_one() == 8
    with pytest.raises(Exception, match="access_log is append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM access_log"))
    migrate(engine)
    assert [(s.ok, s.links) for s in verify_audit_chains(engine)] == [(True, 8), (True, 3), (True, 5)]
    engine.dispose()


def test_every_audit_table_is_chained() -> None:
    from lucidscore.store.service import APPEND_ONLY_TABLES

    assert sorted(t.name for t in chained_tables()) == sorted(APPEND_ONLY_TABLES)
    for table in chained_tables():  # a server-side default would fill a value the row hash never saw
        assert [c.name for c in table.columns if c.server_default is not None] == []


def test_a_database_of_a_newer_lucidscore_is_one_line_naming_its_revision(engine: Engine) -> None:
    """A database migrated by a newer lucidscore (a revision this one does not ship: the binary rolled
    back, one shard upgraded before the others) is refused in one line naming the database, its revision
    and this lucidscore's newest, and is left as it is (before: alembic's CommandError traceback)."""
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(InputError, match=r"at revision '0099_from_the_future', which this") as info:
        migrate(engine)
    assert f"newest: {head_revision()}" in info.value.message and "newer lucidscore" in info.value.message
    assert current_revision(engine) == "0099_from_the_future"
