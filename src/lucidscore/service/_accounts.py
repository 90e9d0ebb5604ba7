"""Users, merchant API keys and sign-in sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from lucidscore.service._common import aware, now
from lucidscore.service._directory import list_account
from lucidscore.service._secrets import (
    api_key_prefix,
    digest,
    hash_password,
    new_api_key,
    new_token,
    same_secret,
    verify_password,
)
from lucidscore.store.service import (
    ApiKey,
    User,
    WebSession,
)


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    consumer_id: str | None = None,
    listed: bool = True,
) -> User:
    """Add an account. ``listed``: list it in this database's account directory in the same transaction
    (as shard 0, confirmed, ``_directory``); False when a sharded command claimed its username in shard 0
    before."""
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        password_hash=hash_password(password),
        consumer_id=consumer_id,
    )
    session.add(user)
    if listed:  # committed with the account: confirmed
        list_account(session, username, 0, consumer_id, confirmed=True)
    session.flush()
    return user


def create_api_key(session: Session, merchant: User) -> str:
    """A new key for ``merchant``; the plain key is returned once and only its digest is kept."""
    key, prefix = new_api_key()
    session.add(ApiKey(merchant_id=merchant.id, prefix=prefix, key_hash=digest(key)))
    session.flush()
    return key


@dataclass(frozen=True)
class MerchantRef:
    """The merchant behind an API key: just what a decision needs."""

    id: int
    username: str
    display_name: str


@cache
def _key_statement() -> Executable:
    return (
        select(ApiKey.key_hash, ApiKey.revoked_at, User.id, User.username, User.display_name)
        .join(User, User.id == ApiKey.merchant_id)
        .where(ApiKey.prefix == bindparam("prefix"), User.revoked_at.is_(None))
    )


def merchant_for_key(session: Session, key: str) -> MerchantRef | None:
    """The merchant whose (unrevoked) API key this is; None otherwise. Core SQL: it is on the hot path."""
    prefix = api_key_prefix(key)
    if prefix is None:
        return None
    row = session.connection().execute(_key_statement(), {"prefix": prefix}).first()
    if row is None or row.revoked_at is not None or not same_secret(row.key_hash, digest(key)):
        return None
    return MerchantRef(row.id, row.username, row.display_name)


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.role == "merchant" or user.revoked_at is not None:
        # Spend the same time as a real check so response times do not reveal which usernames exist.
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None


@cache
def _dummy_hash() -> str:
    """A real argon2 hash to verify against when the username is unknown (computed on first use)."""
    return hash_password("not a real password")


def open_session(
    session: Session, user: User, minutes: int, *, shard: int | None = None
) -> tuple[str, datetime]:
    """A sign-in session for ``user`` (its token, shown once, and when it ends); ``shard``: the shard this
    database is in a sharded service, marked in the token (``_secrets``)."""
    token = new_token(shard=shard)
    expires = now() + timedelta(minutes=minutes)
    session.add(WebSession(token_hash=digest(token), user_id=user.id, expires_at=expires))
    session.flush()
    return token, expires


def user_for_session(session: Session, token: str) -> User | None:
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == digest(token))
    ).first()
    if row is None:
        return None
    web_session, user = row
    return user if aware(web_session.expires_at) > now() and user.revoked_at is None else None


def close_session(session: Session, token: str) -> None:
    web_session = session.get(WebSession, digest(token))
    if web_session is not None:
        session.delete(web_session)


def merchants(session: Session) -> Sequence[User]:
    """The merchants a consumer can grant a consent to (revoked ones are left out)."""
    return session.scalars(
        select(User).where(User.role == "merchant", User.revoked_at.is_(None)).order_by(User.username)
    ).all()


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {i: n for i, n in rows}
