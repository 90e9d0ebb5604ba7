"""``lucidscore merchant redirect-uri add|list|remove`` (issue 12), on SQLite and PostgreSQL: what a merchant
registers is what /oauth/authorize accepts, and a URI that could leak a code is refused in one line."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lucidscore.service import create_user, oauth_client
from tests.fixtures.bureau import Lucid


def run(lucid: Lucid, *args: str) -> tuple[int, str, str]:
    """``lucidscore merchant redirect-uri ARGS`` through the real entry point; stderr on one line."""
    code, out, err = lucid("merchant", "redirect-uri", *args)
    return code, out, " ".join(err.split())


@pytest.fixture
def merchant(engine: Engine) -> Engine:
    with Session(engine) as s:
        create_user(s, "shop_x", "merchant", "unused-password", display_name="Shop X")
        create_user(s, "alice", "consumer", "alice-pass-1234", consumer_id="C0001")
        s.commit()
    return engine


def test_add_list_remove(merchant: Engine, db_url: str, lucid: Lucid) -> None:
    uris = ["https://shop-x.example/cb", "http://127.0.0.1:8080/cb", "http://localhost/cb?app=1"]
    for uri in uris:
        code, out, err = run(lucid, "add", "shop_x", uri, "--db", db_url)
        assert code == 0, err
        assert out == f"registered {uri} for shop_x\n"
    code, out, _ = run(lucid, "list", "shop_x", "--db", db_url)
    assert code == 0 and out.splitlines() == uris
    with Session(merchant) as s:
        client = oauth_client(s, "shop_x")
    assert client is not None and client.redirect_uris == tuple(uris)
    code, out, _ = run(lucid, "remove", "shop_x", uris[0], "--db", db_url)
    assert code == 0 and out == f"removed {uris[0]} from shop_x\n"
    code, out, _ = run(lucid, "list", "shop_x", "--db", db_url)
    assert out.splitlines() == uris[1:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("add", "shop_x", "http://shop-x.example/cb"),
            "use https (plain http only on localhost or 127.0.0.1)",
        ),
        (("add", "shop_x", "https://shop-x.example/cb#top"), "has a fragment"),
        (("add", "shop_x", "shop-x.example/cb"), "is not an absolute http(s) URI"),
        (("add", "shop_x", "javascript:alert(1)"), "is not an absolute http(s) URI"),
        (("add", "shop_x", "https://user:pw@shop-x.example/cb"), "carries a user name or password"),
        (("add", "shop_x", "https://shop-x.example/" + "a" * 500), "at most 500 characters"),
        (("add", "nobody", "https://shop-x.example/cb"), "no merchant named 'nobody'"),
        (("add", "alice", "https://shop-x.example/cb"), "no merchant named 'alice'"),
        (("remove", "shop_x", "https://never.example/cb"), "is not registered for shop_x"),
        (("list", "nobody"), "no merchant named 'nobody'"),
    ],
)
def test_refusals_are_one_line(
    merchant: Engine,
    db_url: str,
    lucid: Lucid,
    args: tuple[str, ...],
    message: str,
) -> None:
    code, out, err = run(lucid, *args, "--db", db_url)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err


def test_a_uri_is_registered_once(merchant: Engine, db_url: str, lucid: Lucid) -> None:
    assert run(lucid, "add", "shop_x", "https://a.example/cb", "--db", db_url)[0] == 0
    code, _, err = run(lucid, "add", "shop_x", "https://a.example/cb", "--db", db_url)
    assert code == 2 and "already registered for shop_x" in err


def test_a_missing_database_is_named(tmp_path: object, lucid: Lucid) -> None:
    code, _, err = run(lucid, "list", "shop_x", "--db", f"sqlite:///{tmp_path}/none.db")
    assert code == 2 and "does not exist" in err
