"""An interrupted ``lucidscore ingest --shards`` (issue 15): a real process, paused by the test hook as
shard 1 starts its second file (its first one committed, shard 0 finished, shard 2 not started), is sent
Ctrl-C or SIGTERM, on SQLite and on PostgreSQL shards. It exits 130 or 143 without a traceback and says
each shard's state; the databases hold exactly what it says is kept; the command it prints finishes the
load, reading the finished shards' files again and finding them unchanged, to databases equal to those of
an ingest never interrupted."""

from __future__ import annotations

import shlex
import signal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import text

from lucidscore.records import LOAD_ORDER
from lucidscore.store import make_engine, read_shard_map
from tests.cli.test_interrupt import _again, _interrupt_at, _said, new_shards
from tests.cli.test_shards_cli import rows
from tests.fixtures.bureau import BureauFiles

# The bureau's files, in load order: the pause is as shard 1 starts its second one.
FIRST, SECOND = LOAD_ORDER[0], LOAD_ORDER[1]


def _files(data: Path) -> dict[str, Path]:
    """table -> the bureau's file of it."""
    found = {p.name.split(".")[0]: p for p in data.iterdir() if p.name.split(".")[0] in LOAD_ORDER}
    assert set(found) == set(LOAD_ORDER), found
    return found


def _urls(map_path: Path) -> list[str]:
    return [shard.url for shard in read_shard_map(map_path).shards]


def _versions(url: str, table: str) -> int:
    """Every stored version of ``table``'s records (current or superseded)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return n


def _batches(url: str) -> list[tuple[str, str, int | None, int | None]]:
    """Every ingest batch: (table, status, rows inserted, rows superseded), in order."""
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT table_name, status, rows_inserted, rows_superseded FROM ingest_batches ORDER BY id")
        ).all()
    engine.dispose()
    return [(str(t), str(s), i, u) for t, s, i, u in found]


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """A table's rows as SQLite gives them back (dates and times as its text, booleans as 0 and 1), so
    that a PostgreSQL shard compares with a SQLite one."""
    out = frame.with_columns(
        [pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S.%6f") for c, t in frame.schema.items() if t == pl.Datetime]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
        + [pl.col(c).cast(pl.Int64) for c, t in frame.schema.items() if t == pl.Boolean]
    )
    return out.sort(out.columns)


def _content(url: str) -> dict[str, Any]:
    """What an ingest leaves in a shard: each table's current rows and its count of stored versions, and
    (``files``) the tables it loaded a file of."""
    loaded = [t for t, status, _, _ in _batches(url) if status == "committed"]
    return {t: (_plain(rows(url, t)), _versions(url, t)) for t in LOAD_ORDER} | {"files": loaded}


def _same(found: dict[str, Any], expected: dict[str, Any]) -> None:
    for table in LOAD_ORDER:
        assert found[table][0].equals(expected[table][0]), table
        assert found[table][1] == expected[table][1], table  # no record stored twice


def _states(said: str, urls: list[str], shown: list[str], expected: list[dict[str, Any]]) -> dict[int, str]:
    """Each shard's state as the report says it (one line per shard), checked against its database: its
    files committed in load order, each holding what an uninterrupted ingest holds, nothing of the
    others; a finished shard's counts as said; an interrupted one's file rolled back."""
    states = {}
    for i in range(3):
        lines = [x for x in said.splitlines() if x.startswith(f"  shard {i} ({shown[i]}): ")]
        assert len(lines) == 1, said
        states[i] = lines[0].split("): ", 1)[1]
    for i in range(3):  # each file all or nothing, in load order; a file committed holds what it should
        committed = [t for t, status, _, _ in _batches(urls[i]) if status == "committed"]
        assert committed == list(LOAD_ORDER[: len(committed)]), i
        for t in LOAD_ORDER:
            if t in committed:
                assert _plain(rows(urls[i], t)).equals(expected[i][t][0]), (i, t)
                assert _versions(urls[i], t) == expected[i][t][1], (i, t)
            else:
                assert _versions(urls[i], t) == 0, (i, t)
        if states[i] == "not started":
            assert _batches(urls[i]) == [], i
        elif states[i].startswith("finished: "):
            inserted = sum(n for _, status, n, _ in _batches(urls[i]) if status == "committed" and n)
            assert len(committed) == len(expected[i]["files"]), i
            assert (
                states[i]
                == f"finished: {len(committed)} file(s) loaded; {inserted:,} rows inserted, 0 unchanged"
            )
        else:
            assert states[i] == (
                "interrupted: the files loaded before it are kept (each file is one transaction), the file "
                "loading was rolled back"
            ), said
    return states


def _finish(
    said: str,
    urls: list[str],
    states: dict[int, str],
    expected: list[dict[str, Any]],
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run the command the report printed: every shard then holds what an uninterrupted ingest holds, no
    record twice, and a shard said finished reads its files again, finds them unchanged, writes nothing."""
    finished = {i: _batches(urls[i]) for i in range(3) if states[i].startswith("finished: ")}
    printed = shlex.split(said.split("To finish, run the same command again: ")[1].split(" (")[0])
    assert printed[0] == "lucidscore"
    _again(folder, printed[1:], monkeypatch)

    for i, url in enumerate(urls):
        _same(_content(url), expected[i])
    for i, before in finished.items():  # read again and found unchanged, as said: nothing written
        again = _batches(urls[i])[len(before) :]
        assert again == [(t, "committed", 0, 0) for t in expected[i]["files"]], i


@pytest.fixture(scope="module")
def uninterrupted(_bureau_shards: Path) -> list[dict[str, Any]]:
    """Each shard's content after an ingest of the bureau never interrupted (``ingest --shards``, three
    SQLite shards)."""
    return [_content(u) for u in _urls(_bureau_shards)]


@pytest.mark.parametrize(
    ("kind", "signum", "jobs"),
    [
        ("sqlite", signal.SIGINT, 1),
        pytest.param("postgresql", signal.SIGTERM, 1, marks=pytest.mark.postgres),
        ("sqlite", signal.SIGINT, 2),
    ],
    ids=["sqlite-ctrl-c", "postgresql-sigterm", "sqlite-ctrl-c-jobs-2"],
)
def test_an_interrupted_sharded_ingest_keeps_what_it_says_and_running_again_finishes_it(
    kind: str,
    signum: int,
    jobs: int,
    bureau_files: BureauFiles,
    uninterrupted: list[dict[str, Any]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopped as shard 1 starts its second file. With ``--jobs 2`` (a process per shard, two at once)
    Ctrl-C goes to the whole process group, as a terminal sends it: the workers stop at their next step and
    print nothing of their own, and the other shards' progress by then is the scheduler's (any state is
    right, as long as it is said and true)."""
    path = new_shards(kind, tmp_path, request)
    urls, shown = _urls(path), [s.shown for s in read_shard_map(path).shards]
    files = _files(bureau_files.data)
    args = ["ingest", str(bureau_files.data), "--shards", path.name, "--no-progress"]
    args += ["--jobs", str(jobs)] if jobs > 1 else []
    point = f"shard 1: {SECOND} ({files[SECOND].name})"
    code, _out, err = _interrupt_at(args, point, signum, tmp_path, whole_group=jobs > 1)

    assert code == 128 + signum, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    said = _said(err)
    how = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    assert said.startswith(f"interrupted ({how}): lucidscore {shlex.join(args)}\n"), said
    expected = uninterrupted  # three SQLite shards; a PostgreSQL shard compares through _plain
    states = _states(said, urls, shown, expected)
    # Shard 1 was stopped as it started its second file: its first file is kept, nothing after it.
    assert states[1].startswith("interrupted: "), said
    assert [(t, status) for t, status, _, _ in _batches(urls[1])] == [(FIRST, "committed")]
    if jobs == 1:  # one shard after another
        assert states[0].startswith("finished: ") and states[2] == "not started", said
    assert (
        f"To finish, run the same command again: lucidscore {shlex.join(args)} (it loads the shards " in said
    )
    _finish(said, urls, states, expected, tmp_path, monkeypatch)
