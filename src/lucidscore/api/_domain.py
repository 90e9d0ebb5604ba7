"""What the service does, independent of HTTP: accounts, sessions, consents, decisions, disputes, models.

Each function takes an open SQLAlchemy ``Session`` and leaves committing to the caller, except where a
record must survive the error that follows it (a refused decision is logged, then refused).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from lucidscore.api._errors import ApiError
from lucidscore.api._security import (
    CONSENT_TOKEN_PREFIX,
    api_key_prefix,
    digest,
    hash_password,
    new_api_key,
    new_token,
    same_secret,
    verify_password,
)
from lucidscore.policy import BenefitCatalogue
from lucidscore.store.service import (
    AccessLog,
    ApiKey,
    Consent,
    Dispute,
    DisputeEvent,
    ModelRecord,
    ScoreRecord,
    User,
    WebSession,
)

# Records a consumer can see and contest: table -> natural key columns (records.py).
RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "consumers": ("consumer_id",),
    "accounts": ("account_id",),
    "statements": ("account_id", "period"),
    "inquiries": ("consumer_id", "at", "merchant_id"),
    "public_records": ("record_id",),
    "income": ("consumer_id", "period"),
}


def end_reads(session: Session) -> None:
    """End the current (read-only) transaction before a write; objects stay loaded (expire_on_commit off)."""
    session.commit()


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---- users, keys, sessions ----------------------------------------------------------------------


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    consumer_id: str | None = None,
) -> User:
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        password_hash=hash_password(password),
        consumer_id=consumer_id,
    )
    session.add(user)
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
        .where(ApiKey.prefix == bindparam("prefix"))
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
    if user is None or user.role == "merchant":
        # Spend the same time as a real check so response times do not reveal which usernames exist.
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None


@cache
def _dummy_hash() -> str:
    """A real argon2 hash to verify against when the username is unknown (computed on first use)."""
    return hash_password("not a real password")


def open_session(session: Session, user: User, minutes: int) -> tuple[str, datetime]:
    token = new_token()
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
    return user if aware(web_session.expires_at) > now() else None


def close_session(session: Session, token: str) -> None:
    web_session = session.get(WebSession, digest(token))
    if web_session is not None:
        session.delete(web_session)


def merchants(session: Session) -> Sequence[User]:
    return session.scalars(select(User).where(User.role == "merchant").order_by(User.username)).all()


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {i: n for i, n in rows}


# ---- consents -----------------------------------------------------------------------------------


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
) -> tuple[Consent, str]:
    merchant = session.scalar(select(User).where(User.username == merchant_username, User.role == "merchant"))
    if merchant is None:
        raise ApiError(422, f"no merchant named {merchant_username!r}", field="merchant")
    if purpose not in catalogue.products:
        raise ApiError(
            422, f"purpose {purpose!r} is not one of {', '.join(catalogue.products)}", field="purpose"
        )
    if days > max_days:
        raise ApiError(422, f"a consent lasts at most {max_days} days; got {days}", field="days")
    token = new_token(CONSENT_TOKEN_PREFIX)
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


def consents_of(session: Session, consumer_id: str) -> Sequence[Consent]:
    return session.scalars(
        select(Consent)
        .where(Consent.consumer_id == consumer_id)
        .order_by(Consent.created_at.desc(), Consent.id.desc())
    ).all()


def revoke_consent(session: Session, consent: Consent) -> Consent:
    if consent.revoked_at is None:
        consent.revoked_at = now()
        session.flush()
    return consent


# ---- scores and models --------------------------------------------------------------------------


def active_model(session: Session) -> ModelRecord | None:
    return session.scalar(select(ModelRecord).where(ModelRecord.active.is_(True)))


def latest_score(session: Session, consumer_id: str, model_id: str) -> ScoreRecord | None:
    return session.scalar(
        select(ScoreRecord)
        .where(ScoreRecord.consumer_id == consumer_id, ScoreRecord.model_id == model_id)
        .order_by(ScoreRecord.as_of.desc(), ScoreRecord.id.desc())
        .limit(1)
    )


def current_score(session: Session, consumer_id: str) -> ScoreRecord | None:
    """The newest score from the active model (or from any model when none is active)."""
    model = active_model(session)
    if model is not None:
        return latest_score(session, consumer_id, model.model_id)
    return session.scalar(
        select(ScoreRecord)
        .where(ScoreRecord.consumer_id == consumer_id)
        .order_by(ScoreRecord.as_of.desc(), ScoreRecord.id.desc())
        .limit(1)
    )


def score_history(session: Session, consumer_id: str) -> Sequence[ScoreRecord]:
    return session.scalars(
        select(ScoreRecord)
        .where(ScoreRecord.consumer_id == consumer_id)
        .order_by(ScoreRecord.as_of, ScoreRecord.id)
    ).all()


def models(session: Session) -> Sequence[ModelRecord]:
    return session.scalars(select(ModelRecord).order_by(ModelRecord.created_at, ModelRecord.id)).all()


def activate_model(session: Session, model_id: str) -> ModelRecord:
    model = session.scalar(select(ModelRecord).where(ModelRecord.model_id == model_id))
    if model is None:
        raise ApiError(404, f"no model {model_id!r}; GET /v1/analyst/models lists them", field="model_id")
    for other in session.scalars(select(ModelRecord).where(ModelRecord.active.is_(True))):
        other.active = False
    session.flush()
    model.active = True
    session.flush()
    return model


def score_distribution(session: Session, model_id: str, width: int = 25) -> dict[str, Any]:
    """Histogram of every consumer's newest score from ``model_id``."""
    newest = (
        select(ScoreRecord.consumer_id, func.max(ScoreRecord.id).label("id"))
        .where(ScoreRecord.model_id == model_id)
        .group_by(ScoreRecord.consumer_id)
        .subquery()
    )
    rows = session.execute(
        select(ScoreRecord.score, ScoreRecord.tier).join(newest, newest.c.id == ScoreRecord.id)
    ).all()
    edges = list(range(350, 950 + width, width))
    counts = [0] * (len(edges) - 1)
    tiers: dict[str, int] = {}
    lowest: dict[str, int] = {}
    for score, tier in rows:
        counts[min((score - 350) // width, len(counts) - 1)] += 1
        tiers[tier] = tiers.get(tier, 0) + 1
        lowest[tier] = min(score, lowest.get(tier, score))
    tiers = {t: tiers[t] for t in sorted(tiers, key=lowest.__getitem__)}  # from the lowest scores up
    return {
        "model_id": model_id,
        "consumers": len(rows),
        "bin_edges": edges,
        "counts": counts,
        "tiers": tiers,
    }


# ---- decisions ----------------------------------------------------------------------------------


def access_log_of(session: Session, consumer_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AccessLog)
        .where(AccessLog.consumer_id == consumer_id)
        .order_by(AccessLog.at.desc(), AccessLog.id.desc())
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


# ---- records ------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def records_of(session: Session, consumer_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every current record held about the consumer, from the store's ``<table>_current`` views."""
    out: dict[str, list[dict[str, Any]]] = {}
    queries = {
        "consumer": "SELECT * FROM consumers_current WHERE consumer_id = :c",
        "accounts": "SELECT * FROM accounts_current WHERE consumer_id = :c ORDER BY opened, account_id",
        "statements": (
            "SELECT s.* FROM statements_current s JOIN accounts_current a ON a.account_id = s.account_id "
            "WHERE a.consumer_id = :c ORDER BY s.account_id, s.period"
        ),
        "inquiries": "SELECT * FROM inquiries_current WHERE consumer_id = :c ORDER BY at",
        "public_records": "SELECT * FROM public_records_current WHERE consumer_id = :c ORDER BY filed",
        "income": "SELECT * FROM income_current WHERE consumer_id = :c ORDER BY period",
    }
    for name, sql in queries.items():
        result = session.execute(text(sql), {"c": consumer_id})
        out[name] = [{k: _jsonable(v) for k, v in row.items()} for row in result.mappings()]
    return out


def record_exists(session: Session, consumer_id: str, table: str, key: str) -> bool:
    """Whether ``key`` (parts joined by '|') names a current record of this consumer in ``table``."""
    columns = RECORD_KEYS[table]
    parts = key.split("|")
    if len(parts) != len(columns):
        raise ApiError(
            422,
            f"record_key for {table} has {len(parts)} part(s); expected {len(columns)}: {'|'.join(columns)}",
            field="record_key",
        )
    where = " AND ".join(f"CAST(t.{c} AS TEXT) = :k{i}" for i, c in enumerate(columns))
    params: dict[str, Any] = {f"k{i}": p for i, p in enumerate(parts)} | {"c": consumer_id}
    if table == "statements":
        sql = (
            "SELECT 1 FROM statements_current t JOIN accounts_current a ON a.account_id = t.account_id "
            f"WHERE a.consumer_id = :c AND {where}"
        )
    else:
        sql = f"SELECT 1 FROM {table}_current t WHERE t.consumer_id = :c AND {where}"
    return session.execute(text(sql), params).first() is not None


# ---- disputes -----------------------------------------------------------------------------------


def add_event(session: Session, dispute: Dispute, actor: User, action: str, detail: dict[str, Any]) -> None:
    seq = session.scalar(
        select(func.count()).select_from(DisputeEvent).where(DisputeEvent.dispute_id == dispute.id)
    )
    session.add(
        DisputeEvent(
            dispute_id=dispute.id, seq=(seq or 0) + 1, actor_id=actor.id, action=action, detail=detail
        )
    )
    session.flush()


def open_dispute(session: Session, consumer: User, table: str, key: str, reason: str) -> Dispute:
    assert consumer.consumer_id is not None
    if not record_exists(session, consumer.consumer_id, table, key):
        raise ApiError(
            404, f"you have no current {table} record with key {key!r}; see /v1/me/data", field="record_key"
        )
    dispute = Dispute(consumer_id=consumer.consumer_id, record_table=table, record_key=key, reason=reason)
    session.add(dispute)
    session.flush()
    add_event(session, dispute, consumer, "opened", {"reason": reason})
    return dispute


def disputes_of(
    session: Session, consumer_id: str | None = None, status: str | None = None
) -> Sequence[Dispute]:
    query = select(Dispute).order_by(Dispute.created_at, Dispute.id)
    if consumer_id is not None:
        query = query.where(Dispute.consumer_id == consumer_id)
    if status is not None:
        query = query.where(Dispute.status == status)
    return session.scalars(query).all()


def events_of(session: Session, dispute: Dispute) -> Sequence[DisputeEvent]:
    return session.scalars(
        select(DisputeEvent).where(DisputeEvent.dispute_id == dispute.id).order_by(DisputeEvent.seq)
    ).all()


def resolve_dispute(
    session: Session, dispute: Dispute, analyst: User, status: str, resolution: str
) -> Dispute:
    if dispute.status != "open":
        raise ApiError(409, f"dispute {dispute.id} is already {dispute.status}")
    dispute.status = status
    dispute.resolution = resolution
    dispute.resolved_at = now()
    session.flush()
    add_event(session, dispute, analyst, status, {"resolution": resolution})
    return dispute
