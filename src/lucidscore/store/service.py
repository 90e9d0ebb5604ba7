"""The score service's own tables: users, keys, sessions, consents, access log, scores, models, disputes.

They live on the shared ``lucidscore.store.Base`` and are created by the Alembic revision
``0002_service``. Consumers are named by the pseudonymous ``consumer_id`` of the raw records, without a
foreign key, so the service tables do not depend on how the raw tables are versioned.

Secrets are never stored: passwords as argon2 hashes, API keys, session and consent tokens as SHA-256
digests (they are long random strings, so a fast digest is enough and keeps a decision cheap).

``access_log``, ``score_history`` and ``dispute_events`` are append-only audit trails: the database refuses
UPDATE, DELETE, TRUNCATE and an INSERT that would replace a row (triggers of revisions ``0002_service`` and
``0003_audit_chain``), no code path issues one, and each row is chained to the one before it by a hash
(``lucidscore.store.AuditChained``; checked by ``lucidscore audit verify``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lucidscore.store._base import Base
from lucidscore.store._chain import AuditChained

Role = Literal["consumer", "merchant", "analyst"]
DisputeStatus = Literal["open", "accepted", "rejected"]

APPEND_ONLY_TABLES: tuple[str, ...] = ("access_log", "score_history", "dispute_events")


def utcnow() -> datetime:
    """Timezone-aware now; stored as UTC."""
    return datetime.now(UTC)


class User(Base):
    """A person or organisation that signs in: a consumer, a merchant or an analyst."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    consumer_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiKey(Base):
    """A merchant's API key: a public prefix to find it, the SHA-256 of the whole key to check it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebSession(Base):
    """A signed-in browser or API client; the cookie holds the token, the table its digest."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """A consumer's permission for one merchant to see their score for one purpose, until ``expires_at``."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_id: Mapped[str] = mapped_column(String(64), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AccessLog(AuditChained, Base):
    """Every decision call that named a consumer: who asked, why, when, and what came of it. Append-only."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_id: Mapped[str] = mapped_column(String(64), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    result: Mapped[str] = mapped_column(String(60))  # approved, declined, refused: <short why>
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(80), nullable=True)


class ScoreRecord(AuditChained, Base):
    """One score of one consumer by one model as of one date, with its explanation. Append-only."""

    __tablename__ = "score_history"
    __table_args__ = (Index("ix_score_history_consumer_model", "consumer_id", "model_id", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_id: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(80))
    as_of: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(40))
    probability: Mapped[float] = mapped_column(Float)
    segment: Mapped[str] = mapped_column(String(80))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelRecord(Base):
    """A scorecard artifact the service can score with; exactly one is active. Registered with
    ``lucidscore.service.register_model``, which signs it when given a model key."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(80), unique=True)
    content_hash: Mapped[str] = mapped_column(String(80))
    artifact_json: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Ed25519 signature (base64) of the model id and content hash, made at registration (revision 0004).
    signature: Mapped[str | None] = mapped_column(String(120), nullable=True)


class Dispute(Base):
    """A consumer contesting one of their records; an analyst accepts (correcting it) or rejects it."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_id: Mapped[str] = mapped_column(String(64), index=True)
    record_table: Mapped[str] = mapped_column(String(40))
    record_key: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DisputeEvent(AuditChained, Base):
    """The audit trail of a dispute: opened, accepted, corrected, rescored, rejected. Append-only."""

    __tablename__ = "dispute_events"
    __table_args__ = (UniqueConstraint("dispute_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


SERVICE_MODELS = (
    User,
    ApiKey,
    WebSession,
    Consent,
    AccessLog,
    ScoreRecord,
    ModelRecord,
    Dispute,
    DisputeEvent,
)


def service_tables() -> list[Any]:
    """The ``Table`` objects of the service, in creation order (parents first)."""
    return [m.__table__ for m in SERVICE_MODELS]
