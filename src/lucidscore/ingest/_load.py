"""Load validated rows into the append-only tables inside ONE transaction (the caller's connection).

Rows go first to a temporary staging table (executemany on SQLite, COPY on PostgreSQL), then SQL does
what needs the whole file and the database: duplicated keys inside the file, references to unknown
rows, corrections older than the stored version. Those rows leave the staging table as problems; the rest
are merged: unchanged rows are skipped, corrections mark the current version superseded and add a new
one, new keys are added.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    MetaData,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from lucidscore.ingest._validate import PROBLEM_SCHEMA, ROW
from lucidscore.records import Table as RecordTable
from lucidscore.store import (
    BATCH_ID,
    INGESTED_AT,
    SUPERSEDED_AT,
    VERSION_ID,
    ingest_batches_table,
    raw_table,
    sql_type,
    sqlite_batch_check,
)

_REPORTED_AT = "reported_at"


@dataclass(frozen=True)
class MergeCounts:
    staged: int
    inserted: int
    superseded: int
    unchanged: int


def create_stage(conn: Connection, record: RecordTable) -> Table:
    """A temporary table with the record columns and the file row number."""
    cols: list[Column[Any]] = [Column(c.name, sql_type(c.type), nullable=True) for c in record.columns]
    cols.append(Column(ROW, BigInteger, nullable=False))
    # Kept across the commit of the staging transaction (the checks and merge run in a second one, under
    # the write lock); it lives as long as the connection, so a killed process leaves nothing behind.
    stage = Table(f"_stage_{record.name}", MetaData(), *cols, prefixes=["TEMPORARY"])
    stage.drop(conn, checkfirst=True)
    stage.create(conn)
    return stage


def _csv(frame: pl.DataFrame) -> bytes:
    """``frame`` as the CSV that PostgreSQL's ``COPY … (FORMAT csv)`` reads (empty field: NULL)."""
    buf = io.BytesIO()
    frame.write_csv(
        buf,
        include_header=False,
        null_value="",
        datetime_format="%Y-%m-%d %H:%M:%S%.6f",
        date_format="%Y-%m-%d",
    )
    return buf.getvalue()


def _write_rows(
    conn: Connection, target: str, frame: pl.DataFrame, constants: dict[str, int | datetime] | None = None
) -> None:
    """Append ``frame`` (its columns named as the target's) to table ``target``: COPY on PostgreSQL,
    executemany of plain tuples on SQLite, never row objects built by SQLAlchemy.

    ``constants`` (SQLite only) are columns with one value for every row, written as literals of the
    statement instead of one more value bound per row. On PostgreSQL the caller gives such columns a
    default for the load instead (``begin_first_load``), so COPY neither carries nor parses them.
    """
    names = frame.columns
    cols = ", ".join(f'"{n}"' for n in names)
    raw = conn.connection.driver_connection
    assert raw is not None
    if conn.dialect.name == "postgresql":
        assert not constants, "PostgreSQL: give constant columns a default for the load instead"
        with raw.cursor() as cur, cur.copy(f'COPY "{target}" ({cols}) FROM STDIN (FORMAT csv)') as copy:
            copy.write(_csv(frame))
        return
    # SQLite: store dates and times in SQLAlchemy's text formats, so ORM reads see the same values.
    text_frame = frame.with_columns(
        pl.col(pl.Date).dt.strftime("%Y-%m-%d"),
        pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S.%6f"),
        pl.col(pl.Boolean).cast(pl.Int8),
    )
    marks = ", ".join("?" for _ in names)
    fixed = {k: _sqlite_literal(v) for k, v in (constants or {}).items()}
    if fixed:
        cols += ", " + ", ".join(f'"{n}"' for n in fixed)
        marks += ", " + ", ".join(fixed.values())
    # Column lists zipped into tuples: about twice as fast as DataFrame.rows() for the same tuples.
    columns = [text_frame.get_column(n).to_list() for n in names]
    raw.executemany(f'INSERT INTO "{target}" ({cols}) VALUES ({marks})', zip(*columns, strict=True))


def _sqlite_literal(value: int | datetime) -> str:
    """An integer or a time as an SQL literal, in the text format SQLAlchemy stores times in on SQLite."""
    if isinstance(value, datetime):
        return f"'{value:%Y-%m-%d %H:%M:%S.%f}'"
    return str(int(value))


def stage_rows(conn: Connection, stage: Table, frame: pl.DataFrame) -> None:
    """Append typed rows (record columns + ``_row``) to the staging table as fast as the driver allows."""
    if frame.height:
        _write_rows(conn, stage.name, frame.select([c.name for c in stage.columns]))


def tune(conn: Connection) -> None:
    """Memory for one bulk load, on this connection's current transaction: a 256 MB SQLite page cache
    (indexes of millions of keys), generous sort memory on PostgreSQL (reset at commit)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
    else:
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")


def table_is_empty(conn: Connection, record: RecordTable) -> bool:
    """Whether the stored table of ``record`` holds no row at all (a first load)."""
    main = raw_table(record.name)
    return conn.execute(select(literal(1)).select_from(main).limit(1)).first() is None


def _missing_values(conn: Connection, table: str, column: str, values: list[Any]) -> list[Any]:
    """Which of ``values`` are not a current ``table.column``: one query that returns only those (the
    values travel as one JSON array on SQLite, one array on PostgreSQL; names come from records.py)."""
    if not values:
        return []
    probe = f'NOT EXISTS (SELECT 1 FROM "{table}" r WHERE r."{column}" = v AND r."{SUPERSEDED_AT}" IS NULL)'
    raw = conn.connection.driver_connection
    assert raw is not None
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur:
            cur.execute(f"SELECT v FROM unnest(%s::text[]) AS t(v) WHERE {probe}", (values,))
            return [r[0] for r in cur.fetchall()]
    query = f"SELECT v FROM (SELECT value AS v FROM json_each(?)) WHERE {probe}"
    return [r[0] for r in raw.execute(query, (json.dumps(values),)).fetchall()]


def unknown_references(
    conn: Connection, record: RecordTable, frame: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a validated batch into (rows whose references are stored, problems of the others).

    Each distinct referenced value of the batch is looked up once, in one query per column.
    """
    out: list[pl.DataFrame] = []
    for col in record.columns:
        if not col.references or frame.height == 0:
            continue
        ref_table, ref_col = col.references.split(".")
        values = frame.get_column(col.name).unique().drop_nulls().to_list()
        missing = _missing_values(conn, ref_table, ref_col, values)
        if not missing:
            continue
        hit = pl.col(col.name).is_in(missing)
        reason = f"unknown {col.name}: no such {ref_col} in {ref_table} (load {ref_table} first)"
        out.append(
            frame.filter(hit).select(
                pl.col(ROW).alias("row"),
                pl.lit(col.name).alias("column"),
                pl.col(col.name).cast(pl.String).alias("value"),
                pl.lit(reason).alias("reason"),
            )
        )
        frame = frame.filter(~hit)
    problems = pl.concat(out).cast(PROBLEM_SCHEMA) if out else _problems([])  # type: ignore[arg-type]
    return frame, problems


def begin_first_load(conn: Connection, record: RecordTable, batch_id: int, now: datetime) -> None:
    """Prepare an empty stored table for a first load, inside the load's transaction.

    - The key indexes are dropped: building an index once from all the rows (a sort) is much cheaper
      than inserting into it row by row; ``end_first_load`` rebuilds them with the same definitions.
    - PostgreSQL: ``_batch_id`` and ``_ingested_at`` get this load's values as defaults, so COPY neither
      sends nor parses them; ``end_first_load`` drops the defaults again.

    - SQLite: the trigger that checks each new row's ``_batch_id`` (revision 0008_ingest_batch_check) is
      dropped: every row of this load carries ``batch_id``, a committed batch, and no other writer can
      write meanwhile (SQLite has one writer). ``end_first_load`` checks that batch once and makes the
      trigger again. (PostgreSQL checks once per COPY statement anyway.)

    Everything is DDL inside
    the transaction: a failure or a kill rolls it back with the rows.
    """
    for index in sorted(raw_table(record.name).indexes, key=lambda i: str(i.name)):
        index.drop(conn)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TRIGGER {record.name}_batch_check")
    if conn.dialect.name == "postgresql":
        stamp = f"{now:%Y-%m-%d %H:%M:%S.%f}"
        conn.exec_driver_sql(
            f'ALTER TABLE "{record.name}" ALTER COLUMN "{BATCH_ID}" SET DEFAULT {int(batch_id)}, '
            f"ALTER COLUMN \"{INGESTED_AT}\" SET DEFAULT '{stamp}'::timestamp"
        )


def end_first_load(conn: Connection, record: RecordTable, batch_id: int) -> None:
    """Put back what ``begin_first_load`` took away; a key repeated among the new rows fails the unique
    index (``IntegrityError``)."""
    if conn.dialect.name == "sqlite":
        batches = ingest_batches_table()
        if conn.execute(select(batches.c.id).where(batches.c.id == batch_id)).first() is None:
            raise RuntimeError(f"ingest batch {batch_id} is not in ingest_batches")  # the caller made it
        conn.exec_driver_sql(sqlite_batch_check(record.name))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f'ALTER TABLE "{record.name}" ALTER COLUMN "{BATCH_ID}" DROP DEFAULT, '
            f'ALTER COLUMN "{INGESTED_AT}" DROP DEFAULT'
        )
    for index in sorted(raw_table(record.name).indexes, key=lambda i: str(i.name)):
        index.create(conn)


def _key_ordered(frame: pl.DataFrame, record: RecordTable) -> pl.DataFrame:
    """The record columns of ``frame``, sorted by key: the indexes rebuilt at the end sort cheaply."""
    return frame.sort(list(record.key)).select(list(record.column_names))


Write = Callable[[pl.DataFrame], int]


@contextmanager
def straight_writer(
    conn: Connection, record: RecordTable, batch_id: int, now: datetime
) -> Iterator[tuple[Write, Connection]]:
    """A first load's writer of validated batches (every key is new; it returns the rows written), and
    the connection to look references up on. ``end_first_load`` after the last batch raises
    ``IntegrityError`` when a key repeats in the file, and the caller then loads the file again through
    the staging table, which quarantines every copy.

    PostgreSQL: one ``COPY`` for the whole file, fed from a queue by psycopg's writer thread, so that the
    server parses and stores one batch while this process reads and validates the next (one COPY per
    batch made the two take turns). The file's connection is busy with the COPY until the end, so
    references are looked up on a second connection: they name other tables, committed before this load
    (a table being first-loaded elsewhere is locked until its commit, as before). SQLite: ``INSERT`` per
    batch, references on the same connection.
    """
    if conn.dialect.name != "postgresql":

        def insert(frame: pl.DataFrame) -> int:
            rows = _key_ordered(frame, record)
            if rows.height:  # the load's batch and time: literals of the INSERT, not values per row
                _write_rows(conn, record.name, rows, {BATCH_ID: batch_id, INGESTED_AT: now})
            return rows.height

        yield insert, conn
        return
    from psycopg.copy import QueuedLibpqWriter

    names = list(record.column_names)
    raw = conn.connection.driver_connection
    assert raw is not None
    columns = ", ".join(f'"{n}"' for n in names)
    statement = f'COPY "{record.name}" ({columns}) FROM STDIN (FORMAT csv)'
    with (
        conn.engine.connect() as probe,
        raw.cursor() as cur,
        cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy,
    ):

        def write(frame: pl.DataFrame) -> int:
            rows = _key_ordered(frame, record)
            if rows.height:
                copy.write(_csv(rows))  # _batch_id and _ingested_at: the load's defaults
            return rows.height

        try:
            yield write, probe
        except BaseException:
            # Stop the server now: ending the COPY with an error would first send everything queued.
            raw.cancel_safe(timeout=5)
            raise


def drop_stage(conn: Connection, stage: Table) -> None:
    stage.drop(conn, checkfirst=True)


def index_stage(conn: Connection, stage: Table, record: RecordTable) -> None:
    """Index the staged keys; on PostgreSQL also give the planner statistics (autovacuum never sees
    temporary tables). SQLite's plans here are index probes either way, and its ANALYZE costs a scan."""
    Index(f"ix_{stage.name}_key", *(stage.c[k] for k in record.key)).create(conn)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f'ANALYZE "{stage.name}"')


def _key_match(a: Table | Any, b: Table | Any, record: RecordTable) -> ColumnElement[bool]:
    return and_(*(a.c[k] == b.c[k] for k in record.key))


def _differs(main: Table | Any, stage: Table, record: RecordTable) -> ColumnElement[bool]:
    content = [c.name for c in record.columns if c.name not in record.key and c.name != _REPORTED_AT]
    if not content:
        return literal(False)
    return or_(*(main.c[c].is_distinct_from(stage.c[c]) for c in content))


Problem = tuple[int, str, str, str]  # row, column, value, reason


def _problems(rows: list[Problem]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA, orient="row")


def _fmt(value: Any) -> str:
    return "" if value is None else str(value)


def quarantine_duplicates(conn: Connection, stage: Table, record: RecordTable) -> pl.DataFrame:
    """Rows whose natural key appears more than once in the file: all copies leave (which one is right?)."""
    key_cols = [stage.c[k] for k in record.key]
    dup = select(*key_cols).group_by(*key_cols).having(func.count() > 1).subquery()
    found = conn.execute(
        select(stage.c[ROW], *key_cols)
        .join(dup, and_(*(stage.c[k] == dup.c[k] for k in record.key)))
        .order_by(*key_cols, stage.c[ROW])
    ).all()
    if not found:
        return _problems([])
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row in found:
        groups.setdefault(tuple(row[1:]), []).append(int(row[0]))
    column = "+".join(record.key)
    out: list[Problem] = []
    for key, rows in groups.items():
        value = "|".join(_fmt(v) for v in key)
        for r in rows:
            others = ", ".join(str(o) for o in rows if o != r)
            out.append((r, column, value, f"duplicated key in this file (also at row {others})"))
    conn.execute(
        delete(stage).where(
            exists(
                select(literal(1)).select_from(dup).where(and_(*(stage.c[k] == dup.c[k] for k in record.key)))
            )
        )
    )
    return _problems(out)


def quarantine_unknown_references(conn: Connection, stage: Table, record: RecordTable) -> pl.DataFrame:
    """Rows referring to a key that is not stored (e.g. a statement for an unknown account).

    Each distinct referenced value is looked up once (a statements file names each account ~50 times);
    rows are read and removed only when some value is unknown.
    """
    out: list[Problem] = []
    for col in record.columns:
        if not col.references:
            continue
        ref_table, ref_col = col.references.split(".")
        ref = raw_table(ref_table)
        values = select(stage.c[col.name].label("v")).distinct().subquery()
        unknown = [
            v
            for (v,) in conn.execute(
                select(values.c.v).where(
                    ~exists(
                        select(literal(1)).where(ref.c[ref_col] == values.c.v, ref.c[SUPERSEDED_AT].is_(None))
                    )
                )
            )
        ]
        if not unknown:
            continue
        reason = f"unknown {col.name}: no such {ref_col} in {ref_table} (load {ref_table} first)"
        for start in range(0, len(unknown), 500):
            chunk = unknown[start : start + 500]
            hit = stage.c[col.name].in_(chunk)
            for row, value in conn.execute(select(stage.c[ROW], stage.c[col.name]).where(hit)):
                out.append((int(row), col.name, _fmt(value), reason))
            conn.execute(delete(stage).where(hit))
    return _problems(out)


def has_current_keys(conn: Connection, stage: Table, record: RecordTable) -> bool:
    """Whether any staged key is already stored as a current row (else nothing can be stale or replaced).

    A first load of a table costs one look at an empty table; otherwise this stops at the first match, or
    probes each staged key once when all keys are new (a new month of statements).
    """
    main = raw_table(record.name)
    if conn.execute(select(literal(1)).select_from(main).limit(1)).first() is None:
        return False
    cur = main.alias("cur")
    match = and_(_key_match(cur, stage, record), cur.c[SUPERSEDED_AT].is_(None))
    # Staged rows outside, one key probe each inside: as a join, SQLite's planner may read every current
    # row and probe the (unanalysed) stage instead — 0.25 s for one corrected statement at 100,000
    # consumers, where the probe takes microseconds.
    probe = exists(select(literal(1)).select_from(cur).where(match))
    return bool(conn.execute(select(exists(select(literal(1)).select_from(stage).where(probe)))).scalar())


def _stale_problem(record: RecordTable, row: int, key: tuple[Any, ...], new: Any, old: Any) -> Problem:
    if _REPORTED_AT not in record.column_names:
        reason = "differs from the stored row, and this table has no reported_at to order corrections"
        return (row, "+".join(record.key), "|".join(_fmt(k) for k in key), reason)
    if new == old:
        reason = "same reported_at as the stored version but different values"
    else:
        reason = f"older than the stored version (reported_at {old})"
    return (row, _REPORTED_AT, _fmt(new), f"{reason}; a correction needs a newer reported_at")


def quarantine_stale(conn: Connection, stage: Table, record: RecordTable) -> pl.DataFrame:
    """Rows that differ from the current version but are not newer: stale or conflicting corrections."""
    cur = raw_table(record.name).alias("cur")
    has_reported = _REPORTED_AT in record.column_names
    match = and_(_key_match(cur, stage, record), cur.c[SUPERSEDED_AT].is_(None), _differs(cur, stage, record))
    if has_reported:
        match = and_(match, stage.c[_REPORTED_AT] <= cur.c[_REPORTED_AT])
    times = [stage.c[_REPORTED_AT], cur.c[_REPORTED_AT]] if has_reported else [literal(None), literal(None)]
    query = select(stage.c[ROW], *times, *(stage.c[k] for k in record.key)).select_from(
        stage.join(cur, match)
    )
    out = [_stale_problem(record, int(r[0]), tuple(r[3:]), r[1], r[2]) for r in conn.execute(query)]
    if out:
        conn.execute(delete(stage).where(exists(select(literal(1)).select_from(cur).where(match))))
    return _problems(out)


def merge(
    conn: Connection,
    stage: Table,
    record: RecordTable,
    batch_id: int,
    now: datetime,
    *,
    existing: bool = True,
) -> MergeCounts:
    """Supersede what the file corrects, add what is new; the rest of the staged rows are unchanged.

    Driven from the staging table (probing the stored table by key), so a small correction file costs
    little even against a table of millions of rows; new rows go in key order, which keeps index
    inserts sequential. ``existing=False`` (no staged key is stored yet, see ``has_current_keys``) skips
    the probes: every staged row is new.
    """
    main = raw_table(record.name)
    cur = main.alias("cur")
    current = and_(_key_match(cur, stage, record), cur.c[SUPERSEDED_AT].is_(None))
    staged = int(conn.execute(select(func.count()).select_from(stage)).scalar_one())
    names = list(record.column_names)
    columns = [
        *(stage.c[n] for n in names),
        literal(batch_id).label(BATCH_ID),
        literal(now).label(INGESTED_AT),
    ]
    if not existing:
        written = conn.execute(
            insert(main).from_select(
                [*names, BATCH_ID, INGESTED_AT],
                select(*columns).order_by(*(stage.c[k] for k in record.key)),
            ),
            execution_options={"preserve_rowcount": True},
        ).rowcount
        return MergeCounts(staged=staged, inserted=written, superseded=0, unchanged=staged - written)
    replaced = (
        select(cur.c[VERSION_ID])
        .select_from(stage)
        .join(cur, and_(current, _differs(cur, stage, record)))
        .scalar_subquery()
    )
    superseded = conn.execute(
        update(main).where(main.c[VERSION_ID].in_(replaced)).values({SUPERSEDED_AT: now}),
        execution_options={"preserve_rowcount": True},
    ).rowcount
    src = (
        select(*columns)
        .where(~exists(select(literal(1)).select_from(cur).where(current)))
        .order_by(*(stage.c[k] for k in record.key))
    )
    written = conn.execute(
        insert(main).from_select([*names, BATCH_ID, INGESTED_AT], src),
        execution_options={"preserve_rowcount": True},
    ).rowcount
    return MergeCounts(
        staged=staged, inserted=written - superseded, superseded=superseded, unchanged=staged - written
    )
