"""Accounts on a shard map, through the real ``lucidscore`` entry point and the sharded service (issue 15):
a consumer account outside shard 0 is claimed in shard 0's account directory before it is made in its
shard. A command that stops between the two (here: the shard refuses the write) leaves a claim that signs
nobody in, that no other account can take, and that running the same command again finishes; an import
that fails on one shard keeps only the secrets of the accounts that exist and is finished the same way."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lucidscore.api import Settings, create_app, shard_engines
from lucidscore.cli import admin_cmds
from lucidscore.policy import default_catalogue
from lucidscore.service import Listing, token_shard
from tests.api.test_sharded_service import ok
from tests.cli.test_shard_operators_cli import execute, query, urls
from tests.cli.test_shards_cli import consumers, write_map
from tests.fixtures.bureau import BureauFiles, Lucid

FAIL_USERS = "CREATE TRIGGER fail_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"


@pytest.fixture(scope="module")
def _loaded_once(tmp_path_factory: pytest.TempPathFactory, bureau_files: BureauFiles) -> Path:
    """Three initialised SQLite shards holding the bureau's records, loaded once for the module."""
    path = write_map(tmp_path_factory.mktemp("directory-shards"), [f"sqlite:///s{i}.db" for i in range(3)])
    ok("shards", "init", str(path))
    ok("ingest", str(bureau_files.data), "--shards", str(path))
    return path


@pytest.fixture
def three_shards(_loaded_once: Path, tmp_path: Path) -> Path:
    """A fresh copy of the loaded shards (same map, so the same stamps) for one test."""
    for i in range(3):
        with (
            sqlite3.connect(_loaded_once.parent / f"s{i}.db") as src,
            sqlite3.connect(tmp_path / f"s{i}.db") as dst,
        ):
            src.backup(dst)
    shutil.copy(_loaded_once, tmp_path / "shards.toml")
    return tmp_path / "shards.toml"


@pytest.fixture
def serve(three_shards: Path) -> Iterator[TestClient]:
    shards = shard_engines(
        three_shards, pool_size=2, pool_timeout=5.0, seed=default_catalogue(), seed_source="default"
    )
    app = create_app(Settings(secret_key="t", shard_map=three_shards), shards=shards)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    shards.dispose()


def sign_in(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    r = client.post("/v1/session", json={"username": username, "password": password})
    client.cookies.clear()
    return r.status_code, r.json()


def listing(url: str, username: str) -> list[tuple[object, ...]]:
    return query(
        url, f"SELECT username, shard_index, consumer_id FROM account_directory WHERE username = '{username}'"
    )


def refuse_commits(monkeypatch: pytest.MonkeyPatch, shard_file: str) -> dict[str, bool]:
    """Make every commit of a session on ``shard_file`` fail (while ``["on"]``): a shard that takes the
    writes and refuses the commit, after shard 0 committed."""
    real = Session.commit
    state = {"on": True}

    def commit(self: Session) -> None:
        if state["on"] and str(self.get_bind().url).endswith(shard_file):
            raise OperationalError("COMMIT", {}, Exception("disk on fire"))
        real(self)

    monkeypatch.setattr(Session, "commit", commit)
    return state


def test_a_claim_left_without_its_account_signs_nobody_in_and_the_same_command_finishes_it(
    three_shards: Path, lucid: Lucid, serve: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = str(three_shards)
    s0, s1, s2 = urls(three_shards)
    pat, other = consumers(s2)[0], consumers(s1)[0]
    finish = f"lucidscore admin create consumer pat --consumer-id {pat} --shards {m}"
    create_pat = ("admin", "create", "consumer", "pat", "--consumer-id", pat, "--shards", m)

    # the shard refuses the account before anything is committed: nothing anywhere, not even a claim
    execute(s2, FAIL_USERS)
    code, _, err = lucid(*create_pat)
    assert code != 0 and "shard 2 (sqlite:///" in err and "disk on fire" in err
    assert "the account pat was not created" in err and "nothing was written" in err
    assert listing(s0, "pat") == []
    execute(s2, "DROP TRIGGER fail_users")

    # the process dies right after shard 0 committed the claim
    real_commit_claim = admin_cmds._commit_claim

    def die_after(session: Session, claims: list[Listing]) -> None:
        real_commit_claim(session, claims)
        raise KeyboardInterrupt

    monkeypatch.setattr(admin_cmds, "_commit_claim", die_after)
    try:
        code = lucid(*create_pat)[0]
    except KeyboardInterrupt:
        code = 130
    assert code != 0
    monkeypatch.setattr(admin_cmds, "_commit_claim", real_commit_claim)
    assert listing(s0, "pat") == [("pat", 2, pat)]  # the claim, committed first
    assert query(s2, "SELECT count(*) FROM users WHERE username = 'pat'") == [(0,)]

    # the claim signs nobody in: refused exactly as a username nobody has
    assert sign_in(serve, "pat", "anything-at-all") == sign_in(serve, "nobody-has-this", "anything-at-all")
    assert sign_in(serve, "pat", "anything-at-all")[0] == 401
    # nobody else takes the name; the command that finishes it is named
    for args in (("consumer", "pat", "--consumer-id", other), ("analyst", "pat")):
        code, _, err = lucid("admin", "create", *args, "--shards", m)
        assert (
            code != 0 and f"username 'pat' is claimed for consumer {pat} in shard 2" in err and finish in err
        )
    code, _, err = lucid("admin", "rotate", "pat", "--shards", m)
    assert code != 0 and "no account named 'pat'" in err and finish in err

    # running it again while the shard refuses its commit: said so, the claim kept, no secret shown
    refusing = refuse_commits(monkeypatch, "s2.db")
    code, out, err = lucid(*create_pat)
    assert code != 0 and "shard 2 (sqlite:///" in err and "was not created (disk on fire)" in err
    assert "stays claimed" in err and finish in err and "shown once" not in out
    refusing["on"] = False

    code, out, err = lucid(*create_pat)
    assert code == 0, err
    password = out.strip().rsplit(" ", 1)[-1]
    assert listing(s0, "pat") == [("pat", 2, pat)] and listing(s2, "pat") == []
    assert query(s2, "SELECT consumer_id FROM users WHERE username = 'pat'") == [(pat,)]
    status, body = sign_in(serve, "pat", password)
    assert status == 200 and token_shard(str(body["token"])) == 2
    code, _, err = lucid(*create_pat)
    assert code != 0 and "username 'pat' is taken (an account in shard 2)" in err


def test_an_import_that_failed_on_one_shard_keeps_only_real_secrets_and_is_finished_by_running_again(
    three_shards: Path, lucid: Lucid, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = str(three_shards)
    s0, s1, s2 = urls(three_shards)
    one, two = consumers(s1)[0], consumers(s2)[0]
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f"role,username,consumer_id\nanalyst,ivy,\nconsumer,una,{one}\nconsumer,dos,{two}\n")
    import_ = ("admin", "import", str(accounts), "--shards", m)

    execute(s2, FAIL_USERS)  # refused while the accounts are written: nothing in any shard
    code, _, err = lucid(*import_, "--secrets-out", str(tmp_path / "none.csv"))
    assert code != 0 and "shard 2 (sqlite:///" in err and "disk on fire; nothing was created" in err
    assert query(s0, "SELECT count(*) FROM account_directory") == [(0,)]
    assert query(s0, "SELECT count(*) FROM users") == [(0,)] and not (tmp_path / "none.csv").exists()
    execute(s2, "DROP TRIGGER fail_users")

    refusing = refuse_commits(monkeypatch, "s2.db")  # refused at the commit, after shards 0 and 1 committed
    first = tmp_path / "first.csv"
    code, _, err = lucid(*import_, "--secrets-out", str(first))
    assert code != 0 and "shard 2 failed to commit (disk on fire)" in err
    assert "shard(s) 0, 1 were created" in err and "those of shard(s) 2 were not" in err
    assert f"lucidscore admin import {accounts} --shards {m} --secrets-out NEW_FILE" in err
    assert [line.split(",")[0] for line in first.read_text().splitlines()] == ["username", "ivy", "una"]
    assert listing(s0, "dos") == [("dos", 2, two)] and query(s2, "SELECT count(*) FROM users") == [(0,)]
    refusing["on"] = False

    second = tmp_path / "second.csv"
    code, out, err = lucid(*import_, "--secrets-out", str(second))
    assert code == 0, err
    assert "2 account(s) of" in out and "were created before" in out and "1 account(s) created" in out
    assert [line.split(",")[0] for line in second.read_text().splitlines()] == ["username", "dos"]
    assert query(s2, "SELECT username FROM users WHERE role = 'consumer'") == [("dos",)]
    assert query(s2, "SELECT username FROM users WHERE username = 'ivy'") == [("ivy",)]  # copied there
    code, out, err = lucid(*import_)
    assert code == 0 and "every account of" in out and "was created before" in out
    assert {r[0]: r[1] for r in query(s0, "SELECT username, shard_index FROM account_directory")} == {
        "ivy": 0,
        "una": 1,
        "dos": 2,
    }


def test_a_model_command_a_shard_refuses_midway_says_where_it_landed_and_running_it_again_finishes_it(
    three_shards: Path, lucid: Lucid, bureau_files: BureauFiles
) -> None:
    m = str(three_shards)
    s0, s1, s2 = urls(three_shards)
    model, mid = str(bureau_files.model), bureau_files.model_id
    count = "SELECT count(*) FROM models"
    execute(
        s1,
        "CREATE TRIGGER fail_models BEFORE INSERT ON models BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    code, _, err = lucid("model", "register", model, "--shards", m)
    assert code != 0 and "shard 1 (sqlite:///" in err and "disk on fire" in err
    assert f"model {mid}: registered in shard(s) 0, not in shard(s) 1, 2" in err
    assert f"run the same command again to finish it: lucidscore model register {model} --shards {m}" in err
    assert [query(u, count) for u in (s0, s1, s2)] == [[(1,)], [(0,)], [(0,)]]
    execute(s1, "DROP TRIGGER fail_models")
    code, out, err = lucid("model", "register", model, "--shards", m)
    assert code == 0, err
    assert "shard 0: already registered, unchanged" in out and "shard 2: registered" in out
    assert [query(u, count) for u in (s0, s1, s2)] == [[(1,)], [(1,)], [(1,)]]

    active = "SELECT model_id FROM models WHERE active"
    execute(
        s2, "CREATE TRIGGER fail_on BEFORE UPDATE ON models BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    code, _, err = lucid("model", "activate", mid, "--shards", m)
    assert code != 0 and "shard 2 (sqlite:///" in err
    assert f"model {mid}: active in shard(s) 0, 1, not in shard(s) 2" in err
    assert f"lucidscore model activate {mid} --shards {m}" in err
    assert [query(u, active) for u in (s0, s1, s2)] == [[(mid,)], [(mid,)], []]
    code, _, err = lucid("publish", "--shards", m, "--as-of", "2024-06-30")
    assert code != 0 and "shard 2" in err  # a half-activated map is not published
    execute(s2, "DROP TRIGGER fail_on")
    code, _, err = lucid("model", "activate", mid, "--shards", m)
    assert code == 0, err
    assert [query(u, active) for u in (s0, s1, s2)] == [[(mid,)]] * 3
