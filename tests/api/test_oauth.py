"""OAuth 2.0 consent for merchants (issue 12), driven end to end by a real OAuth client library (Authlib's
httpx ``OAuth2Client``) against the service running in uvicorn, on SQLite and on PostgreSQL.

The consumer's side is a plain HTTP client holding a session cookie: it opens the consent page the
merchant's authorization URL leads to and submits the form (with its CSRF token), as a browser would;
tests/api/test_oauth_browser.py does the same in Chromium.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lucidscore.service import add_redirect_uri, now
from lucidscore.store import make_engine
from lucidscore.store.service import AccessLog, Consent, OAuthCode
from tests.api._world import PASSWORDS, World, build_world
from tests.demo._server import running

CALLBACK_X = "http://127.0.0.1:9/shop-x/callback"
CALLBACK_Y = "https://shop-y.example/cb"
PRODUCT = "instant_credit_line"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def post_form(client: httpx.Client, url: str, pairs: list[tuple[str, str]]) -> httpx.Response:
    """POST form fields in order, repeated names included."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return client.post(url, content=urlencode(pairs), headers=headers)


@dataclass
class Flow:
    world: World
    base: str

    def merchant(self, name: str = "shop_x", secret: str | None = None, **kwargs: Any) -> OAuth2Client:
        """The merchant's OAuth client: client_id = its username, client_secret = its API key."""
        options: dict[str, Any] = {
            "redirect_uri": CALLBACK_X if name == "shop_x" else CALLBACK_Y,
            "scope": PRODUCT,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
        }
        return OAuth2Client(name, secret or self.world.api_keys[name], **(options | kwargs))

    @contextmanager
    def consumer(self, username: str = "alice") -> Iterator[httpx.Client]:
        """A consumer signed in with the session cookie, as a browser is."""
        with httpx.Client(base_url=self.base) as c:
            r = c.post("/v1/session", json={"username": username, "password": PASSWORDS[username]})
            assert r.status_code == 200, r.text
            yield c

    def authorize_url(self, client: OAuth2Client, verifier: str, **params: str) -> tuple[str, str]:
        url, state = client.create_authorization_url(
            self.base + "/oauth/authorize", code_verifier=verifier, **params
        )
        return url, state

    def answer(self, consumer: httpx.Client, url: str, decision: str = "approve") -> httpx.Response:
        """Open the consent page and submit it; the service's answer (a redirect, not followed)."""
        page = consumer.get(url)
        assert page.status_code == 200, page.text
        fields = [(n, html.unescape(v)) for n, v in HIDDEN.findall(page.text)]
        assert "csrf_token" in dict(fields)
        return post_form(consumer, "/oauth/authorize", [*fields, ("decision", decision)])

    def code_for(self, client: OAuth2Client, verifier: str, username: str = "alice") -> str:
        """Go through consent and return the redirect the merchant receives."""
        url, _ = self.authorize_url(client, verifier)
        with self.consumer(username) as consumer:
            r = self.answer(consumer, url)
        assert r.status_code == 302, r.text
        return r.headers["location"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def flow(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    """The world of tests/api on SQLite and on PostgreSQL, served by uvicorn. The tests fail codes and
    secrets on purpose many times from one address, so the guess throttle is set high here (tested on its
    own below)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('oauth') / 'service.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    any_world = build_world(url, guess_max_failures=10_000)
    engine = make_engine(any_world.db_url)
    with Session(engine) as s:
        add_redirect_uri(s, "shop_x", CALLBACK_X)
        add_redirect_uri(s, "shop_y", CALLBACK_Y)
        s.commit()
    engine.dispose()
    with running(any_world.app) as base:
        yield Flow(any_world, base)


def _verifier() -> str:
    return secrets.token_urlsafe(48)


def _db(flow: Flow) -> Session:
    return Session(make_engine(flow.world.db_url))


def test_a_merchant_gets_a_consent_token_and_makes_one_decision(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    url, state = flow.authorize_url(client, verifier)
    with flow.consumer() as consumer:
        page = consumer.get(url)
        assert "Shop X" in page.text and "Instant credit line" in page.text.replace("instant", "Instant")
        assert "never sees your records" in page.text
        # The consent page's form may lead to the merchant's origin, and nowhere else.
        csp = page.headers["content-security-policy"]
        assert "form-action 'self' http://127.0.0.1:9;" in csp and "script-src 'self';" in csp
        response = flow.answer(consumer, url)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(CALLBACK_X + "?")
    assert parse_qs(urlsplit(location).query)["state"] == [state]

    token = client.fetch_token(
        flow.base + "/oauth/token", authorization_response=location, code_verifier=verifier, state=state
    )
    assert token["access_token"].startswith("lct_") and token["token_type"] == "Bearer"
    assert token["scope"] == PRODUCT and token["decisions"] == 1
    assert 29 * 86_400 < token["expires_in"] <= 30 * 86_400

    decided = client.post(flow.base + "/v1/decisions", json={"product": PRODUCT})
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["score"] == 655 and body["approved"] is True
    # One decision per application: the next one is refused, and the consumer sees both attempts.
    again = client.post(flow.base + "/v1/decisions", json={"product": PRODUCT})
    assert again.status_code == 403 and "no more decisions" in again.json()["error"]["message"]
    with _db(flow) as s:
        results = s.scalars(
            select(AccessLog.result)
            .where(AccessLog.consumer_id == "C0001")
            .order_by(AccessLog.id.desc())
            .limit(2)
        ).all()
    assert results == ["refused: used up", "approved"]


def test_the_bearer_works_with_the_api_key_too_and_not_for_another_merchant(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    location = flow.code_for(client, verifier)
    token = client.fetch_token(
        flow.base + "/oauth/token", authorization_response=location, code_verifier=verifier
    )
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    with httpx.Client(base_url=flow.base) as plain:
        other = plain.post(
            "/v1/decisions",
            json={"product": PRODUCT},
            headers=bearer | {"X-API-Key": flow.world.api_keys["shop_y"]},
        )
        assert other.status_code == 403 and "another merchant" in other.json()["error"]["message"]
        # The body's token wins over the bearer (existing clients may send any Authorization header).
        body_wins = plain.post(
            "/v1/decisions",
            json={"product": PRODUCT, "consent_token": "lct_not-a-token"},
            headers=bearer | {"X-API-Key": flow.world.api_keys["shop_x"]},
        )
        assert (
            body_wins.status_code == 403
            and "no consent with this token" in body_wins.json()["error"]["message"]
        )
        no_key = plain.post(
            "/v1/decisions", json={"product": PRODUCT, "consent_token": token["access_token"]}
        )
        assert no_key.status_code == 401
        basic = plain.post(
            "/v1/decisions", json={"product": PRODUCT}, headers={"Authorization": "Basic eDp5"}
        )
        assert basic.status_code == 401 and basic.json()["error"]["field"] == "Authorization"
        wrong_purpose = plain.post("/v1/decisions", json={"product": "premium"}, headers=bearer)
        assert wrong_purpose.status_code == 403
        mine = plain.post(
            "/v1/decisions",
            json={"product": PRODUCT},
            headers=bearer | {"X-API-Key": flow.world.api_keys["shop_x"]},
        )
        assert mine.status_code == 200, mine.text


def test_page_granted_tokens_still_need_the_api_key(flow: Flow) -> None:
    """Existing clients keep working (X-API-Key + consent_token in the body, no decision limit), and a
    token the consumer copied from a page is not a bearer on its own."""
    with flow.consumer() as consumer:
        page = consumer.get("/consents")
        csrf = dict(HIDDEN.findall(page.text))["csrf_token"]
        r = consumer.post(
            "/consents", data={"csrf_token": csrf, "merchant": "shop_x", "purpose": PRODUCT, "days": "5"}
        )
    token = re.search(r'id="consent-token">([^<]+)<', r.text)
    assert token is not None
    with httpx.Client(base_url=flow.base) as plain:
        alone = plain.post(
            "/v1/decisions", json={"product": PRODUCT}, headers={"Authorization": f"Bearer {token[1]}"}
        )
        assert alone.status_code == 403 and "X-API-Key" in alone.json()["error"]["message"]
        for _ in range(3):
            keyed = plain.post(
                "/v1/decisions",
                json={"product": PRODUCT, "consent_token": token[1]},
                headers={"X-API-Key": flow.world.api_keys["shop_x"]},
            )
            assert keyed.status_code == 200, keyed.text


def test_deny_sends_access_denied_with_the_state(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    url, state = flow.authorize_url(client, verifier)
    with flow.consumer() as consumer:
        r = flow.answer(consumer, url, decision="deny")
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == [state] and "code" not in query


def test_a_visitor_signs_in_first_and_comes_back_to_the_consent(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    url, _ = flow.authorize_url(client, verifier)
    with httpx.Client(base_url=flow.base) as visitor:
        r = visitor.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=%2Foauth%2Fauthorize")
        form = visitor.get(r.headers["location"])
        fields = dict(HIDDEN.findall(form.text))
        assert html.unescape(fields["next"]).startswith("/oauth/authorize?")
        signed = visitor.post(
            "/signin",
            data={
                **{k: html.unescape(v) for k, v in fields.items()},
                "username": "bob",
                "password": PASSWORDS["bob"],
            },
        )
        assert signed.status_code == 303 and signed.headers["location"] == html.unescape(fields["next"])
        consent = visitor.get(signed.headers["location"])
        assert consent.status_code == 200 and "Share your score with Shop X" in consent.text


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_sign_in_never_sends_anyone_to_another_site(flow: Flow, target: str) -> None:
    with httpx.Client(base_url=flow.base) as visitor:
        form = visitor.get("/signin", params={"next": target})
        fields = {k: html.unescape(v) for k, v in HIDDEN.findall(form.text)}
        assert "next" not in fields
        fields["next"] = target
        signed = visitor.post("/signin", data=fields | {"username": "bob", "password": PASSWORDS["bob"]})
        assert signed.status_code == 303 and signed.headers["location"] == "/dashboard"


# Requests that must not be sent back to the client: the client or its redirect URI cannot be trusted.
NOT_REDIRECTED = {
    "unknown client": {"client_id": "nobody"},
    "no client": {"client_id": None},
    "a consumer as client": {"client_id": "alice"},
    "unregistered redirect_uri": {"redirect_uri": "https://evil.example/cb"},
    "redirect_uri with a trailing slash": {"redirect_uri": CALLBACK_X + "/"},
    "redirect_uri with an extra query": {"redirect_uri": CALLBACK_X + "?x=1"},
    "redirect_uri of another merchant": {"redirect_uri": CALLBACK_Y},
    "no redirect_uri": {"redirect_uri": None},
    "two redirect_uris": {"redirect_uri": [CALLBACK_X, CALLBACK_X]},
    "two states": {"state": ["a", "b"]},
    "two client_ids": {"client_id": ["shop_x", "shop_x"]},
}
# Requests from a known client to its registered URI: refused by sending the error back, with the state.
REDIRECTED = {
    "no code_challenge": ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
    "plain PKCE": ({"code_challenge_method": "plain"}, "invalid_request"),
    "no code_challenge_method": ({"code_challenge_method": None}, "invalid_request"),
    "short code_challenge": ({"code_challenge": "abc"}, "invalid_request"),
    "unknown scope": ({"scope": "employment"}, "invalid_scope"),
    "two scopes": ({"scope": "instant_credit_line premium"}, "invalid_scope"),
    "no scope": ({"scope": None}, "invalid_scope"),
    "implicit grant": ({"response_type": "token"}, "unsupported_response_type"),
    "no response_type": ({"response_type": None}, "unsupported_response_type"),
}


def _request(flow: Flow, changes: dict[str, Any]) -> str:
    params: dict[str, Any] = {
        "response_type": "code",
        "client_id": "shop_x",
        "redirect_uri": CALLBACK_X,
        "scope": PRODUCT,
        "state": "st-123",
        "code_challenge": create_s256_code_challenge(_verifier()),
        "code_challenge_method": "S256",
    } | changes
    pairs = [
        (k, v) for k, vs in params.items() if vs is not None for v in (vs if isinstance(vs, list) else [vs])
    ]
    return flow.base + "/oauth/authorize?" + urlencode(pairs)


@pytest.mark.parametrize("changes", NOT_REDIRECTED.values(), ids=NOT_REDIRECTED.keys())
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "consumer"])
def test_untrusted_requests_show_an_error_page_and_never_redirect(
    flow: Flow, changes: dict[str, Any], signed_in: bool
) -> None:
    opened: AbstractContextManager[httpx.Client] = (
        flow.consumer() if signed_in else httpx.Client(base_url=flow.base)
    )
    with opened as client:
        r = client.get(_request(flow, changes))
    assert r.status_code == 400 and "location" not in r.headers
    assert r.headers["content-type"].startswith("text/html") and 'id="oauth-error"' in r.text


@pytest.mark.parametrize(("changes", "error"), REDIRECTED.values(), ids=REDIRECTED.keys())
def test_bad_requests_of_a_known_client_go_back_with_the_error(
    flow: Flow, changes: dict[str, Any], error: str
) -> None:
    with flow.consumer() as consumer:
        r = consumer.get(_request(flow, changes))
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(CALLBACK_X + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == [error] and "code" not in query
    if "state" not in changes:
        assert query["state"] == ["st-123"]


def test_the_request_cannot_answer_for_the_consumer(flow: Flow) -> None:
    """Form fields a merchant puts in its request change nothing: the consumer's click decides."""
    client, verifier = flow.merchant(), _verifier()
    url, _ = flow.authorize_url(client, verifier, decision="approve", csrf_token="0" * 64)
    with flow.consumer() as consumer:
        page = consumer.get(url)
        names = [n for n, _ in HIDDEN.findall(page.text)]
        assert (
            names.count("csrf_token") == 2 and "decision" not in names
        )  # the sign-out form's and this one's
        r = flow.answer(consumer, url, decision="deny")
    assert r.status_code == 302 and "error=access_denied" in r.headers["location"]


def test_the_consent_form_needs_its_csrf_token_and_a_session(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    url, _ = flow.authorize_url(client, verifier)
    with flow.consumer() as consumer:
        page = consumer.get(url)
        fields = [(n, html.unescape(v)) for n, v in HIDDEN.findall(page.text) if n != "csrf_token"]
        forged = post_form(
            consumer, "/oauth/authorize", [*fields, ("csrf_token", "0" * 64), ("decision", "approve")]
        )
        assert forged.status_code == 403 and "location" not in forged.headers
    with httpx.Client(base_url=flow.base) as stranger:
        r = post_form(stranger, "/oauth/authorize", [*fields, ("decision", "approve")])
        assert r.status_code == 401 and "location" not in r.headers


def _token_error(client: OAuth2Client, flow: Flow, **kwargs: Any) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        client.fetch_token(flow.base + "/oauth/token", **kwargs)
    return caught.value


def test_a_reused_code_is_refused_and_revokes_the_token_it_gave(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    location = flow.code_for(client, verifier)
    token = client.fetch_token(
        flow.base + "/oauth/token", authorization_response=location, code_verifier=verifier
    )
    assert token["access_token"].startswith("lct_")
    again = _token_error(client, flow, authorization_response=location, code_verifier=verifier)
    assert again.error == "invalid_grant"
    r = client.post(flow.base + "/v1/decisions", json={"product": PRODUCT})  # with the first token
    assert r.status_code == 403 and "revoked" in r.json()["error"]["message"]


def test_an_expired_code_is_refused(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    location = flow.code_for(client, verifier)
    with _db(flow) as s:
        s.execute(
            update(OAuthCode)
            .where(OAuthCode.used_at.is_(None))
            .values(expires_at=now() - timedelta(seconds=1))
        )
        s.commit()
    assert (
        _token_error(client, flow, authorization_response=location, code_verifier=verifier).error
        == "invalid_grant"
    )


def test_a_wrong_verifier_a_wrong_redirect_uri_or_another_clients_code_is_refused(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    location = flow.code_for(client, verifier)
    kwargs = {"authorization_response": location}
    assert _token_error(client, flow, code_verifier=_verifier(), **kwargs).error == "invalid_grant"
    assert _token_error(client, flow, **kwargs).error == "invalid_request"  # no verifier
    wrong_uri = flow.merchant(redirect_uri=CALLBACK_X + "/other")
    assert _token_error(wrong_uri, flow, code_verifier=verifier, **kwargs).error == "invalid_grant"
    other = flow.merchant("shop_y")
    assert _token_error(other, flow, code_verifier=verifier, **kwargs).error == "invalid_grant"
    wrong_key = flow.merchant(secret=flow.world.api_keys["shop_y"])
    error = _token_error(wrong_key, flow, code_verifier=verifier, **kwargs)
    assert error.error == "invalid_client"
    # None of those used the code up: the right client with the right verifier still gets its token.
    token = client.fetch_token(flow.base + "/oauth/token", code_verifier=verifier, **kwargs)
    assert token["access_token"].startswith("lct_")


def test_client_secret_post_works_too(flow: Flow) -> None:
    client, verifier = flow.merchant(token_endpoint_auth_method="client_secret_post"), _verifier()
    location = flow.code_for(client, verifier)
    token = client.fetch_token(
        flow.base + "/oauth/token", authorization_response=location, code_verifier=verifier
    )
    assert token["access_token"].startswith("lct_")


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        (
            {"grant_type": "password", "username": "alice", "password": "x"},
            True,
            400,
            "unsupported_grant_type",
        ),
        ({"grant_type": "client_credentials"}, True, 400, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "redirect_uri": CALLBACK_X}, True, 400, "invalid_request"),
        (
            {"grant_type": "authorization_code", "code": "x" * 48, "redirect_uri": CALLBACK_X},
            False,
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "authorization_code", "code": "x" * 48, "redirect_uri": CALLBACK_X},
            True,
            400,
            "invalid_grant",
        ),
    ],
    ids=["password grant", "client credentials", "no code", "no client authentication", "unknown code"],
)
def test_token_requests_get_standard_error_json(
    flow: Flow, form: dict[str, str], auth: bool, status: int, error: str
) -> None:
    basic = ("shop_x", flow.world.api_keys["shop_x"]) if auth else None
    with httpx.Client(base_url=flow.base) as plain:
        r = plain.post("/oauth/token", data=form | {"code_verifier": _verifier()}, auth=basic)
    assert r.status_code == status and r.json()["error"] == error
    assert r.headers["cache-control"] == "no-store"


def test_a_wrong_client_secret_is_a_401_with_basic(flow: Flow) -> None:
    with httpx.Client(base_url=flow.base) as plain:
        r = plain.post(
            "/oauth/token",
            data={"grant_type": "authorization_code", "code": "x" * 48, "redirect_uri": CALLBACK_X},
            auth=("shop_x", "lsk_000000000000_wrong"),
        )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_concurrent_redemptions_of_one_code_give_at_most_one_token(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    location = flow.code_for(client, verifier)
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK_X,
        "code_verifier": verifier,
    }
    start = threading.Barrier(6)

    def redeem(_: int) -> httpx.Response:
        with httpx.Client(base_url=flow.base) as plain:
            start.wait()
            return plain.post("/oauth/token", data=form, auth=("shop_x", flow.world.api_keys["shop_x"]))

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(redeem, range(6)))
    granted = [r for r in responses if r.status_code == 200]
    assert len(granted) == 1  # the code was valid: one of them gets it
    # The others were reuses of the code: the token it gave is revoked.
    r = httpx.post(
        flow.base + "/v1/decisions",
        json={"product": PRODUCT},
        headers={"Authorization": f"Bearer {granted[0].json()['access_token']}"},
    )
    assert r.status_code == 403 and "revoked" in r.json()["error"]["message"]
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r.status_code != 200)
    with _db(flow) as s:
        issued = s.scalars(select(OAuthCode.consent_id).where(OAuthCode.consent_id.is_not(None))).all()
        assert len(issued) == len(set(issued))  # one consent per code, never two
        row = s.get(OAuthCode, hashlib.sha256(code.encode()).hexdigest())  # codes are kept as digests
        assert row is not None and row.used_at is not None
        consents = s.scalars(select(Consent).where(Consent.id == row.consent_id)).all()
        assert len(consents) == len(granted)


def test_revocation_rfc7009(flow: Flow) -> None:
    client, verifier = flow.merchant(), _verifier()
    location = flow.code_for(client, verifier)
    token = client.fetch_token(
        flow.base + "/oauth/token", authorization_response=location, code_verifier=verifier
    )
    # Another merchant cannot revoke it.
    other = flow.merchant("shop_y")
    refused = other.revoke_token(flow.base + "/oauth/revoke", token=token["access_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    # An unknown token: 200, nothing happens (RFC 7009 section 2.2).
    assert client.revoke_token(flow.base + "/oauth/revoke", token="lct_unknown").status_code == 200
    done = client.revoke_token(flow.base + "/oauth/revoke", token=token["access_token"])
    assert done.status_code == 200
    r = client.post(flow.base + "/v1/decisions", json={"product": PRODUCT})
    assert r.status_code == 403 and "revoked" in r.json()["error"]["message"]
    with httpx.Client(base_url=flow.base) as plain:
        unauthenticated = plain.post("/oauth/revoke", data={"token": token["access_token"]})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"] == "invalid_client"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    verifier=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~",
        min_size=43,
        max_size=128,
    )
)
def test_any_other_verifier_is_refused(flow: Flow, verifier: str) -> None:
    """PKCE: whatever verifier someone who took the code tries, only the one behind the challenge works."""
    right = _verifier()
    assume(verifier != right)
    client = flow.merchant()
    location = flow.code_for(client, right)
    error = _token_error(client, flow, authorization_response=location, code_verifier=verifier)
    assert error.error == "invalid_grant"


def test_token_guessing_is_throttled(world: World) -> None:
    """Wrong client secrets and unknown codes count as guesses, like wrong API keys: 429 past the limit."""
    limit = world.settings.guess_max_failures
    form = {"grant_type": "authorization_code", "code": "y" * 48, "redirect_uri": CALLBACK_Y}
    with TestClient(world.app, base_url="http://testserver") as insecure:
        # Plain http (other than to this machine) is refused outright: OAuth needs TLS.
        r = insecure.post("/oauth/token", data=form, auth=("shop_x", world.api_keys["shop_x"]))
        assert r.status_code == 400 and r.json()["error"] == "insecure_transport"
    with TestClient(world.app, base_url="https://testserver") as plain:
        statuses = [
            plain.post("/oauth/token", data=form, auth=("shop_y", "lsk_000000000000_wrong")).status_code
            for _ in range(limit + 1)
        ]
    assert statuses[:limit] == [401] * limit and statuses[-1] == 429
