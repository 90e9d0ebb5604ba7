"""The score service's own tables: users, keys, sessions, consents, access log, scores, models, disputes,
benefit catalogue versions and month publications.

They live on the shared ``lucidscore.store.Base`` and are created by the Alembic revisions
``0002_service`` and ``0006_catalogue`` (catalogue versions, publications, and nullable columns on users,
models, access_log and score_history). Consumers are named by the pseudonymous ``consumer_id`` of the
raw records, without a foreign key, so the service tables do not depend on how the raw tables are
versioned.

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
    text,
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
    # Set when an operator revokes the account: it can no longer sign in, and a merchant's keys stop working.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AccountDirectory(Base):
    """Which shard holds the account a username names (revisions ``0013_account_directory``,
    ``0014_claim_confirmation``).

    Shard 0's table is the deployment's directory: one row per account of every shard, written before or
    with the account (``lucidscore.service.claim_username``), so a username is unique across the
    deployment and sign-in reads the shard here instead of asking every shard. Merchants and analysts,
    whose rows every shard holds, are listed as shard 0. In any other shard the table only holds accounts
    made there outside a sharded command (or before the revision), until they are gathered into shard 0's
    (``lucidscore.service.gather_directory``). One database lists its own accounts, as shard 0.
    """

    __tablename__ = "account_directory"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    shard_index: Mapped[int] = mapped_column(Integer)
    consumer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: merchant, analyst
    listed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Revision 0014: when the account was known to be committed in the shard named (NULL: not yet; a claim
    # whose account may be missing). Only the unconfirmed listings are indexed: ``shards status`` reads those.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        Index(
            "ix_account_directory_unconfirmed",
            "username",
            sqlite_where=text("confirmed_at IS NULL"),
            postgresql_where=text("confirmed_at IS NULL"),
        ),
    )


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
    # Revision 0007 (OAuth, issue 12): decisions the consent still allows (NULL: no limit, as consents
    # granted on the consents page have), and how it was issued ("page" or "oauth": only a consent a
    # merchant obtained itself, through /oauth/token, serves as a bearer token without the API key).
    decisions_left: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_via: Mapped[str] = mapped_column(String(16), default="page", server_default="page")


class OAuthRedirectUri(Base):
    """A redirection URI a merchant registered for OAuth (``lucidscore merchant redirect-uri add``):
    ``/oauth/authorize`` sends the consumer back only to one of these, compared exactly."""

    __tablename__ = "oauth_redirect_uris"
    __table_args__ = (UniqueConstraint("merchant_id", "uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    uri: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OAuthCode(Base):
    """An authorization code a consumer's approval created: short-lived, single use, kept as its SHA-256.

    ``used_at`` is set by one conditional UPDATE when the code is redeemed, so two concurrent redemptions
    cannot both succeed; ``consent_id`` is the consent (access token) issued from it, revoked if the code
    is presented again (RFC 6749 section 4.1.2).
    """

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    consumer_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(40))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    days: Mapped[int] = mapped_column(Integer)
    max_decisions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"), nullable=True)


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
    # The benefit catalogue version the decision was made with (NULL on rows from before revision 0006,
    # whose hashes leave it out).
    catalogue_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ScoreRecord(AuditChained, Base):
    """One score of one consumer by one model as of one date, with its explanation. Append-only.

    A consumer has one *current* row per model and month: the newest (largest id) of that consumer, model
    and ``as_of``. A correction of the month is a new row naming the one it replaces (``supersedes_id``);
    the replaced row stays as the trail. ``content_digest`` (SHA-256 of score, tier, probability, segment,
    reasons and explanation) lets a publish tell an unchanged score from a changed one without reading
    the explanations back. The three columns are NULL on rows written before revision 0006.
    """

    __tablename__ = "score_history"
    __table_args__ = (
        Index("ix_score_history_consumer_model", "consumer_id", "model_id", "as_of"),
        Index("ix_score_history_model_month", "model_id", "as_of"),
    )

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
    publication_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # publications.id
    supersedes_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)


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
    # A retired model is kept (its scores stay explainable) but can no longer be activated.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Ed25519 signature (base64) of the model id and content hash, at registration (0005_model_signature)
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
    # An accept in progress (revision 0010): when it claimed the dispute, and the analyst; NULL when none
    # is. The accept's steps span several commits (the store writes the correction on its own connection,
    # the rescoring reads it from there); a claim older than ``ACCEPT_CLAIM_SECONDS`` is abandoned (its
    # accept crashed) and a later action takes the dispute over.
    accepting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    accepting_by: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a user's id


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


class CatalogueVersion(Base):
    """One version of the benefit catalogue, as set by an operator. Append-only (revision 0006's triggers).

    The newest version is the current one; every decision records the version it was made with.
    """

    __tablename__ = "benefit_catalogues"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue: Mapped[str] = mapped_column(Text)  # canonical JSON: {"benefits": [...]}
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of ``catalogue``
    source: Mapped[str] = mapped_column(String(300))  # the file it was set from, or "default"
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Publication(Base):
    """One run of ``lucidscore publish`` (or a model's first scoring): which month, model and engine,
    where the records stood when its features were read, and what it wrote.

    ``records_through`` maps each raw table to its largest ``_version_id`` when the run started and
    ``pending_batches`` lists the ingest batches unfinished then: a later ``--changed-only`` run rescores
    the consumers of every record version after those (or in those batches).

    ``model_hash`` (the model's content hash) and ``code_version`` (``lucidscore.service.code_version``)
    say what made the scores (``0015_publication_provenance``; NULL for older rows where unknown), and
    ``kept`` how many consumers kept a score written after the run began from newer records (a dispute's
    rescoring) instead of its different one (NULL before 0015 or for an unfinished run): a
    publish skips a month that a finished publication made with the same model and code, its records
    unchanged since (``lucidscore.service.already_published``).
    """

    __tablename__ = "publications"
    __table_args__ = (Index("ix_publications_model_month", "model_id", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    model_id: Mapped[str] = mapped_column(String(80))
    engine: Mapped[str] = mapped_column(String(16))
    changed_only: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="started")  # started, finished, failed
    records_through: Mapped[dict[str, Any]] = mapped_column(JSON)
    pending_batches: Mapped[list[Any]] = mapped_column(JSON)
    consumers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    written: Mapped[int | None] = mapped_column(Integer, nullable=True)
    superseded: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unchanged: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # different scores not written because a newer one (a dispute's rescoring) was written after it began
    kept: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    model_hash: Mapped[str | None] = mapped_column(String(80), nullable=True)
    code_version: Mapped[str | None] = mapped_column(String(80), nullable=True)


SERVICE_MODELS = (
    User,
    AccountDirectory,
    ApiKey,
    WebSession,
    Consent,
    AccessLog,
    Publication,
    ScoreRecord,
    ModelRecord,
    Dispute,
    DisputeEvent,
    CatalogueVersion,
    OAuthRedirectUri,
    OAuthCode,
)


def service_tables() -> list[Any]:
    """The ``Table`` objects of the service, in creation order (parents first)."""
    return [m.__table__ for m in SERVICE_MODELS]
