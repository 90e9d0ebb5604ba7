"""Where the raw tables come from: a directory of CSV/Parquet files (as ``synth`` writes them) or a
database (the ``<table>_current`` views of ``lucidscore.store``), as polars frames with the types of
``lucidscore.records``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from lucidscore.errors import InputError
from lucidscore.records import TABLES_BY_NAME, Table

if TYPE_CHECKING:
    from sqlalchemy import Connection

POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
    "month": pl.String(),
}
REQUIRED_TABLES = ("consumers", "accounts", "statements", "inquiries", "public_records", "income")
OPTIONAL_TABLES = ("outcomes",)
_SUFFIXES = (".parquet", ".pq", ".csv")


def polars_schema(table: Table) -> dict[str, pl.DataType]:
    return {c.name: POLARS_TYPES[c.type] for c in table.columns}


def is_database_url(source: str | Path) -> bool:
    return isinstance(source, str) and "://" in source


def _check_columns(where: str, table: Table, found: list[str]) -> None:
    missing = [c for c in table.column_names if c not in found]
    if missing:
        extra = [c for c in found if c not in table.column_names]
        hint = f"; found unexpected {', '.join(extra)}" if extra else ""
        raise InputError(
            f"{where}: missing column(s) {', '.join(missing)}{hint}; expected {', '.join(table.column_names)}"
        )


def _find(directory: Path, name: str) -> Path | None:
    for suffix in _SUFFIXES:
        path = directory / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def scan_directory(directory: Path) -> dict[str, pl.LazyFrame]:
    """Lazy frames of every table found in ``directory``; a missing required table is an error."""
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory; expected a directory written by lucidscore synth")
    frames: dict[str, pl.LazyFrame] = {}
    for name in REQUIRED_TABLES + OPTIONAL_TABLES:
        path = _find(directory, name)
        if path is None:
            if name in OPTIONAL_TABLES:
                continue
            raise InputError(
                f"{directory}: the {name} table is missing; expected {name}.parquet or {name}.csv there"
            )
        frames[name] = _scan_file(path, TABLES_BY_NAME[name])
    return frames


def _scan_file(path: Path, table: Table) -> pl.LazyFrame:
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; expected a header row and data rows")
    schema = polars_schema(table)
    try:
        if path.suffix == ".csv":
            with path.open("rb") as fh:
                header = fh.readline().decode("utf-8", errors="replace")
            found = [c.strip().strip('"') for c in header.rstrip("\r\n").split(",")]
            _check_columns(path.name, table, found)
            return pl.scan_csv(path, schema_overrides=schema).select(list(table.column_names))
        found = list(pl.read_parquet_schema(path))
        _check_columns(path.name, table, found)
        return pl.scan_parquet(path).select(list(table.column_names)).cast(schema)  # type: ignore[arg-type]
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path}: not a readable {table.name} table ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def used_columns(table: Table) -> tuple[str, ...]:
    """The columns features read: all but the bookkeeping ``reported_at``."""
    return tuple(c for c in table.column_names if c != "reported_at")


def conform(frame: pl.DataFrame, table: Table, where: str) -> pl.DataFrame:
    """Cast a frame read from a database to the record types (SQLite hands back dates as text)."""
    names = used_columns(table)
    _check_columns(where, table, [*frame.columns, "reported_at"])
    out = []
    for name in names:
        column = table.column(name)
        target = POLARS_TYPES[column.type]
        series = frame.get_column(name)
        if series.dtype == pl.Null:
            out.append(series.cast(target))
        elif series.dtype == pl.String and column.type == "date":
            out.append(series.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        elif series.dtype == pl.String and column.type == "datetime":
            out.append(series.str.replace("T", " ").str.to_datetime(time_unit="us", strict=False))
        elif column.type == "datetime":
            out.append(series.cast(pl.Datetime("us")).dt.replace_time_zone(None))
        else:
            out.append(series.cast(target, strict=False))
    return pl.DataFrame(out)


# The point-in-time filter pushed into SQL for the tables where it cuts the most rows, and is safe on
# every backend (statement and income periods are YYYY-MM text, compared as text).
_SQL_FILTERS: dict[str, Callable[[date], str]] = {
    "statements": lambda as_of: f"period <= '{as_of.year:04d}-{as_of.month:02d}'",
    "income": lambda as_of: f"period <= '{as_of.year:04d}-{as_of.month:02d}'",
}


def read_database(
    url: str, as_of: date, batch_size: int = 200_000, on_table: Callable[[str], None] | None = None
) -> dict[str, pl.LazyFrame]:
    """Read the ``<table>_current`` views into polars, in batches."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from lucidscore.store import make_engine

    engine = make_engine(url)
    frames: dict[str, pl.LazyFrame] = {}
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            available = set(inspector.get_view_names()) | set(inspector.get_table_names())
            for name in REQUIRED_TABLES + OPTIONAL_TABLES:
                view = f"{name}_current"
                if view not in available:
                    if name in OPTIONAL_TABLES:
                        continue
                    raise InputError(
                        f"{url}: the {name} table is missing (no view {view}); "
                        "expected a database loaded with lucidscore ingest"
                    )
                table = TABLES_BY_NAME[name]
                columns = used_columns(table)
                where = _SQL_FILTERS.get(name)
                sql = f"SELECT {', '.join(columns)} FROM {view}" + (f" WHERE {where(as_of)}" if where else "")
                if on_table is not None:
                    on_table(name)
                frames[name] = _fetch(conn, sql, table, view, batch_size).lazy()
    except SQLAlchemyError as exc:
        raise InputError.about("source", f"{url}: cannot read the database ({_first_line(exc)})") from None
    finally:
        engine.dispose()
    return frames


def _fetch(conn: Connection, sql: str, table: Table, view: str, batch_size: int) -> pl.DataFrame:
    """Run ``sql`` on the raw DB-API cursor (the fastest path from rows to columns) in batches."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        try:
            cursor.execute(sql)
        except Exception as exc:  # the driver's own error types (sqlite3, psycopg) differ
            raise InputError(f"{view}: cannot be read ({_first_line(exc)})") from None
        names = [d[0] for d in cursor.description]
        parts = []
        while rows := cursor.fetchmany(batch_size):
            batch = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
            parts.append(conform(batch, table, view))
    finally:
        cursor.close()
    if not parts:
        schema = polars_schema(table)
        return pl.DataFrame(schema={c: schema[c] for c in used_columns(table)})
    return pl.concat(parts)


def load_sources(
    source: str | Path, as_of: date, on_table: Callable[[str], None] | None = None
) -> dict[str, pl.LazyFrame]:
    """The raw tables from a directory or a database URL."""
    if is_database_url(source):
        return read_database(str(source), as_of, on_table=on_table)
    return scan_directory(Path(source))
