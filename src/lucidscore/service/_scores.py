"""Scores, score history, models and the score distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lucidscore.artifact import ScorecardArtifact
from lucidscore.service._errors import Conflict, NotFound
from lucidscore.service._rescore import model_artifact
from lucidscore.store.service import (
    ModelRecord,
    ScoreRecord,
)

if TYPE_CHECKING:
    from lucidscore.service._signing import ModelKey


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


def score_history(
    session: Session, consumer_id: str, *, limit: int | None = None, offset: int = 0
) -> Sequence[ScoreRecord]:
    """The consumer's scores, oldest first; ``limit`` and ``offset`` page through them."""
    return session.scalars(
        select(ScoreRecord)
        .where(ScoreRecord.consumer_id == consumer_id)
        .order_by(ScoreRecord.as_of, ScoreRecord.id)
        .limit(limit)
        .offset(offset)
    ).all()


def models(session: Session) -> Sequence[ModelRecord]:
    return session.scalars(select(ModelRecord).order_by(ModelRecord.created_at, ModelRecord.id)).all()


def model_by_id(session: Session, model_id: str) -> ModelRecord:
    model = session.scalar(select(ModelRecord).where(ModelRecord.model_id == model_id))
    if model is None:
        raise NotFound(f"no model {model_id!r} is registered", field="model_id")
    return model


def register_model(
    session: Session,
    artifact: ScorecardArtifact,
    key: ModelKey | None,
    *,
    description: str = "",
    active: bool = False,
) -> ModelRecord:
    """Store ``artifact`` as a model the service can score with, signed with ``key`` (its private half)
    when one is given; the stored form is checked as every later load will check it."""
    if session.scalar(select(ModelRecord.id).where(ModelRecord.model_id == artifact.model_id)) is not None:
        raise Conflict(f"model {artifact.model_id!r} is already registered", field="model_id")
    if not artifact.content_hash:
        artifact = artifact.with_hash()
    record = ModelRecord(
        model_id=artifact.model_id,
        content_hash=artifact.content_hash,
        artifact_json=artifact.model_dump_json(),
        description=description,
        active=active,
        signature=key.sign(artifact.model_id, artifact.content_hash) if key is not None else None,
    )
    model_artifact(record, key)
    session.add(record)
    session.flush()
    return record


def activate_model(session: Session, model: ModelRecord) -> ModelRecord:
    """Make ``model`` the only active one."""
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
