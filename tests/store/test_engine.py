"""make_engine: SQLite pragmas, PostgreSQL driver mapping, clear errors for bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from lucidscore.errors import InputError
from lucidscore.store import make_engine, session_factory


def test_sqlite_gets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_sqlite_transaction_rolls_back_ddl_and_rows(tmp_path: Path) -> None:
    """One engine.begin() block is one SQLite transaction, DDL included (pysqlite alone would commit DDL)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(RuntimeError, match="boom"), engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("boom")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 't'").scalar() == 0


@pytest.mark.parametrize("url", ["postgresql://u@localhost/db", "postgres://u@localhost/db"])
def test_plain_postgresql_url_uses_psycopg(url: str) -> None:
    engine = make_engine(url)
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("not a url", r"'not a url' is not a URL; expected sqlite:///path.db"),
        ("mysql://u@h/db", r"driver 'mysql' is not supported"),
    ],
)
def test_bad_url_is_named(url: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        make_engine(url)


def test_session_factory_keeps_objects_readable(tmp_path: Path) -> None:
    factory = session_factory(make_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    with factory() as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    assert factory.kw["expire_on_commit"] is False
