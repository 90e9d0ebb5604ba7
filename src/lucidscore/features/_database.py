"""Readers of a database's ``<table>_current`` views, each inside the source's one read transaction.

Reading through the DB-API cursor makes a Python object of every value, and polars then rebuilds the
columns from those rows: at 100,000 consumers that was 15 s of a 37 s publish.

- **PostgreSQL** hands the rows over as columns: ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` on the same
  connection and in the same ``REPEATABLE READ`` transaction as every other query of the run, parsed by
  pyarrow's CSV reader with the record types (a NULL is an unquoted empty field, an empty text the quoted
  ``""``). ``COPY`` takes no bind parameters, so the query's parameters are bound client-side by psycopg
  (``ClientCursor.mogrify``: each becomes a literal quoted and escaped by the driver, never pasted text).
  The transaction fixes the output formats the parse relies on (ISO dates, shortest exact floats, UTF-8).
- **SQLite** still reads through the ``sqlite3`` cursor (batches of rows into polars): the columnar readers
  measured (ADBC, connectorx) link their own copy of SQLite, unsafe beside Python's in one process.

Both return frames of the record types (``conform``), equal to what the row path gave before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
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
Block = bytes | bytearray | memoryview
_PIECE = 1 << 26  # bytes of CSV parsed at a time


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class SqliteReader:
    """Queries on the ``sqlite3`` connection already in its read transaction, through the DB-API cursor.

    Not ADBC, though it reads 2-3x faster (BENCHMARKS.md): its wheel links its own copy of SQLite, and two
    copies of SQLite in one process do not see each other's POSIX locks, so one may checkpoint and delete
    the WAL the other is reading (publish failed with "disk I/O error"; sqlite.org/howtocorrupt.html 2.3).
    """

    def __init__(self, driver_connection: Any, batch_size: int) -> None:
        self._conn = driver_connection
        self.batch_size = batch_size

    def _batches(
        self, sql: str, params: Sequence[object], where: str
    ) -> Iterator[tuple[list[str], list[Any]]]:
        cursor = self._conn.cursor()
        try:
            try:
                cursor.execute(sql, params)
            except Exception as exc:  # sqlite3's error types
                raise InputError(f"{where}: cannot be read ({first_line(exc)})") from None
            names = [d[0] for d in cursor.description]
            while rows := cursor.fetchmany(self.batch_size):
                yield names, rows
        finally:
            cursor.close()

    def rows(self, sql: str, params: Sequence[object], where: str) -> list[tuple[Any, ...]]:
        return [row for _, rows in self._batches(sql, params, where) for row in rows]

    def texts(self, sql: str, where: str) -> pl.Series:
        """The one text column of ``sql``, in the order the query gives."""
        parts = [
            pl.Series("text", [r[0] for r in rows], dtype=pl.String)
            for _, rows in self._batches(sql, [], where)
        ]
        return pl.concat(parts) if parts else pl.Series("text", [], dtype=pl.String)

    def frame(
        self, columns: Sequence[str], rest: str, params: Sequence[object], table: Table, where: str
    ) -> pl.DataFrame:
        """``SELECT columns rest`` (``rest``: ``FROM view WHERE ...``) as a frame of the record types, batch
        by batch (each batch typed from its own values, then cast by ``conform``)."""
        from lucidscore.features._sources import conform

        parts = []
        for names, rows in self._batches(f"SELECT {', '.join(columns)} {rest}", params, where):
            batch = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
            parts.append(conform(batch, table, where))
        return pl.concat(parts) if parts else pl.DataFrame(schema=dict.fromkeys(columns, pl.String))


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
        from lucidscore.features._sources import conform

        types = {c: ARROW_TYPES[table.column(c).type] for c in columns}
        frame = self._copy(f"SELECT {', '.join(columns)} {rest}", params, types, where)
        return conform(frame, table, where) if frame.height else frame

    def _copy(
        self, sql: str, params: Sequence[object], types: dict[str, pa.DataType], where: str
    ) -> pl.DataFrame:
        """``COPY (sql) TO STDOUT`` on the connection's libpq handle (``Connection.pgconn``, psycopg's
        documented low-level access): psycopg's ``Copy`` iterator costs a few Python generator frames per
        row, 8 of 10 CPU seconds at 100,000 consumers; ``PQgetCopyData`` in a loop is a C call a row."""
        from psycopg import ClientCursor, pq

        with ClientCursor(self._conn) as cursor:
            # Client-side binding: each parameter becomes a literal, quoted and escaped by psycopg.
            query = cursor.mogrify(sql, params) if params else sql
        encoding = self._conn.info.encoding
        pgconn = self._conn.pgconn
        pgconn.send_query(f"COPY ({query}) TO STDOUT (FORMAT csv)".encode(encoding))
        started = pgconn.get_result()
        if started is None or started.status != pq.ExecStatus.COPY_OUT:
            _drain(pgconn)
            raise InputError(f"{where}: cannot be read ({_error(started, pgconn, encoding)})")
        try:
            frame = _parse_csv(_copy_rows(pgconn, where), types, where)
        except BaseException:
            _drain(pgconn)
            raise
        finished = pgconn.get_result()
        while pgconn.get_result() is not None:
            pass
        if finished is None or finished.status != pq.ExecStatus.COMMAND_OK:
            raise InputError(f"{where}: cannot be read ({_error(finished, pgconn, encoding)})")
        return frame


def _copy_rows(pgconn: Any, where: str) -> Iterator[Block]:
    """The rows of the ``COPY ... TO STDOUT`` in progress, each whole (libpq returns one row a call)."""
    while True:
        nbytes, data = pgconn.get_copy_data(0)  # 0: wait for a whole row
        if nbytes > 0:
            yield data
        elif nbytes == -1:  # done: the final result follows
            return
        else:
            raise InputError(f"{where}: cannot be read ({_error(None, pgconn, 'utf-8')})")


def _drain(pgconn: Any) -> None:
    """Read what is left of a failed ``COPY`` and its results, so the connection can be rolled back."""
    while pgconn.get_copy_data(0)[0] > 0:
        pass
    while pgconn.get_result() is not None:
        pass


def _error(result: Any, pgconn: Any, encoding: str) -> str:
    message = result.error_message if result is not None else pgconn.error_message
    return first_line(Exception(bytes(message).decode(encoding, errors="replace")))


def _parse_csv(blocks: Iterable[Block], types: dict[str, pa.DataType], where: str) -> pl.DataFrame:
    """PostgreSQL's CSV (no header) of the columns ``types`` names, with those types.

    libpq hands a ``COPY ... TO STDOUT`` over one whole row at a time, so the rows are gathered into pieces
    of about ``_PIECE`` bytes, each a complete CSV text parsed on its own (memory stays bounded whatever
    the number of rows).
    """
    options = {
        "read_options": pa_csv.ReadOptions(column_names=list(types)),
        "parse_options": pa_csv.ParseOptions(newlines_in_values=True),
        "convert_options": pa_csv.ConvertOptions(
            column_types=types,
            null_values=[""],  # an unquoted empty field; an empty text is the quoted ""
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    }
    parts: list[pa.Table] = []
    piece = bytearray()
    try:
        for block in blocks:
            piece += block
            if len(piece) >= _PIECE:
                parts.append(pa_csv.read_csv(pa.py_buffer(bytes(piece)), **options))
                piece.clear()
        if piece:
            parts.append(pa_csv.read_csv(pa.py_buffer(bytes(piece)), **options))
    except pa.ArrowException as exc:
        raise InputError(f"{where}: cannot be read ({first_line(exc)})") from None
    if not parts:  # no rows (pyarrow refuses an empty CSV)
        return pl.DataFrame(pa.table({c: pa.array([], t) for c, t in types.items()}))
    frame = pl.from_arrow(pa.concat_tables(parts))
    assert isinstance(frame, pl.DataFrame)
    return frame
