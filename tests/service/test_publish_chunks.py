"""A publish reads the month's features chunk by chunk into a temporary file and scores that file chunk by
chunk (memory bounded by a chunk, not by the population): whatever the chunk sizes, the stored month is
the same, and the temporary file is gone afterwards, after a failure too."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lucidscore.features import compute_features
from lucidscore.service import _publish, publish_month
from lucidscore.service._publish import parquet_chunks
from lucidscore.store import make_engine
from tests.fixtures.bureau import END, BureauFiles, copy_postgres, with_active_model


def _fresh(request: pytest.FixtureRequest, base: str, tmp: Path, name: str) -> str:
    if base == "sqlite":
        path = tmp / f"{name}.db"
        with sqlite3.connect(request.getfixturevalue("_bureau_sqlite")) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        url = f"sqlite:///{path}"
    else:
        url = copy_postgres(
            request.getfixturevalue("postgres_server"), request.getfixturevalue("_bureau_postgres")
        )
    return with_active_model(url, request.getfixturevalue("bureau_files"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_copies(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    return _fresh(request, request.param, tmp_path, "a"), _fresh(request, request.param, tmp_path, "b")


def _stored(url: str) -> list[tuple[Any, ...]]:
    """Every score-history row but the columns that differ between two writes of the same month (when it
    was scored, the chain's hashes that cover that, and the publication's id)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT consumer_id, model_id, as_of, score, tier, reasons, content_digest "
                "FROM score_history ORDER BY chain_seq"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The system's temporary directory, for this test alone (so leftovers can be seen)."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    yield directory


def test_small_chunks_store_the_same_month(
    two_copies: tuple[str, str], private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, chunked = two_copies
    publish_month(whole, END)
    monkeypatch.setattr(_publish, "FEATURE_CHUNK", 97)  # 1,000 consumers: 11 feature chunks
    report = publish_month(chunked, END, chunk_consumers=13)
    assert report.consumers == 1000 and report.written == 1000
    assert _stored(chunked) == _stored(whole)
    assert list(private_tmp.iterdir()) == []  # the features file is removed


def test_a_failed_publish_leaves_no_file_and_a_rerun_writes_the_rest(
    two_copies: tuple[str, str], private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, broken = two_copies
    publish_month(whole, END)
    real = _publish.record_scores
    calls = {"n": 0}

    def fails_third(conn: Any, rows: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the disk is full")
        return real(conn, rows, **kw)

    monkeypatch.setattr(_publish, "record_scores", fails_third)
    with pytest.raises(RuntimeError, match="disk is full"):
        publish_month(broken, END, chunk_consumers=100)
    assert list(private_tmp.iterdir()) == []
    assert len(_stored(broken)) == 200  # two chunks committed, the third rolled back
    monkeypatch.setattr(_publish, "record_scores", real)
    report = publish_month(broken, END, chunk_consumers=100)
    assert (report.new, report.unchanged) == (800, 200)
    assert sorted(_stored(broken)) == sorted(_stored(whole))


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 40), min_size=0, max_size=6),
    group=st.integers(1, 17),
    size=st.integers(1, 50),
)
def test_parquet_chunks_are_the_rows_in_order_in_exact_sizes(sizes: list[int], group: int, size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.parquet"
        n = sum(sizes)
        frame = pl.DataFrame({"i": list(range(n)), "s": [f"c{i}" for i in range(n)]})
        frame.write_parquet(path, row_group_size=group)
        chunks = list(parquet_chunks(path, size))
    assert [c.height for c in chunks] == [min(size, n - a) for a in range(0, n, size)]
    assert (pl.concat(chunks) if chunks else frame.clear()).equals(frame)


SOURCES = ["files", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("source", SOURCES)
def test_a_long_list_of_consumers_is_read_in_chunks_with_the_same_rows(
    source: str, bureau_files: BureauFiles, request: pytest.FixtureRequest
) -> None:
    where: str | Path = bureau_files.data
    if source == "sqlite":
        where = f"sqlite:///{request.getfixturevalue('_bureau_sqlite')}"
    elif source == "postgresql":
        where = request.getfixturevalue("_bureau_postgres")
    everyone = compute_features(where, END)
    ids = [*everyone["consumer_id"].to_list()[::3], "nobody"]
    chunked = compute_features(where, END, consumer_ids=ids, chunk_consumers=7)
    assert chunked.height == len(ids) - 1
    assert chunked.equals(everyone.filter(pl.col("consumer_id").is_in(ids)))
