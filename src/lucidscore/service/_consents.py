"""Consents (grant, list, revoke) and the access log a consumer reads ("who looked")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lucidscore.policy import BenefitCatalogue
from lucidscore.service._accounts import user_names
from lucidscore.service._common import aware, end_reads, now, take_write_lock
from lucidscore.service._errors import Invalid
from lucidscore.service._secrets import (
    CONSENT_TOKEN_PREFIX,
    digest,
    new_token,
)
from lucidscore.store.service import (
    AccessLog,
    Consent,
    User,
)


def consent_status(consent: Consent, at: datetime | None = None) -> str:
    return status_of(consent.expires_at, consent.revoked_at, at)


def status_of(expires_at: datetime, revoked_at: datetime | None, at: datetime | None = None) -> str:
    if revoked_at is not None:
        return "revoked"
    return "active" if aware(expires_at) > (at or now()) else "expired"


def grant_consent(
    session: Session,
    consumer_id: str,
    merchant_username: str,
    purpose: str,
    days: int,
    catalogue: BenefitCatalogue,
    max_days: int,
    *,
    shard: int | None = None,
) -> tuple[Consent, str]:
    """A consent of the consumer to the merchant for ``purpose`` and its token (shown once; kept as its
    digest); ``shard``: the shard this database is in a sharded service, marked in the token."""
    merchant = session.scalar(
        select(User).where(
            User.username == merchant_username, User.role == "merchant", User.revoked_at.is_(None)
        )
    )
    if merchant is None:
        raise Invalid(f"no merchant named {merchant_username!r}", field="merchant")
    if purpose not in catalogue.products:
        raise Invalid(f"purpose {purpose!r} is not one of {', '.join(catalogue.products)}", field="purpose")
    if days > max_days:
        raise Invalid(f"a consent lasts at most {max_days} days; got {days}", field="days")
    token = new_token(CONSENT_TOKEN_PREFIX, shard=shard)
    end_reads(session)
    consent = Consent(
        consumer_id=consumer_id,
        merchant_id=merchant.id,
        purpose=purpose,
        token_hash=digest(token),
        expires_at=now() + timedelta(days=days),
    )
    session.add(consent)
    session.flush()
    return consent, token


def consents_of(
    session: Session, consumer_id: str, *, limit: int | None = None, offset: int = 0
) -> Sequence[Consent]:
    """The consumer's consents, newest first; ``limit`` and ``offset`` page through them."""
    return session.scalars(
        select(Consent)
        .where(Consent.consumer_id == consumer_id)
        .order_by(Consent.created_at.desc(), Consent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def revoke_consent(session: Session, consent: Consent) -> Consent:
    """Revoke the consent (not committed); one already revoked keeps its moment of revocation.

    One conditional UPDATE, as a writer from its first statement: revokes at the same instant (a
    double tap, two tabs) wait for each other, and only the first sets the moment; each then reads back
    the stored one (they used to write their own moments over each other's)."""
    if consent.revoked_at is None:
        end_reads(session)
        take_write_lock(session.connection())
        session.execute(
            update(Consent)
            .where(Consent.id == consent.id, Consent.revoked_at.is_(None))
            .values(revoked_at=now())
            .execution_options(synchronize_session=False)
        )
        session.refresh(consent)
    return consent


def access_log_of(
    session: Session, consumer_id: str, *, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Who looked at the consumer's score, newest first; ``limit`` and ``offset`` page through it."""
    rows = session.scalars(
        select(AccessLog)
        .where(AccessLog.consumer_id == consumer_id)
        .order_by(AccessLog.at.desc(), AccessLog.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    names = user_names(session, {r.merchant_id for r in rows})
    return [
        {
            "merchant": names.get(r.merchant_id, "?"),
            "purpose": r.purpose,
            "at": aware(r.at),
            "result": r.result,
        }
        for r in rows
    ]
