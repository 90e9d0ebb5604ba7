"""``compute_features``, ``write_features`` and ``features_to_parquet``: the public entry points of the
features layer (local engine).

A population larger than ``chunk_consumers`` is computed in chunks of consecutive consumer identifiers,
each reading only its consumers' records, so memory stays bounded whatever the population; every
consumer's features depend on that consumer's records alone, so the chunks give exactly the rows of one
pass over everyone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from lucidscore.errors import InputError
from lucidscore.features._catalogue import FEATURE_CATALOGUE
from lucidscore.features._compute import build, point_in_time
from lucidscore.features._progress import Steps
from lucidscore.features._selection import Consumers, Selection, chunk_ranges, consumers
from lucidscore.features._sources import DatabaseSource, Source, amount_beyond_the_schema, open_source
from lucidscore.paths import temporary_sibling
from lucidscore.policy import FEATURE_META_KEY

# 1.3 GB peak on the synthetic population, at 1,000,000 and at 10,000,000 consumers (BENCHMARKS.md).
DEFAULT_CHUNK_CONSUMERS = 250_000


@dataclass(frozen=True)
class _Counted:
    frame: pl.DataFrame
    rows_used: dict[str, int]  # per table, rows dated on or before as_of (outcomes: observed on it)


@dataclass
class FeaturesWritten:
    """What ``features_to_parquet`` wrote: the file, its rows and columns, the rows used per table."""

    path: Path
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    rows_used: dict[str, int] = field(default_factory=dict)
    chunks: int = 0


def _check_as_of(as_of: date, today: date) -> None:
    if as_of > today:
        raise InputError(
            f"as_of: {as_of.isoformat()} is in the future; expected a date on or before {today.isoformat()}"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _culprit(tables: dict[str, pl.LazyFrame], exc: BaseException) -> tuple[str, str]:
    """Which table failed to parse (only on the error path: each table is read once more on its own)."""
    for name, frame in tables.items():
        try:
            frame.collect()
        except pl.exceptions.PolarsError as own:
            return name, _first_line(own)
    return "one", _first_line(exc)


def _unreadable(
    source: Source, tables: dict[str, pl.LazyFrame], exc: BaseException, as_of: date
) -> InputError:
    name, first = _culprit(tables, exc)
    if name == "one":  # every table reads: the values broke the computation
        beyond = amount_beyond_the_schema(point_in_time(tables, as_of))
        if beyond is not None:
            return InputError(f"{source.name}: {beyond}")
    return InputError(
        f"{source.name}: the {name} table could not be read with the types of its schema ({first}); "
        "see docs/data.md"
    )


def compute_features(
    source: str | Path,
    as_of: date,
    progress: bool = False,
    today: date | None = None,
    *,
    consumer_ids: Iterable[str] | None = None,
    chunk_consumers: int = DEFAULT_CHUNK_CONSUMERS,
) -> pl.DataFrame:
    """Characteristics of every consumer (or of ``consumer_ids``) as of ``as_of``, from records dated on
    or before it.

    Parameters
    ----------
    source
        A directory with one CSV or Parquet file per table (as ``lucidscore synth`` writes them), or a
        database URL (``sqlite:///lucidscore.db``, ``postgresql+psycopg://...``) loaded by
        ``lucidscore ingest``, read through its ``<table>_current`` views.
    as_of
        Observation date, not in the future. Statements of months after it, and accounts, inquiries,
        public records and income dated after it, are ignored.
    progress
        Show a Rich progress bar.
    today
        The date "the future" starts after (default: today); for tests.
    consumer_ids
        Only these consumers: their records alone are read (``WHERE consumer_id IN ...`` in SQL, a
        filtered scan of Parquet), and the rows are exactly those of the whole population's features for
        them. Unknown identifiers give no row. Used to rescore one consumer after a dispute.
    chunk_consumers
        Consumers computed together; a larger population (or a longer ``consumer_ids``) is computed in
        chunks of consecutive identifiers, each reading only its consumers' records (the result is the
        same).

    Returns
    -------
    polars.DataFrame
        ``consumer_id`` (sorted), one column per entry of ``FEATURE_CATALOGUE`` (null where undefined),
        and ``bad`` when the source has outcomes observed on ``as_of``.

    Examples
    --------
    >>> import tempfile
    >>> from lucidscore.synth import generate_population
    >>> data = generate_population(300, seed=1, out_dir=Path(tempfile.mkdtemp())).out_dir
    >>> frame = compute_features(data, date(2025, 6, 30))
    >>> frame.height, "bad" in frame.columns
    (300, True)
    >>> one = compute_features(data, date(2025, 6, 30), consumer_ids=["C00000007"])
    >>> one.equals(frame.filter(pl.col("consumer_id") == "C00000007"))
    True
    """
    return _collect(source, as_of, progress, today, consumer_ids, chunk_consumers, count=False).frame


def compute_features_counted(
    source: str | Path,
    as_of: date,
    progress: bool = False,
    today: date | None = None,
    *,
    consumer_ids: Iterable[str] | None = None,
    chunk_consumers: int = DEFAULT_CHUNK_CONSUMERS,
) -> _Counted:
    """``compute_features`` plus the rows used per table (for the CLI's final counts)."""
    return _collect(source, as_of, progress, today, consumer_ids, chunk_consumers, count=True)


def features_to_parquet(
    source: str | Path,
    as_of: date,
    out: str | Path,
    progress: bool = False,
    today: date | None = None,
    *,
    consumer_ids: Iterable[str] | None = None,
    chunk_consumers: int = DEFAULT_CHUNK_CONSUMERS,
) -> FeaturesWritten:
    """``compute_features`` written to Parquet chunk by chunk (memory bounded by one chunk, whatever the
    population), with the catalogue in the metadata as ``write_features`` does; written to a temporary
    file and renamed at the end, so a failure leaves nothing behind."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    summary = FeaturesWritten(path)
    writer: pq.ParquetWriter | None = None
    last: str | None = None
    in_order = True
    try:
        for frame, rows in _chunks(source, as_of, progress, today, consumer_ids, chunk_consumers, True):
            table = _with_catalogue(frame.to_arrow())
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                summary.columns = frame.columns
            writer.write_table(table.cast(writer.schema))
            summary.rows += frame.height
            summary.chunks += 1
            for name, n in rows.items():
                summary.rows_used[name] = summary.rows_used.get(name, 0) + n
            if frame.height:
                in_order = in_order and (last is None or last <= frame["consumer_id"][0])
                last = frame["consumer_id"][-1]
        if writer is not None:
            writer.close()
            writer = None
        if not in_order:  # a database collation that is not byte order: sort once at the end
            write_features(pl.read_parquet(tmp, glob=False).sort("consumer_id"), tmp)
        tmp.replace(path)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return summary


def _collect(
    source: str | Path,
    as_of: date,
    progress: bool,
    today: date | None,
    consumer_ids: Iterable[str] | None,
    chunk_consumers: int,
    count: bool,
) -> _Counted:
    frames: list[pl.DataFrame] = []
    rows: dict[str, int] = {}
    for frame, used in _chunks(source, as_of, progress, today, consumer_ids, chunk_consumers, count):
        frames.append(frame)
        for name, n in used.items():
            rows[name] = rows.get(name, 0) + n
    frame = pl.concat(frames) if len(frames) > 1 else frames[0]
    if len(frames) > 1 and not frame.get_column("consumer_id").is_sorted():
        frame = frame.sort("consumer_id")  # a database collation that is not byte order
    return _Counted(frame, rows)


def _chunks(
    source: str | Path,
    as_of: date,
    progress: bool,
    today: date | None,
    consumer_ids: Iterable[str] | None,
    chunk_consumers: int,
    count: bool,
) -> Iterator[tuple[pl.DataFrame, dict[str, int]]]:
    """The features chunk by chunk (one chunk at least, possibly empty), each with the rows it used per
    table when ``count`` (for a directory, counted once over all files with the last chunk)."""
    _check_as_of(as_of, today or date.today())
    if chunk_consumers < 1:
        raise InputError(f"chunk_consumers: {chunk_consumers} is too small; expected at least 1")
    wanted = None if consumer_ids is None else consumers(consumer_ids)
    with Steps(progress) as steps:
        steps.note("opening")
        opened = open_source(source)
        try:
            selections: list[Selection]
            if wanted is not None:  # a long list in chunks too: memory bounded whatever its length
                ids, n = wanted.ids, chunk_consumers
                selections = [Consumers(ids[i : i + n]) for i in range(0, len(ids), n)] or [wanted]
            elif opened.count_consumers() <= chunk_consumers:
                selections = [None]
            else:
                steps.note("listing consumers")
                selections = list(chunk_ranges(opened.consumer_ids(), chunk_consumers))
            keep_bad = opened.has_outcomes(as_of)
            steps.plan(len(selections) + int(count))
            for i, selection in enumerate(selections, 1):
                label = "" if len(selections) == 1 else f"chunk {i}/{len(selections)}: "
                steps.note(f"{label}reading")
                tables = opened.tables(as_of, selection, partial(_reading, steps, label))
                steps.note(f"{label}computing")
                frame = _compute(opened, tables, as_of)
                if not keep_bad and "bad" in frame.columns:
                    frame = frame.drop("bad")
                rows: dict[str, int] = {}
                if count and isinstance(opened, DatabaseSource):  # rows in memory: cheap to count
                    rows = _count(opened, tables, as_of)
                elif count and i == len(selections):  # files: one lazy pass over the predicate columns
                    steps.note("counting")
                    rows = _count(opened, opened.tables(as_of, wanted), as_of)
                steps.step(f"{label}done")
                yield frame, rows
        finally:
            opened.close()


def _reading(steps: Steps, label: str, table: str) -> None:
    steps.note(f"{label}reading {table}")


def _compute(source: Source, tables: dict[str, pl.LazyFrame], as_of: date) -> pl.DataFrame:
    """One chunk's features; the streaming engine keeps the statements out of memory at once."""
    try:
        return build(tables, as_of).collect(engine="streaming")
    except pl.exceptions.PolarsError as exc:
        raise _unreadable(source, tables, exc, as_of) from None


def _count(source: Source, tables: dict[str, pl.LazyFrame], as_of: date) -> dict[str, int]:
    """Rows of each table dated on or before ``as_of`` (outcomes: observed on it)."""
    try:
        cut = point_in_time(tables, as_of)
        return {name: int(lf.select(pl.len()).collect().item()) for name, lf in cut.items()}
    except pl.exceptions.PolarsError as exc:
        raise _unreadable(source, tables, exc, as_of) from None


def _with_catalogue(table: pa.Table) -> pa.Table:
    """``table`` with the catalogue of its feature columns in the schema metadata."""
    metas = [FEATURE_CATALOGUE[c].to_dict() for c in table.column_names if c in FEATURE_CATALOGUE]
    metadata = dict(table.schema.metadata or {})
    metadata[FEATURE_META_KEY] = json.dumps(metas).encode("utf-8")
    return table.replace_schema_metadata(metadata)


def write_features(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write features to Parquet with the catalogue (JSON list of ``FeatureMeta.to_dict()``) in the
    schema metadata under ``lucidscore.policy.FEATURE_META_KEY``, so ``lucidscore train`` knows each
    column's family and description. Written atomically (temporary file, then rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    table = _with_catalogue(frame.to_arrow())
    tmp = temporary_sibling(p)
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(p)
    return p
