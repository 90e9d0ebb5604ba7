"""Where the raw tables come from: a directory of CSV/Parquet files (as ``synth`` writes them) or a
database (the ``<table>_current`` views of ``lucidscore.store``), as polars frames with the types of
``lucidscore.records``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from lucidscore.errors import InputError
from lucidscore.features._database import PostgresReader, SqliteReader
from lucidscore.features._selection import Consumers, IdRange, Selection, among, selected
from lucidscore.records import MAX_AMOUNT, TABLES_BY_NAME, Table

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
            return pl.scan_csv(path, schema_overrides=schema, glob=False).select(list(table.column_names))
        found = list(pl.scan_parquet(path, glob=False).collect_schema())
        _check_columns(path.name, table, found)
        return pl.scan_parquet(path, glob=False).select(list(table.column_names)).cast(schema)  # type: ignore[arg-type]
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path}: not a readable {table.name} table ({_first_line(exc)})") from None


def amount_beyond_the_schema(tables: dict[str, pl.LazyFrame]) -> str | None:
    """The first amount of money above ``MAX_AMOUNT`` (or infinite) in ``tables``, said with its table,
    column and record key; None when there is none.

    For the error path: ingest refuses such an amount, but a directory is read as it is, and the features'
    exact sums cannot hold one far beyond the maximum.
    """
    for name, frame in tables.items():
        table = TABLES_BY_NAME[name]
        present = frame.collect_schema()
        for column in (c.name for c in table.columns if c.unit == "currency" and c.name in present):
            found = frame.filter(pl.col(column) > MAX_AMOUNT).select(*table.key, column).head(1).collect()
            if found.height:
                row = found.row(0, named=True)
                key = ", ".join(f"{k} {row[k]!r}" for k in table.key)
                return (
                    f"the {name} table's {column} is {row[column]:g} ({key}); expected an amount of "
                    f"money ≤ {MAX_AMOUNT:g} (docs/data.md)"
                )
    return None


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


def select_frames(tables: dict[str, pl.LazyFrame], selection: Selection) -> dict[str, pl.LazyFrame]:
    """The lazy tables cut to the consumers of ``selection`` (all of them for None).

    Statements have no consumer_id: they are kept for the accounts of the selected consumers (whatever
    their opening date; the point-in-time cut comes later, as for everyone).
    """
    if selection is None:
        return tables
    who = selected(selection)
    out = {name: lf.filter(who) for name, lf in tables.items() if name != "statements"}
    accounts = (
        out["accounts"].select("account_id").unique().collect(engine="streaming").get_column("account_id")
    )
    out["statements"] = tables["statements"].filter(among(pl.col("account_id"), accounts.sort()))
    return {name: out[name] for name in tables}


class DirectorySource:
    """The tables of a directory (``lucidscore synth`` output or the like), scanned lazily."""

    def __init__(self, directory: Path) -> None:
        self.name = str(directory)
        self.raw = scan_directory(directory)

    def count_consumers(self) -> int:
        """Rows of the consumers table; a row without a consumer_id is an error (it would belong to no
        chunk)."""
        counts = self.raw["consumers"].select(pl.len(), pl.col("consumer_id").null_count()).collect()
        rows, empty = counts.row(0)
        if empty:
            raise InputError(
                f"{self.name}: the consumers table has {empty:,} row(s) without a consumer_id; "
                "expected an identifier in every row"
            )
        return int(rows)

    def consumer_ids(self) -> pl.Series:
        """The distinct consumer identifiers, sorted."""
        ids = (
            self.raw["consumers"].select("consumer_id").collect(engine="streaming").get_column("consumer_id")
        )
        return ids.drop_nulls().unique().sort()

    def has_outcomes(self, as_of: date) -> bool:
        """Whether an outcome was observed on ``as_of`` (then the features carry ``bad``)."""
        if "outcomes" not in self.raw:
            return False
        observed = self.raw["outcomes"].filter(pl.col("observation_date") == as_of).select("bad").head(1)
        return observed.collect(engine="streaming").height > 0

    def tables(
        self, as_of: date, selection: Selection, on_table: Callable[[str], None] | None = None
    ) -> dict[str, pl.LazyFrame]:
        return select_frames(self.raw, selection)

    def close(self) -> None:
        """Nothing to release: the files are scanned lazily."""


# The point-in-time filter pushed into SQL for the tables where it cuts the most rows, and is safe on
# every backend (statement and income periods are YYYY-MM text, compared as text).
_SQL_FILTERS: dict[str, Callable[[date], str]] = {
    "statements": lambda as_of: f"period <= '{as_of.year:04d}-{as_of.month:02d}'",
    "income": lambda as_of: f"period <= '{as_of.year:04d}-{as_of.month:02d}'",
}


class DatabaseSource:
    """The ``<table>_current`` views of a database loaded by ``lucidscore ingest``
    (``lucidscore.features._database``: ``COPY ... TO STDOUT`` into columns on PostgreSQL, batches of rows
    through the ``sqlite3`` cursor on SQLite), selected consumers only when asked.

    Every query of a source, over all tables and chunks, runs in one read transaction on one connection,
    so a features run sees one snapshot even while an ingest runs (``REPEATABLE READ`` on PostgreSQL).
    Consumers are selected in SQL, so the indexes on consumer_id (and on
    account_id for statements) are used: one consumer is a handful of index lookups, whatever the size of
    the database.
    """

    def __init__(self, url: str, batch_size: int = 200_000) -> None:
        from sqlalchemy import inspect
        from sqlalchemy.exc import SQLAlchemyError

        from lucidscore.store import make_engine

        self.name = url
        self._engine = make_engine(url)
        self._sqlite = self._engine.dialect.name == "sqlite"
        try:
            conn = self._engine.connect()
            if not self._sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            self._conn = conn
            # One read transaction: every chunk sees the same snapshot, even while an ingest runs.
            self._conn.begin()
            driver = self._conn.connection.driver_connection
            self._reader = SqliteReader(driver, batch_size) if self._sqlite else PostgresReader(driver)
            inspector = inspect(self._conn)
            available = set(inspector.get_view_names()) | set(inspector.get_table_names())
        except SQLAlchemyError as exc:
            self.close()
            raise InputError.about(
                "source", f"{url}: cannot read the database ({_first_line(exc)})"
            ) from None
        self.views: dict[str, str] = {}
        for name in REQUIRED_TABLES + OPTIONAL_TABLES:
            view = f"{name}_current"
            if view in available:
                self.views[name] = view
            elif name in REQUIRED_TABLES:
                self.close()
                raise InputError.about(
                    "source",
                    f"{url}: the {name} table is missing (no view {view}); "
                    "expected a database loaded with lucidscore ingest",
                )

    def close(self) -> None:
        if hasattr(self, "_conn"):
            self._conn.close()  # rolls the read transaction back
        self._engine.dispose()

    def count_consumers(self) -> int:
        sql = f"SELECT COUNT(*) FROM {self.views['consumers']}"
        return int(self._reader.rows(sql, [], self.views["consumers"])[0][0])

    def consumer_ids(self) -> pl.Series:
        """The consumer identifiers in the database's own order (its collation), so that each falls in
        exactly one of the ranges the database is then asked for."""
        view = self.views["consumers"]
        ids = self._reader.texts(f"SELECT consumer_id FROM {view} ORDER BY consumer_id", view)
        return ids.alias("consumer_id").unique(maintain_order=True)

    def has_outcomes(self, as_of: date) -> bool:
        if "outcomes" not in self.views:
            return False
        sql = f"SELECT 1 FROM {self.views['outcomes']} WHERE observation_date = '{as_of.isoformat()}' LIMIT 1"
        return bool(self._reader.rows(sql, [], self.views["outcomes"]))

    def _who(self, selection: Consumers | IdRange) -> tuple[str, list[object]]:
        """The SQL condition on consumer_id for ``selection``, with its parameters (index-friendly)."""
        mark = "?" if self._sqlite else "%s"
        if isinstance(selection, IdRange):
            return f"consumer_id >= {mark} AND consumer_id <= {mark}", [selection.first, selection.last]
        if self._sqlite:  # one parameter whatever the number of consumers
            return "consumer_id IN (SELECT value FROM json_each(?))", [json.dumps(list(selection.ids))]
        return "consumer_id = ANY(CAST(%s AS text[]))", [list(selection.ids)]

    def _statements_of(self, selection: Consumers | IdRange, view: str, cut: str) -> tuple[str, list[object]]:
        """``FROM ...`` of the selected consumers' statements, with its parameters.

        Statements carry no consumer_id: they are found through the consumers' accounts. SQLite probes
        the statements' key index (account_id, period) for each account of the ``IN`` list. PostgreSQL
        plans the same ``IN`` (or a plain join, or a ``LATERAL`` it may flatten into one) as a hash join
        over a scan of *every* statement once a chunk is a few percent of the consumers, so a month read
        in 40 chunks scanned the table 40 times (BENCHMARKS.md, "Chunked feature reads on PostgreSQL").
        There each distinct account is one probe of that index: a ``LATERAL`` subquery fenced by
        ``OFFSET 0``, which the planner may not pull up into a join, so the work follows the chunk's rows.
        """
        accounts = self.views["accounts"]
        who, params = self._who(selection)
        if self._sqlite:
            return (
                f"FROM {view} WHERE account_id IN (SELECT account_id FROM {accounts} WHERE {who}) AND {cut}",
                params,
            )
        chosen = f"SELECT DISTINCT account_id FROM {accounts} WHERE {who}"  # IN's semantics: each once
        probe = f"SELECT * FROM {view} s WHERE s.account_id = a.account_id AND {cut} OFFSET 0"
        return f"FROM (SELECT p.* FROM ({chosen}) a CROSS JOIN LATERAL ({probe}) p) AS {view}", params

    def tables(
        self, as_of: date, selection: Selection, on_table: Callable[[str], None] | None = None
    ) -> dict[str, pl.LazyFrame]:
        """The views (of the selected consumers) as polars frames, statements and income cut at the as-of
        month in SQL."""
        frames: dict[str, pl.LazyFrame] = {}
        who, params = ("", []) if selection is None else self._who(selection)
        for name, view in self.views.items():
            table = TABLES_BY_NAME[name]
            cut = _SQL_FILTERS.get(name)
            if who and name == "statements":
                assert selection is not None and cut is not None
                rest, used = self._statements_of(selection, view, cut(as_of))
            else:
                conditions = [who] if who else []
                if cut is not None:
                    conditions.append(cut(as_of))
                rest = f"FROM {view}" + (" WHERE " + " AND ".join(conditions) if conditions else "")
                used = params if who else []
            if on_table is not None:
                on_table(name)
            frames[name] = self._fetch(rest, used, table, view).lazy()
        return frames

    def _fetch(self, rest: str, params: list[object], table: Table, view: str) -> pl.DataFrame:
        """``SELECT <the used columns> rest`` as a frame of the record types (``conform``)."""
        names = used_columns(table)
        frame = self._reader.frame(names, rest, params, table, view)
        if frame.height == 0:
            schema = polars_schema(table)
            return pl.DataFrame(schema={c: schema[c] for c in names})
        return frame


Source = DirectorySource | DatabaseSource


def open_source(source: str | Path) -> Source:
    """A directory or a database URL as a source of the raw tables."""
    if is_database_url(source):
        return DatabaseSource(str(source))
    return DirectorySource(Path(source))


def load_sources(
    source: str | Path, as_of: date, on_table: Callable[[str], None] | None = None
) -> dict[str, pl.LazyFrame]:
    """Every raw table from a directory or a database URL (all consumers)."""
    opened = open_source(source)
    try:
        return opened.tables(as_of, None, on_table)
    finally:
        opened.close()
