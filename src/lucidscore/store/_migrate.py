"""Schema migrations with Alembic's API: the scripts ship inside the package, no alembic.ini needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:  # Alembic loads when a database is migrated, not with every ``import lucidscore.store``
    from alembic.config import Config

from lucidscore.store._lock import DEFAULT_WAIT_SECONDS, write_transaction

_SCRIPTS = "lucidscore.store:migrations"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", _SCRIPTS)
    return cfg


def migrate(engine: Engine, revision: str = "head", *, wait: float = DEFAULT_WAIT_SECONDS) -> None:
    """Upgrade the database to ``revision`` (default: the newest); running it again changes nothing.

    A database already at the newest revision is only read. Otherwise the upgrade holds the write lock
    (waiting up to ``wait`` seconds, see ``lock_transaction``), so two processes migrating one new database
    at once queue instead of failing.
    """
    if revision == "head" and current_revision(engine) == head_revision():
        return
    from alembic import command

    cfg = _config()
    with write_transaction(engine, wait=wait, what="the database was not migrated") as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this lucidscore."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()
