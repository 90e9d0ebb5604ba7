"""Revision ``0007_oauth`` (issue 12) on SQLite and PostgreSQL: consents that exist before it keep working
(no decision limit, issued on the page), and it downgrades and upgrades cleanly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from lucidscore.store import current_revision, head_revision, migrate
from lucidscore.store._migrate import _config


def _before_0007() -> str:
    revision = ScriptDirectory.from_config(_config()).get_revision("0007_oauth")
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def _downgrade(engine: Engine, target: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def test_existing_consents_survive_0007_unchanged(engine: Engine) -> None:
    _downgrade(engine, _before_0007())
    tables = set(inspect(engine).get_table_names())
    assert not {"oauth_codes", "oauth_redirect_uris"} & tables
    assert "decisions_left" not in {c["name"] for c in inspect(engine).get_columns("consents")}
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, role, display_name, password_hash, created_at) "
                "VALUES (1, 'shop', 'merchant', 'Shop', 'x', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO consents (consumer_id, merchant_id, purpose, token_hash, created_at, "
                "expires_at) VALUES ('C1', 1, 'premium', :h, :now, :until)"
            ),
            {"h": "a" * 64, "now": now, "until": now + timedelta(days=3)},
        )
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT decisions_left, issued_via FROM consents")).one()
    assert tuple(row) == (None, "page")
    assert {"oauth_codes", "oauth_redirect_uris"} <= set(inspect(engine).get_table_names())
