"""Where a secret is: one indexed lookup each, which a service over several shards runs in each shard in
turn to find the one a request belongs to when the secret names no shard (``lucidscore.api``). An account
is found through the account directory instead (``_directory``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lucidscore.service._secrets import digest
from lucidscore.store.service import Consent, OAuthCode, WebSession


def holds_session(session: Session, token: str) -> bool:
    """Whether this database has the sign-in session ``token`` (valid or not)."""
    return session.get(WebSession, digest(token)) is not None


def holds_consent(session: Session, token: str) -> bool:
    """Whether this database has the consent whose token is ``token``."""
    return session.scalar(select(Consent.id).where(Consent.token_hash == digest(token))) is not None


def holds_code(session: Session, code: str) -> bool:
    """Whether this database has the OAuth authorization code ``code``."""
    return session.get(OAuthCode, digest(code)) is not None
