"""Scores, score history, models and the score distribution."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lucidscore.service._errors import NotFound
from lucidscore.store.service import (
    ModelRecord,
    ScoreRecord,
)

if TYPE_CHECKING:
    pass


def active_model(session: Session) -> ModelRecord | None:
    return session.scalar(select(ModelRecord).where(ModelRecord.active.is_(True)))


def latest_score(session: Session, consumer_id: str, model_id: str) -> ScoreRecord | None:
    """The consumer's current score from ``model_id``: of the newest month, the newest row (a correction
    of the month supersedes the row before it)."""
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
    """The consumer's score over time: the current row of each model and month, oldest month first (rows
    a correction superseded are left out; they stay in the table as the trail, see ``score_trail``);
    ``limit`` and ``offset`` page through them."""
    current: dict[tuple[str, date], ScoreRecord] = {}
    for record in score_trail(session, consumer_id):
        current[(record.model_id, record.as_of)] = record  # ordered by id: the newest wins
    rows = sorted(current.values(), key=lambda r: (r.as_of, r.id))
    return rows[offset:] if limit is None else rows[offset : offset + limit]


def score_trail(session: Session, consumer_id: str) -> Sequence[ScoreRecord]:
    """Every score row of the consumer, superseded ones included, in the order they were written."""
    return session.scalars(
        select(ScoreRecord).where(ScoreRecord.consumer_id == consumer_id).order_by(ScoreRecord.id)
    ).all()


def models(session: Session) -> Sequence[ModelRecord]:
    return session.scalars(select(ModelRecord).order_by(ModelRecord.created_at, ModelRecord.id)).all()


def model_by_id(session: Session, model_id: str) -> ModelRecord:
    model = session.scalar(select(ModelRecord).where(ModelRecord.model_id == model_id))
    if model is None:
        raise NotFound(f"no model {model_id!r} is registered", field="model_id")
    return model


def activate_model(session: Session, model: ModelRecord) -> ModelRecord:
    """Make ``model`` the only active one."""
    for other in session.scalars(select(ModelRecord).where(ModelRecord.active.is_(True))):
        other.active = False
    session.flush()
    model.active = True
    session.flush()
    return model


def score_distribution(session: Session, model_id: str, width: int = 25) -> dict[str, Any]:
    """Histogram of every consumer's current score from ``model_id`` (newest month, newest row)."""
    rank = (
        func.row_number()
        .over(
            partition_by=ScoreRecord.consumer_id, order_by=(ScoreRecord.as_of.desc(), ScoreRecord.id.desc())
        )
        .label("rank")
    )
    ranked = (
        select(ScoreRecord.score, ScoreRecord.tier, rank).where(ScoreRecord.model_id == model_id).subquery()
    )
    rows = session.execute(select(ranked.c.score, ranked.c.tier).where(ranked.c.rank == 1)).all()
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
