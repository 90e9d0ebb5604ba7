"""Disputes and their append-only audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lucidscore.service._common import now
from lucidscore.service._errors import Conflict, NotFound
from lucidscore.service._records import record_exists
from lucidscore.store.service import (
    Dispute,
    DisputeEvent,
    User,
)


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


MAX_OPEN_DISPUTES_PER_RECORD = 1  # a record waits for its answer before it is contested again


def open_dispute(session: Session, consumer: User, table: str, key: str, reason: str) -> Dispute:
    assert consumer.consumer_id is not None
    if not record_exists(session, consumer.consumer_id, table, key):
        raise NotFound(f"you have no current {table} record with key {key!r}", field="record_key")
    open_ids = session.scalars(
        select(Dispute.id).where(
            Dispute.consumer_id == consumer.consumer_id,
            Dispute.record_table == table,
            Dispute.record_key == key,
            Dispute.status == "open",
        )
    ).all()
    if len(open_ids) >= MAX_OPEN_DISPUTES_PER_RECORD:
        raise Conflict(
            f"{table} record {key!r} already has an open dispute ({', '.join(map(str, open_ids))}); "
            "wait for its answer before contesting it again",
            field="record_key",
        )
    dispute = Dispute(consumer_id=consumer.consumer_id, record_table=table, record_key=key, reason=reason)
    session.add(dispute)
    session.flush()
    add_event(session, dispute, consumer, "opened", {"reason": reason})
    return dispute


def disputes_of(
    session: Session,
    consumer_id: str | None = None,
    status: str | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[Dispute]:
    """Disputes, oldest first (of one consumer, in one status); ``limit`` and ``offset`` page them."""
    query = select(Dispute).order_by(Dispute.created_at, Dispute.id).limit(limit).offset(offset)
    if consumer_id is not None:
        query = query.where(Dispute.consumer_id == consumer_id)
    if status is not None:
        query = query.where(Dispute.status == status)
    return session.scalars(query).all()


def events_of(session: Session, dispute: Dispute) -> Sequence[DisputeEvent]:
    return session.scalars(
        select(DisputeEvent).where(DisputeEvent.dispute_id == dispute.id).order_by(DisputeEvent.seq)
    ).all()


REVIEW_STARTED = "review_started"


def start_review(session: Session, dispute: Dispute, analyst: User) -> Dispute:
    """An analyst takes the dispute up: the trail records when its review started (the consumer's history
    shows "Under review" from then, "Waiting for review" before). Once per dispute: a second call records
    nothing. A dispute answered without this step gets it at the moment of the answer."""
    _claim(session, dispute)
    started = session.scalar(
        select(func.count())
        .select_from(DisputeEvent)
        .where(DisputeEvent.dispute_id == dispute.id, DisputeEvent.action == REVIEW_STARTED)
    )
    if not started:
        add_event(session, dispute, analyst, REVIEW_STARTED, {})
    return dispute


def _claim(session: Session, dispute: Dispute) -> None:
    """Lock the dispute's row while it is open, or refuse it (``Conflict``) when it is not.

    A write that changes nothing, as the transaction's first statement: on PostgreSQL the row lock makes a
    second analyst acting on the same dispute at the same instant wait for the first one's commit, then
    see its outcome (READ COMMITTED reads afresh after the wait); on SQLite the write lock does the same.
    Without it, both read "open" and "no review yet", and the loser's event collided with the winner's in
    the trail's unique (dispute, seq) as a database error.
    """
    claimed = session.execute(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.status == "open")
        .values(status=Dispute.status)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        session.refresh(dispute)
        raise Conflict(f"dispute {dispute.id} is already {dispute.status}")


def resolve_dispute(
    session: Session, dispute: Dispute, analyst: User, status: str, resolution: str
) -> Dispute:
    start_review(session, dispute, analyst)  # refuses a dispute that is not open
    dispute.status = status
    dispute.resolution = resolution
    dispute.resolved_at = now()
    session.flush()
    add_event(session, dispute, analyst, status, {"resolution": resolution})
    return dispute
