"""make_engine: SQLite pragmas, PostgreSQL driver mapping, clear errors for bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lucidscore.errors import InputError
from lucidscore.store import make_engine, open_database, session_factory


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


# Any text a person can type as a SQLite file name: NUL characters, names too long for the file system,
# control characters, surrogates the file system cannot encode, separators.
file_names = st.lists(
    st.characters(codec="utf-8") | st.sampled_from(["\x00", "/", "..", "\n"]), min_size=1, max_size=8
).map(lambda parts: "".join(parts) * 80)


@given(name=file_names | st.text(min_size=1, max_size=40))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_sqlite_path_no_file_system_takes_is_one_line_naming_it(tmp_path: Path, name: str) -> None:
    """open_database either opens the file or raises InputError naming the database: never ValueError
    (an embedded NUL) or OSError (a name longer than the file system allows) as a traceback."""
    url = f"sqlite:///{tmp_path}/{name}"
    try:
        engine = open_database(url)
    except InputError as exc:
        assert exc.message.startswith("database sqlite:///")
    else:
        engine.dispose()


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("a\x00b.db", r"the path .* holds a NUL character \(0x00\); expected a file name without NUL"),
        ("x" * 300 + ".db", r"\.db: the path cannot be used \(File name too long\); expected a SQLite"),
    ],
)
def test_a_path_no_file_system_takes_says_why(tmp_path: Path, name: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        open_database(f"sqlite:///{tmp_path}/{name}")
