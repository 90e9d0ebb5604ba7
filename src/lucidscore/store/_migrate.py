"""Schema migrations with Alembic's API: the scripts ship inside the package, no alembic.ini needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:  # Alembic loads when a database is migrated, not with every ``import lucidscore.store``
    from alembic.config import Config

from lucidscore.errors import InputError
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
    current = current_revision(engine)
    if revision == "head" and current == head_revision():
        return
    if current is not None and current not in known_revisions():
        shown = engine.url.render_as_string(hide_password=True)
        raise InputError(
            f"database {shown}: at revision {current!r}, which this lucidscore (newest: {head_revision()}) "
            "does not know: a newer lucidscore migrated it. Run that version (or a newer one) on it, or "
            "restore a backup made before; the database was left as it is"
        )
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


def known_revisions() -> set[str]:
    """Every revision shipped with this lucidscore."""
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(_config()).walk_revisions()}


def head_revision() -> str | None:
    """The newest revision shipped with this lucidscore."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()
