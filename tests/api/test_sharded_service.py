"""One service over a deployment split by consumer (issue 15): the bureau's records ingested, scored and
published into 3 shards, served by one app from the shard map, answer every consumer exactly as the
unsharded database holding the same records does: the merchant's decision, the consumer's score, history,
data, who-looked and decision pages, the analysts' dispute queue (every shard's, in one database's order,
paged alike) and an accepted dispute's rescoring. The merchant and analyst were made once with --shards.

The deployment holds every fourth consumer of the bureau (250, with all their records): what is checked
for every consumer holds consumer by consumer, whatever the population's size, and a quarter of the
requests (about 7,000 for the whole bureau) keeps it at a quarter of the time.

Ids that a database numbers itself (consents, access-log rows, disputes) and moments are left out of the
comparison: the two deployments number and time their rows on their own. A sharded dispute id names its
shard (``local id * 3 + shard``), and the app refuses a shard whose stamp disagrees with the map.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from lucidscore.api import Settings, create_app, shard_engines
from lucidscore.policy import default_catalogue
from lucidscore.service import PipelineRescorer, open_session
from lucidscore.service._secrets import hash_password
from lucidscore.store import make_engine, read_shard_map, shard_of
from lucidscore.store.service import User
from tests.fixtures.bureau import END, BureauFiles, ok
from tests.fixtures.databases import migrated

MOMENTS = {
    "at",
    "created_at",
    "expires_at",
    "resolved_at",
    "scored_at",
    "accepting_since",
    "decided_at",
    "reported_at",
}
DATABASE_IDS = {"id", "consent_id", "decision_id", "token"}  # and the secrets each one drew
PRODUCT = "deposit_free_rental"


def secret(out: str) -> str:
    return out.strip().rsplit(" ", 1)[-1]


@dataclass
class Deployment:
    """One served deployment: its clients as merchant and analyst, and a bearer token per consumer."""

    client: TestClient
    api_key: str
    analyst_token: str
    tokens: dict[str, str]

    def merchant(self, path: str, body: dict[str, Any]) -> Any:
        r = self.client.post(path, json=body, headers={"X-API-Key": self.api_key})
        return r.status_code, r.json()

    def me(self, consumer: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = self.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.tokens[consumer]}"}
        )
        return r.status_code, r.json()

    def analyst(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = self.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.analyst_token}"}
        )
        return r.status_code, r.json()


@dataclass
class Pair:
    whole: Deployment
    sharded: Deployment
    consumers: list[str]
    map_path: Path


def _consumer_ids(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT consumer_id FROM consumers_current"))]
    engine.dispose()
    return sorted(ids)


def _sign_in_everyone(url: str, password_hash: str) -> dict[str, str]:
    """An account and a sign-in session for every consumer of the database (one shared password hash:
    hashing a password per consumer would take minutes)."""
    engine = make_engine(url)
    ids = _consumer_ids(url)
    with Session(engine, expire_on_commit=False) as session:
        session.execute(
            insert(User),
            [
                {
                    "username": f"u{c.lower()}",
                    "role": "consumer",
                    "display_name": c,
                    "password_hash": password_hash,
                    "consumer_id": c,
                }
                for c in ids
            ],
        )
        users = session.scalars(select(User).where(User.role == "consumer")).all()
        tokens = {u.consumer_id: open_session(session, u, 600)[0] for u in users if u.consumer_id}
        session.commit()
    engine.dispose()
    return tokens


def _analyst_token(client: TestClient, password: str) -> str:
    r = client.post("/v1/session", json={"username": "ann", "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return str(r.json()["token"])


def _every_fourth_consumer(data: Path, out: Path) -> Path:
    """The bureau's record files cut to every fourth consumer (by id), each with all their records."""
    import polars as pl

    out.mkdir()
    kept = pl.read_parquet(data / "consumers.parquet").sort("consumer_id").gather_every(4)
    ids = kept.get_column("consumer_id")
    accounts = pl.read_parquet(data / "accounts.parquet").filter(pl.col("consumer_id").is_in(ids))
    for file in sorted(data.glob("*.parquet")):
        frame = pl.read_parquet(file)
        if "consumer_id" in frame.columns:
            frame = frame.filter(pl.col("consumer_id").is_in(ids))
        else:  # statements: by account
            frame = frame.filter(pl.col("account_id").is_in(accounts.get_column("account_id")))
        frame.write_parquet(out / file.name)
    return out


@pytest.fixture(scope="module")
def pair(bureau_files: BureauFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("sharded-service")
    data = _every_fourth_consumer(bureau_files.data, root / "data")
    map_path = root / "shards.toml"
    map_path.write_text("".join(f'[[shard]]\nurl = "sqlite:///s{i}.db"\n\n' for i in range(3)), "utf-8")
    for i in range(3):  # copies of the migrated database: init only stamps them (tests/cli tests init)
        migrated(f"sqlite:///{root / f's{i}.db'}")
    ok("shards", "init", str(map_path))
    ok("ingest", str(data), "--shards", str(map_path))
    whole_url = migrated(f"sqlite:///{root / 'whole.db'}")
    ok("ingest", str(data), "--db", whole_url)
    for where in (("--shards", str(map_path)), ("--db", whole_url)):
        ok("model", "register", str(bureau_files.model), *where)
        ok("model", "activate", bureau_files.model_id, *where)
        ok("publish", "--as-of", END.isoformat(), *where)
    keys = {
        w: secret(ok("admin", "create", "merchant", "shopx", *w))
        for w in (("--db", whole_url), ("--shards", str(map_path)))
    }
    passwords = {
        w: secret(ok("admin", "create", "analyst", "ann", *w))
        for w in (("--db", whole_url), ("--shards", str(map_path)))
    }

    pw_hash = hash_password("consumer-pass-1234")
    shard_urls = [s.url for s in read_shard_map(map_path).shards]
    whole_tokens = _sign_in_everyone(whole_url, pw_hash)
    sharded_tokens: dict[str, str] = {}
    for url in shard_urls:
        sharded_tokens |= _sign_in_everyone(url, pw_hash)
    assert sorted(sharded_tokens) == sorted(whole_tokens) and len(whole_tokens) == 250

    whole_app = create_app(
        Settings(db_url=whole_url, secret_key="t"), rescorer=PipelineRescorer(whole_url, END)
    )
    shards = shard_engines(
        map_path,
        pool_size=4,
        pool_timeout=5.0,
        seed=default_catalogue(),
        seed_source="default",
        rescorer=lambda url: PipelineRescorer(url, END),
    )
    sharded_app = create_app(Settings(secret_key="t", shard_map=map_path), shards=shards)
    with TestClient(whole_app) as w, TestClient(sharded_app) as s:
        whole = Deployment(
            w, keys[("--db", whole_url)], _analyst_token(w, passwords[("--db", whole_url)]), whole_tokens
        )
        sharded = Deployment(
            s,
            keys[("--shards", str(map_path))],
            _analyst_token(s, passwords[("--shards", str(map_path))]),
            sharded_tokens,
        )
        yield Pair(whole, sharded, sorted(whole_tokens), map_path)
    shards.dispose()


def normal(value: Any) -> Any:
    """``value`` without the ids a database numbers itself and without moments."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items() if k not in MOMENTS | DATABASE_IDS}
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    return value


@pytest.mark.slow  # every consumer of the population, twice
def test_every_consumer_gets_the_unsharded_answers(pair: Pair) -> None:
    seen_shards: set[int] = set()
    for n, c in enumerate(pair.consumers):
        answers = []
        for d in (pair.whole, pair.sharded):
            status, consent = d.me(
                c, "POST", "/v1/me/consents", {"merchant": "shopx", "purpose": PRODUCT, "days": 30}
            )
            assert status == 201, consent
            decision = d.merchant("/v1/decisions", {"consent_token": consent["token"], "product": PRODUCT})
            assert decision[0] == 200, decision
            paths = ["/v1/me/score"]
            if n % 5 == 0:  # the consumer's pages, for every fifth consumer
                paths += ["/v1/me/history", "/v1/me/access-log", "/v1/me/decisions"]
            answers.append(normal([decision, consent, *(d.me(c, "GET", p) for p in paths)]))
        assert answers[0] == answers[1], c
        seen_shards.add(shard_of(c, 3))
    assert seen_shards == {0, 1, 2}  # the merchant made with --shards is known in every shard


def test_a_consumers_records_page_is_the_unsharded_one(pair: Pair) -> None:
    for c in pair.consumers[::10]:
        assert normal(pair.whole.me(c, "GET", "/v1/me/data")) == normal(
            pair.sharded.me(c, "GET", "/v1/me/data")
        )


def test_the_dispute_queue_merges_every_shard_in_one_databases_order(pair: Pair) -> None:
    disputed = pair.consumers[::37]
    assert {shard_of(c, 3) for c in disputed} == {0, 1, 2}
    opened: dict[str, list[int]] = {"whole": [], "sharded": []}
    for c in disputed:
        for name, d in (("whole", pair.whole), ("sharded", pair.sharded)):
            status, body = d.me(
                c,
                "POST",
                "/v1/me/disputes",
                {"record_table": "consumers", "record_key": c, "reason": "this is not me"},
            )
            assert status == 201, body
            opened[name].append(body["id"])
    # a sharded dispute id names its shard
    assert [i % 3 for i in opened["sharded"]] == [shard_of(c, 3) for c in disputed]
    for query in ("?limit=500", "?limit=4&offset=3", "?status=open&limit=2&offset=7", "?status=rejected"):
        w = pair.whole.analyst("GET", f"/v1/analyst/disputes{query}")
        s = pair.sharded.analyst("GET", f"/v1/analyst/disputes{query}")
        assert w[0] == s[0] == 200
        assert normal(w[1]) == normal(s[1]), query
    full = pair.sharded.analyst("GET", "/v1/analyst/disputes?limit=500")[1]
    assert [d["id"] for d in full] == opened["sharded"] and [d["consumer_id"] for d in full] == disputed

    # one dispute through the consumer's own shard: its page, then a rejection
    c, wid, sid = disputed[1], opened["whole"][1], opened["sharded"][1]
    assert normal(pair.whole.me(c, "GET", f"/v1/me/disputes/{wid}")) == normal(
        pair.sharded.me(c, "GET", f"/v1/me/disputes/{sid}")
    )
    other = disputed[2]
    assert pair.sharded.me(other, "GET", f"/v1/me/disputes/{sid}")[0] == 404  # another consumer's: none
    for d, i in ((pair.whole, wid), (pair.sharded, sid)):
        assert (
            d.analyst("POST", f"/v1/analyst/disputes/{i}/reject", {"reason": "records confirmed"})[0] == 200
        )
    assert normal(pair.whole.me(c, "GET", "/v1/me/disputes")) == normal(
        pair.sharded.me(c, "GET", "/v1/me/disputes")
    )
    assert pair.sharded.analyst("GET", f"/v1/analyst/disputes/{sid + 3 * 1000}")[0] == 404
    w = pair.whole.analyst("GET", "/v1/analyst/monitoring/distribution")
    s = pair.sharded.analyst("GET", "/v1/analyst/monitoring/distribution")
    assert w == s


def test_an_accepted_correction_is_rescored_in_the_consumers_shard(pair: Pair) -> None:
    # a consumer of shard 2 with statements to dispute (a thin file has none)
    c, data = next(
        (c, data)
        for c in pair.consumers[5:]
        if shard_of(c, 3) == 2 and (data := pair.whole.me(c, "GET", "/v1/me/data")[1])["statements"]
    )
    late = [s for s in data["statements"] if s["days_past_due"] > 0] or data["statements"]
    worst = max(late, key=lambda s: (s["period"], s["days_past_due"]))
    key = f"{worst['account_id']}|{worst['period']}"
    results = []
    for d in (pair.whole, pair.sharded):
        status, body = d.me(
            c,
            "POST",
            "/v1/me/disputes",
            {"record_table": "statements", "record_key": key, "reason": "paid on time"},
        )
        assert status == 201, body
        status, body = d.analyst(
            "POST",
            f"/v1/analyst/disputes/{body['id']}/accept",
            {
                "corrections": {"days_past_due": 0, "amount_paid": worst["amount_due"]},
                "note": "lender confirmed",
            },
        )
        assert status == 200, body
        assert [e["action"] for e in body["events"]][-2:] == ["rescored", "accepted"]
        results.append(normal([body, d.me(c, "GET", "/v1/me/score"), d.me(c, "GET", "/v1/me/history")]))
    assert results[0] == results[1]


def test_a_sharded_service_refuses_to_activate_a_model_over_http(pair: Pair) -> None:
    status, body = pair.sharded.analyst("POST", "/v1/analyst/models/any-model/activate")
    assert status == 409
    assert "lucidscore model activate any-model --shards MAP" in body["error"]["message"]


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
CALLBACK = "https://shop-x.example/callback"
HTTPS = "https://testserver"  # OAuth 2 is refused over plain HTTP (except on localhost)


def test_oauth_and_pages_reach_each_consumers_shard(pair: Pair) -> None:
    """A consumer of each shard approves a merchant's OAuth request on the consent page; the merchant
    redeems the code and decides with the bearer token alone, then revokes it; the consumer's dashboard
    and the analysts' pages answer too."""
    ok("merchant", "redirect-uri", "add", "shopx", CALLBACK, "--shards", str(pair.map_path))
    s = pair.sharded
    for shard in range(3):
        c = next(c for c in pair.consumers if shard_of(c, 3) == shard)
        me = {"Authorization": f"Bearer {s.tokens[c]}"}
        verifier = secrets.token_urlsafe(48)
        query = {
            "response_type": "code",
            "client_id": "shopx",
            "redirect_uri": CALLBACK,
            "scope": PRODUCT,
            "state": f"st{shard}",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        page = s.client.get(f"{HTTPS}/oauth/authorize?" + urlencode(query), headers=me)
        assert page.status_code == 200, page.text
        fields = [(n, html.unescape(v)) for n, v in HIDDEN.findall(page.text)]
        answer = s.client.post(
            f"{HTTPS}/oauth/authorize",
            content=urlencode([*fields, ("decision", "approve")]),
            headers=me | {"Content-Type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        assert answer.status_code == 302, answer.text
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
            "client_id": "shopx",
            "client_secret": s.api_key,
        }
        token = s.client.post(f"{HTTPS}/oauth/token", data=form)
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        decided = s.client.post("/v1/decisions", json={"product": PRODUCT}, headers=bearer)
        assert decided.status_code == 200, decided.text
        assert decided.json()["score"] == pair.whole.me(c, "GET", "/v1/me/score")[1]["score"]
        revoke = {"token": token.json()["access_token"], "client_id": "shopx", "client_secret": s.api_key}
        assert s.client.post(f"{HTTPS}/oauth/revoke", data=revoke).status_code == 200
        again = s.client.post("/v1/decisions", json={"product": PRODUCT}, headers=bearer)
        assert again.status_code == 403, again.text
        dashboard = s.client.get("/dashboard", headers=me)
        assert dashboard.status_code == 200 and str(decided.json()["score"]) in dashboard.text
    analyst = {"Authorization": f"Bearer {s.analyst_token}"}
    for path in ("/analyst", "/analyst/disputes"):
        assert s.client.get(path, headers=analyst).status_code == 200, path
