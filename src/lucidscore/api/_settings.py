"""Every setting of the service, read from ``LUCIDSCORE_*`` environment variables in this one place."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Service settings. Built explicitly (``Settings(...)``) or from the environment; never at import.

    Every field is documented in docs/service.md (a test keeps the two in step).
    """

    model_config = SettingsConfigDict(env_prefix="LUCIDSCORE_", extra="forbid")

    db_url: str = Field(default="sqlite:///lucidscore-demo/lucidscore.db", description="SQLAlchemy URL")
    shard_map: Path | None = Field(
        default=None,
        description="shard map (TOML) of a deployment split by consumer: every shard is served, each "
        "request from its consumer's shard; db_url is then not used",
    )
    secret_key: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="key for CSRF tokens; random per process unless set",
    )
    cookie_name: str = Field(default="lucid_session", description="name of the session cookie")
    cookie_secure: bool = Field(default=False, description="send the cookie over HTTPS only")
    session_minutes: int = Field(default=720, ge=1, description="lifetime of a sign-in session")
    signin_max_failures: int = Field(
        default=5, ge=1, description="failed sign-ins per client and username (or per device) before delays"
    )
    signin_account_max_failures: int = Field(
        default=20, ge=1, description="failed sign-ins on one account from new devices before delays"
    )
    signin_window_seconds: int = Field(default=300, ge=1, description="window in which failures are counted")
    signin_max_delay_seconds: int = Field(
        default=60, ge=1, description="longest delay after a failure; the delays double up to it"
    )
    guess_max_failures: int = Field(
        default=20, ge=1, description="wrong API keys or unknown consent tokens per client before delays"
    )
    device_days: int = Field(default=365, ge=1, description="lifetime of the known-device cookie")
    forwarded_allow_ips: str = Field(
        default="",
        description="proxies whose X-Forwarded-For is trusted: IPs or networks, comma-separated",
    )
    max_body_bytes: int = Field(default=65_536, ge=1024, description="largest request body accepted (413)")
    benefit_catalogue_path: Path | None = Field(
        default=None,
        description="JSON benefit catalogue stored as the first version of an empty database (default "
        "catalogue when unset); later versions: lucidscore catalogue set",
    )
    as_of: date | None = Field(
        default=None, description="month disputes are rescored in until one is published (then: the newest)"
    )
    model_key_path: Path | None = Field(
        default=None,
        description="PEM Ed25519 key (public is enough) every stored model's signature must verify with",
    )
    consent_max_days: int = Field(default=365, ge=1, description="longest consent a consumer can grant")
    oauth_code_seconds: int = Field(
        default=120, ge=1, le=600, description="lifetime of an OAuth authorization code (single use)"
    )
    oauth_consent_days: int = Field(
        default=30, ge=1, description="how long a consent granted through /oauth/authorize lasts"
    )
    oauth_decisions: int = Field(
        default=1, ge=1, description="decisions a consent granted through /oauth/authorize allows"
    )
    currency: str = Field(
        default="EUR",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of the currency the records' amounts are in (pages show money in it)",
    )
    contact_name: str = Field(
        default="lucidscore consumer help", description="who adverse-action notices tell consumers to contact"
    )
    contact_email: str = Field(default="help@lucidscore.invalid", description="that contact's email address")
    contact_address: str = Field(
        default="", description="that contact's postal address (left out when empty)"
    )
    db_pool_size: int = Field(
        default=8, ge=1, le=256, description="database connections, and requests using the database at once"
    )
    db_pool_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="longest wait for a pooled connection or SQLite's write lock before a 503",
    )
    max_queued_requests: int = Field(
        default=1024, ge=0, description="requests that may wait for the database; more get a 503 at once"
    )
    queue_timeout_seconds: float = Field(
        default=5.0, gt=0, description="longest wait of a queued request before a 503"
    )
    retry_after_seconds: int = Field(default=2, ge=1, description="Retry-After of a 503")
