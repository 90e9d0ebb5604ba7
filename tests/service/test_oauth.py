"""The OAuth domain without HTTP (issue 12), on SQLite and PostgreSQL: a code is redeemed at most once even
by concurrent sessions, a consent limited to n decisions gives at most n, and only URIs that cannot leak a
code to another site are registered."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from lucidscore.policy import default_catalogue
from lucidscore.service import (
    Conflict,
    Invalid,
    MerchantRef,
    Refused,
    add_redirect_uri,
    check_redirect_uri,
    consent_by_token,
    decide,
    find_code,
    issue_code,
    oauth_client,
    redeem_code,
)
from lucidscore.store import make_engine
from lucidscore.store.service import AccessLog, Consent
from tests.api._world import build_world

T = TypeVar("T")
CALLBACK = "https://shop-x.example/cb"


def _at_once(n: int, work: Callable[[int], T]) -> list[T | Exception]:
    """Run ``work(i)`` for i < n in n threads released together; results or the exceptions raised."""
    start = threading.Barrier(n)

    def run(i: int) -> T | Exception:
        start.wait()
        try:
            return work(i)
        except Exception as exc:  # collected: the test counts refusals
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def world_url(db_url: str) -> str:
    build_world(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s:
        add_redirect_uri(s, "shop_x", CALLBACK)
        s.commit()
    engine.dispose()
    return db_url


def _code(session: Session, code: str, *, max_decisions: int | None = 1, seconds: int = 60) -> None:
    client = oauth_client(session, "shop_x")
    assert client is not None
    issue_code(
        session,
        code,
        client,
        "C0001",
        "instant_credit_line",
        CALLBACK,
        "c" * 43,
        "S256",
        days=30,
        max_decisions=max_decisions,
        lifetime_seconds=seconds,
    )
    session.commit()


def test_concurrent_sessions_redeem_a_code_once(world_url: str) -> None:
    engine = make_engine(world_url)
    code = "k" * 48
    with Session(engine) as s:
        _code(s, code)
        client = oauth_client(s, "shop_x")
        assert client is not None
        grant = find_code(s, code, client)
    assert grant is not None

    def redeem(_: int) -> str:
        with Session(engine) as s:
            try:
                _, token = redeem_code(s, grant)
            except Conflict:
                s.commit()  # a refused redemption commits its revocation
                raise
            s.commit()
            return token

    results = _at_once(6, redeem)
    tokens = [r for r in results if isinstance(r, str)]
    assert len(tokens) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, str)), results
    with Session(engine) as s:
        consent = consent_by_token(s, tokens[0])
        assert consent is not None and consent.issued_via == "oauth" and consent.decisions_left == 1
        assert consent.revoked_at is not None  # the others were reuses
        assert s.scalars(select(Consent).where(Consent.issued_via == "oauth")).all() == [consent]
        assert find_code(s, code, client) is None
    engine.dispose()


def test_a_consent_for_n_decisions_gives_at_most_n_even_at_once(world_url: str) -> None:
    engine = make_engine(world_url)
    with Session(engine) as s:
        _code(s, "n" * 48, max_decisions=3)
        client = oauth_client(s, "shop_x")
        assert client is not None
        grant = find_code(s, "n" * 48, client)
        assert grant is not None
        _, token = redeem_code(s, grant)
        s.commit()
    lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    def decision(_: int) -> bool:
        with Session(engine) as s:
            return bool(decide(s, None, token, "instant_credit_line", default_catalogue(), lock)["approved"])

    results = _at_once(8, decision)
    assert sum(r is True for r in results) == 3
    assert all(isinstance(r, Refused) and "no more decisions" in str(r) for r in results if r is not True)
    with Session(engine) as s:
        log = s.scalars(select(AccessLog.result).where(AccessLog.merchant_id == client.id)).all()
        assert sorted(log) == ["approved"] * 3 + ["refused: used up"] * 5
        consent = consent_by_token(s, token)
        assert consent is not None and consent.decisions_left == 0
    engine.dispose()


def test_a_page_consent_is_no_bearer_and_has_no_limit(world_url: str) -> None:
    from lucidscore.service import UnknownSecret, grant_consent

    engine = make_engine(world_url)
    with Session(engine) as s:
        consent, token = grant_consent(s, "C0001", "shop_x", "premium", 5, default_catalogue(), 365)
        s.commit()
        assert consent.decisions_left is None and consent.issued_via == "page"
        with pytest.raises(UnknownSecret, match="not issued by /oauth/token"):
            decide(s, None, token, "premium", default_catalogue())
        merchant = MerchantRef(consent.merchant_id, "shop_x", "Shop X")
        for _ in range(3):
            assert decide(s, merchant, token, "premium", default_catalogue())["score"] == 655
    engine.dispose()


def test_an_expired_code_cannot_be_redeemed_even_with_its_grant(world_url: str) -> None:
    from datetime import timedelta

    from lucidscore.service import now

    engine = make_engine(world_url)
    with Session(engine) as s:
        _code(s, "e" * 48, seconds=1)
        client = oauth_client(s, "shop_x")
        assert client is not None
        grant = find_code(s, "e" * 48, client)
        assert grant is not None
        with pytest.raises(Conflict, match="used already or has expired"):
            redeem_code(s, grant, at=now() + timedelta(seconds=2))
    engine.dispose()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://shop.example/cb", "use https"),
        ("ftp://shop.example/cb", "not an absolute http"),
        ("/cb", "not an absolute http"),
        ("https:///cb", "not an absolute http"),
        ("https://shop.example/cb#x", "has a fragment"),
        ("https://shop.example/cb#", "has a fragment"),
        ("https://a:b@shop.example/cb", "user name or password"),
        ("https://shop.example/c b", "white space"),
        ("https://[::1/cb", "is not a URI"),
        ("https://shop.example:99999/cb", "is not a URI"),
        ("https://shop.example:x/cb", "is not a URI"),
        ("https://a;b.example/cb", "is not a host name or IP address"),
        ("https://a'b.example/cb", "is not a host name or IP address"),
        ("https://-shop.example/cb", "is not a host name or IP address"),
    ],
)
def test_uris_that_could_leak_a_code_are_refused(uri: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        check_redirect_uri(uri)


@given(
    host=st.from_regex(
        r"[a-z]([a-z0-9-]{0,18}[a-z0-9])?(\.[a-z]([a-z0-9-]{0,8}[a-z0-9])?){1,3}", fullmatch=True
    ),
    path=st.from_regex(r"(/[A-Za-z0-9._~-]{0,12}){0,4}", fullmatch=True),
    port=st.none() | st.integers(1, 65535),
)
def test_https_uris_are_accepted_as_written_and_plain_http_only_on_loopback(
    host: str, path: str, port: int | None
) -> None:
    netloc = host if port is None else f"{host}:{port}"
    assert check_redirect_uri(f"https://{netloc}{path}") == f"https://{netloc}{path}"
    loopback = host == "localhost"
    if loopback:
        assert check_redirect_uri(f"http://{netloc}{path}")
    else:
        with pytest.raises(Invalid, match="use https"):
            check_redirect_uri(f"http://{netloc}{path}")
    for ip in ("127.0.0.1", "127.9.9.9", "[::1]"):
        assert check_redirect_uri(f"http://{ip}{path}")
