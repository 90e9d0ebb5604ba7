"""How the service turns corrected records and models into new scores.

The service does not compute features or evaluate models itself: a ``Rescorer`` does, on the store's
records (``lucidscore.features``) with the scoring engine (``lucidscore.score``, imported when first
needed, so the service starts without numba). ``PipelineRescorer`` is the real one; the service runs
without one (then accepting a dispute or activating a model needs no rescoring).

Rescoring happens in the newest month published with the model, so a corrected score is the one the
consumer and merchants see at once, whatever month the server was started with; a score equal to the
current one adds no history row (``_history``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lucidscore.artifact import ScorecardArtifact, parse_artifact
from lucidscore.errors import ModelFileError
from lucidscore.service._common import end_reads, take_write_lock
from lucidscore.service._declared import check_declared
from lucidscore.service._history import record_scores
from lucidscore.store.service import ModelRecord, ScoreRecord

if TYPE_CHECKING:
    from lucidscore.service._signing import ModelKey


class Rescorer(Protocol):
    def correct_record(
        self, table: str, key: str, consumer_id: str, corrections: dict[str, Any]
    ) -> dict[str, Any]:
        """Write the corrected record as a new version through the store; return the new row."""
        ...

    def rescore_consumer(self, session: Session, consumer_id: str, model: ModelRecord) -> ScoreRecord | None:
        """Recompute the consumer's features and score them with ``model``; return the consumer's current
        score (a new row only when it changed), or None when there is nothing to score."""
        ...

    def score_everyone(self, session: Session, model: ModelRecord) -> int:
        """Give every consumer a current score from ``model``; return how many were scored."""
        ...


def published_month(session: Session, model_id: str) -> date | None:
    """The newest month with scores from ``model_id`` (an index lookup)."""
    found = session.scalar(select(func.max(ScoreRecord.as_of)).where(ScoreRecord.model_id == model_id))
    return _as_date(found)


def newest_month(session: Session) -> date | None:
    """The newest month published with any registered model."""
    months = [published_month(session, m) for m in session.scalars(select(ModelRecord.model_id))]
    known = [m for m in months if m is not None]
    return max(known) if known else None


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite hands max() of a date column back as text


def consumer_features(db_url: str, as_of: date, consumer_ids: Iterable[str] | None = None) -> Any:
    """Features as of ``as_of`` of every consumer, or of ``consumer_ids`` only, read from their own records
    (``lucidscore.features.compute_features``), as a polars frame."""
    from lucidscore.features import compute_features

    if consumer_ids is None:
        return compute_features(db_url, as_of)
    return compute_features(db_url, as_of, consumer_ids=sorted(set(consumer_ids)))


@dataclass
class PipelineRescorer:
    """Rescoring on the store: corrections through ``ingest_frame``, features of the one consumer by
    ``compute_features``, scores by ``score_consumers``, everyone by ``publish_month``.

    ``as_of`` is the month used before any month has been published (a database scored by other means);
    once one is, the newest published month is used.
    """

    db_url: str
    as_of: date | None = None

    def correct_record(
        self, table: str, key: str, consumer_id: str, corrections: dict[str, Any]
    ) -> dict[str, Any]:
        from lucidscore.service._correction import apply_correction

        return apply_correction(self.db_url, table, key, consumer_id, corrections)

    def rescore_consumer(self, session: Session, consumer_id: str, model: ModelRecord) -> ScoreRecord | None:
        """Features of this consumer alone, from their own records in the store, in the newest month
        published with ``model``; then their score, written only if it changed."""
        as_of = published_month(session, model.model_id) or self.as_of
        if as_of is None:
            return None
        artifact = model_artifact(model)
        frame = consumer_features(self.db_url, as_of, [consumer_id])
        if frame.height == 0:
            return None
        rows = _score(artifact, frame, as_of)
        end_reads(session)
        conn = session.connection()
        take_write_lock(conn)
        recorded = record_scores(conn, rows, want_ids=True)
        return session.get(ScoreRecord, recorded.current_ids[consumer_id])

    def score_everyone(self, session: Session, model: ModelRecord) -> int:
        from lucidscore.service._publish import publish_month

        as_of = newest_month(session) or self.as_of
        if as_of is None:
            return 0
        end_reads(session)
        return publish_month(self.db_url, as_of, model_id=model.model_id).consumers


def model_artifact(model: ModelRecord, key: ModelKey | None = None) -> ScorecardArtifact:
    """The stored model, checked as at every door: schema, content hash, policy guard, that it is the
    model registered under this id with this hash, when the service has a model ``key`` that its
    registration signature verifies (a forged file with a correct hash of its own is refused), and that
    it declares every characteristic (``check_declared``): registering, activating, rescoring and
    publishing all read models here."""
    source = f"stored model {model.model_id}"
    artifact = parse_artifact(model.artifact_json, source)
    if artifact.model_id != model.model_id or artifact.content_hash != model.content_hash:
        raise ModelFileError(
            f"{source}: the stored file is model {artifact.model_id} with hash {artifact.content_hash}, "
            f"but it was registered as {model.model_id} with hash {model.content_hash}; refusing to use it"
        )
    if key is not None and not key.verifies(model.model_id, model.content_hash, model.signature):
        why = "is not signed" if not model.signature else "has a signature that does not verify"
        raise ModelFileError(
            f"{source} {why} with the service's model key: it was not registered with that key or was "
            "changed after it was registered; refusing to use it (register it again with the key)"
        )
    check_declared(artifact, source)
    return artifact


def _score(artifact: ScorecardArtifact, frame: Any, as_of: date) -> list[dict[str, Any]]:
    from lucidscore.score import score_consumers  # the engine loads numba: only when rescoring

    return score_consumers(artifact, frame, as_of)
