"""Publishing a month: features as of the date from the stored records, scores with reasons and recourse
from the active model, one current history row per consumer and month, visible to the service at once.

A publish is safe to run again: a consumer whose score is unchanged gets no new row; a changed one gets a
row that supersedes the old one (kept as the trail). It writes in chunks, each its own transaction, so
decisions keep flowing while a large month is written (on SQLite a decision waits for one chunk, never
for the whole month); if it stops half way, running it again writes the rest and nothing twice. Each run
is a ``publications`` row: what it read, what it wrote, and how it ended.

``changed_only`` rescores only the consumers whose records have a version after the newest finished
publish of the same month and model (``_changes``): the scores then equal those of a full publish.

``skip_unchanged`` (what ``lucidscore publish`` does unless ``--full``) scores nobody when the month was
already published by a finished run with the same model content and code and no record changed since
(``_provenance.already_published``): the report says so and nothing is written, not even a publication.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lucidscore.artifact import ScorecardArtifact
from lucidscore.errors import InputError
from lucidscore.service._changes import changed_consumers, marks_from_json, record_marks
from lucidscore.service._common import aware, end_reads, now, take_write_lock
from lucidscore.service._errors import Conflict
from lucidscore.service._history import Recorded, record_scores
from lucidscore.service._provenance import already_published, code_version
from lucidscore.service._rescore import model_artifact
from lucidscore.service._scores import active_model, model_by_id
from lucidscore.store import make_engine
from lucidscore.store.service import ModelRecord, Publication, ScoreRecord

if TYPE_CHECKING:
    import polars as pl

Engine_ = Literal["local", "spark"]
ENGINES: tuple[str, ...] = ("local", "spark")
DEFAULT_CHUNK = 20_000
# Consumers whose features are read and computed together. Publish's peak memory follows it (about 1 GB
# per 100,000 read together: 3.35 GB at 1M consumers on PostgreSQL with 250,000, 0.76 GB with 25,000), but
# so does the cost of reading on PostgreSQL: 25,000 doubled the CPU of that 1M publish (461 -> 990 CPU s
# with the server's), each chunk then scanning every statement. Chunks now read statements by index, which
# halves the server's share, but forty chunks still cost it about 2.3x one read (BENCHMARKS.md, "Chunked
# feature reads on PostgreSQL"), so the chunk stays large.
FEATURE_CHUNK = 250_000


class PublishProgress(Protocol):
    """What a publish reports while it works (the CLI draws Rich progress bars from it)."""

    def stage(self, description: str, total: int | None = None) -> None: ...

    def advance(self, n: int) -> None: ...


class _Silent:
    def stage(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


@dataclass(frozen=True)
class PublishReport:
    """What a publish did: the month, model and engine; consumers scored; rows new for the month, rows
    superseding a changed score, scores unchanged (no row); notes (e.g. an engine fallback).

    ``kept``: consumers whose score written after the run began (a dispute's rescoring, from newer
    records) stayed current instead of this run's different one (also in the publication's row).

    ``already`` is set when nothing was scored because the month was already published, with nothing
    changed since: when that publication (``publication_id``) finished."""

    publication_id: int
    as_of: date
    model_id: str
    engine: str
    changed_only: bool
    consumers: int
    new: int
    superseded: int
    unchanged: int
    seconds: float
    notes: tuple[str, ...] = ()
    already: datetime | None = None
    kept: int = 0

    @property
    def written(self) -> int:
        return self.new + self.superseded


def _model(session: Session, model_id: str | None) -> ModelRecord:
    if model_id is not None:
        model = model_by_id(session, model_id)
    else:
        found = active_model(session)
        if found is None:
            raise Conflict(
                "no active model: register one with lucidscore model register FILE, then "
                "lucidscore model activate MODEL_ID"
            )
        model = found
    if model.retired_at is not None:
        raise Conflict(f"model {model.model_id} is retired; publish with the active model", field="model_id")
    return model


def last_publication(session: Session, model_id: str, as_of: date) -> Publication | None:
    """The newest finished publish of ``as_of`` with ``model_id``."""
    return session.scalar(
        select(Publication)
        .where(Publication.model_id == model_id, Publication.as_of == as_of, Publication.status == "finished")
        .order_by(Publication.id.desc())
        .limit(1)
    )


def check_publish(as_of: date, *, engine: str = "local", chunk_consumers: int = 1) -> None:
    """Refuse (``InputError`` naming the parameter) what no database could publish: an unknown engine, a
    chunk below 1, a month in the future. ``publish_month`` checks it; a sharded publish checks it once
    before any shard starts."""
    if engine not in ENGINES:
        raise InputError.about("engine", f"{engine!r} is not an engine; expected one of {', '.join(ENGINES)}")
    if chunk_consumers < 1:
        raise InputError.about("chunk_consumers", f"{chunk_consumers} is too small; expected at least 1")
    today = date.today()
    if as_of > today:
        raise InputError.about(
            "as_of", f"{as_of.isoformat()} is in the future; expected a date on or before {today.isoformat()}"
        )


def publish_month(
    db_url: str,
    as_of: date,
    *,
    model_id: str | None = None,
    engine: str = "local",
    changed_only: bool = False,
    progress: PublishProgress | None = None,
    chunk_consumers: int = DEFAULT_CHUNK,
    spark: Any = None,
    skip_unchanged: bool = False,
) -> PublishReport:
    """Publish month ``as_of``: features from the stored records, scores with reasons and recourse from
    the active model (or ``model_id``), written to the score history without duplicates.

    Parameters
    ----------
    db_url : the database (``sqlite:///…`` or ``postgresql://…``), migrated, with ingested records.
    as_of : the month's date; features use records dated on or before it. Not in the future.
    model_id : publish with this registered model instead of the active one (used when a model is
        activated, to score everyone before decisions use it).
    engine : ``local`` (polars and the numba kernel) or ``spark`` (``local[2]`` Apache Spark scores; the
        features too when ``lucidscore.features.spark`` is installed). The scores are the same.
    changed_only : rescore only consumers whose records changed since the newest finished publish of
        this month and model; ``Conflict`` when there is none.
    progress : receives the stages and the consumers written.
    chunk_consumers : consumers scored and written per transaction.
    spark : an existing SparkSession for ``engine="spark"``.
    skip_unchanged : score nobody, write nothing and say so (``PublishReport.already``) when a finished
        publication of this month with this model's content and this code (``code_version``) stands and
        no record changed since it (``already_published``).

    Raises ``Conflict`` (no active model, a retired model, nothing to compare with for ``changed_only``),
    ``InputError`` (a bad engine or chunk size, a date in the future) and ``ModelFileError`` /
    ``PolicyViolation`` for a stored model that fails its checks.
    """
    check_publish(as_of, engine=engine, chunk_consumers=chunk_consumers)
    started = time.perf_counter()
    sink = progress if progress is not None else _Silent()
    db = make_engine(db_url)
    try:
        with Session(db, expire_on_commit=False) as session:
            model = _model(session, model_id)
            artifact = model_artifact(model)
            if skip_unchanged:
                sink.stage("changes since the month was last published")
                done = already_published(session, model, as_of)
                if done is not None:
                    return _already(done, as_of, model.model_id, engine, changed_only, started)
                session.commit()  # the check's read transaction ends before the run is recorded
            chosen: set[str] | None = None
            marks = record_marks(db)
            if changed_only:
                previous = last_publication(session, model.model_id, as_of)
                if previous is None:
                    raise Conflict(
                        f"--changed-only: {as_of.isoformat()} has not been published with model "
                        f"{model.model_id}; publish it in full first (without --changed-only)",
                        field="changed_only",
                    )
                sink.stage("consumers whose records changed")
                chosen = changed_consumers(
                    session.connection(), marks_from_json(previous.records_through, previous.pending_batches)
                )
            # The reads above end here and the run's row is written by a transaction that starts as a
            # writer: on SQLite a read transaction cannot become a write once another writer (a publish
            # beside this one) has committed since it began ("database is locked" at once); a writer
            # waits for the other's commit instead (busy timeout).
            end_reads(session)
            take_write_lock(session.connection())
            # Rows after this one were written while the month was being published, from records the
            # publish may not have read (a dispute's rescoring): it never writes over them.
            newest_row = session.scalar(select(func.max(ScoreRecord.id))) or 0
            publication = Publication(
                as_of=as_of,
                model_id=model.model_id,
                engine=engine,
                changed_only=changed_only,
                status="started",
                records_through=marks.through,
                pending_batches=marks.pending,
                model_hash=model.content_hash,
                code_version=code_version(),
            )
            session.add(publication)
            session.commit()
            try:
                totals, notes, consumers = _run(
                    db,
                    db_url,
                    artifact,
                    as_of,
                    engine,
                    chosen,
                    sink,
                    chunk_consumers,
                    (publication.id, newest_row),
                    spark,
                )
            except BaseException as exc:
                _finish(db, publication.id, "failed", None, None, error=f"{type(exc).__name__}: {exc}"[:2000])
                raise
            _finish(db, publication.id, "finished", totals, consumers)
            return PublishReport(
                publication_id=publication.id,
                as_of=as_of,
                model_id=model.model_id,
                engine=engine,
                changed_only=changed_only,
                consumers=consumers,
                new=totals.new,
                superseded=totals.superseded,
                unchanged=totals.unchanged,
                seconds=time.perf_counter() - started,
                notes=tuple(notes),
                kept=totals.kept,
            )
    finally:
        db.dispose()


def standing_month(
    db_url: str,
    as_of: date,
    *,
    model_id: str | None = None,
    engine: str = "local",
    changed_only: bool = False,
) -> PublishReport | None:
    """What ``publish_month(..., skip_unchanged=True)`` reports without scoring anyone when month
    ``as_of`` stands with the active model (or ``model_id``): a finished publication of it by this model
    content and code, no record changed since (``already_published``); None when it would publish. A
    sharded publish asks it before checking a shard's consumers (a read of every consumer id), which the
    standing publication checked, none having been added since."""
    started = time.perf_counter()
    db = make_engine(db_url)
    try:
        with Session(db, expire_on_commit=False) as session:
            model = _model(session, model_id)
            done = already_published(session, model, as_of)
            if done is None:
                return None
            return _already(done, as_of, model.model_id, engine, changed_only, started)
    finally:
        db.dispose()


def _already(
    done: Publication, as_of: date, model_id: str, engine: str, changed_only: bool, started: float
) -> PublishReport:
    assert done.finished_at is not None  # a finished publication
    return PublishReport(
        publication_id=done.id,
        as_of=as_of,
        model_id=model_id,
        engine=engine,
        changed_only=changed_only,
        consumers=0,
        new=0,
        superseded=0,
        unchanged=0,
        seconds=time.perf_counter() - started,
        already=aware(done.finished_at),
    )


def _run(
    db: Engine,
    db_url: str,
    artifact: ScorecardArtifact,
    as_of: date,
    engine: str,
    chosen: set[str] | None,
    sink: PublishProgress,
    chunk: int,
    publication: tuple[int, int],
    spark: Any,
) -> tuple[Recorded, list[str], int]:
    publication_id, newest_row = publication
    totals = Recorded()
    notes: list[str] = []
    if chosen is not None and not chosen:
        return totals, notes, 0
    if engine == "spark":
        from lucidscore.service._publish_spark import spark_score_chunks

        chunks, consumers = spark_score_chunks(db_url, artifact, as_of, chosen, sink, chunk, notes, spark)
    else:
        chunks, consumers = _local_score_chunks(db_url, artifact, as_of, chosen, sink, chunk)
    sink.stage("scores, reasons, recourse -> history", consumers)
    for rows in chunks:
        with db.begin() as conn:
            take_write_lock(conn)
            totals.add(record_scores(conn, rows, publication_id=publication_id, newer_than=newest_row))
        sink.advance(len(rows))
    if totals.kept:
        who = "1 consumer" if totals.kept == 1 else f"{totals.kept:,} consumers"
        notes.append(
            f"{who} kept a score written after this publish began (a dispute's rescoring or another "
            "publish), from records newer than the ones this publish read; publish again with "
            "--changed-only to bring any other changes in"
        )
    return totals, notes, consumers


def _local_score_chunks(
    db_url: str,
    artifact: ScorecardArtifact,
    as_of: date,
    chosen: set[str] | None,
    sink: PublishProgress,
    chunk: int,
) -> tuple[Iterator[list[dict[str, Any]]], int]:
    """The score rows, ``chunk`` consumers at a time, and how many consumers there are.

    The features are read in one snapshot, chunk by chunk, into a temporary Parquet file, which is then
    scored ``chunk`` rows at a time: memory is bounded by a chunk whatever the population (the whole
    month's features in memory took 3.0 GB at 1,000,000 consumers), and the snapshot is closed before
    the first write (a read transaction held open while the month is written would keep SQLite's
    write-ahead log from being checkpointed). The file goes to the system's temporary directory
    (``TMPDIR``) and is removed when the rows are written or the publish fails.
    """
    from lucidscore.features import features_to_parquet

    sink.stage(f"features as of {as_of.isoformat()}")
    directory = Path(tempfile.mkdtemp(prefix="lucidscore-publish-"))
    try:
        ids = None if chosen is None else sorted(chosen)
        written = features_to_parquet(
            db_url, as_of, directory / "features.parquet", consumer_ids=ids, chunk_consumers=FEATURE_CHUNK
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise

    def chunks() -> Iterator[list[dict[str, Any]]]:
        from lucidscore.score import score_consumers  # numba loads only when something is scored

        try:
            for frame in parquet_chunks(written.path, chunk):
                yield score_consumers(artifact, frame, as_of)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    return chunks(), written.rows


def parquet_chunks(path: Path, size: int) -> Iterator[pl.DataFrame]:
    """The rows of a Parquet file in order, as frames of exactly ``size`` rows (the last one fewer), one
    row group's worth in memory at a time.

    >>> import tempfile, polars as pl
    >>> p = Path(tempfile.mkdtemp()) / "t.parquet"
    >>> pl.DataFrame({"a": range(7)}).write_parquet(p, row_group_size=3)
    >>> [f["a"].to_list() for f in parquet_chunks(p, 2)]
    [[0, 1], [2, 3], [4, 5], [6]]
    """
    import polars as pl  # the service imports this module; polars and pyarrow load when a month is published
    import pyarrow as pa
    import pyarrow.parquet as pq

    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=size):
        pending.append(batch)
        held += batch.num_rows
        while held >= size:
            table = pa.Table.from_batches(pending)
            out, rest = table.slice(0, size), table.slice(size)
            yield cast(pl.DataFrame, pl.from_arrow(out))
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield cast(pl.DataFrame, pl.from_arrow(pa.Table.from_batches(pending)))


def _finish(
    db: Engine,
    publication_id: int,
    status: str,
    totals: Recorded | None,
    consumers: int | None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": now(), "error": error}
    if totals is not None:
        values |= {
            "consumers": consumers,
            "written": totals.written,
            "superseded": totals.superseded,
            "unchanged": totals.unchanged,
            "kept": totals.kept,
        }
    with db.begin() as conn:
        conn.execute(update(Publication).where(Publication.id == publication_id).values(**values))


def publications(session: Session, model_id: str | None = None) -> list[Publication]:
    """Every publish run, newest first (of ``model_id`` only, when given)."""
    query = select(Publication).order_by(Publication.id.desc())
    if model_id is not None:
        query = query.where(Publication.model_id == model_id)
    return list(session.scalars(query))
