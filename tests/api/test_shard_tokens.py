"""Secrets that name their shard (issue 15): a service over a 3-shard map marks every sign-in session
token, consent token and OAuth authorization code it issues with the shard keeping it, and a request
presenting one reads that shard alone: no statement runs in any other shard (counted per shard engine).

A token whose mark is changed is another text, whose digest no shard holds: it is refused exactly as an
unknown token is (same status, same body) and nothing of any consumer comes back. Tokens without a mark
(issued before marks, or by one database) are still looked for shard by shard; one database issues
unmarked tokens as before and takes marked ones as plain text.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lucidscore.api import Settings, create_app, shard_engines
from lucidscore.api._shards import ShardEngines
from lucidscore.policy import default_catalogue
from lucidscore.service import (
    add_redirect_uri,
    copy_operator_tables,
    create_api_key,
    create_user,
    grant_consent,
    open_session,
    token_shard,
)
from lucidscore.service._secrets import CONSENT_TOKEN_PREFIX, new_token
from lucidscore.store import migrate, open_database, read_shard_map, shard_of, stamp_shard
from lucidscore.store.service import ModelRecord, ScoreRecord, User
from tests.api._world import World, explanation, reason, tiny_artifact

PRODUCT = "instant_credit_line"
PASSWORD = "consumer-pass-1234"
CALLBACK = "https://shop-x.example/callback"
HTTPS = "https://testserver"  # OAuth 2 is refused over plain HTTP (except on localhost)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
COUNT = 3


@dataclass
class Consumer:
    username: str
    consumer_id: str
    shard: int
    score: int
    session: str = ""  # a marked sign-in session token (POST /v1/session)
    consent: str = ""  # a marked consent token (POST /v1/me/consents)
    code: str = ""  # a marked authorization code, never redeemed


@dataclass
class Deployment:
    client: TestClient
    shards: ShardEngines
    api_key: str
    consumers: list[Consumer]
    map_path: Path
    statements: list[int] = field(default_factory=lambda: [0] * COUNT)

    @contextmanager
    def counted(self) -> Iterator[list[int]]:
        """The statements each shard ran inside the block."""
        before = list(self.statements)
        out = [0] * COUNT
        yield out
        out[:] = [a - b for a, b in zip(self.statements, before, strict=True)]

    def decide(self, token: str) -> tuple[int, Any]:
        r = self.client.post(
            "/v1/decisions",
            json={"consent_token": token, "product": PRODUCT},
            headers={"X-API-Key": self.api_key},
        )
        return r.status_code, r.json()

    def me(self, token: str) -> tuple[int, Any]:
        r = self.client.get("/v1/me/score", headers={"Authorization": f"Bearer {token}"})
        return r.status_code, r.json()


def _consumer_ids() -> list[tuple[str, int]]:
    """Two consumers of each shard."""
    found: list[tuple[str, int]] = []
    n = 0
    while any(sum(1 for _, s in found if s == i) < 2 for i in range(COUNT)):
        n += 1
        cid = f"C{n:04d}"
        if sum(1 for _, s in found if s == shard_of(cid, COUNT)) < 2:
            found.append((cid, shard_of(cid, COUNT)))
    return found


def _build(root: Path) -> tuple[Path, str, list[Consumer]]:
    """A 3-shard map: the merchant and its redirect URI made in shard 0 and copied to every shard (as the
    operator's --shards commands do); the model and each consumer's account and score in their shard."""
    map_path = root / "shards.toml"
    map_path.write_text("".join(f'[[shard]]\nurl = "sqlite:///s{i}.db"\n\n' for i in range(COUNT)), "utf-8")
    smap = read_shard_map(map_path)
    engines = [open_database(s.url, create=True) for s in smap.shards]
    for shard, engine in zip(smap.shards, engines, strict=True):
        migrate(engine)
        stamp_shard(engine, smap.stamp(shard.index), f"shard {shard.index}")
    with Session(engines[0]) as s:
        merchant = create_user(s, "shop_x", "merchant", "unused-shop-x", display_name="Shop X")
        key = create_api_key(s, merchant)
        s.flush()
        add_redirect_uri(s, "shop_x", CALLBACK)
        s.commit()
    for engine in engines[1:]:
        copy_operator_tables(engines[0], engine)
    artifact = tiny_artifact()
    consumers: list[Consumer] = []
    for index, engine in enumerate(engines):
        with Session(engine) as s:
            s.add(
                ModelRecord(
                    model_id=artifact.model_id,
                    content_hash=artifact.content_hash,
                    artifact_json=artifact.model_dump_json(),
                    description="tiny test model",
                    active=True,
                )
            )
            for cid, shard in _consumer_ids():
                if shard != index:
                    continue
                score = 600 + int(cid[1:])  # each consumer's own score, to spot another's
                name = f"u{cid.lower()}"
                create_user(s, name, "consumer", PASSWORD, display_name=cid, consumer_id=cid)
                s.add(
                    ScoreRecord(
                        consumer_id=cid,
                        model_id=artifact.model_id,
                        as_of=datetime.now(UTC).date(),
                        score=score,
                        tier="good",
                        probability=0.1,
                        segment="all",
                        reasons=[reason(cid).model_dump(mode="json")],
                        explanation=explanation(cid, score, "good").model_dump(mode="json"),
                    )
                )
                consumers.append(Consumer(name, cid, shard, score))
            s.commit()
    for engine in engines:
        engine.dispose()
    return map_path, key, consumers


def _approve(client: TestClient, session: str, state: str) -> tuple[str, str]:
    """The consumer approves shop_x's OAuth request on the consent page: (the code, the PKCE verifier)."""
    me = {"Authorization": f"Bearer {session}"}
    verifier = secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": "shop_x",
        "redirect_uri": CALLBACK,
        "scope": PRODUCT,
        "state": state,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    page = client.get(f"{HTTPS}/oauth/authorize?" + urlencode(query), headers=me)
    assert page.status_code == 200, page.text
    fields = [(n, html.unescape(v)) for n, v in HIDDEN.findall(page.text)]
    answer = client.post(
        f"{HTTPS}/oauth/authorize",
        content=urlencode([*fields, ("decision", "approve")]),
        headers=me | {"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0], verifier


def _token_form(code: str, verifier: str, key: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        "client_id": "shop_x",
        "client_secret": key,
    }


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    map_path, key, consumers = _build(tmp_path_factory.mktemp("shard-tokens"))
    shards = shard_engines(
        map_path, pool_size=4, pool_timeout=5.0, seed=default_catalogue(), seed_source="default"
    )
    cfg = Settings(secret_key="t", shard_map=map_path, guess_max_failures=100_000, oauth_code_seconds=600)
    app = create_app(cfg, shards=shards)
    with TestClient(app, raise_server_exceptions=False) as client:
        d = Deployment(client, shards, key, consumers, map_path)
        for index, engine in enumerate(shards.engines):

            def count(*_: Any, index: int = index) -> None:
                d.statements[index] += 1

            event.listen(engine, "before_cursor_execute", count)
        for c in consumers:
            r = client.post("/v1/session", json={"username": c.username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            client.cookies.clear()
            c.session = r.json()["token"]
            r = client.post(
                "/v1/me/consents",
                json={"merchant": "shop_x", "purpose": PRODUCT, "days": 30},
                headers={"Authorization": f"Bearer {c.session}"},
            )
            assert r.status_code == 201, r.text
            c.consent = r.json()["token"]
            c.code = _approve(client, c.session, "kept")[0]
        yield d
    shards.dispose()


def only(shard: int) -> list[bool]:
    return [i == shard for i in range(COUNT)]


def test_the_map_has_two_consumers_in_each_shard(deployment: Deployment) -> None:
    assert sorted(c.shard for c in deployment.consumers) == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("n", range(2 * COUNT))
def test_every_secret_names_its_shard_and_is_read_there_alone(deployment: Deployment, n: int) -> None:
    d, c = deployment, deployment.consumers[n]
    assert token_shard(c.session) == token_shard(c.consent) == token_shard(c.code) == c.shard
    assert c.session.startswith(f"s{c.shard}.") and c.consent.startswith(f"{CONSENT_TOKEN_PREFIX}s{c.shard}.")

    with d.counted() as ran:
        status, body = d.me(c.session)
    assert (status, body["score"]) == (200, c.score)
    assert [k > 0 for k in ran] == only(c.shard), ran

    with d.counted() as ran:
        status, body = d.decide(c.consent)
    assert (status, body["score"]) == (200, c.score), body
    assert [k > 0 for k in ran] == only(c.shard), ran

    with d.counted() as ran:
        r = d.client.post(
            "/v1/me/consents",
            json={"merchant": "shop_x", "purpose": PRODUCT, "days": 5},
            headers={"Authorization": f"Bearer {c.session}"},
        )
    assert r.status_code == 201 and token_shard(r.json()["token"]) == c.shard
    assert [k > 0 for k in ran] == only(c.shard), ran

    code, verifier = _approve(d.client, c.session, f"st{n}")
    assert token_shard(code) == c.shard
    with d.counted() as ran:
        token = d.client.post(f"{HTTPS}/oauth/token", data=_token_form(code, verifier, d.api_key))
    assert token.status_code == 200, token.text
    access = token.json()["access_token"]
    assert token_shard(access) == c.shard and access.startswith(f"{CONSENT_TOKEN_PREFIX}s{c.shard}.")
    assert [k > 0 for k in ran] == only(c.shard), ran

    bearer = {"Authorization": f"Bearer {access}"}
    with d.counted() as ran:
        decided = d.client.post("/v1/decisions", json={"product": PRODUCT}, headers=bearer)
    assert (decided.status_code, decided.json()["score"]) == (200, c.score)
    assert [k > 0 for k in ran] == only(c.shard), ran

    revoke = {"token": access, "client_id": "shop_x", "client_secret": d.api_key}
    with d.counted() as ran:
        assert d.client.post(f"{HTTPS}/oauth/revoke", data=revoke).status_code == 200
    assert [k > 0 for k in ran] == only(c.shard), ran
    assert d.client.post("/v1/decisions", json={"product": PRODUCT}, headers=bearer).status_code == 403


def _remarked(token: str, mark: str) -> str:
    """``token`` with its shard mark replaced by ``mark`` ("" removes it), the random part kept."""
    prefix = CONSENT_TOKEN_PREFIX if token.startswith(CONSENT_TOKEN_PREFIX) else ""
    return prefix + mark + token[len(prefix) :].split(".", 1)[1]


MARKS = st.one_of(
    st.integers(0, 9999).map(lambda i: f"s{i}."),  # another shard, or one the map does not have
    st.just(""),  # the mark taken away: the text of a token before marks
    st.sampled_from(["s01.", "s-1.", "x1.", ".", "s1..", "S1.", "s10000."]),  # not a mark
)


def _unknown(d: Deployment, shape: str) -> dict[str, tuple[int, Any]]:
    """What each door answers to tokens nobody was given: one without a mark, one marked ``shape``."""
    consents = {"plain": new_token(CONSENT_TOKEN_PREFIX)}
    consents["shaped"] = _remarked(new_token(CONSENT_TOKEN_PREFIX, shard=0), shape)
    sessions = {"plain": new_token(), "shaped": _remarked(new_token(shard=0), shape)}
    return {f"decide {k}": d.decide(t) for k, t in consents.items()} | {
        f"me {k}": d.me(t) for k, t in sessions.items()
    }


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 2 * COUNT - 1), mark=MARKS)
def test_a_changed_mark_is_refused_like_an_unknown_token(deployment: Deployment, n: int, mark: str) -> None:
    d, c = deployment, deployment.consumers[n]
    if mark == f"s{c.shard}.":
        mark = f"s{(c.shard + 1) % COUNT}."
    unknown = _unknown(d, mark)
    consent, session, code = (_remarked(t, mark) for t in (c.consent, c.session, c.code))
    assert consent != c.consent and session != c.session and code != c.code

    with d.counted() as ran:
        decided = d.decide(consent)
    assert decided == unknown["decide plain"] == unknown["decide shaped"]
    assert decided[0] == 403 and decided[1]["error"]["field"] == "consent_token"
    me = d.me(session)
    assert me == unknown["me plain"] == unknown["me shaped"] and me[0] == 401
    named = token_shard(consent)
    if named is not None and named < COUNT:  # a shard of the map: looked for there alone
        assert [k > 0 for k in ran] == only(named), ran

    redeemed = d.client.post(f"{HTTPS}/oauth/token", data=_token_form(code, "v" * 43, d.api_key))
    never = d.client.post(
        f"{HTTPS}/oauth/token", data=_token_form(_remarked(new_token(shard=0), mark), "v" * 43, d.api_key)
    )
    assert (redeemed.status_code, redeemed.json()) == (never.status_code, never.json())
    assert redeemed.json()["error"] == "invalid_grant"
    revoked = d.client.post(
        f"{HTTPS}/oauth/revoke", data={"token": consent, "client_id": "shop_x", "client_secret": d.api_key}
    )
    assert revoked.status_code == 200

    answers = repr([decided, me, redeemed.text, revoked.text])
    for other in d.consumers:  # nothing of any consumer: no id, no score
        assert other.consumer_id not in answers and str(other.score) not in answers
    # the true tokens are untouched by it all: the consent is neither revoked nor used up
    assert d.decide(c.consent)[1]["score"] == c.score and d.me(c.session)[1]["score"] == c.score


def test_tokens_without_a_mark_are_still_found_shard_by_shard(deployment: Deployment) -> None:
    """Tokens issued before marks (the service functions without ``shard``, as every token was) work
    in every shard; finding them reads the shards in map order up to theirs."""
    d = deployment
    for c in d.consumers:
        engine = d.shards.engines[c.shard]
        with Session(engine, expire_on_commit=False) as s:
            user = s.scalars(select(User).where(User.username == c.username)).one()
            session, _ = open_session(s, user, 60)
            _, consent = grant_consent(s, c.consumer_id, "shop_x", PRODUCT, 30, default_catalogue(), 365)
            s.commit()
        assert token_shard(session) is None and token_shard(consent) is None and "." not in consent
        with d.counted() as ran:
            me = d.me(session)
        assert (me[0], me[1]["score"]) == (200, c.score)
        assert [k > 0 for k in ran] == [i <= c.shard for i in range(COUNT)], ran
        with d.counted() as ran:
            decided = d.decide(consent)
        assert (decided[0], decided[1]["score"]) == (200, c.score)
        assert [k > 0 for k in ran] == [i <= c.shard for i in range(COUNT)], ran


def test_one_database_issues_tokens_without_a_mark(world: World) -> None:
    alice = world.signed_in("alice")
    session = alice.headers["Authorization"].removeprefix("Bearer ")
    consent = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": PRODUCT}).json()["token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session)
    assert re.fullmatch(r"lct_[A-Za-z0-9_-]{43}", consent)
    assert token_shard(session) is None and token_shard(consent) is None


def test_one_shard_served_alone_takes_its_marked_tokens(deployment: Deployment) -> None:
    """``serve --db`` on one shard's database: a mark is just part of the token's text there."""
    c = next(c for c in deployment.consumers if c.shard == 1)
    url = read_shard_map(deployment.map_path).shards[1].url
    alone = create_app(Settings(db_url=url, secret_key="t"))
    with TestClient(alone) as client:
        r = client.post(
            "/v1/decisions",
            json={"consent_token": c.consent, "product": PRODUCT},
            headers={"X-API-Key": deployment.api_key},
        )
        assert (r.status_code, r.json()["score"]) == (200, c.score)
        assert client.get("/v1/me/score", headers={"Authorization": f"Bearer {c.session}"}).status_code == 200
