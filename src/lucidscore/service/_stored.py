"""Stored scores read back as typed objects: a field renamed or missing fails loudly, here."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from lucidscore.artifact import Explanation, Reason
from lucidscore.service._errors import Unavailable
from lucidscore.store.service import ScoreRecord

_REASONS = TypeAdapter(list[Reason])


def stored_reasons(record: ScoreRecord) -> list[Reason]:
    """The principal reasons stored with a score."""
    return reasons_of(record.reasons, record.id, record.consumer_id, record.model_id)


def reasons_of(data: object, score_id: int, consumer_id: str, model_id: str) -> list[Reason]:
    """Stored reasons JSON as typed reasons (from a Core row as well as an ORM record)."""
    try:
        return _REASONS.validate_python(data)
    except ValidationError as exc:
        raise Unavailable(_message(score_id, consumer_id, model_id, "reasons", exc)) from None


def stored_explanation(record: ScoreRecord) -> Explanation | None:
    """The full explanation stored with a score, or None when it was not computed."""
    if record.explanation is None:
        return None
    try:
        return Explanation.model_validate(record.explanation)
    except ValidationError as exc:
        raise Unavailable(
            _message(record.id, record.consumer_id, record.model_id, "explanation", exc)
        ) from None


def _message(score_id: int, consumer_id: str, model_id: str, what: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(x) for x in first["loc"])
    return (
        f"the stored {what} of score {score_id} (consumer {consumer_id}, model {model_id}) "
        f"does not match this lucidscore's schema at {where or 'its top'}: {first['msg']}; "
        "publish the month again to rescore"
    )
