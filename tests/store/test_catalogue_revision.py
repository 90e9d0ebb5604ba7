"""Revision 0006_catalogue on SQLite and PostgreSQL: audit rows chained before it still verify after it,
rows written after it are chained with the new columns, the catalogue versions are append-only, and a
downgrade that would break the chains is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from lucidscore.store import current_revision, head_revision, make_engine, migrate, verify_audit_chains
from lucidscore.store._migrate import _config
from lucidscore.store.service import AccessLog, CatalogueVersion, ScoreRecord

MOMENT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _log(i: int, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "consumer_id": f"C{i}",
        "merchant_id": 1,
        "purpose": "premium",
        "at": MOMENT,
        "result": "approved",
        "score": 700 + i,
        "model_id": "sc",
    }
    return row | extra


def _score(i: int, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "consumer_id": f"C{i}",
        "model_id": "sc",
        "as_of": date(2026, 1, 31),
        "score": 600 + i,
        "tier": "good",
        "probability": 0.1,
        "segment": "all",
        "reasons": [{"text": "ünïcode"}],
        "explanation": None,
        "scored_at": MOMENT,
    }
    return row | extra


def test_rows_from_before_and_after_the_revision_verify(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0003_audit_chain")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, role, display_name, password_hash, created_at) "
                "VALUES ('m', 'merchant', 'M', 'x', :t)"
            ),
            {"t": MOMENT},
        )
        # As the service wrote them at revision 0003: none of the new columns named (the chain leaves
        # NULL columns out of a row's hash, so these hash as they did then).
        conn.execute(insert(AccessLog), [_log(i) for i in range(3)])
        conn.execute(insert(ScoreRecord), [_score(i) for i in range(2)])
    assert all(s.ok for s in verify_audit_chains(engine))

    migrate(engine)
    assert current_revision(engine) == head_revision()  # 0006_catalogue or a later one
    with engine.begin() as conn:
        conn.execute(insert(AccessLog), [_log(7, catalogue_version=3)])
        conn.execute(
            insert(ScoreRecord),
            [_score(0, score=650, supersedes_id=1, publication_id=None, content_digest="a" * 64)],
        )
    statuses = {s.table: (s.ok, s.links) for s in verify_audit_chains(engine)}
    assert statuses == {"access_log": (True, 4), "dispute_events": (True, 0), "score_history": (True, 3)}
    # The new column is covered: editing it behind the service's back breaks the chain at that row.
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER access_log_no_update"))
        else:
            conn.execute(text("ALTER TABLE access_log DISABLE TRIGGER access_log_no_update"))
        conn.execute(text("UPDATE access_log SET catalogue_version = 4 WHERE id = 4"))
    broken = {s.table: s.problem for s in verify_audit_chains(engine)}["access_log"]
    assert broken is not None and broken.row_id == 4
    engine.dispose()


def test_a_downgrade_that_would_break_the_chains_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, role, display_name, password_hash, created_at) "
                "VALUES ('m', 'merchant', 'M', 'x', :t)"
            ),
            {"t": MOMENT},
        )
        conn.execute(insert(AccessLog), [_log(i) for i in range(2)])
    _downgrade(engine, "0003_audit_chain")  # no new column filled: allowed, and the rows still verify
    assert current_revision(engine) == "0003_audit_chain"
    assert all(s.ok for s in verify_audit_chains(engine))  # also by this code, on the older schema
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(insert(AccessLog), [_log(5, catalogue_version=1)])
    with pytest.raises(RuntimeError, match="access_log has rows with catalogue_version set"):
        _downgrade(engine, "0003_audit_chain")
    assert current_revision(engine) == head_revision()  # 0006_catalogue or a later one
    assert all(s.ok for s in verify_audit_chains(engine))
    engine.dispose()


def test_catalogue_versions_are_append_only(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(CatalogueVersion),
            {"version": 1, "catalogue": "{}", "content_hash": "0" * 64, "source": "t", "note": ""},
        )
    for sql in ("UPDATE benefit_catalogues SET catalogue = 'x'", "DELETE FROM benefit_catalogues"):
        with pytest.raises(Exception, match="benefit_catalogues is append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    if engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE benefit_catalogues"))
    engine.dispose()
