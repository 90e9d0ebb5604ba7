"""Schema migrations with Alembic's API: the scripts ship inside the package, no alembic.ini needed.

Every command that opens a database checks its revision first; Alembic (with Mako and Pygments) takes
about 0.3 s to import, as long as some commands' work. So the check reads Alembic's version table with
SQLAlchemy alone and compares it with the newest script's revision, found from the scripts' file names
(each revision is named as its file, ``NNNN_words``, in one line of numbered scripts: a test holds every
script to it); Alembic loads only when there is something to upgrade or to explain.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:  # Alembic loads when a database is migrated, not with every ``import lucidscore.store``
    from alembic.config import Config

from lucidscore.errors import InputError
from lucidscore.store._lock import DEFAULT_WAIT_SECONDS, write_transaction

_SCRIPTS = "lucidscore.store:migrations"
_SCRIPT_NAME = re.compile(r"^(\d{4}_\w+)\.py$")
_VERSION_TABLE = "alembic_version"


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
    if revision == "head" and current == newest_script():
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
    """The revision the database is at, or None for a database never migrated: the one row of Alembic's
    version table, read without loading Alembic (a table of several rows, which this line of scripts
    never writes, is left to Alembic to refuse)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(_VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalars().all()
        if len(rows) <= 1:
            return str(rows[0]) if rows else None
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()


def script_names() -> list[str]:
    """The revisions of the scripts shipped with this lucidscore, by their file names, oldest first."""
    versions = resources.files("lucidscore.store.migrations").joinpath("versions")
    found = (_SCRIPT_NAME.match(entry.name) for entry in versions.iterdir())
    return sorted(m.group(1) for m in found if m)


def newest_script() -> str:
    """The newest revision shipped (``head_revision`` without Alembic), by the scripts' file names."""
    return script_names()[-1]


def known_revisions() -> set[str]:
    """Every revision shipped with this lucidscore."""
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(_config()).walk_revisions()}


def head_revision() -> str | None:
    """The newest revision shipped with this lucidscore."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()
