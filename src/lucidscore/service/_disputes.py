"""Disputes and their append-only audit trail."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from lucidscore.service._common import aware, end_reads, now, take_write_lock
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
    """Open a dispute of ``consumer``'s record (``table``, ``key``); not committed. ``Conflict`` when the
    record already has an open one.

    Ends the session's reads and locks the consumer's account row first, so that the same record
    contested twice at once (a double-tapped submit, two tabs) opens one dispute and answers the other
    with the ``Conflict``: PostgreSQL makes the second wait for the first's commit and then read afresh;
    SQLite's write lock does the same (a read transaction could not become a write there once the
    first had committed, and failed as "database is locked")."""
    assert consumer.consumer_id is not None
    end_reads(session)
    take_write_lock(session.connection())
    session.execute(select(User.id).where(User.id == consumer.id).with_for_update())
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

# An accept claims its dispute for its whole course (correction, rescoring, answer: several commits). A
# claim older than this is abandoned, its accept having crashed: a later action takes the dispute over.
# Longer than an accept can take: the store waits for its write lock at most DEFAULT_WAIT_SECONDS (30 min).
ACCEPT_CLAIM_SECONDS = 3600.0
# How long an action waits for an accept in progress on the same dispute to finish before answering that
# the dispute is being accepted (it usually takes a second or two).
CLAIM_WAIT_SECONDS = 60.0


def start_review(
    session: Session, dispute: Dispute, analyst: User, *, wait: float = CLAIM_WAIT_SECONDS
) -> Dispute:
    """An analyst takes the dispute up: the trail records when its review started (the consumer's history
    shows "Under review" from then, "Waiting for review" before). Once per dispute: a second call records
    nothing. A dispute answered without this step gets it at the moment of the answer.

    A dispute being accepted is waited for (up to ``wait`` seconds): then it is already accepted
    (``Conflict``), or open again if that accept failed."""
    _claim(session, dispute, wait=wait)
    _record_review(session, dispute, analyst)
    return dispute


def _record_review(session: Session, dispute: Dispute, analyst: User) -> None:
    started = session.scalar(
        select(func.count())
        .select_from(DisputeEvent)
        .where(DisputeEvent.dispute_id == dispute.id, DisputeEvent.action == REVIEW_STARTED)
    )
    if not started:
        add_event(session, dispute, analyst, REVIEW_STARTED, {})


def _claim(
    session: Session,
    dispute: Dispute,
    *,
    wait: float = CLAIM_WAIT_SECONDS,
    accept_by: User | None = None,
    own: datetime | None = None,
) -> datetime | None:
    """Lock the dispute's row while it is open and no accept is in progress, or refuse it (``Conflict``).

    A write, as the transaction's first statement: on PostgreSQL the row lock makes a second analyst
    acting on the same dispute at the same instant wait for the first one's commit, then see its outcome
    (READ COMMITTED reads afresh after the wait); on SQLite the write lock does the same. Without it, both
    read "open" and "no review yet", and the loser's event collided with the winner's in the trail's
    unique (dispute, seq) as a database error.

    An accept outlives its transaction, so it also leaves a claim in the row: ``accept_by`` takes it
    (``accepting_since`` = now, returned: the claim's token), ``own`` is the token of the caller's own
    claim, which must still hold (else ``Conflict``: a later action took the dispute over after
    ``ACCEPT_CLAIM_SECONDS``). Anyone else meeting a live claim waits for that accept's outcome, polling
    in fresh transactions for up to ``wait`` seconds, then answers with it: "already accepted", or goes on
    if the accept failed and let go; or refuses with "being accepted" when it is still running.
    """
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        moment = now()
        free: ColumnElement[bool] = Dispute.accepting_since.is_(None) | (
            Dispute.accepting_since < moment - timedelta(seconds=ACCEPT_CLAIM_SECONDS)
        )
        if own is not None:
            free = Dispute.accepting_since == own
        values: dict[str, Any] = {"status": Dispute.status}
        if accept_by is not None:
            values = {"accepting_since": moment, "accepting_by": accept_by.id}
        claimed = session.execute(
            update(Dispute)
            .where(Dispute.id == dispute.id, Dispute.status == "open", free)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount:  # type: ignore[attr-defined]
            return moment if accept_by is not None else own
        session.refresh(dispute)
        if dispute.status != "open":
            raise Conflict(f"dispute {dispute.id} is already {dispute.status}")
        if own is not None:
            raise Conflict(
                f"dispute {dispute.id} was taken over by another action after this accept had held it "
                f"for more than {ACCEPT_CLAIM_SECONDS:g} s; this accept stopped there"
            )
        if time.monotonic() >= deadline:
            raise Conflict(_being_accepted(session, dispute))
        end_reads(session)  # let the accept in progress commit; read afresh next time
        time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, 0.5)


@dataclass(frozen=True)
class AcceptInProgress:
    """An accept holding its claim on a dispute: since when, and by which analyst (None if unknown)."""

    since: datetime
    by: str | None


def accept_in_progress(
    session: Session, dispute: Dispute, at: datetime | None = None
) -> AcceptInProgress | None:
    """The accept in progress on ``dispute`` at ``at`` (now by default), or None: none claims it, it is no
    longer open, or its claim is older than ``ACCEPT_CLAIM_SECONDS`` (abandoned: the next action takes
    it over). What the analysts' queue shows instead of the answer forms."""
    if dispute.status != "open" or dispute.accepting_since is None:
        return None
    since = aware(dispute.accepting_since)
    if ((at or now()) - since).total_seconds() > ACCEPT_CLAIM_SECONDS:
        return None
    by = session.get(User, dispute.accepting_by) if dispute.accepting_by is not None else None
    return AcceptInProgress(since=since, by=None if by is None else by.username)


def _being_accepted(session: Session, dispute: Dispute) -> str:
    by = session.get(User, dispute.accepting_by) if dispute.accepting_by is not None else None
    since = aware(dispute.accepting_since).isoformat(timespec="seconds") if dispute.accepting_since else "?"
    who = f"{by.username} " if by is not None else ""
    return f"dispute {dispute.id} is being accepted by {who}since {since}; try again when that is done"


def claim_accept(
    session: Session, dispute: Dispute, analyst: User, *, wait: float = CLAIM_WAIT_SECONDS
) -> datetime:
    """Claim an open dispute for ``analyst``'s accept (waiting, as every action does, for an accept in
    progress; taking over a claim older than ``ACCEPT_CLAIM_SECONDS``) and record the review step; not
    committed. Returns the claim's token for ``check_claim``, ``resolve_dispute`` and ``release_claim``."""
    token = _claim(session, dispute, wait=wait, accept_by=analyst)
    assert token is not None
    _record_review(session, dispute, analyst)
    return token


def check_claim(session: Session, dispute: Dispute, token: datetime) -> None:
    """Lock the dispute's row, still claimed by the accept holding ``token`` (else ``Conflict``)."""
    _claim(session, dispute, own=token)


def release_claim(session: Session, dispute: Dispute, token: datetime) -> None:
    """A failed accept lets go of its claim (if it still holds it), so the dispute can be acted on at once;
    committed."""
    session.execute(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.accepting_since == token)
        .values(accepting_since=None, accepting_by=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def resolve_dispute(
    session: Session,
    dispute: Dispute,
    analyst: User,
    status: str,
    resolution: str,
    *,
    wait: float = CLAIM_WAIT_SECONDS,
    claim: datetime | None = None,
) -> Dispute:
    """Answer the dispute (``status`` accepted or rejected). Refuses a dispute that is not open; one being
    accepted is waited for (see ``start_review``). ``claim``: the token of the caller's own accept claim."""
    if claim is None:
        start_review(session, dispute, analyst, wait=wait)
    else:
        check_claim(session, dispute, claim)
    dispute.status = status
    dispute.resolution = resolution
    dispute.resolved_at = now()
    dispute.accepting_since = None
    dispute.accepting_by = None
    session.flush()
    add_event(session, dispute, analyst, status, {"resolution": resolution})
    return dispute
