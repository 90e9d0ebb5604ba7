"""Demo logins: a consumer in each tier, two merchants with API keys, one analyst.

Passwords and keys are random per build. The database keeps only their hashes; so that a reused demo
can print them again, they are also written to ``logins.json`` in the demo directory (mode 0600) — a
convenience of the demo, which serves only 127.0.0.1. A real deployment never writes such a file.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lucidscore.service import create_api_key, create_user
from lucidscore.store.service import ScoreRecord

MERCHANTS = (("rentco", "RentCo Apartments"), ("quickcredit", "QuickCredit"))
TIER_USERNAMES = {"poor": "pat", "fair": "fran", "good": "gale", "very good": "vic", "excellent": "eve"}


@dataclass
class DemoLogins:
    consumers: list[dict[str, str]] = field(
        default_factory=list
    )  # username, password, tier, score, consumer_id
    merchants: list[dict[str, str]] = field(default_factory=list)  # username, name, api_key
    analyst: dict[str, str] = field(default_factory=dict)  # username, password

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", "utf-8")
        os.chmod(path, 0o600)

    @classmethod
    def load(cls, path: Path) -> DemoLogins:
        raw = json.loads(path.read_text("utf-8"))
        return cls(consumers=raw["consumers"], merchants=raw["merchants"], analyst=raw["analyst"])


def _password() -> str:
    return secrets.token_urlsafe(9)


def pick_consumers(session: Session, model_id: str) -> list[tuple[str, str, int]]:
    """One consumer per tier: the one with the median score in the tier (deterministic), with history."""
    latest = session.scalar(select(func.max(ScoreRecord.as_of)).where(ScoreRecord.model_id == model_id))
    rows = session.execute(
        select(ScoreRecord.tier, ScoreRecord.score, ScoreRecord.consumer_id)
        .where(ScoreRecord.model_id == model_id, ScoreRecord.as_of == latest)
        .order_by(ScoreRecord.tier, ScoreRecord.score, ScoreRecord.consumer_id)
    ).all()
    by_tier: dict[str, list[tuple[int, str]]] = {}
    for tier, score, consumer_id in rows:
        by_tier.setdefault(tier, []).append((score, consumer_id))
    picked = []
    for tier in TIER_USERNAMES:
        members = by_tier.get(tier)
        if members:
            score, consumer_id = members[len(members) // 2]
            picked.append((tier, consumer_id, score))
    return picked


def create_logins(session: Session, model_id: str) -> DemoLogins:
    logins = DemoLogins()
    for tier, consumer_id, score in pick_consumers(session, model_id):
        username, password = TIER_USERNAMES[tier], _password()
        create_user(
            session,
            username,
            "consumer",
            password,
            display_name=username.capitalize(),
            consumer_id=consumer_id,
        )
        logins.consumers.append(
            {
                "username": username,
                "password": password,
                "tier": tier,
                "score": str(score),
                "consumer_id": consumer_id,
            }
        )
    for username, name in MERCHANTS:
        merchant = create_user(session, username, "merchant", secrets.token_urlsafe(24), display_name=name)
        logins.merchants.append(
            {"username": username, "name": name, "api_key": create_api_key(session, merchant)}
        )
    password = _password()
    create_user(session, "analyst", "analyst", password, display_name="Ana Lyst")
    logins.analyst = {"username": "analyst", "password": password}
    return logins
