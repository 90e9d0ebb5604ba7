"""How the service turns corrected records and models into new scores.

The service does not compute features or evaluate models itself: a ``Rescorer`` does, on the store's
records (``lucidscore.features``) with the scoring engine (``lucidscore.score``, imported when first
needed, so the service starts without numba). ``PipelineRescorer`` is the real one; the service runs
without one (then accepting a dispute or activating a model needs no rescoring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from lucidscore.artifact import ScorecardArtifact, parse_artifact
from lucidscore.errors import ModelFileError
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
        """Recompute the consumer's features and append a score from ``model``."""
        ...

    def score_everyone(self, session: Session, model: ModelRecord) -> int:
        """Append a current score from ``model`` for every consumer; return how many."""
        ...


@dataclass
class PipelineRescorer:
    """Rescoring on the store: corrections through ``ingest_file``, features by ``compute_features``."""

    db_url: str
    as_of: date
    features_path: Path | None = None

    def correct_record(
        self, table: str, key: str, consumer_id: str, corrections: dict[str, Any]
    ) -> dict[str, Any]:
        from lucidscore.service._correction import apply_correction

        return apply_correction(self.db_url, table, key, consumer_id, corrections)

    def _features(self) -> Any:
        from lucidscore.features import compute_features

        frame = compute_features(self.db_url, self.as_of)
        if self.features_path is not None:
            from lucidscore.features import write_features

            write_features(frame, self.features_path)
        return frame

    def rescore_consumer(self, session: Session, consumer_id: str, model: ModelRecord) -> ScoreRecord | None:
        """Features of this consumer alone, from their own records in the store, then their new score."""
        from lucidscore.features import compute_features

        frame = compute_features(self.db_url, self.as_of, consumer_ids=[consumer_id])
        if frame.height == 0:
            return None
        rows = _score(model_artifact(model), frame, self.as_of)
        record = ScoreRecord(**rows[0])
        session.add(record)
        session.flush()
        return record

    def score_everyone(self, session: Session, model: ModelRecord) -> int:
        import polars as pl

        if self.features_path is not None and self.features_path.is_file():
            frame = pl.read_parquet(self.features_path)
        else:
            frame = self._features()
        rows = _score(model_artifact(model), frame, self.as_of)
        session.execute(insert(ScoreRecord), rows)
        session.flush()
        return len(rows)


def model_artifact(model: ModelRecord, key: ModelKey | None = None) -> ScorecardArtifact:
    """The stored model, checked as at every door: schema, content hash, policy guard, that it is the
    model registered under this id with this hash and, when the service has a model ``key``, that its
    registration signature verifies (a forged file with a correct hash of its own is refused)."""
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
    return artifact


def _score(artifact: ScorecardArtifact, frame: Any, as_of: date) -> list[dict[str, Any]]:
    from lucidscore.score import score_consumers  # the engine loads numba: only when rescoring

    return score_consumers(artifact, frame, as_of)
