"""The operator's tables of a deployment split by consumer (issue 15), through the real ``lucidscore``
entry point: merchants, analysts, API keys, redirect URIs and catalogue versions made with ``--shards`` are
the same rows, ids included, in every shard; a consumer account lives in its consumer's shard only; a
shard the copy failed on is named, and running the command again repairs it without a second secret; a
difference copying cannot repair stops a command before it writes; ``serve --shards`` refuses a shard
whose stamp or operator tables disagree, naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from lucidscore.service import create_user
from lucidscore.store import make_engine, read_shard_map, shard_of
from tests.cli.test_shards_cli import consumers, write_map
from tests.fixtures.bureau import BureauFiles, Lucid

OPERATOR_QUERIES = {
    "users": "SELECT * FROM users WHERE role IN ('merchant', 'analyst') ORDER BY id",
    "api_keys": "SELECT * FROM api_keys ORDER BY id",
    "oauth_redirect_uris": "SELECT * FROM oauth_redirect_uris ORDER BY id",
    "benefit_catalogues": "SELECT * FROM benefit_catalogues ORDER BY version",
}


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


def execute(url: str, *statements: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))
    engine.dispose()


def downgrade_to(url: str, revision: str) -> None:
    from alembic import command

    from lucidscore.store._migrate import _config

    engine = make_engine(url)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    engine.dispose()


def operator_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {table: query(url, sql) for table, sql in OPERATOR_QUERIES.items()}


@pytest.fixture
def loaded(bureau_shards: Path) -> Path:
    """Three initialised SQLite shards holding the bureau's records (a copy of shards loaded once per
    session: ``shards init`` and ``ingest --shards`` are tested in tests/cli/test_shards_cli.py)."""
    return bureau_shards


def urls(path: Path) -> list[str]:
    return [s.url for s in read_shard_map(path).shards]


def one_in_each_shard(url_list: list[str]) -> list[str]:
    return [consumers(u)[0] for u in url_list]


def test_operator_tables_are_the_same_rows_in_every_shard(loaded: Path, lucid: Lucid, tmp_path: Path) -> None:
    m = str(loaded)
    shard_urls = urls(loaded)
    code, out, err = lucid("admin", "create", "merchant", "shopx", "--name", "Shop X", "--shards", m)
    assert code == 0, err
    key = out.strip().rsplit(" ", 1)[-1]
    assert lucid("admin", "create", "analyst", "ann", "--shards", m)[0] == 0
    people = one_in_each_shard(shard_urls)
    csv = tmp_path / "accounts.csv"
    csv.write_text(
        "role,username,display_name,consumer_id\nmerchant,shopy,Shop Y,\nanalyst,bea,,\n"
        + "".join(f"consumer,c{i},,{c}\n" for i, c in enumerate(people)),
        "utf-8",
    )
    code, out, err = lucid("admin", "import", str(csv), "--shards", m)
    assert code == 0, err
    assert "5 account(s) created" in out
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(
        json.dumps(
            {
                "benefits": [
                    {
                        "product": "instant_credit_line",
                        "label": "Credit line",
                        "kind": "credit_line",
                        "min_score": 620,
                    }
                ]
            }
        ),
        "utf-8",
    )
    code, out, err = lucid("catalogue", "set", str(catalogue), "--shards", m)
    assert code == 0, err
    assert "version 1 set" in out
    uri = "https://shop-x.example/callback"
    assert lucid("merchant", "redirect-uri", "add", "shopx", uri, "--shards", m)[0] == 0
    code, out, err = lucid("admin", "rotate", "shopx", "--shards", m)
    assert code == 0, err
    new_key = out.strip().rsplit(" ", 1)[-1]
    assert new_key != key
    assert lucid("admin", "revoke", "bea", "--shards", m)[0] == 0

    first = operator_rows(shard_urls[0])
    assert [r[1] for r in first["users"]] == ["shopx", "ann", "shopy", "bea"]
    assert len(first["api_keys"]) == 3 and [r[2] for r in first["oauth_redirect_uris"]] == [uri]
    assert len(first["benefit_catalogues"]) == 1
    for url in shard_urls[1:]:
        assert operator_rows(url) == first  # every row, every column, ids included
    # a consumer account in its own shard only; account ids unique across the deployment
    accounts = {
        i: query(u, "SELECT id, username, consumer_id FROM users WHERE role = 'consumer'")
        for i, u in enumerate(shard_urls)
    }
    for i, c in enumerate(people):
        assert [(name, cid) for _, name, cid in accounts[shard_of(c, 3)]] == [(f"c{i}", c)]
    ids = [r[0] for rows in accounts.values() for r in rows] + [r[0] for r in first["users"]]
    assert len(ids) == len(set(ids))

    code, out, _ = lucid("shards", "status", m)
    assert code == 0 and out.count("same as shard 0") == 2
    code, out, _ = lucid("admin", "list", "--shards", m)
    assert code == 0 and "7 account(s)" in out
    code, out, _ = lucid("catalogue", "show", "--shards", m)
    assert code == 0 and "version 1 (current)" in out


def test_a_shard_the_copy_failed_on_is_named_and_repaired_by_running_again(
    loaded: Path, lucid: Lucid
) -> None:
    m = str(loaded)
    shard_urls = urls(loaded)
    execute(
        shard_urls[2],
        "CREATE TRIGGER fail_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    code, out, err = lucid("admin", "create", "merchant", "late", "--shards", m)
    assert code == 1
    key = out.strip().rsplit(" ", 1)[-1]
    assert key.startswith("lsk_")  # shown: shards 0 and 1 hold the merchant
    assert "shard 2 (sqlite:///" in err and "disk on fire" in err
    assert "stored in shard(s) 0, 1 but not in shard(s) 2" in err
    assert query(shard_urls[2], "SELECT count(*) FROM users WHERE username = 'late'") == [(0,)]
    execute(shard_urls[2], "DROP TRIGGER fail_users")

    code, out, _ = lucid("shards", "status", m)
    assert code == 1 and "shard 2: operator tables differ" in out and "missing merchant 'late'" in out
    code, out, err = lucid("admin", "create", "merchant", "late", "--shards", m)
    assert code == 0, err
    assert "created before (in shard 0); copied now to shard(s) 2" in out
    assert "lsk_" not in out  # no second secret
    assert operator_rows(shard_urls[2]) == operator_rows(shard_urls[0])
    assert lucid("shards", "status", m)[0] == 0
    code, _, err = lucid("admin", "create", "merchant", "late", "--shards", m)
    assert code != 0 and "username 'late' is taken" in err

    # a revocation, and an import, that failed to reach a shard are finished by running them again
    execute(
        shard_urls[1],
        "CREATE TRIGGER fail_revoke BEFORE UPDATE ON users BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    code, _, err = lucid("admin", "revoke", "late", "--shards", m)
    assert code == 1 and "shard 1 (sqlite:///" in err and "not in shard(s) 1" in err
    execute(shard_urls[1], "DROP TRIGGER fail_revoke")
    code, out, err = lucid("admin", "revoke", "late", "--shards", m)
    assert code == 0, err
    assert "late was revoked before (in shard 0); copied now to shard(s) 1" in out
    assert query(shard_urls[1], "SELECT revoked_at IS NOT NULL FROM users WHERE username = 'late'") == [(1,)]
    code, _, err = lucid("admin", "revoke", "late", "--shards", m)
    assert code != 0 and "was revoked already" in err

    csv = loaded.parent / "more.csv"
    csv.write_text("role,username\nanalyst,ann\nmerchant,shopz\n", "utf-8")
    execute(
        shard_urls[2],
        "CREATE TRIGGER fail_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    code, out, err = lucid("admin", "import", str(csv), "--shards", m)
    assert code == 1 and "2 account(s) created" in out and "not in shard(s) 2" in err
    execute(shard_urls[2], "DROP TRIGGER fail_users")
    code, out, err = lucid("admin", "import", str(csv), "--shards", m)
    assert code == 0, err
    assert f"every account of {csv} was created before; copied now to shard(s) 2" in out
    assert operator_rows(shard_urls[2]) == operator_rows(shard_urls[1]) == operator_rows(shard_urls[0])
    assert lucid("shards", "status", m)[0] == 0


def test_an_operator_name_a_consumer_holds_is_refused(loaded: Path, lucid: Lucid) -> None:
    m = str(loaded)
    shard_urls = urls(loaded)
    c = consumers(shard_urls[2])[0]
    assert lucid("admin", "create", "consumer", "zed", "--consumer-id", c, "--shards", m)[0] == 0
    code, _, err = lucid("admin", "create", "analyst", "zed", "--shards", m)
    assert code != 0 and "username 'zed' is taken (an account in shard 2)" in err
    assert all(query(u, "SELECT count(*) FROM users WHERE role = 'analyst'") == [(0,)] for u in shard_urls)


def test_a_difference_copying_cannot_repair_stops_commands_and_serve(loaded: Path, lucid: Lucid) -> None:
    m = str(loaded)
    shard_urls = urls(loaded)
    assert lucid("admin", "create", "merchant", "shopx", "--shards", m)[0] == 0
    execute(shard_urls[1], "UPDATE users SET username = 'someone' WHERE username = 'shopx'")
    code, _, err = lucid("admin", "create", "analyst", "ann", "--shards", m)
    assert code != 0
    assert "shard 1 (sqlite:///" in err and "cannot repair; nothing was changed" in err
    assert query(shard_urls[0], "SELECT count(*) FROM users WHERE username = 'ann'") == [(0,)]
    code, _, err = lucid("serve", "--shards", m, "--port", "1")
    assert code == 2 and "shard 1 (sqlite:///" in err and "copying cannot repair" in err


def test_serve_refuses_a_shard_whose_stamp_disagrees(loaded: Path, lucid: Lucid) -> None:
    m = str(loaded)
    shard_urls = urls(loaded)
    execute(shard_urls[2], "UPDATE shard_identity SET shard_count = 4")
    code, _, err = lucid("serve", "--shards", m, "--port", "1")
    assert code == 2
    assert "shard 2 (sqlite:///" in err and "s2.db" in err
    assert "stamped shard 2 of 4" in err and "the map says shard 2 of 3" in err
    code, _, err = lucid("serve", "--shards", m, "--db", shard_urls[0])
    assert code == 2 and "--db and --shards: give one" in err


@pytest.mark.postgres
def test_a_postgresql_deployment_is_served_from_its_map(
    postgres_server: Any, lucid: Lucid, tmp_path: Path, bureau_files: BureauFiles
) -> None:
    from fastapi.testclient import TestClient

    from lucidscore.api import Settings, create_app
    from lucidscore.service import PipelineRescorer
    from tests.cli.test_publish_cli import current
    from tests.fixtures.bureau import END

    pg = [postgres_server.create_database() for _ in range(2)]
    m = str(write_map(tmp_path, pg))
    assert lucid("shards", "init", m)[0] == 0
    assert lucid("ingest", str(bureau_files.data), "--shards", m)[0] == 0
    assert lucid("model", "register", str(bureau_files.model), "--shards", m)[0] == 0
    assert lucid("model", "activate", bureau_files.model_id, "--shards", m)[0] == 0
    assert lucid("publish", "--shards", m, "--as-of", END.isoformat())[0] == 0
    pat, kim = consumers(pg[1])[:2]
    code, out, err = lucid("admin", "create", "consumer", "pat", "--consumer-id", pat, "--shards", m)
    assert code == 0, err
    password = out.strip().rsplit(" ", 1)[-1]
    code, out, err = lucid("admin", "create", "merchant", "shopx", "--shards", m)
    assert code == 0, err
    key = out.strip().rsplit(" ", 1)[-1]
    assert operator_rows(pg[1]) == operator_rows(pg[0])
    # admin create --db on a shard's database is refused, naming the command that goes through the map
    code, out, err = lucid("admin", "create", "consumer", "kim", "--consumer-id", kim, "--db", pg[1])
    assert code != 0 and "this database is shard 1 of 2" in err and "nothing was created" in err
    assert f"lucidscore admin create consumer kim --consumer-id {kim} --shards MAP" in err
    assert query(pg[1], "SELECT count(*) FROM users WHERE username = 'kim'") == [(0,)]
    # rows copied with their ids moved each shard's id sequence past them: a plain insert (the service's
    # own, as an older version's admin create --db made it) does not collide
    kim_password = "kim-pass-12345"
    engine = make_engine(pg[1])
    with Session(engine) as session:
        create_user(session, "kim", "consumer", kim_password, consumer_id=kim)
        session.commit()
    engine.dispose()
    # a deployment of revision 0012 (no account directory): the service's start migrates every shard
    # (each lists its own accounts) and gathers shard 1's listings into shard 0's
    for url in pg:
        downgrade_to(url, "0012_shard_identity")
    assert query(
        pg[0], "SELECT count(*) FROM information_schema.tables WHERE table_name = 'account_directory'"
    ) == [(0,)]

    app = create_app(Settings(secret_key="t", shard_map=Path(m)), rescorer=PipelineRescorer(pg[0], END))
    with TestClient(app) as client:
        assert query(pg[0], "SELECT username, shard_index FROM account_directory ORDER BY username") == [
            ("kim", 1),
            ("pat", 1),
            ("shopx", 0),
        ]
        assert query(pg[1], "SELECT count(*) FROM account_directory") == [(0,)]
        r = client.post("/v1/session", json={"username": "kim", "password": kim_password})
        assert r.status_code == 200, r.text  # made with --db in shard 1: found through the gathered listing
        client.cookies.clear()
        r = client.post("/v1/session", json={"username": "pat", "password": password})
        assert r.status_code == 200, r.text
        client.cookies.clear()
        me = {"Authorization": f"Bearer {r.json()['token']}"}
        score = client.get("/v1/me/score", headers=me).json()
        assert score["score"] == current(pg[1], END)[pat][0]
        consent = client.post(
            "/v1/me/consents", json={"merchant": "shopx", "purpose": "premium", "days": 5}, headers=me
        ).json()
        r = client.post(
            "/v1/decisions",
            json={"consent_token": consent["token"], "product": "premium"},
            headers={"X-API-Key": key},
        )
        assert r.status_code == 200, r.text
        assert r.json()["score"] == score["score"]
    assert query(pg[1], "SELECT count(*) FROM access_log") == [(1,)]
    assert query(pg[0], "SELECT count(*) FROM access_log") == [(0,)]
