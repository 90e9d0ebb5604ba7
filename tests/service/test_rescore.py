"""Rescoring one consumer after a dispute: in the newest published month (not a month the server was
started with), from that consumer's records alone, without a history row when nothing changed; and
``record_scores``, which keeps the score history free of duplicates on both databases."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lucidscore.artifact import load_artifact
from lucidscore.ingest import ingest_frame
from lucidscore.score import score_consumers
from lucidscore.service import (
    PipelineRescorer,
    PublishReport,
    Recorded,
    activate_model,
    consumer_features,
    current_rows,
    publish_month,
    record_scores,
    register_model,
    score_digest,
    score_history,
)
from lucidscore.service._common import take_write_lock
from lucidscore.store import make_engine, verify_audit_chains
from lucidscore.store.service import ModelRecord, Publication, ScoreRecord
from tests.fixtures.bureau import END, PREVIOUS, BureauFiles

CONSUMER = "C00000042"


def _ready(url: str, files: BureauFiles) -> ModelRecord:
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        model = register_model(s, load_artifact(files.model))
        activate_model(s, model)
        s.commit()
    engine.dispose()
    return model


def _rows(url: str, consumer: str) -> list[tuple[int, str, int, int | None]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT id, as_of, score, supersedes_id FROM score_history WHERE consumer_id = :c ORDER BY id"
            ),
            {"c": consumer},
        ).all()
    engine.dispose()
    return [(r[0], str(r[1])[:10], r[2], r[3]) for r in found]


def _late_payments(engine: Engine) -> None:
    """The consumer's statements since 2025-07 corrected to 120 days late (as an accepted dispute's
    correction, or a lender's, writes them)."""
    with engine.connect() as conn:
        late = conn.execute(
            text(
                "SELECT s.account_id, s.period, s.balance, s.amount_due FROM statements_current s "
                "JOIN accounts_current a ON a.account_id = s.account_id "
                "WHERE a.consumer_id = :c AND s.period >= '2025-07' ORDER BY s.account_id, s.period"
            ),
            {"c": CONSUMER},
        ).all()
    assert late
    frame = pl.DataFrame(
        {
            "account_id": [r[0] for r in late],
            "period": [r[1] for r in late],
            "balance": [str(r[2]) for r in late],
            "amount_due": [str(r[3]) for r in late],
            "amount_paid": ["0"] * len(late),
            "days_past_due": ["120"] * len(late),
            "reported_at": ["2026-07-02T00:00:00"] * len(late),
        }
    )
    ingest_frame(frame, "statements", engine, source="test")


def test_one_consumers_features_are_the_populations_row(bureau_url: str) -> None:
    everyone = consumer_features(bureau_url, END)
    one = consumer_features(bureau_url, END, [CONSUMER])
    assert one.height == 1
    assert one.equals(everyone.filter(pl.col("consumer_id") == CONSUMER).select(one.columns))


def test_rescoring_uses_the_newest_published_month_and_adds_no_duplicate(
    bureau_url: str, bureau_files: BureauFiles
) -> None:
    model = _ready(bureau_url, bureau_files)
    publish_month(bureau_url, PREVIOUS)
    publish_month(bureau_url, END)
    before = _rows(bureau_url, CONSUMER)
    # A server started with an older month (LUCIDSCORE_AS_OF) still rescores in the newest published one.
    rescorer = PipelineRescorer(bureau_url, as_of=PREVIOUS)
    engine = make_engine(bureau_url)
    with Session(engine, expire_on_commit=False) as s:
        record = rescorer.rescore_consumer(s, CONSUMER, model)
        s.commit()
        assert record is not None and record.as_of == END and record.id == before[-1][0]
    assert _rows(bureau_url, CONSUMER) == before  # nothing changed: no row

    _late_payments(engine)
    with Session(engine, expire_on_commit=False) as s:
        record = rescorer.rescore_consumer(s, CONSUMER, model)
        s.commit()
        assert record is not None and record.as_of == END and record.score < before[-1][2]
        again = rescorer.rescore_consumer(s, CONSUMER, model)
        s.commit()
        assert again is not None and again.id == record.id  # rescoring again: the same row, no new one
        shown = score_history(s, CONSUMER)
    after = _rows(bureau_url, CONSUMER)
    assert after[:-1] == before and after[-1] == (record.id, "2026-06-30", record.score, before[-1][0])
    assert [(h.as_of, h.score) for h in shown] == [(PREVIOUS, before[0][2]), (END, record.score)]
    assert all(status.ok for status in verify_audit_chains(engine))
    engine.dispose()


def test_record_scores_compares_with_rows_written_before_digests(
    bureau_url: str, bureau_files: BureauFiles
) -> None:
    """Rows from before revision 0006 have no digest: theirs is computed from what they hold, so the same
    score written again is still recognised (a score read back from the database digests the same)."""
    artifact = load_artifact(bureau_files.model)
    frame = consumer_features(bureau_url, END, [CONSUMER, "C00000043"])
    rows = score_consumers(artifact, frame, END)
    engine = make_engine(bureau_url)
    with engine.begin() as conn:
        conn.execute(ScoreRecord.__table__.insert(), [rows[0]])  # as the service wrote rows before 0006
    with engine.begin() as conn:
        stored = conn.execute(select(ScoreRecord.content_digest)).scalar_one()
        assert stored is None
        done = record_scores(conn, rows)
        assert (done.new, done.superseded, done.unchanged) == (1, 0, 1)
    with engine.begin() as conn:
        assert record_scores(conn, rows).unchanged == 2
        assert conn.execute(select(func.count()).select_from(ScoreRecord)).scalar_one() == 2
        found = current_rows(conn, artifact.model_id, END, [CONSUMER, "C00000043"])
    assert {c: d for c, (_, d) in found.items()} == {r["consumer_id"]: score_digest(r) for r in rows}
    changed = [dict(rows[0], score=rows[0]["score"] + 1)]
    with engine.begin() as conn:
        done = record_scores(conn, changed, want_ids=True)
        assert (done.new, done.superseded, done.unchanged) == (0, 1, 0)
        assert done.current_ids[CONSUMER] == conn.execute(select(func.max(ScoreRecord.id))).scalar_one()
    engine.dispose()


def test_the_digest_reads_json_from_text_as_from_objects() -> None:
    row = {
        "score": 612,
        "tier": "good",
        "probability": 0.0712,
        "segment": "thick",
        "reasons": [{"text": "ünïcode", "points_lost": 12}],
        "explanation": {"families": {"credit_history": -3}},
    }
    as_text = row | {"reasons": json.dumps(row["reasons"]), "explanation": json.dumps(row["explanation"])}
    assert score_digest(row) == score_digest(as_text)
    assert score_digest(row) != score_digest(row | {"probability": 0.0713})


def test_two_writers_of_the_same_scores_at_once_write_them_once(
    bureau_url: str, bureau_files: BureauFiles
) -> None:
    """Concurrency: two transactions write the same month's scores for the same consumers at once (two
    ``publish`` runs, or an accepted dispute's rescoring during a publish); the second starts while the
    first has written and not committed. The second waits and finds the first's rows: no duplicate
    history row. (On PostgreSQL both read 'no current row' before the chain's lock and both appended.)"""
    artifact = load_artifact(bureau_files.model)
    rows = score_consumers(artifact, consumer_features(bureau_url, END, [CONSUMER, "C00000043"]), END)
    engine = make_engine(bureau_url)
    second_started = threading.Event()
    outcome: list[Recorded] = []

    def second() -> None:
        with engine.begin() as conn:
            event.listen(conn, "before_cursor_execute", lambda *a: second_started.set(), once=True)
            take_write_lock(conn)  # as publish and rescoring do (SQLite: one writer)
            outcome.append(record_scores(conn, rows))

    with engine.begin() as conn:
        take_write_lock(conn)
        first = record_scores(conn, rows)
        worker = threading.Thread(target=second)
        worker.start()
        assert second_started.wait(10)
        time.sleep(0.3)  # the second is now blocked on a lock (or, before the fix, had read no rows)
    worker.join(30)
    assert (first.new, first.unchanged) == (2, 0)
    assert [(o.new, o.superseded, o.unchanged) for o in outcome] == [(0, 0, 2)]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ScoreRecord)).scalar_one() == 2
    assert all(status.ok for status in verify_audit_chains(engine))
    engine.dispose()


@dataclass
class _RescoresWhileWriting:
    """A publish's progress that, when the publish starts writing (its features already read), has a
    dispute accepted: the consumer's statements corrected and the consumer rescored, committed."""

    url: str
    model: ModelRecord
    rescored: list[ScoreRecord] = field(default_factory=list)

    def stage(self, description: str, total: int | None = None) -> None:
        if description.endswith("-> history") and not self.rescored:
            engine = make_engine(self.url)
            _late_payments(engine)
            with Session(engine, expire_on_commit=False) as s:
                record = PipelineRescorer(self.url).rescore_consumer(s, CONSUMER, self.model)
                s.commit()
            engine.dispose()
            assert record is not None
            self.rescored.append(record)

    def advance(self, n: int) -> None:
        pass


def test_a_dispute_rescored_during_a_publish_is_not_written_over(
    bureau_url: str, bureau_files: BureauFiles
) -> None:
    """Concurrency: a dispute is accepted (record corrected, consumer rescored) while a publish of the
    same month writes its scores, computed from the records before the correction. The publish keeps the
    rescored score and says so; it used to supersede it with the stale one, so the consumer and merchants
    saw the uncorrected score again until the next publish."""
    model = _ready(bureau_url, bureau_files)
    publish_month(bureau_url, END)
    stale = _rows(bureau_url, CONSUMER)[-1]
    during = _RescoresWhileWriting(bureau_url, model)
    report = publish_month(bureau_url, END, progress=during)
    (rescored,) = during.rescored
    assert rescored.score < stale[2]
    assert _rows(bureau_url, CONSUMER)[-1] == (rescored.id, "2026-06-30", rescored.score, stale[0])
    assert report.superseded == 0 and report.unchanged == report.consumers - 1
    assert report.kept == 1
    engine = make_engine(bureau_url)
    with Session(engine) as s:  # the run's row says so too, for whoever audits the month later
        row = s.get(Publication, report.publication_id)
        assert row is not None and (row.kept, row.unchanged, row.superseded) == (1, report.unchanged, 0)
    engine.dispose()
    assert report.notes == (
        "1 consumer kept a score written after this publish began (a dispute's rescoring or another "
        "publish), from records newer than the ones this publish read; publish again with --changed-only "
        "to bring any other changes in",
    )
    again = publish_month(bureau_url, END, changed_only=True)
    assert (again.consumers, again.written) == (1, 0)
    assert _rows(bureau_url, CONSUMER)[-1][0] == rescored.id


@dataclass
class _PublishesMeanwhile:
    """A ``--changed-only`` publish's progress that, once the publish has read what it will rescore (its
    session's read transaction open), has a full publish of the same month run to its end beside it."""

    url: str
    other: list[PublishReport] = field(default_factory=list)

    def stage(self, description: str, total: int | None = None) -> None:
        if description == "consumers whose records changed" and not self.other:
            self.other.append(publish_month(self.url, END, skip_unchanged=False))

    def advance(self, n: int) -> None:
        pass


def test_a_publish_that_began_reading_before_another_committed_still_records_its_run(
    bureau_url: str, bureau_files: BureauFiles
) -> None:
    """Concurrency: two publishes of one month at once (an operator's second terminal, a cron job beside
    a manual run). On SQLite the later writer's read transaction could not become a write once the other
    had committed ("database is locked" at once, whatever the busy timeout: found by running two
    ``publish --shards`` together). Both runs finish; each consumer has one current row of the month."""
    _ready(bureau_url, bureau_files)
    publish_month(bureau_url, END)
    engine = make_engine(bureau_url)
    _late_payments(engine)  # one consumer for the --changed-only run to rescore
    engine.dispose()
    beside = _PublishesMeanwhile(bureau_url)
    report = publish_month(bureau_url, END, changed_only=True, progress=beside)
    (other,) = beside.other
    assert other.superseded == 1  # the full run beside it wrote the corrected consumer's new score
    assert (report.consumers, report.written) == (1, 0)  # and this one found it current: no second row
    engine = make_engine(bureau_url)
    with Session(engine) as s:
        statuses = [p.status for p in s.scalars(select(Publication).order_by(Publication.id))]
        current = s.execute(
            text(
                "SELECT count(*) FROM (SELECT consumer_id FROM score_history h WHERE as_of = :d AND NOT "
                "EXISTS (SELECT 1 FROM score_history n WHERE n.supersedes_id = h.id) GROUP BY consumer_id "
                "HAVING count(*) > 1) AS twice"
            ),
            {"d": END},
        ).scalar_one()
    assert statuses == ["finished", "finished", "finished"]
    assert current == 0
    assert all(status.ok for status in verify_audit_chains(engine))
    engine.dispose()
