"""Publishing on Apache Spark: the features (by ``lucidscore.features.spark`` when it is installed, else by
the local engine) go to a Parquet file, Spark scores it with ``lucidscore.score.spark`` — the same
``score_consumers`` run on the executors, so the rows equal the local engine's — and the driver writes the
rows to the score history in chunks, as the local engine does."""

from __future__ import annotations

import importlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from lucidscore.artifact import ScorecardArtifact


def _features_file(
    db_url: str, as_of: date, chosen: set[str] | None, sink: Any, directory: Path, notes: list[str]
) -> Path:
    path = directory / "features.parquet"
    if chosen is not None:
        notes.append("features of the changed consumers by the local engine; scores on Spark")
    elif not db_url.startswith("postgresql"):
        notes.append("features by the local engine (Spark reads PostgreSQL, not SQLite); scores on Spark")
    else:
        try:  # issue 15's Spark features (PostgreSQL over JDBC), where installed
            features_spark: Any = importlib.import_module("lucidscore.features.spark")
        except ImportError:
            features_spark = None
        writer = getattr(features_spark, "features_to_parquet", None)
        if writer is not None:
            sink.stage(f"features as of {as_of.isoformat()} (Spark)")
            writer(db_url, as_of, path)
            return path
        notes.append(
            "features by the local engine (lucidscore.features.spark is not installed); scores on Spark"
        )
    from lucidscore.features import features_to_parquet

    sink.stage(f"features as of {as_of.isoformat()}")  # chunk by chunk: memory bounded by a chunk
    features_to_parquet(db_url, as_of, path, consumer_ids=None if chosen is None else sorted(chosen))
    return path


def spark_score_chunks(
    db_url: str,
    artifact: ScorecardArtifact,
    as_of: date,
    chosen: set[str] | None,
    sink: Any,
    chunk: int,
    notes: list[str],
    spark: Any,
) -> tuple[Iterator[list[dict[str, Any]]], int]:
    """The score rows, ``chunk`` at a time, and how many consumers there are."""
    from lucidscore.score.spark import literal_path, local_session, score_consumers_dataframe

    session = spark if spark is not None else local_session()
    directory = Path(tempfile.mkdtemp(prefix="lucidscore-publish-"))
    try:
        path = _features_file(db_url, as_of, chosen, sink, directory, notes)
        frame = session.read.parquet(literal_path(path))
        consumers = int(frame.count())
        # The driver takes the scored rows a partition at a time (toLocalIterator), and a row with its
        # reasons and explanation is 3-4 KB: the features file's few large partitions (one per 128 MB
        # of Parquet) made partitions of gigabytes at 1,000,000 consumers, which the driver could not
        # hold (bench_month.py, 2026-12-06). Partitions of at most ``chunk`` consumers, by consumer id
        # and sorted within, bound the driver by a chunk and keep the rows in consumer order.
        parts = max(1, -(-consumers // max(chunk, 1)))
        frame = frame.repartitionByRange(parts, "consumer_id").sortWithinPartitions("consumer_id")
        scored = score_consumers_dataframe(frame, artifact, as_of)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise

    def chunks() -> Iterator[list[dict[str, Any]]]:
        try:
            rows: list[dict[str, Any]] = []
            for row in scored.toLocalIterator():
                rows.append(
                    {
                        "consumer_id": row["consumer_id"],
                        "model_id": artifact.model_id,
                        "as_of": as_of,
                        "score": int(row["score"]),
                        "tier": row["tier"],
                        "probability": float(row["probability"]),
                        "segment": row["segment"],
                        "reasons": json.loads(row["reasons"]),
                        "explanation": None if row["explanation"] is None else json.loads(row["explanation"]),
                    }
                )
                if len(rows) == chunk:
                    yield rows
                    rows = []
            if rows:
                yield rows
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    return chunks(), consumers
