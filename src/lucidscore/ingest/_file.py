"""Ingest one file (or one in-memory frame) into its raw table: validate, quarantine, load atomically."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import psycopg
from sqlalchemy import Table, insert, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lucidscore.errors import InputError
from lucidscore.ingest import _load
from lucidscore.ingest._progress import NoProgress, ProgressSink
from lucidscore.ingest._quarantine import message, quarantine_path, write_quarantine
from lucidscore.ingest._read import (
    LINE,
    FileScan,
    ParseProblems,
    RawBatch,
    check_columns,
    check_parquet_columns,
    count_rows,
    csv_header,
    is_parquet,
    iter_csv,
    iter_parquet,
    scan_file,
)
from lucidscore.ingest._report import FileReport
from lucidscore.ingest._validate import PROBLEM_SCHEMA, Clock, empty_problems, validate_batch
from lucidscore.records import LOAD_ORDER, TABLES_BY_NAME
from lucidscore.records import Table as RecordTable
from lucidscore.store import DEFAULT_WAIT_SECONDS, ingest_batches_table, lock_transaction, write_transaction

if TYPE_CHECKING:
    import pandas as pd  # only frames handed in as pandas (a dispute's correction); not a command's start-up

SAMPLE_PROBLEMS = 10
DEFAULT_BATCH_BYTES = 16 << 20
DEFAULT_BATCH_ROWS = 250_000


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _record(table: str) -> RecordTable:
    if table not in TABLES_BY_NAME:
        raise InputError(f"table {table!r} is unknown; expected one of {', '.join(LOAD_ORDER)}")
    return TABLES_BY_NAME[table]


def _start_batch(engine: Engine, table: str, name: str, sha256: str, now: datetime, wait: float) -> int:
    """Record the attempt in its own committed transaction, so a load that dies is visible as such."""
    batches = ingest_batches_table()
    what = f"nothing of {Path(name).name} was loaded"
    with write_transaction(engine, wait=wait, what=what) as conn:
        result = conn.execute(
            insert(batches).values(
                table_name=table, file_name=name, sha256=sha256, status="started", started_at=now
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def _fail_batch(engine: Engine, batch_id: int, error: BaseException) -> None:
    batches = ingest_batches_table()
    try:
        with engine.begin() as conn:
            conn.execute(
                update(batches)
                .where(batches.c.id == batch_id)
                .values(status="failed", error=str(error)[:2000], finished_at=_utcnow())
            )
    except Exception:  # the database itself may be what failed; the original error matters more
        pass


def _parse_problems(parsed: ParseProblems, scan: FileScan) -> pl.DataFrame:
    """Problems of the lines that never became rows: damaged lines and lines with the wrong field count."""
    last_line = scan.newlines + (0 if scan.ends_with_newline else 1)
    rows: list[tuple[int, str, str, str]] = [(f.row, f.column, f.value, f.reason) for f in scan.faults]
    for number, found, expected, text in parsed.lines:
        if number == last_line and not scan.ends_with_newline and found < expected:
            reason = (
                f"the last line is cut off: {found} of {expected} fields and no line end "
                "(was the file truncated?)"
            )
        else:
            reason = f"{found} fields; expected {expected} as in the header"
        rows.append((number, LINE, text[:200], reason))
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA, orient="row")


def _messages(source: str, problems: pl.DataFrame) -> tuple[str, ...]:
    out = []
    for row, column, value, reason in problems.sort("row").head(SAMPLE_PROBLEMS).iter_rows():
        if column == LINE:
            out.append(f"{source} row {row:,}: {reason}: {value!r}")
        else:
            out.append(message(source, row, column, value, reason))
    return tuple(out)


def _stage_all(
    conn: Connection,
    record: RecordTable,
    batches: Iterator[RawBatch],
    after_read: Callable[[], pl.DataFrame],
    now: datetime,
    progress: ProgressSink,
) -> tuple[Table, int, list[pl.DataFrame]]:
    """Read, validate and stage every row; find keys repeated in the file. Touches only the staging table.

    Returns (staging table, rows read, problems so far).
    """
    clock = Clock(now)
    stage = _load.create_stage(conn, record)
    parts: list[pl.DataFrame] = []
    read = 0
    for batch in batches:
        valid, problems = validate_batch(batch.frame, pl.Series(batch.rows), record, clock)
        if problems.height:
            parts.append(problems)
        _load.stage_rows(conn, stage, valid)
        read += batch.frame.height
        if batch.problems is not None and batch.problems.height:
            parts.append(batch.problems)
            read += batch.problems.get_column("row").n_unique()
        progress.advance(batch.frame.height)
    parse = after_read()
    if parse.height:
        parts.append(parse)
        unique = parse.get_column("row").n_unique()
        read += unique
        progress.advance(unique)
    progress.phase("checking keys")
    _load.index_stage(conn, stage, record)
    parts.append(_load.quarantine_duplicates(conn, stage, record))
    return stage, read, parts


def _check_and_merge(
    conn: Connection, stage: Table, record: RecordTable, batch_id: int, now: datetime, progress: ProgressSink
) -> tuple[list[pl.DataFrame], _load.MergeCounts]:
    """Under the write lock: checks against the stored rows, then the merge."""
    parts = [_load.quarantine_unknown_references(conn, stage, record)]
    existing = _load.has_current_keys(conn, stage, record)
    if existing:
        parts.append(_load.quarantine_stale(conn, stage, record))
    progress.phase("writing")
    return parts, _load.merge(conn, stage, record, batch_id, now, existing=existing)


class _KeyRepeats(Exception):
    """A key repeats in the file: the straight load stops and the file goes through staging instead."""


_UNIQUE_VIOLATIONS: tuple[type[BaseException], ...] = (
    IntegrityError,
    sqlite3.IntegrityError,
    psycopg.IntegrityError,
)


def _load_straight(
    conn: Connection,
    record: RecordTable,
    batches: Iterator[RawBatch],
    after_read: Callable[[], pl.DataFrame],
    batch_id: int,
    now: datetime,
    progress: ProgressSink,
) -> tuple[int, list[pl.DataFrame], _load.MergeCounts]:
    """First load of a table (it holds no row, checked under the lock): validated rows go straight into
    it (COPY on PostgreSQL), with no staging table and its key indexes dropped, then rebuilt once at the
    end; references are checked batch by batch. Nothing can be stale, superseded or unchanged. A key
    repeated in the file raises ``_KeyRepeats`` (the rebuilt unique index refuses it)."""
    clock = Clock(now)
    parts: list[pl.DataFrame] = []
    read = inserted = 0
    _load.begin_first_load(conn, record, batch_id, now)
    with _load.straight_writer(conn, record, batch_id, now) as (write, probe):
        for batch in batches:
            valid, problems = validate_batch(batch.frame, pl.Series(batch.rows), record, clock)
            valid, unknown = _load.unknown_references(probe, record, valid)
            parts.extend(p for p in (problems, unknown, batch.problems) if p is not None and p.height)
            try:
                inserted += write(valid)
            except _UNIQUE_VIOLATIONS as exc:
                raise _KeyRepeats() from exc
            read += batch.frame.height
            if batch.problems is not None and batch.problems.height:
                read += batch.problems.get_column("row").n_unique()
            progress.advance(batch.frame.height)
    parse = after_read()
    if parse.height:
        parts.append(parse)
        read += parse.get_column("row").n_unique()
    progress.phase("indexing")
    try:
        _load.end_first_load(conn, record, batch_id)
    except _UNIQUE_VIOLATIONS as exc:
        raise _KeyRepeats() from exc
    return read, parts, _load.MergeCounts(staged=inserted, inserted=inserted, superseded=0, unchanged=0)


def _finish(
    conn: Connection,
    source: str,
    batch_id: int,
    read: int,
    parts: list[pl.DataFrame],
    counts: _load.MergeCounts,
    quarantine_to: Path | None,
) -> tuple[pl.DataFrame, int, Path | None]:
    """Inside the loading transaction: check the counts, write the quarantine file (to a temporary name),
    mark the batch committed. Returns (problems, rows quarantined, temporary quarantine file)."""
    problems = pl.concat([p for p in parts if p.height] or [empty_problems()])
    quarantined = problems.get_column("row").n_unique() if problems.height else 0
    accepted = read - quarantined
    if accepted != counts.staged:
        raise RuntimeError(
            f"{source}: internal count mismatch: {accepted} rows accepted but {counts.staged} "
            "staged; nothing was loaded"
        )
    tmp = write_quarantine(problems, quarantine_to) if quarantine_to is not None and problems.height else None
    batches_t = ingest_batches_table()
    conn.execute(
        update(batches_t)
        .where(batches_t.c.id == batch_id)
        .values(
            status="committed",
            rows_read=read,
            rows_accepted=accepted,
            rows_quarantined=quarantined,
            rows_inserted=counts.inserted,
            rows_superseded=counts.superseded,
            rows_unchanged=counts.unchanged,
            finished_at=_utcnow(),
        )
    )
    return problems, quarantined, tmp


def _ingest(
    engine: Engine,
    record: RecordTable,
    source: str,
    sha256: str,
    batches: Callable[[], Iterator[RawBatch]],
    after_read: Callable[[], pl.DataFrame],
    total: int | None,
    quarantine_to: Path | None,
    progress: ProgressSink | None,
    now: datetime | None,
    wait: float = DEFAULT_WAIT_SECONDS,
) -> FileReport:
    """Load one file so that it is stored all or none.

    Into a table with no rows yet, in one transaction holding the database's write lock: rows straight
    in (``_load_straight``). Otherwise, or when a key repeats in the file: stage the file in one
    transaction (temporary table only, no lock needed), then check and merge in a second transaction
    holding the write lock; only that one writes stored rows.
    """
    started = time.perf_counter()
    now = now or _utcnow()
    sink = progress or NoProgress()
    sink.start(f"{record.name} ({Path(source).name})", total)
    batch_id = _start_batch(engine, record.name, source, sha256, now, wait)
    what = f"nothing of {Path(source).name} was loaded"
    tmp: Path | None = None
    try:
        with engine.connect() as conn:
            result: tuple[int, list[pl.DataFrame], _load.MergeCounts] | None = None
            try:
                with lock_transaction(conn, wait=wait, what=what, table=record.name):
                    _load.tune(conn)
                    if _load.table_is_empty(conn, record):
                        result = _load_straight(conn, record, batches(), after_read, batch_id, now, sink)
                        sink.phase("writing")
                        problems, quarantined, tmp = _finish(conn, source, batch_id, *result, quarantine_to)
            except _KeyRepeats:
                result = None
                sink.phase("a key repeats: loading again through staging")
            if result is None:
                with conn.begin():
                    _load.tune(conn)
                    stage, read, parts = _stage_all(conn, record, batches(), after_read, now, sink)
                sink.phase("waiting for the write lock")
                with lock_transaction(conn, wait=wait, what=what, table=record.name):
                    _load.tune(conn)
                    more, counts = _check_and_merge(conn, stage, record, batch_id, now, sink)
                    result = (read, [*parts, *more], counts)
                    problems, quarantined, tmp = _finish(conn, source, batch_id, *result, quarantine_to)
                with conn.begin():  # after the commit: freeing the staging table needs no lock
                    _load.drop_stage(conn, stage)
    except BaseException as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        _fail_batch(engine, batch_id, exc)
        raise
    read, _, counts = result
    written: Path | None = None
    if quarantine_to is not None:
        if tmp is not None:
            tmp.replace(quarantine_to)
            written = quarantine_to
        else:
            quarantine_to.unlink(missing_ok=True)  # an old quarantine file would no longer be true
    sink.phase("done")
    return FileReport(
        path=Path(source),
        table=record.name,
        sha256=sha256,
        batch_id=batch_id,
        read=read,
        accepted=read - quarantined,
        quarantined=quarantined,
        inserted=counts.inserted,
        superseded=counts.superseded,
        unchanged=counts.unchanged,
        quarantine_path=written,
        problems=_messages(Path(source).name, problems),
        seconds=time.perf_counter() - started,
    )


def ingest_file(
    path: Path | str,
    table: str,
    engine: Engine,
    *,
    progress: ProgressSink | None = None,
    now: datetime | None = None,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    wait: float = DEFAULT_WAIT_SECONDS,
) -> FileReport:
    """Load one CSV or Parquet file into raw table ``table`` of a migrated database, in one transaction.

    Rows failing a check are written to ``<file>.quarantine.csv`` (row, column, value, reason) and
    counted; all other rows load, or none if anything goes wrong. Loading the same file again changes
    nothing. File-level faults (no such file, empty, not UTF-8, wrong columns) raise ``InputError``.

    Parameters
    ----------
    path, table : the file and the raw table it holds (one of ``lucidscore.records.LOAD_ORDER``).
    engine : from ``lucidscore.store.make_engine``, already migrated.
    progress : receives rows read and the phase (see ``RichProgress``).
    now : the load time and the "not in the future" limit (UTC, naive); defaults to now.
    wait : seconds to wait for another writer (another ingest) to finish before giving up with
        ``DatabaseBusy``; nothing of the file is loaded then.

    Returns
    -------
    FileReport with rows read, accepted, quarantined, inserted, superseded and unchanged.
    """
    source = open_source(path, table, batch_bytes=batch_bytes, batch_rows=batch_rows)
    return _ingest(
        engine,
        source.record,
        str(source.path),
        source.sha256,
        source.batches,
        source.after_read,
        source.total,
        quarantine_path(source.path),
        progress,
        now,
        wait,
    )


@dataclass(frozen=True)
class FileSource:
    """A table file checked and ready to read: its record table, SHA-256, row count (for progress), the
    batches of rows (callable again for a second reading) and, after a reading, the problems of the lines
    that never became rows."""

    path: Path
    record: RecordTable
    sha256: str
    total: int | None
    batches: Callable[[], Iterator[RawBatch]]
    after_read: Callable[[], pl.DataFrame]


def open_source(
    path: Path | str,
    table: str,
    *,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> FileSource:
    """The file-level checks of ``ingest_file`` (no such file, empty, not UTF-8, wrong columns raise
    ``InputError``) and how to read the file's rows."""
    path = Path(path)
    record = _record(table)
    if not path.exists():
        raise InputError(f"{path}: no such file; expected a CSV or Parquet file of {table}")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; expected a CSV or Parquet file of {table}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; expected a header row naming the {table} columns")
    parquet = is_parquet(path)
    if parquet:
        check_parquet_columns(path, record)
        scan = scan_file(path, None)
    else:
        header = csv_header(path)
        check_columns(path, header, record)
        scan = scan_file(path, header)
    parsed = ParseProblems()

    def batches() -> Iterator[RawBatch]:
        parsed.lines.clear()  # a second reading (after a straight load stopped) starts afresh
        if parquet:
            return iter_parquet(path, record, batch_rows)
        return iter_csv(path, record, batch_bytes, parsed, scan.faults)

    return FileSource(
        path, record, scan.sha256, count_rows(path, scan), batches, lambda: _parse_problems(parsed, scan)
    )


def _from_pandas(frame: pd.DataFrame, source: str) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame | None]:
    """A pandas frame as polars; text holding a lone surrogate (not valid UTF-8) leaves as a problem."""
    import pandas as pd

    bad = np.zeros(len(frame), dtype=bool)
    found: list[tuple[int, str, str, str]] = []
    clean = frame.copy()
    for name in frame.columns:
        if frame[name].dtype != object and not isinstance(frame[name].dtype, pd.StringDtype):
            continue
        values = frame[name].tolist()
        for i, value in enumerate(values):
            if not isinstance(value, str):
                continue
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                bad[i] = True
                lone = value[exc.start].encode("utf-8", "backslashreplace").decode()
                shown = value.encode("utf-8", "backslashreplace").decode()[:200]
                found.append(
                    (i + 1, str(name), shown, f"a lone surrogate ({lone}) is not text; expected UTF-8 text")
                )
                values[i] = None
        if bad.any():
            clean[name] = values
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    data = pl.from_pandas(clean[~bad])
    problems = pl.DataFrame(found, schema=PROBLEM_SCHEMA, orient="row") if found else None
    return data, rows[~bad], problems


def ingest_frame(
    frame: pl.DataFrame | pd.DataFrame,
    table: str,
    engine: Engine,
    *,
    source: str = "frame",
    now: datetime | None = None,
    wait: float = DEFAULT_WAIT_SECONDS,
) -> FileReport:
    """Load rows held in memory (e.g. a correction accepted after a dispute) exactly like a file.

    Same checks, same single transaction, same supersede rules; problems are returned in the report
    (``problems``) instead of a quarantine file. ``source`` names the rows in messages and in
    ``ingest_batches``.
    """
    record = _record(table)
    problems: pl.DataFrame | None = None
    if isinstance(frame, pl.DataFrame):
        data, rows = frame, np.arange(1, frame.height + 1, dtype=np.int64)
    else:
        data, rows, problems = _from_pandas(frame, source)
    check_columns(Path(source), list(data.columns), record)
    text = data.select(record.column_names)
    sha256 = hashlib.sha256(text.write_csv().encode()).hexdigest()
    return _ingest(
        engine,
        record,
        source,
        sha256,
        lambda: iter([RawBatch(text, rows, problems)]),
        empty_problems,
        text.height,
        None,
        None,
        now,
        wait,
    )
