"""Columnar readers of a database's ``<table>_current`` views, each holding one read transaction.

Reading through the DB-API cursor made a Python object of every value and polars then rebuilt the
columns from those rows: at 100,000 consumers that was 15 s of a 37 s publish. These readers hand the
rows over as columns instead:

- **PostgreSQL**: ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` on the same connection and in the same
  ``REPEATABLE READ`` transaction as every other query of the run, parsed by pyarrow's CSV reader with
  the record types (a NULL is an unquoted empty field, an empty text the quoted ``""``). ``COPY`` takes no
  bind parameters, so the query's parameters are bound client-side by psycopg (``ClientCursor.mogrify``:
  quoted and escaped as literals by the driver, never pasted as text). The transaction fixes the output
  formats the parse relies on (``DateStyle`` ISO, shortest exact floats, UTF-8).
- **SQLite**: the ADBC SQLite driver, which steps the statement in C and fills Arrow arrays, on its own
  connection opened in a transaction (``BEGIN`` on connect) that every query of the run goes through, so
  all of them read one snapshot. The driver infers each column's type from the values of its first batch
  (all NULL would be taken for integers), so every query is preceded by one row of the expected types
  (``UNION ALL``), dropped after reading.

Both return frames with the columns asked for (possibly no rows), which ``conform`` casts to the record
types exactly as it did the row path's batches.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from lucidscore.errors import InputError
from lucidscore.records import Table

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.large_string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "month": pa.large_string(),
}
# The first row of every SQLite query: a value of the type each column is stored as (dates and datetimes
# are text, booleans integers), so the driver's type inference cannot mistake a column for another.
_SQLITE_TYPED: dict[str, str] = {
    "string": "''",
    "integer": "0",
    "float": "0.0",
    "boolean": "0",
    "date": "''",
    "datetime": "''",
    "month": "''",
}
_FIRST = "lucidscore_typed_row"
Block = bytes | bytearray | memoryview
_COPY_BLOCK = 1 << 24  # bytes of CSV parsed at a time


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class SqliteReader:
    """One ADBC connection to a SQLite file, in one read transaction until ``close``."""

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        import adbc_driver_sqlite.dbapi as adbc

        # autocommit off (the default): the driver begins a transaction at once; it reads its snapshot at
        # the first query and keeps it until the connection closes (rolled back).
        self._conn = adbc.connect(path)
        try:
            self._run(f"PRAGMA busy_timeout={int(busy_timeout_ms)}", [])
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._conn.close()

    def _run(self, sql: str, params: Sequence[object]) -> pa.Table:
        with self._conn.cursor() as cursor:
            cursor.execute(sql, list(params) if params else None)
            return cursor.fetch_arrow_table()

    def relations(self) -> set[str]:
        """The names of the tables and views (the first read: it fixes the snapshot)."""
        found = self._run("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')", [])
        return {str(v) for v in found.column(0).to_pylist()}

    def rows(self, sql: str, params: Sequence[object], where: str) -> list[tuple[Any, ...]]:
        try:
            found = self._run(sql, params)
        except Exception as exc:  # the driver's error types
            raise InputError(f"{where}: cannot be read ({first_line(exc)})") from None
        return list(zip(*(c.to_pylist() for c in found.columns), strict=True))

    def texts(self, sql: str, where: str) -> pl.Series:
        """The one text column of ``sql`` (a column without NULLs), in the order the query gives."""
        try:
            found = self._run(sql, [])
        except Exception as exc:
            raise InputError(f"{where}: cannot be read ({first_line(exc)})") from None
        # An empty result's column is typed int64 by the driver: the cast makes it text.
        return pl.Series(found.column_names[0], found.column(0)).cast(pl.String)

    def frame(
        self, columns: Sequence[str], rest: str, params: Sequence[object], table: Table, where: str
    ) -> pl.DataFrame:
        """``SELECT columns rest`` (``rest``: ``FROM view WHERE ...``) as a frame of the record types."""
        typed = ", ".join(f"{_SQLITE_TYPED[table.column(c).type]} AS {c}" for c in columns)
        sql = f"SELECT 1 AS {_FIRST}, {typed} UNION ALL SELECT 0, {', '.join(columns)} {rest}"
        try:
            found = self._run(sql, params)
        except Exception as exc:
            raise InputError(f"{where}: cannot be read ({first_line(exc)})") from None
        marks = found.column(0)
        if found.num_rows == 0 or marks[0].as_py() != 1:  # SQLite returns a UNION ALL's parts in order
            raise InputError(f"{where}: cannot be read (the typed first row did not come first)")
        frame = pl.from_arrow(found.slice(1).drop_columns([_FIRST]))
        assert isinstance(frame, pl.DataFrame)
        return frame


class _CopyStream(io.RawIOBase):
    """The blocks of a ``COPY ... TO STDOUT`` as a readable file, for pyarrow's streaming CSV reader."""

    def __init__(self, blocks: Iterator[Block]) -> None:
        self._blocks = blocks
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._left = memoryview(block).cast("B")
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


class PostgresReader:
    """Queries on a psycopg connection already in its ``REPEATABLE READ`` transaction."""

    def __init__(self, driver_connection: Any) -> None:
        self._conn = driver_connection
        # The formats the CSV parse relies on, for this transaction only, whatever the server's defaults:
        # ISO dates, floats in their shortest exact text (PostgreSQL 12+), UTF-8.
        with self._conn.cursor() as cursor:
            cursor.execute("SET LOCAL DateStyle = 'ISO, MDY'")
            cursor.execute("SET LOCAL extra_float_digits = 3")
            cursor.execute("SET LOCAL client_encoding = 'UTF8'")

    def rows(self, sql: str, params: Sequence[object], where: str) -> list[tuple[Any, ...]]:
        with self._conn.cursor() as cursor:
            try:
                cursor.execute(sql, params)
            except Exception as exc:  # psycopg's error types
                raise InputError(f"{where}: cannot be read ({first_line(exc)})") from None
            return list(cursor.fetchall())

    def texts(self, sql: str, where: str) -> pl.Series:
        """The one text column of ``sql``, in the order the query gives."""
        frame = self._copy(sql, [], {"text": pa.large_string()}, where)
        return frame.get_column("text").cast(pl.String)

    def frame(
        self, columns: Sequence[str], rest: str, params: Sequence[object], table: Table, where: str
    ) -> pl.DataFrame:
        """``SELECT columns rest`` (``rest``: ``FROM view WHERE ...``) through ``COPY ... TO STDOUT``, with
        the record types."""
        types = {c: ARROW_TYPES[table.column(c).type] for c in columns}
        return self._copy(f"SELECT {', '.join(columns)} {rest}", params, types, where)

    def _copy(
        self, sql: str, params: Sequence[object], types: dict[str, pa.DataType], where: str
    ) -> pl.DataFrame:
        from psycopg import ClientCursor

        with ClientCursor(self._conn) as cursor:
            try:
                # Client-side binding: each parameter becomes a literal, quoted and escaped by psycopg.
                query = cursor.mogrify(sql, params) if params else sql
                with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
                    return _parse_csv(iter(copy), types, where)
            except InputError:
                raise
            except Exception as exc:  # psycopg's error types
                raise InputError(f"{where}: cannot be read ({first_line(exc)})") from None


def _parse_csv(blocks: Iterator[Block], types: dict[str, pa.DataType], where: str) -> pl.DataFrame:
    """PostgreSQL's CSV (no header) of the columns ``types`` names, with those types."""
    first = next(blocks, None)
    if first is None:  # no rows (pyarrow refuses an empty CSV)
        return pl.DataFrame(pa.table({c: pa.array([], t) for c, t in types.items()}))
    stream = io.BufferedReader(_CopyStream(_chain(first, blocks)), buffer_size=_COPY_BLOCK)
    try:
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(column_names=list(types), block_size=_COPY_BLOCK),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["t"],
                false_values=["f"],
            ),
        )
        arrow = reader.read_all()
    except pa.ArrowException as exc:
        raise InputError(f"{where}: cannot be read ({first_line(exc)})") from None
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _chain(first: Block, rest: Iterator[Block]) -> Iterator[Block]:
    yield first
    yield from rest
