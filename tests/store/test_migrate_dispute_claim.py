"""Revision ``0010_dispute_accept_claim`` (issue 12) on SQLite and PostgreSQL: disputes that exist before it
keep everything and have no claim; it downgrades and upgrades cleanly, also with a trail referring to the
disputes (the columns are dropped in place: rebuilding ``disputes`` would be refused on SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lucidscore.service._disputes import add_event
from lucidscore.store import current_revision, head_revision, migrate
from lucidscore.store._migrate import _config
from lucidscore.store.service import Dispute, User

CLAIM = {"accepting_since", "accepting_by"}


def _downgrade(engine: Engine, target: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("disputes")}


def _dispute(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(text("SELECT id, consumer_id, record_key, reason, status FROM disputes")).one()
        )


def test_disputes_survive_0010_and_its_downgrade(engine: Engine) -> None:
    _downgrade(engine, "0009_superseded_key_index")
    assert not CLAIM & _columns(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, role, display_name, password_hash, created_at) "
                "VALUES (1, 'ann', 'analyst', 'Ann', 'x', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO disputes (id, consumer_id, record_table, record_key, reason, status, "
                "created_at) VALUES (7, 'C1', 'accounts', 'A1', 'wrong limit', 'open', :now)"
            ),
            {"now": now},
        )
    before = _dispute(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _columns(engine) >= CLAIM
    assert _dispute(engine) == before
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT accepting_since, accepting_by FROM disputes")).one()) == (
            None,
            None,
        )
    with Session(engine) as s:  # a claim, and a trail referring to the dispute
        dispute = s.get_one(Dispute, 7)
        dispute.accepting_since, dispute.accepting_by = now, 1
        add_event(s, dispute, s.get_one(User, 1), "review_started", {})
        s.commit()
    _downgrade(engine, "0009_superseded_key_index")
    assert not CLAIM & _columns(engine)
    assert _dispute(engine) == before
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _dispute(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dispute_events")).scalar_one() == 1
