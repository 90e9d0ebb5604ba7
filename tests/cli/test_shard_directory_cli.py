"""Accounts on a shard map, through the real ``lucidscore`` entry point and the sharded service (issue 15):
a consumer account outside shard 0 is claimed in shard 0's account directory before it is made in its
shard. A command that stops between the two (here: the shard refuses the write) leaves a claim that signs
nobody in, that no other account can take, and that running the same command again finishes; an import
that fails on one shard keeps only the secrets of the accounts that exist and is finished the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lucidscore.api import Settings, create_app, shard_engines
from lucidscore.api._shards import ShardEngines, to_account_shard
from lucidscore.cli import admin_cmds
from lucidscore.errors import InputError
from lucidscore.policy import default_catalogue
from lucidscore.service import Listing, token_shard
from lucidscore.store import read_shard_map
from tests.cli.test_shard_operators_cli import execute, query, urls
from tests.cli.test_shards_cli import consumers, write_map
from tests.fixtures.bureau import BureauFiles, Lucid

FAIL_USERS = "CREATE TRIGGER fail_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"


@pytest.fixture
def three_shards(bureau_shards: Path) -> Path:
    """Three initialised SQLite shards holding the bureau's records, for one test (a copy of shards loaded
    once per session)."""
    return bureau_shards


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
        assert f"(or free the username: lucidscore admin release-claim pat --shards {m})" in err
    code, _, err = lucid("admin", "rotate", "pat", "--shards", m)
    assert code != 0 and "no account named 'pat'" in err and finish in err
    assert f"or free the username: lucidscore admin release-claim pat --shards {m}" in err

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
    # ivy listed with its account, dos confirmed by the run that made it; una's account was committed by
    # the first run, which failed before confirming: unconfirmed, never reported, confirmed by status
    confirmed = "SELECT username FROM account_directory WHERE confirmed_at IS NOT NULL ORDER BY username"
    assert query(s0, confirmed) == [("dos",), ("ivy",)]
    code, out, err = lucid("shards", "status", m)
    assert code == 0 and "claims left without an account: none" in out, out + err
    assert query(s0, confirmed) == [("dos",), ("ivy",), ("una",)]


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


# -- claims left without an account: shards status lists them, admin release-claim frees them ---------------


def test_status_lists_claims_left_without_an_account_and_release_claim_frees_them(
    three_shards: Path, lucid: Lucid
) -> None:
    m = str(three_shards)
    s0, s1, s2 = urls(three_shards)
    pat, other = consumers(s2)[0], consumers(s1)[0]
    code, _, err = lucid("shards", "status", m)
    assert code == 0, err
    code, out, err = lucid("admin", "create", "consumer", "pat", "--consumer-id", pat, "--shards", m)
    assert code == 0, err
    # 23 claims a command left in shard 0 without their accounts (as the crash in the test above leaves one)
    execute(
        s0,
        *(
            "INSERT INTO account_directory (username, shard_index, consumer_id, listed_at) "
            f"VALUES ('claim{i:02d}', 2, 'X{i:02d}', CURRENT_TIMESTAMP)"
            for i in range(23)
        ),
    )
    code, out, err = lucid("shards", "status", m)
    assert code == 3, err  # the shards agree; claims are left: a code of its own
    assert "claims left without an account: 23 " in out
    assert (
        "  claim00 (consumer X00, shard 2): finish: lucidscore admin create consumer claim00 --consumer-id "
        f"X00 --shards {m}; or release: lucidscore admin release-claim claim00 --shards {m}"
    ) in out
    assert "claim19" in out and "claim20" not in out and "  and 3 more" in out
    assert "pat" not in out.split("claims left without an account")[1]  # made: no claim
    code, out, err = lucid("shards", "status", m, "--no-claims")  # the directory not read: not known
    assert code == 0 and "claims left without an account: not checked (--no-claims)" in out, err

    # a listing whose account exists is no claim: refused, naming the shard and the account, nothing changed
    code, _, err = lucid("admin", "release-claim", "pat", "--shards", m)
    assert code != 0 and "username 'pat': shard 2 (sqlite:///" in err
    assert f"holds consumer {pat}'s account of that name" in err and "nothing was released" in err
    assert listing(s0, "pat") == [("pat", 2, pat)]

    code, out, err = lucid("admin", "release-claim", "claim00", "--shards", m)
    assert code == 0, err
    assert "released username 'claim00': it was claimed for consumer X00 in shard 2 (sqlite:///" in out
    assert listing(s0, "claim00") == []
    code, out, err = lucid("admin", "release-claim", "claim00", "--shards", m)  # again: nothing to do
    assert code == 0 and "nothing to release" in out
    # the name is free again: another consumer's account takes it
    code, _, err = lucid("admin", "create", "consumer", "claim00", "--consumer-id", other, "--shards", m)
    assert code == 0, err
    assert listing(s0, "claim00") == [("claim00", 1, other)]

    # a shard whose operator tables differ is worse: exit 1, and the claims are still listed
    assert lucid("admin", "create", "analyst", "ann", "--shards", m)[0] == 0
    execute(s1, "UPDATE users SET display_name = 'changed' WHERE username = 'ann'")
    code, out, _ = lucid("shards", "status", m)
    assert code == 1 and "DIFFER" in out and "claims left without an account: 22 " in out
    execute(s1, "UPDATE users SET display_name = 'ann' WHERE username = 'ann'")

    execute(s0, "DELETE FROM account_directory WHERE username LIKE 'claim%' AND username <> 'claim00'")
    code, out, err = lucid("shards", "status", m)
    assert code == 0, out + err
    assert "claims left without an account: none" in out
    code, _, err = lucid("admin", "release-claim", "pat", "--db", s0)
    assert code == 2 and "--db" in err  # release-claim takes a map only: claims exist only on a map


def test_admin_create_and_import_with_db_on_a_shard_are_refused_naming_the_sharded_command(
    three_shards: Path, lucid: Lucid, tmp_path: Path
) -> None:
    s0, s1, s2 = urls(three_shards)
    pat = consumers(s2)[0]
    fingerprint = read_shard_map(three_shards).fingerprint[:12]
    users = "SELECT count(*) FROM users"
    before = [query(u, users) for u in (s0, s1, s2)]
    code, _, err = lucid("admin", "create", "consumer", "pat", "--consumer-id", pat, "--db", s2)
    assert (
        code == 2 and f"--db sqlite:///{three_shards.parent / 's2.db'}: this database is shard 2 of 3" in err
    )
    assert "nothing was created" in err and f"fingerprint {fingerprint}" in err
    assert f"Run: lucidscore admin create consumer pat --consumer-id {pat} --shards MAP" in err
    code, _, err = lucid("admin", "create", "merchant", "shop_x", "--name", "Shop X", "--db", s0)
    assert code == 2 and "this database is shard 0 of 3" in err  # shard 0 too: the others would lack it
    assert "Run: lucidscore admin create merchant shop_x --name 'Shop X' --shards MAP" in err
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("role,username\nanalyst,ivy\n")
    code, _, err = lucid("admin", "import", str(accounts), "--db", s1)
    assert code == 2 and "this database is shard 1 of 3" in err
    assert f"Run: lucidscore admin import {accounts} --shards MAP" in err
    assert [query(u, users) for u in (s0, s1, s2)] == before
    # the way it names works
    code, _, err = lucid("admin", "import", str(accounts), "--shards", str(three_shards))
    assert code == 0, err
    assert [query(u, "SELECT username FROM users") for u in (s0, s1, s2)] == [[("ivy",)]] * 3


def confirmed_at(url: str, username: str) -> object:
    rows = query(url, f"SELECT confirmed_at FROM account_directory WHERE username = '{username}'")
    assert len(rows) == 1, rows
    return rows[0][0]


def test_a_claim_is_confirmed_with_its_account_or_by_the_next_status_never_reported_once_made(
    three_shards: Path, lucid: Lucid, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``admin create --shards`` confirms its claim once the account is committed; a command that dies
    between the two leaves the claim unconfirmed with its account made: ``shards status`` does not report
    it (exit 0) and confirms it, so the next status does not read it."""
    m = str(three_shards)
    s0, s1, s2 = urls(three_shards)
    pat, una = consumers(s2)[0], consumers(s1)[0]
    code, _, err = lucid("admin", "create", "consumer", "una", "--consumer-id", una, "--shards", m)
    assert code == 0, err
    assert confirmed_at(s0, "una") is not None

    def die(session: Session, claims: list[Listing], ops: object) -> None:
        raise KeyboardInterrupt

    real_confirm = admin_cmds._confirm_held
    monkeypatch.setattr(admin_cmds, "_confirm_held", die)
    try:
        code = lucid("admin", "create", "consumer", "pat", "--consumer-id", pat, "--shards", m)[0]
    except KeyboardInterrupt:
        code = 130
    assert code != 0
    monkeypatch.setattr(admin_cmds, "_confirm_held", real_confirm)
    assert query(s2, "SELECT consumer_id FROM users WHERE username = 'pat'") == [(pat,)]
    assert listing(s0, "pat") == [("pat", 2, pat)] and confirmed_at(s0, "pat") is None
    code, out, err = lucid("shards", "status", m)
    assert code == 0, out + err
    assert "claims left without an account: none" in out
    assert confirmed_at(s0, "pat") is not None
    code, _, err = lucid("admin", "release-claim", "pat", "--shards", m)  # an account stands behind it
    assert code != 0 and "nothing was released" in err
    # a failed confirmation is no failure of the command: the account is made, its secret shown
    execute(
        s0,
        "CREATE TRIGGER no_confirm BEFORE UPDATE OF confirmed_at ON account_directory "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    dos = consumers(s1)[1]
    code, out, err = lucid("admin", "create", "consumer", "dos", "--consumer-id", dos, "--shards", m)
    assert code == 0 and "created consumer dos" in out and "shown once" in out, err
    assert "warning: shard 0 did not record" in err and f"lucidscore shards status {m} records it" in err
    execute(s0, "DROP TRIGGER no_confirm")
    assert confirmed_at(s0, "dos") is None
    code, out, _ = lucid("shards", "status", m)
    assert code == 0 and "claims left without an account: none" in out
    assert confirmed_at(s0, "dos") is not None


def test_rotate_revoke_and_operator_writes_with_db_on_a_shard_are_refused_naming_the_sharded_command(
    three_shards: Path, lucid: Lucid, tmp_path: Path
) -> None:
    """A merchant's rows (keys, redirect URIs) and the catalogue versions are copies in every shard, and a
    consumer's account is in one shard that only shard 0's directory names: ``admin rotate|revoke``,
    ``catalogue set`` and ``merchant redirect-uri add|remove`` take the map, not one shard's database."""
    m = str(three_shards)
    s0, s1, s2 = urls(three_shards)
    pat = consumers(s2)[0]
    fingerprint = read_shard_map(three_shards).fingerprint[:12]
    assert lucid("admin", "create", "merchant", "shop_x", "--shards", m)[0] == 0
    assert lucid("admin", "create", "consumer", "pat", "--consumer-id", pat, "--shards", m)[0] == 0
    state = (
        "SELECT u.username, u.password_hash, u.revoked_at, k.prefix, k.revoked_at FROM users u "
        "LEFT JOIN api_keys k ON k.merchant_id = u.id ORDER BY u.username, k.prefix"
    )
    before = [query(u, state) for u in (s0, s1, s2)]
    for verb, user, url, index in (
        ("rotate", "shop_x", s0, 0),
        ("rotate", "shop_x", s1, 1),
        ("revoke", "shop_x", s2, 2),
        ("rotate", "pat", s2, 2),  # the shard holding the account: refused all the same
        ("revoke", "pat", s2, 2),
    ):
        code, out, err = lucid("admin", verb, user, "--db", url)
        assert code == 2 and f"this database is shard {index} of 3" in err, (verb, user, err)
        assert "nothing was changed" in err and f"fingerprint {fingerprint}" in err
        assert f"Run: lucidscore admin {verb} {user} --shards MAP" in err and "shown once" not in out
    uri = "https://shop-x.example/cb"
    assert lucid("merchant", "redirect-uri", "add", "shop_x", uri, "--shards", m)[0] == 0
    catalogue = tmp_path / "bikes.json"
    catalogue.write_text(
        '{"benefits": [{"product": "bike_rental", "label": "Bike rental", "kind": "rental", '
        '"min_score": 350}]}'
    )
    operators = "SELECT (SELECT count(*) FROM oauth_redirect_uris), (SELECT count(*) FROM benefit_catalogues)"
    before = [(query(u, state), query(u, operators)) for u in (s0, s1, s2)]
    for args, url, index, typed in (
        (
            ("catalogue", "set", str(catalogue), "--note", "two words"),
            s1,
            1,
            f"lucidscore catalogue set {catalogue} --note 'two words'",
        ),
        (
            ("merchant", "redirect-uri", "add", "shop_x", "https://shop-x.example/b"),
            s0,
            0,
            "lucidscore merchant redirect-uri add shop_x https://shop-x.example/b",
        ),
        (
            ("merchant", "redirect-uri", "remove", "shop_x", uri),
            s2,
            2,
            f"lucidscore merchant redirect-uri remove shop_x {uri}",
        ),
    ):
        code, _, err = lucid(*args, "--db", url)
        assert code == 2 and f"this database is shard {index} of 3" in err, (args, err)
        assert "nothing was" in err and f"Run: {typed} --shards MAP" in err, err
    assert [(query(u, state), query(u, operators)) for u in (s0, s1, s2)] == before
    code, out, _ = lucid("merchant", "redirect-uri", "list", "shop_x", "--db", s2)  # reading one shard: fine
    assert code == 0 and out.strip() == uri
    # the way it names works
    code, out, err = lucid("admin", "rotate", "shop_x", "--shards", m)
    assert code == 0 and "rotated merchant shop_x" in out, err
    code, out, err = lucid("admin", "revoke", "pat", "--shards", m)
    assert code == 0 and "revoked consumer pat" in out, err
    assert query(s2, "SELECT revoked_at IS NOT NULL FROM users WHERE username = 'pat'") == [(1,)]


# -- any interleaving of creates, crashes and releases: status and sign-in agree with what was made --------

PASSWORD = "the-one-password"  # every account's (the secret generator is fixed for the property)
NAMES = ("amy", "bo", "cy", "di", "ed")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["create", "refused", "killed", "unconfirmed", "release"]), st.sampled_from(NAMES)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_interleaving_of_creates_crashes_and_releases_leaves_status_and_sign_in_exact(
    three_shards: Path, steps: list[tuple[str, str]]
) -> None:
    """Each name belongs to one consumer (amy in shard 0, bo and cy in 1, di and ed in 2). A step creates
    its account (``admin create --shards``), or creates it with its shard refusing the commit, or with the
    process killed right after shard 0's commit, or killed after the account's commit but before its claim
    is confirmed, or releases its claim. A model says what each step leaves (nothing, a claim, an account;
    or a refusal); after every step no listing is confirmed without its account, the claims ``shards
    status`` finds are exactly the model's claims, a second check finds the same ones and has nothing left
    to confirm, every account's listing is then confirmed and no claim's is, every account in every shard is
    listed in shard 0 as being there, and sign-in (shard 0's directory, then the account's shard) works for
    exactly the accounts made."""
    from lucidscore.cli._operators import OperatorShards
    from lucidscore.service import AccountSpec, Conflict, release_claim
    from lucidscore.store import make_engine

    smap = read_shard_map(three_shards)
    url_list = [s.url for s in smap.shards]
    picked = [consumers(url_list[0])[0], *consumers(url_list[1])[:2], *consumers(url_list[2])[:2]]
    home = dict(zip(NAMES, (0, 1, 1, 2, 2), strict=True))
    owner = dict(zip(NAMES, picked, strict=True))
    engines = [make_engine(u) for u in url_list]
    for e in engines:
        with e.begin() as conn:
            conn.execute(text("DELETE FROM account_directory"))
            conn.execute(text("DELETE FROM users"))
    ops = OperatorShards(smap, engines)
    shards = ShardEngines(tuple(engines), (None,) * 3)
    state: dict[str, str] = {}  # name -> "claim" | "account" (absent: nothing)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("lucidscore.service._accounts.hash_password", lambda p: "h:" + p)  # argon2: slow
        mp.setattr("lucidscore.service._accounts.verify_password", lambda h, p: h == "h:" + p)
        mp.setattr("lucidscore.service._admin._password", lambda: PASSWORD)
        real_commit, real_claim, real_confirm = (
            Session.commit,
            admin_cmds._commit_claim,
            admin_cmds._confirm_held,
        )
        refusing = {"file": ""}

        def commit(self: Session) -> None:
            if refusing["file"] and str(self.get_bind().url).endswith(refusing["file"]):
                raise OperationalError("COMMIT", {}, Exception("disk on fire"))
            real_commit(self)

        def killed(session: Session, claims: list[Listing]) -> None:
            real_claim(session, claims)
            raise KeyboardInterrupt

        def killed_before_confirming(session: Session, claims: list[Listing], ops: Any) -> None:
            raise KeyboardInterrupt  # the accounts are committed; their claims' confirmation is not

        mp.setattr(Session, "commit", commit)
        try:
            for kind, name in steps:
                was = state.get(name)
                spec = AccountSpec("consumer", name, "", owner[name])
                if kind == "release":
                    if was == "account":
                        with pytest.raises(Conflict, match="nothing was released"):
                            release_claim(engines, name)
                    else:
                        released = release_claim(engines, name)
                        assert released == (Listing(name, home[name], owner[name]) if was else None)
                        state.pop(name, None)
                    continue
                if was == "account":
                    with pytest.raises(Conflict, match=f"username '{name}' is taken"):
                        admin_cmds._create_sharded(ops, spec)
                    continue
                if kind == "create":
                    admin_cmds._create_sharded(ops, spec)
                    state[name] = "account"
                elif kind == "unconfirmed":  # killed between the account's commit and the confirmation
                    mp.setattr(admin_cmds, "_confirm_held", killed_before_confirming)
                    try:
                        admin_cmds._create_sharded(ops, spec)
                        assert home[name] == 0  # listed with its account: nothing to confirm after
                    except KeyboardInterrupt:
                        assert home[name] != 0
                    finally:
                        mp.setattr(admin_cmds, "_confirm_held", real_confirm)
                    state[name] = "account"
                elif kind == "refused":  # the account's shard refuses its commit
                    refusing["file"] = f"s{home[name]}.db"
                    with pytest.raises((InputError, OperationalError)):
                        admin_cmds._create_sharded(ops, spec)
                    refusing["file"] = ""
                    if home[name] != 0:
                        state[name] = "claim"  # claimed before, or now
                else:  # killed right after shard 0's commit (a claim, or a shard 0 account with its listing)
                    mp.setattr(admin_cmds, "_commit_claim", killed)
                    try:
                        admin_cmds._create_sharded(ops, spec)
                        assert was == "claim"  # finishing a claim commits nothing in shard 0 first
                        state[name] = "account"
                    except KeyboardInterrupt:
                        state[name] = "account" if home[name] == 0 else "claim"
                    finally:
                        mp.setattr(admin_cmds, "_commit_claim", real_claim)
                _check(engines, shards, state, home, owner)
            _check(engines, shards, state, home, owner)
        finally:
            for e in engines:
                e.dispose()


def _check(
    engines: list[Any],
    shards: ShardEngines,
    state: dict[str, str],
    home: dict[str, int],
    owner: dict[str, str],
) -> None:
    from lucidscore.service import authenticate, claims_without_accounts, listings

    made = {n for n, s in state.items() if s == "account"}
    confirmed = "SELECT username FROM account_directory WHERE confirmed_at IS NOT NULL"
    with engines[0].connect() as conn:  # never a listing confirmed without its account
        assert {u for (u,) in conn.execute(text(confirmed))} <= made
    found = claims_without_accounts(engines, None)
    expected = {Listing(n, home[n], owner[n]) for n, s in state.items() if s == "claim"}
    assert found.count == len(expected) and set(found.shown) == expected
    again = claims_without_accounts(engines, None)  # status after status: the same claims, nothing to confirm
    assert again.count == found.count and set(again.shown) == expected and again.confirmed == 0
    with engines[0].connect() as conn:
        assert {u for (u,) in conn.execute(text(confirmed))} == made
    with engines[0].connect() as conn:
        listed = listings(conn, NAMES)
    for index, e in enumerate(engines):  # every account is listed in shard 0, as in its shard
        with e.connect() as conn:
            here = {u for (u,) in conn.execute(text("SELECT username FROM users"))}
        assert here == {n for n in made if home[n] == index}
        assert all(listed[n] == Listing(n, index, owner[n]) for n in here)
    for name in NAMES:
        with Session(engines[0]) as db:
            db.info.update(shard=0, count=3)
            shard = to_account_shard(db, shards, name)
            user = authenticate(db, name, PASSWORD)
            assert (user is not None) == (name in made), (name, state)
            if name in made:
                assert shard == home[name] and authenticate(db, name, "wrong") is None


def test_a_claim_released_while_its_command_runs_makes_that_command_create_nothing(
    three_shards: Path, lucid: Lucid, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release lands between a command's claim and its hold (the only moment it can: from the hold on,
    a release waits and then finds the account). The command then finds its claim gone and commits no
    account under it, so no account is ever left without its listing."""
    from lucidscore.service import release_claim
    from lucidscore.store import make_engine

    m = str(three_shards)
    s0, s1, s2 = urls(three_shards)
    pat, una = consumers(s2)[0], consumers(s1)[0]
    real_commit_claim = admin_cmds._commit_claim

    def released_meanwhile(session: Session, claims: list[Listing]) -> None:
        real_commit_claim(session, claims)
        engines = [make_engine(u) for u in (s0, s1, s2)]
        try:
            for c in claims[-1:]:
                assert release_claim(engines, c.username) == c
        finally:
            for e in engines:
                e.dispose()

    monkeypatch.setattr(admin_cmds, "_commit_claim", released_meanwhile)
    code, out, err = lucid("admin", "create", "consumer", "pat", "--consumer-id", pat, "--shards", m)
    assert code != 0 and "username(s) 'pat': the claim was released" in err and "not created" in err
    assert "shown once" not in out
    assert listing(s0, "pat") == [] and query(s2, "SELECT count(*) FROM users") == [(0,)]

    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f"role,username,consumer_id\nanalyst,ivy,\nconsumer,una,{una}\nconsumer,dos,{pat}\n")
    secrets = tmp_path / "secrets.csv"
    code, _, err = lucid("admin", "import", str(accounts), "--shards", m, "--secrets-out", str(secrets))
    assert code != 0 and "username(s) 'dos': the claim was released" in err, err
    assert "The accounts of shard(s) 0 were created" in err and f"lucidscore shards sync {m}" in err
    assert [line.split(",")[0] for line in secrets.read_text().splitlines()] == ["username", "ivy"]
    assert query(s1, "SELECT count(*) FROM users WHERE role = 'consumer'") == [(0,)]
    assert query(s2, "SELECT count(*) FROM users WHERE role = 'consumer'") == [(0,)]
    assert listing(s0, "dos") == [] and listing(s0, "una") == [("una", 1, una)]  # una: claimed, not made
    monkeypatch.setattr(admin_cmds, "_commit_claim", real_commit_claim)
    assert lucid("shards", "sync", m)[0] == 0
    code, out, _ = lucid("shards", "status", m)
    assert code == 3 and "claims left without an account: 1 " in out and f"una (consumer {una}" in out


@pytest.mark.postgres
def test_claims_on_a_postgresql_map_are_listed_and_released(
    postgres_server: Any, lucid: Lucid, tmp_path: Path
) -> None:
    pg = [postgres_server.create_database() for _ in range(2)]
    m = str(write_map(tmp_path, pg))
    assert lucid("shards", "init", m)[0] == 0
    execute(
        pg[0],
        "INSERT INTO account_directory (username, shard_index, consumer_id, listed_at) "
        "VALUES ('pat', 1, 'C1', CURRENT_TIMESTAMP), ('kim', 1, 'C2', CURRENT_TIMESTAMP)",
    )
    execute(
        pg[1],
        "INSERT INTO users (id, username, role, display_name, password_hash, consumer_id, created_at) "
        "VALUES (1, 'kim', 'consumer', 'kim', 'x', 'C2', CURRENT_TIMESTAMP)",
    )
    code, out, err = lucid("shards", "status", m)
    assert code == 3, err
    assert "claims left without an account: 1 " in out and "  pat (consumer C1, shard 1): finish:" in out
    code, _, err = lucid("admin", "release-claim", "kim", "--shards", m)
    assert code != 0 and "shard 1 (postgresql" in err and "nothing was released" in err
    code, out, err = lucid("admin", "release-claim", "pat", "--shards", m)
    assert code == 0 and "released username 'pat'" in out, err
    assert lucid("admin", "release-claim", "pat", "--shards", m)[1].count("nothing to release") == 1
    code, out, _ = lucid("shards", "status", m)
    assert code == 0 and "claims left without an account: none" in out
    assert query(pg[0], "SELECT username FROM account_directory") == [("kim",)]
