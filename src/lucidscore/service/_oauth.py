"""OAuth 2.0 consent for merchants, without HTTP (issue 12): registered redirection URIs, authorization
codes (short-lived, single use, kept as SHA-256 digests) and the consent each one becomes.

The protocol itself (parameters, errors, PKCE) is Authlib's, run by ``lucidscore.api``; this module keeps
what it decides about: which merchant is a client and with which URIs, what a code stands for, and that a
code is redeemed at most once even when it is presented twice at the same moment.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lucidscore.service._accounts import merchant_for_key
from lucidscore.service._common import aware, end_reads, now
from lucidscore.service._errors import Conflict, Invalid, NotFound
from lucidscore.service._secrets import CONSENT_TOKEN_PREFIX, digest, new_token
from lucidscore.store.service import Consent, OAuthCode, OAuthRedirectUri, User

MAX_CODE_SECONDS = 600  # RFC 6749 section 4.1.2: "a maximum authorization code lifetime of 10 minutes"
MAX_URI_LENGTH = 500
_HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]+")  # a DNS name, IPv4, or IPv6 (unbracketed)


@dataclass(frozen=True)
class OAuthClient:
    """A merchant as an OAuth client: its ``client_id`` is its username; its secret, any of its API keys."""

    id: int
    client_id: str
    display_name: str
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class CodeGrant:
    """What an unexpired, unused authorization code stands for."""

    code_hash: str
    merchant_id: int
    consumer_id: str
    purpose: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    days: int
    max_decisions: int | None


def check_redirect_uri(uri: str) -> str:
    """``uri`` if a merchant may register it; ``Invalid`` otherwise.

    An absolute ``https`` URI, or ``http`` on the loopback interface (RFC 8252 section 7.3, for
    development); no fragment (RFC 6749 section 3.1.2), no user name or password, at most 500 characters.
    """
    if len(uri) > MAX_URI_LENGTH:
        raise Invalid(f"a redirect URI has at most {MAX_URI_LENGTH} characters; got {len(uri)}", field="uri")
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        raise Invalid(f"{uri!r} is not a URI", field="uri") from None
    if parts.scheme not in ("https", "http") or not host:
        raise Invalid(
            f"{uri!r} is not an absolute http(s) URI; expected https://host/path", field="uri"
        ) from None
    if not _HOST.fullmatch(host):
        raise Invalid(f"{uri!r}: the host {host!r} is not a host name or IP address", field="uri")
    if parts.scheme == "http" and not _loopback(host):
        raise Invalid(f"{uri!r}: use https (plain http only on localhost or 127.0.0.1)", field="uri")
    if parts.fragment or "#" in uri:
        raise Invalid(f"{uri!r} has a fragment (#...); a redirect URI may not", field="uri")
    if parts.username is not None or parts.password is not None:
        raise Invalid(f"{uri!r} carries a user name or password; a redirect URI may not", field="uri")
    if any(c.isspace() for c in uri):
        raise Invalid(f"{uri!r} contains white space", field="uri")
    return uri


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _merchant(session: Session, username: str) -> User:
    merchant = session.scalar(select(User).where(User.username == username, User.role == "merchant"))
    if merchant is None:
        raise NotFound(f"no merchant named {username!r}", field="merchant")
    return merchant


def add_redirect_uri(session: Session, merchant_username: str, uri: str) -> OAuthRedirectUri:
    """Register ``uri`` for the merchant; ``Conflict`` if it already is."""
    merchant = _merchant(session, merchant_username)
    check_redirect_uri(uri)
    if uri in redirect_uris_of(session, merchant_username):
        raise Conflict(f"{uri} is already registered for {merchant_username}", field="uri")
    row = OAuthRedirectUri(merchant_id=merchant.id, uri=uri)
    session.add(row)
    session.flush()
    return row


def redirect_uris_of(session: Session, merchant_username: str) -> list[str]:
    merchant = _merchant(session, merchant_username)
    return list(
        session.scalars(
            select(OAuthRedirectUri.uri)
            .where(OAuthRedirectUri.merchant_id == merchant.id)
            .order_by(OAuthRedirectUri.id)
        )
    )


def remove_redirect_uri(session: Session, merchant_username: str, uri: str) -> None:
    """Unregister ``uri``; codes already issued for it can still be redeemed until they expire."""
    merchant = _merchant(session, merchant_username)
    mine = OAuthRedirectUri.merchant_id == merchant.id
    row = session.scalar(select(OAuthRedirectUri).where(mine, OAuthRedirectUri.uri == uri))
    if row is None:
        raise NotFound(f"{uri} is not registered for {merchant_username}", field="uri")
    session.delete(row)
    session.flush()


def oauth_client(session: Session, client_id: str) -> OAuthClient | None:
    """The merchant named ``client_id`` as an OAuth client; None for anyone else."""
    merchant = session.scalar(select(User).where(User.username == client_id, User.role == "merchant"))
    if merchant is None:
        return None
    uris = session.scalars(
        select(OAuthRedirectUri.uri)
        .where(OAuthRedirectUri.merchant_id == merchant.id)
        .order_by(OAuthRedirectUri.id)
    ).all()
    return OAuthClient(merchant.id, merchant.username, merchant.display_name, tuple(uris))


def client_secret_matches(session: Session, client: OAuthClient, secret: str) -> bool:
    """Whether ``secret`` is one of the client's unrevoked API keys (compared by digest, in constant time)."""
    merchant = merchant_for_key(session, secret)
    return merchant is not None and merchant.id == client.id


def issue_code(
    session: Session,
    code: str,
    client: OAuthClient,
    consumer_id: str,
    purpose: str,
    redirect_uri: str,
    code_challenge: str,
    code_challenge_method: str,
    *,
    days: int,
    max_decisions: int | None,
    lifetime_seconds: int,
) -> None:
    """Store the authorization code ``code`` (a long random string, made by the protocol library) as its
    digest, valid ``lifetime_seconds``, for what the consumer approved."""
    if not 1 <= lifetime_seconds <= MAX_CODE_SECONDS:
        raise Invalid(f"a code lives 1 to {MAX_CODE_SECONDS} seconds; got {lifetime_seconds}")
    if redirect_uri not in client.redirect_uris:
        raise Invalid(f"{redirect_uri} is not registered for {client.client_id}", field="redirect_uri")
    if len(code) < 32:
        raise Invalid("an authorization code has at least 32 random characters", field="code")
    end_reads(session)
    session.add(
        OAuthCode(
            code_hash=digest(code),
            merchant_id=client.id,
            consumer_id=consumer_id,
            purpose=purpose,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            days=days,
            max_decisions=max_decisions,
            expires_at=now() + timedelta(seconds=lifetime_seconds),
        )
    )
    session.flush()


def find_code(session: Session, code: str, client: OAuthClient) -> CodeGrant | None:
    """The grant of ``code`` if the client may redeem it now: issued to this client, unexpired, unused.

    A code presented again after it was redeemed revokes the consent issued from it (RFC 6749 section
    4.1.2); the caller commits that revocation even though it refuses the request.
    """
    row = session.get(OAuthCode, digest(code))
    if row is None or row.merchant_id != client.id:
        return None
    if row.used_at is not None:
        end_reads(session)  # the revocation then begins its own transaction (SQLite: no read to upgrade)
        _revoke_issued(session, row)
        return None
    if aware(row.expires_at) <= now():
        return None
    return CodeGrant(
        row.code_hash,
        row.merchant_id,
        row.consumer_id,
        row.purpose,
        row.redirect_uri,
        row.code_challenge,
        row.code_challenge_method,
        row.days,
        row.max_decisions,
    )


def _revoke_issued(session: Session, row: OAuthCode) -> None:
    """Revoke the consent issued from the code of ``row``, if any, with one conditional UPDATE (on SQLite,
    call it holding the write lock or with no read before it in the transaction)."""
    if row.consent_id is None:
        return
    session.connection().execute(
        update(Consent)
        .where(Consent.id == row.consent_id, Consent.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def redeem_code(
    session: Session, grant: CodeGrant, *, at: datetime | None = None, shard: int | None = None
) -> tuple[Consent, str]:
    """Mark the code used and issue its consent token (``lct_...``, marked with ``shard`` when given: the
    shard this database is in a sharded service), or ``Conflict`` if it is used already.

    One conditional UPDATE claims the code: of two redemptions at once, exactly one sees its row change
    (SQLite has one writer at a time; PostgreSQL re-checks ``used_at`` once the first commits). The other
    revokes the consent the first was given, as for any reuse; the caller commits that.
    """
    moment = at or now()
    end_reads(session)
    claimed = (
        session.connection()
        .execute(
            update(OAuthCode)
            .where(
                OAuthCode.code_hash == grant.code_hash,
                OAuthCode.used_at.is_(None),
                OAuthCode.expires_at > moment,
            )
            .values(used_at=moment)
        )
        .rowcount
    )
    if claimed != 1:
        # Presented twice at once: the other redemption claimed it (and has committed, or this UPDATE would
        # still wait for its row lock), so this is a reuse too, and the token it got is revoked.
        row = session.scalars(
            select(OAuthCode)
            .where(OAuthCode.code_hash == grant.code_hash)
            .execution_options(populate_existing=True)
        ).first()
        if row is not None and row.used_at is not None:
            _revoke_issued(session, row)
        raise Conflict("the authorization code was used already or has expired", field="code")
    token = new_token(CONSENT_TOKEN_PREFIX, shard=shard)
    consent = Consent(
        consumer_id=grant.consumer_id,
        merchant_id=grant.merchant_id,
        purpose=grant.purpose,
        token_hash=digest(token),
        expires_at=moment + timedelta(days=grant.days),
        decisions_left=grant.max_decisions,
        issued_via="oauth",
    )
    session.add(consent)
    session.flush()
    session.connection().execute(
        update(OAuthCode).where(OAuthCode.code_hash == grant.code_hash).values(consent_id=consent.id)
    )
    return consent, token


def consent_by_token(session: Session, token: str) -> Consent | None:
    return session.scalar(select(Consent).where(Consent.token_hash == digest(token)))


def revoke_token_of(session: Session, client: OAuthClient, token: str) -> bool | None:
    """Revoke the consent whose token this is, if it is the client's (RFC 7009).

    True: revoked (or already revoked); None: no such token; False: another merchant's token (untouched).
    """
    consent = consent_by_token(session, token)
    if consent is None:
        return None
    if consent.merchant_id != client.id:
        return False
    if consent.revoked_at is None:
        consent.revoked_at = now()
        session.flush()
    return True


def codes_of(session: Session, consumer_id: str) -> Sequence[OAuthCode]:
    """The consumer's authorization codes, newest first (for tests and audits; never shown to merchants)."""
    return session.scalars(
        select(OAuthCode).where(OAuthCode.consumer_id == consumer_id).order_by(OAuthCode.created_at.desc())
    ).all()
