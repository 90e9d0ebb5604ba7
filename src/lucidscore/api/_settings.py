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
    secret_key: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="key for CSRF tokens; random per process unless set",
    )
    cookie_name: str = Field(default="lucid_session", description="name of the session cookie")
    cookie_secure: bool = Field(default=False, description="send the cookie over HTTPS only")
    session_minutes: int = Field(default=720, ge=1, description="lifetime of a sign-in session")
    signin_max_failures: int = Field(default=5, ge=1, description="failed sign-ins allowed per window")
    signin_window_seconds: int = Field(default=300, ge=1, description="window of the sign-in rate limit")
    max_body_bytes: int = Field(default=65_536, ge=1024, description="largest request body accepted (413)")
    benefit_catalogue_path: Path | None = Field(
        default=None,
        description="JSON benefit catalogue stored as the first version of an empty database (default "
        "catalogue when unset); later versions: lucidscore catalogue set",
    )
    as_of: date | None = Field(
        default=None, description="month disputes are rescored in until one is published (then: the newest)"
    )
    consent_max_days: int = Field(default=365, ge=1, description="longest consent a consumer can grant")
