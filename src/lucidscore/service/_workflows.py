"""The service's multi-step workflows: accepting a dispute (correct, rescore, trail) and activating a model.

Each leaves the database consistent whatever fails: a correction the store has made is always in the
dispute's trail, and a dispute whose rescoring failed stays open for a retry.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lucidscore.service._common import end_reads
from lucidscore.service._disputes import (
    CLAIM_WAIT_SECONDS,
    add_event,
    check_claim,
    claim_accept,
    release_claim,
    resolve_dispute,
)
from lucidscore.service._errors import Conflict, Unavailable
from lucidscore.service._rescore import Rescorer, model_artifact, published_month
from lucidscore.service._scores import activate_model, active_model, model_by_id
from lucidscore.store.service import Dispute, DisputeEvent, ModelRecord, User

if TYPE_CHECKING:
    from lucidscore.service._signing import ModelKey

logger = logging.getLogger(__name__)


def activate(
    session: Session, rescorer: Rescorer | None, model_id: str, key: ModelKey | None = None
) -> ModelRecord:
    """Make ``model_id`` the active model, scoring everyone with it first if it has no scores yet (so no
    decision meets an active model without a score).

    The stored model is checked (schema, content hash, policy guard, signature with ``key``, every
    characteristic declared) before anything changes; a retired model is refused (``Conflict``).
    """
    model = model_by_id(session, model_id)
    if model.retired_at is not None:
        raise Conflict(f"model {model_id} is retired; register a new model to use it again", field="model_id")
    model_artifact(model, key)
    if rescorer is not None and published_month(session, model_id) is None:
        rescorer.score_everyone(session, model)
    end_reads(session)
    activate_model(session, model)
    session.commit()
    return model


def accept_dispute(
    session: Session,
    rescorer: Rescorer | None,
    dispute: Dispute,
    analyst: User,
    corrections: dict[str, Any],
    note: str | None,
    key: ModelKey | None = None,
    *,
    wait: float = CLAIM_WAIT_SECONDS,
) -> Dispute:
    """Correct the record (a new version in the store), rescore the consumer, keep the audit trail.

    The active model is checked (as on activation, signature with ``key`` included) before the record is
    corrected: a model edited in the database never produces the new score.

    One correction per dispute, whatever the concurrency: the accept claims the dispute first, in its own
    commit (``claim_accept``), because the store writes the correction on its own connection and the
    rescoring reads it from there. A second accept (or reject) of the same dispute meanwhile waits for the
    first one's outcome (up to ``wait`` seconds) and answers "already accepted" having written nothing.
    Every later write of this accept is made only while its claim still holds; a failure lets go of it. A
    claim left by a crashed accept is taken over after ``ACCEPT_CLAIM_SECONDS``. A correction already in
    the trail (an accept whose rescoring failed, or that crashed after correcting) is not made again: the
    retry rescores and answers; a retry with other corrections is refused.
    """
    claim = claim_accept(session, dispute, analyst, wait=wait)  # refuses a dispute that is not open
    model = active_model(session)
    done = _recorded_correction(session, dispute)
    correcting = bool(corrections) and done is None
    if done is not None and corrections and corrections != done:
        raise Conflict(
            f"dispute {dispute.id} was already corrected with {json.dumps(done, sort_keys=True)}; accept it "
            "with those corrections, or none, to rescore the consumer and close it",
            field="corrections",
        )
    if rescorer is not None and model is not None and (corrections or done is not None):
        model_artifact(model, key)
    if correcting and rescorer is None:
        raise Conflict("this service cannot correct records (no rescorer configured)", field="corrections")
    # Until here nothing is committed: a refusal leaves the dispute as it was. From here the claim is.
    session.commit()
    try:
        if correcting:
            assert rescorer is not None
            row = rescorer.correct_record(
                dispute.record_table, dispute.record_key, dispute.consumer_id, corrections
            )
            # The trail records the correction at once, in its own commit, so it never loses a correction
            # the store has made, whatever happens next.
            try:
                check_claim(session, dispute, claim)
            except Conflict:  # only after ACCEPT_CLAIM_SECONDS: a correction the trail does not show
                logger.error(
                    "dispute %s was taken over while its correction of %s %s was written: the record's "
                    "history holds it, the dispute's trail does not",
                    dispute.id,
                    dispute.record_table,
                    dispute.record_key,
                )
                raise
            add_event(session, dispute, analyst, "corrected", {"corrections": corrections, "record": row})
            session.commit()
        if rescorer is not None and model is not None and (correcting or done is not None):
            try:
                record = rescorer.rescore_consumer(session, dispute.consumer_id, model)
            except Exception as exc:  # the correction stands; say so, keep the dispute open for a retry
                session.rollback()
                logger.exception(
                    "rescoring consumer %s after dispute %s failed", dispute.consumer_id, dispute.id
                )
                raise Unavailable(
                    f"the record was corrected, but rescoring failed ({type(exc).__name__}); dispute "
                    f"{dispute.id} stays open: accept it again to rescore",
                ) from None
            if record is not None:
                check_claim(session, dispute, claim)
                add_event(
                    session,
                    dispute,
                    analyst,
                    "rescored",
                    {
                        "model_id": model.model_id,
                        "as_of": record.as_of.isoformat(),
                        "score": record.score,
                        "tier": record.tier,
                    },
                )
        resolve_dispute(session, dispute, analyst, "accepted", note or "record corrected", claim=claim)
        session.commit()
    except BaseException:
        session.rollback()
        try:
            release_claim(session, dispute, claim)
        except Exception:  # the database itself may be what failed: the claim then expires on its own
            logger.exception("could not let go of the claim of dispute %s", dispute.id)
        raise
    return dispute


def _recorded_correction(session: Session, dispute: Dispute) -> dict[str, Any] | None:
    """The corrections of the dispute's correction already in its trail, or None."""
    found = session.scalars(
        select(DisputeEvent.detail)
        .where(DisputeEvent.dispute_id == dispute.id, DisputeEvent.action == "corrected")
        .order_by(DisputeEvent.seq.desc())
        .limit(1)
    ).first()
    return None if found is None else dict(found.get("corrections", {}))
