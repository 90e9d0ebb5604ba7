"""``lucidscore audit verify``: each chain's head on an intact database, the first broken link and exit 1 on
a tampered one, anchors from an earlier run, and one clear line for a database it cannot open."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from lucidscore.cli.main import main
from lucidscore.store import make_engine, migrate
from tests.fixtures.databases import migrated
from tests.store._chain_world import behind_the_services_back, populate, rehash

HEAD = r"(access_log|dispute_events|score_history) +ok +6 links  head \1:6:[0-9a-f]{64}"


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["lucidscore", "audit", "verify", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def chains(db_url: str) -> Engine:
    engine = make_engine(migrated(db_url))  # a copy of the migrated database
    populate(engine)
    return engine


def test_an_intact_database_prints_each_head(
    chains: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(monkeypatch, capsys, "--db", db_url, "--save-anchor", str(tmp_path / "heads.json"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line for line in lines[:3] if not re.fullmatch(HEAD, line)] == []
    assert lines[3] == f"heads written to {tmp_path / 'heads.json'}"
    heads = json.loads((tmp_path / "heads.json").read_text())["heads"]
    assert sorted(heads) == ["access_log", "dispute_events", "score_history"]
    assert f"head access_log:6:{heads['access_log']['hash']}" in out


def test_a_tampered_chain_is_named_and_exits_1(
    chains: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with behind_the_services_back(chains) as conn:
        conn.execute(
            text("UPDATE access_log SET result = 'approved (FORGED)', score = 999 WHERE chain_seq = 3")
        )
        conn.execute(text("DELETE FROM dispute_events WHERE chain_seq = 2"))
    code, out, err = run(monkeypatch, capsys, "--db", db_url)
    assert code == 1
    assert out.splitlines()[:2] == [
        "access_log       BROKEN  access_log row id 3 (link 3): was edited: its fields (id included) "
        "no longer give its row_hash",
        "dispute_events   BROKEN  dispute_events row id 3 (link 3): link 2 is missing before it: "
        "rows were deleted",
    ]
    assert re.fullmatch(HEAD, out.splitlines()[2])
    assert err.strip() == (
        "audit: 2 of 3 audit chains broken; the first broken or missing link of each is shown above"
    )


def test_a_consistent_rewrite_is_caught_by_the_head_printed_before(
    chains: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(monkeypatch, capsys, "--db", db_url, "--save-anchor", str(tmp_path / "heads.json"))
    head = re.search(r"head (score_history:6:[0-9a-f]{64})", out)
    assert head is not None
    with behind_the_services_back(chains) as conn:
        conn.execute(text("UPDATE score_history SET score = 950 WHERE chain_seq = 2"))
        rehash(conn, "score_history", 2, move_head=True)
    assert run(monkeypatch, capsys, "--db", db_url)[0] == 0  # the chain alone cannot tell
    for anchor in (["--expect-head", head.group(1)], ["--anchor", str(tmp_path / "heads.json")]):
        code, out, _ = run(monkeypatch, capsys, "--db", db_url, *anchor)
        assert code == 1
        assert re.search(
            r"score_history +BROKEN  score_history row id 6 \(link 6\): its hash [0-9a-f]{64} is not the "
            r"anchored [0-9a-f]{64}: the chain was rewritten since the anchor was taken",
            out,
        )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("db", "message"),
    [
        (
            "sqlite:///{tmp}/no/such/folder/x.db",
            r"database sqlite:///{tmp}/no/such/folder/x.db: the folder {tmp}/no/such/folder does not exist; "
            r"create it first",
        ),
        ("sqlite:///{tmp}/x.db", r"database sqlite:///{tmp}/x.db: the file {tmp}/x.db does not exist"),
        ("sqlite://", r"--db sqlite://: expected a database file, sqlite:///path/to/file.db"),
        (
            "postgresql://lucid:secret@127.0.0.1:{port}/db",
            r"database postgresql://lucid:\*\*\*@127.0.0.1:{port}/db: cannot connect to the database \(.*",
        ),
        ("mysql://u@h/db", r"database URL 'mysql://u@h/db': driver 'mysql' is not supported; .*"),
    ],
)
def test_a_database_it_cannot_open_is_one_line(
    db: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    code, out, err = run(monkeypatch, capsys, "--db", db.format(tmp=tmp_path, port=port))
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    assert re.fullmatch("error: " + message.format(tmp=re.escape(str(tmp_path)), port=port), err.strip())
    assert not (tmp_path / "x.db").exists()  # never created


def test_a_database_without_chains_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "0002_service")
    engine.dispose()
    code, _, err = run(monkeypatch, capsys, "--db", f"sqlite:///{path}")
    assert code == 2
    assert err.strip() == (
        f"error: sqlite:///{path} has no audit chains (audit_chain_heads is missing): it is not a lucidscore "
        "database, or one from before audit chains; migrate it first (lucidscore serve and lucidscore ingest "
        "do), which chains the rows already there"
    )


def test_a_malformed_expected_head_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        monkeypatch, capsys, "--db", f"sqlite:///{tmp_path}/x.db", "--expect-head", "access_log:7"
    )
    assert code == 2
    assert (
        err.strip()
        == "error: --expect-head 'access_log:7': expected TABLE:N:HASH, e.g. access_log:1204:9f86d0…"
    )


def test_through_the_real_entry_point(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    migrate(engine)
    populate(engine)
    engine.dispose()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lucidscore.cli.main",
            "audit",
            "verify",
            "--db",
            f"sqlite:///{tmp_path / 'a.db'}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if not re.fullmatch(HEAD, line)] == []
