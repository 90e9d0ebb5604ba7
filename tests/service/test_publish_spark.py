"""``publish --engine spark`` writes the local engine's scores, reasons and explanations, row for row (in the
shared test session, tests/fixtures/spark.py, which the command finds through ``getOrCreate``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lucidscore.store import make_engine
from tests.fixtures.bureau import END, BureauFiles, Lucid
from tests.fixtures.spark import SPARK_MARKS

pytestmark = SPARK_MARKS


@pytest.fixture
def bureau_url(_bureau_sqlite: Path, tmp_path: Path) -> str:
    """The bureau's ingested records in a fresh SQLite database: one database is enough here, as the engines
    differ only before the rows are written (the shared ``bureau_url`` gives a PostgreSQL one too, which
    these tests would copy, then skip)."""
    path = tmp_path / "bureau.db"
    with sqlite3.connect(_bureau_sqlite) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return f"sqlite:///{path}"


def _scores(url: str) -> dict[str, tuple[int, str, str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT consumer_id, score, tier, content_digest FROM score_history")).all()
    engine.dispose()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_spark_publishes_the_local_engines_rows(
    spark: Any, bureau_url: str, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Any
) -> None:
    for args in (
        ("model", "register", str(bureau_files.model)),
        ("model", "activate", bureau_files.model_id),
    ):
        assert lucid(*args, "--db", bureau_url)[0] == 0
    local_url = f"sqlite:///{tmp_path / 'local.db'}"
    with (
        sqlite3.connect(bureau_url.removeprefix("sqlite:///")) as src,
        sqlite3.connect(tmp_path / "local.db") as dst,
    ):
        src.backup(dst)
    code, out, err = lucid("publish", "--db", bureau_url, "--as-of", END.isoformat(), "--engine", "spark")
    assert code == 0, err
    assert "(spark engine)" in out
    assert lucid("publish", "--db", local_url, "--as-of", END.isoformat())[0] == 0
    assert _scores(bureau_url) == _scores(local_url) and len(_scores(local_url)) == 1000
    code, out, _ = lucid(
        "publish", "--db", bureau_url, "--as-of", END.isoformat(), "--engine", "spark", "--full"
    )
    assert code == 0 and "0 new, 0 superseded" in out  # the same month scored again on Spark: no row


def test_spark_hands_the_driver_partitions_of_at_most_a_chunk_in_consumer_order(
    spark: Any, bureau_url: str, bureau_files: BureauFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver takes the scored rows a partition at a time, 3-4 KB a row: a features file read as a
    few large partitions ran its heap out (1,000,000 consumers with 8 GB; 100,000 with 1 GB). Each
    partition now holds at most ``chunk`` consumers, by consumer id, so the rows come in consumer order."""
    from lucidscore.artifact import load_artifact
    from lucidscore.score import spark as score_spark
    from lucidscore.service import _publish_spark

    seen: dict[str, list[int]] = {}
    scorer = score_spark.score_consumers_dataframe

    def spy(spark_frame: Any, *args: Any, **kwargs: Any) -> Any:
        seen["sizes"] = spark_frame.rdd.glom().map(len).collect()
        return scorer(spark_frame, *args, **kwargs)

    monkeypatch.setattr(score_spark, "score_consumers_dataframe", spy)

    class Sink:
        def stage(self, text: str) -> None:
            pass

    art = load_artifact(bureau_files.model)
    chunks, consumers = _publish_spark.spark_score_chunks(bureau_url, art, END, None, Sink(), 97, [], spark)
    ids = [r["consumer_id"] for chunk in chunks for r in chunk]
    assert consumers == 1000 and sum(seen["sizes"]) == 1000
    assert len(seen["sizes"]) == 11 and max(seen["sizes"]) <= 97  # ceil(1000 / 97) partitions
    assert ids == sorted(ids) and len(set(ids)) == 1000
