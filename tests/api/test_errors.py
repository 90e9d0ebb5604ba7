"""One JSON error envelope for every error, on every route (OAuth's endpoints excepted: they answer in OAuth's
formats); bad input is a 4xx with a message, never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.api._world import World, build_world


def assert_envelope(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "field"}
    assert error["status"] == status and error["code"] and error["message"]
    return dict(error)


def assert_oauth_error(response: Any, status: int) -> None:
    """/oauth/... answers in OAuth's own formats (issue 12): RFC 6749 section 5.2 JSON from the token and
    revocation endpoints, an HTML page (never a redirect) from the authorization endpoint."""
    assert response.status_code == status, response.text
    if response.headers["content-type"].startswith("text/html"):
        assert 'id="oauth-error"' in response.text
        return
    body = response.json()
    assert isinstance(body["error"], str) and set(body) <= {
        "error",
        "error_description",
        "error_uri",
        "state",
    }


def assert_error(path: str, response: Any, status: int) -> None:
    (assert_oauth_error if path.startswith("/oauth/") else assert_envelope)(response, status)


def test_unknown_path_and_wrong_method(world: World) -> None:
    e = assert_envelope(world.client().get("/v1/nothing-here"), 404)
    assert e["message"] == "no such page or endpoint: /v1/nothing-here"
    e = assert_envelope(world.client().put("/v1/decisions", json={}), 405)
    assert e["message"] == "method PUT is not allowed on /v1/decisions"


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        ('{"consent_token": "x", "product": ', "the body is not valid JSON", None),
        (
            '{"consent_token": "x", "product": "premium", "extra": 1}',
            "field extra: unknown field; remove it",
            "extra",
        ),
        (
            '{"consent_token": 5, "product": "premium"}',
            "field consent_token: Input should be a valid string",
            None,
        ),
        ('{"product": "premium"}', "field consent_token: Field required", "consent_token"),
        ("[1, 2]", "Input should be a valid dictionary", None),
    ],
)
def test_malformed_json_wrong_types_and_unknown_fields_are_422(
    world: World, body: str, message: str, field: str | None
) -> None:
    r = world.merchant("shop_x").post(
        "/v1/decisions", content=body, headers={"content-type": "application/json"}
    )
    e = assert_envelope(r, 422)
    assert message in e["message"]
    if field:
        assert e["field"] == field


def test_oversized_body_is_413(world: World) -> None:
    big = '{"consent_token": "' + "x" * (world.settings.max_body_bytes + 10) + '", "product": "premium"}'
    r = world.merchant("shop_x").post(
        "/v1/decisions", content=big, headers={"content-type": "application/json"}
    )
    e = assert_envelope(r, 413)
    assert e["message"] == f"the request body is larger than {world.settings.max_body_bytes} bytes"


def test_sign_in_is_rate_limited(tmp_path: Path) -> None:
    world = build_world(
        f"sqlite:///{tmp_path / 'limited.db'}"
    )  # its own, so the lock-out touches no other test
    client = world.client()
    for _ in range(world.settings.signin_max_failures):
        assert_envelope(client.post("/v1/session", json={"username": "bob", "password": "wrong"}), 401)
    e = assert_envelope(
        client.post("/v1/session", json={"username": "bob", "password": "bob-pass-5678"}), 429
    )
    assert e["message"].startswith("too many failed sign-ins; try again in ")
    # another username from the same client is not locked out
    assert (
        client.post("/v1/session", json={"username": "alice", "password": "alice-pass-1234"}).status_code
        == 200
    )


def all_routes(world: World) -> list[tuple[set[str], str]]:
    """(methods, path) of every route, whether added directly or through an included router."""
    found: list[tuple[set[str], str]] = []
    for route in world.app.routes:
        if isinstance(route, APIRoute):
            found.append((set(route.methods), route.path))
        elif hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                found.append((set(getattr(ctx.original_route, "methods", ())), ctx.path))
    return found


def _calls(world: World) -> list[tuple[str, str]]:
    calls = []
    for methods, template in all_routes(world):
        path = template.replace("{consent_id}", "999999").replace("{dispute_id}", "999999")
        path = path.replace("{model_id}", "no-such-model").replace("{name}", "nope.css")
        calls.extend((m, path) for m in methods if m != "HEAD")
    return calls


def test_every_route_answers_errors_in_the_envelope(world: World) -> None:
    """Anonymous calls, with a junk body, to every route: any 4xx must be the envelope."""
    calls = _calls(world)
    assert len(calls) > 30
    seen = set()
    for method, path in calls:
        r = world.client().request(
            method, path, content=b"{junk", headers={"content-type": "application/json"}
        )
        assert r.status_code < 500, (method, path, r.text)
        if r.status_code >= 400:
            assert_error(path, r, r.status_code)
            seen.add(r.status_code)
    assert {401, 404, 422} <= seen


def test_every_route_answers_errors_in_the_envelope_when_signed_in(world: World) -> None:
    for who in ("alice", "ann"):
        client = world.signed_in(who)
        for method, path in _calls(world):
            r = client.request(
                method, path, content=b'{"x": 1}', headers={"content-type": "application/json"}
            )
            assert r.status_code < 500, (who, method, path, r.text)
            if r.status_code >= 400:
                assert_error(path, r, r.status_code)


def test_nul_characters_are_refused_before_the_database(any_world: World) -> None:
    # PostgreSQL cannot store NUL in text, and a fuzzer found POST /v1/session with username "\u0000"
    # answering 500 there. Every channel now refuses it with a 422 naming the field, on both databases.
    world = any_world
    client = world.client()
    e = assert_envelope(client.post("/v1/session", json={"username": "\x00", "password": "x"}), 422)
    assert e["field"] == "username" and "NUL character" in e["message"]
    r = world.merchant("shop_x").post("/v1/decisions", json={"consent_token": "t\x00", "product": "x"})
    assert assert_envelope(r, 422)["field"] == "consent_token"
    e = assert_envelope(world.signed_in("ann").post("/v1/analyst/models/bad%00id/activate"), 422)
    assert e["field"] == "model_id"
    assert e["message"] == "model_id: must not contain the NUL character (\\u0000)"
    e = assert_envelope(client.post("/v1/ping", params={"q": "a\x00"}), 422)
    assert e["field"] == "q"
    browser = world.browser("alice")
    form = {"merchant": "shop_x\x00", "purpose": "deposit_free_rental", "csrf_token": "whatever"}
    e = assert_envelope(browser.post("/consents", data=form), 422)
    assert e["field"] == "merchant"
    # Ordinary text still works.
    assert client.post("/v1/session", json={"username": "nobody", "password": "x"}).status_code == 401


def test_lone_surrogates_are_refused_too(any_world: World) -> None:
    # Valid JSON ("\ud800" is a legal escape) that is not valid Unicode: no database can store it.
    r = any_world.client().post(
        "/v1/session",
        content='{"username": "a\\ud800", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    e = assert_envelope(r, 422)  # pydantic refuses it while parsing the JSON
    assert e["field"] == "username" and "unicode string" in e["message"]
    from lucidscore.api.schemas import text_problem

    assert text_problem("a\ud800") == "must be valid Unicode text (found a lone surrogate such as \\ud800)"
    assert text_problem("plain") is None
