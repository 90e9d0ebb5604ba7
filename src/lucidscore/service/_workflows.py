"""The service's multi-step workflows: accepting a dispute (correct, rescore, trail) and activating a model.

Each leaves the database consistent whatever fails: a correction the store has made is always in the
dispute's trail, and a dispute whose rescoring failed stays open for a retry.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from lucidscore.service._common import end_reads
from lucidscore.service._disputes import add_event, resolve_dispute, start_review
from lucidscore.service._errors import Conflict, Unavailable
from lucidscore.service._rescore import Rescorer, model_artifact, published_month
from lucidscore.service._scores import activate_model, active_model, model_by_id
from lucidscore.store.service import Dispute, ModelRecord, User

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
) -> Dispute:
    """Correct the record (a new version in the store), rescore the consumer, keep the audit trail.

    The active model is checked (as on activation, signature with ``key`` included) before the record is
    corrected: a model edited in the database never produces the new score.
    """
    start_review(session, dispute, analyst)  # refuses a dispute that is not open
    model = active_model(session)
    if rescorer is not None and model is not None and corrections:
        model_artifact(model, key)
    if corrections:
        if rescorer is None:
            raise Conflict(
                "this service cannot correct records (no rescorer configured)", field="corrections"
            )
        # The store writes the correction on its own connection: end this session's read snapshot first, or
        # SQLite refuses this session's later writes. The trail records the correction at once, in its own
        # commit, so it never loses a correction the store has made, whatever happens next.
        session.commit()
        row = rescorer.correct_record(
            dispute.record_table, dispute.record_key, dispute.consumer_id, corrections
        )
        add_event(session, dispute, analyst, "corrected", {"corrections": corrections, "record": row})
        session.commit()
    if rescorer is not None and model is not None and corrections:
        try:
            record = rescorer.rescore_consumer(session, dispute.consumer_id, model)
        except Exception as exc:  # the correction stands; say so, keep the dispute open for a retry
            session.rollback()
            logger.exception("rescoring consumer %s after dispute %s failed", dispute.consumer_id, dispute.id)
            raise Unavailable(
                f"the record was corrected, but rescoring failed ({type(exc).__name__}); dispute "
                f"{dispute.id} stays open: accept it again to rescore",
            ) from None
        if record is not None:
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
    resolve_dispute(session, dispute, analyst, "accepted", note or "record corrected")
    session.commit()
    return dispute
