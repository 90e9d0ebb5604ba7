"""The append-only raw record tables and the ingest batch log.

Each raw table of ``lucidscore.records`` is stored under the same name with the record columns plus
bookkeeping columns prefixed ``_``: ``_version_id`` (primary key), ``_batch_id`` (the file load that wrote
the row), ``_ingested_at`` and ``_superseded_at`` (NULL while the row is current). A partial unique index
keeps at most one current row per natural key; the view ``<table>_current`` shows the current rows with
exactly the record columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from lucidscore.records import TABLES, TABLES_BY_NAME, ColumnType
from lucidscore.records import Table as RecordTable
from lucidscore.store._base import Base

VERSION_ID = "_version_id"
BATCH_ID = "_batch_id"
INGESTED_AT = "_ingested_at"
SUPERSEDED_AT = "_superseded_at"
BOOKKEEPING_COLUMNS: tuple[str, ...] = (VERSION_ID, BATCH_ID, INGESTED_AT, SUPERSEDED_AT)
RAW_TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)


def sql_type(kind: ColumnType) -> TypeEngine[Any]:
    """The SQL type a record column of ``kind`` is stored as.

    Months are kept as the text 'YYYY-MM' (what the files carry, sorts correctly, same on both databases).
    """
    types: dict[ColumnType, TypeEngine[Any]] = {
        "string": Text(),
        "integer": BigInteger(),
        "float": Float(precision=53),
        "boolean": Boolean(),
        "date": Date(),
        "datetime": DateTime(),
        "month": String(7),
    }
    return types[kind]


class IngestBatch(Base):
    """One attempt to load one file: committed separately before the load, finished after it.

    A row with ``status='started'`` and no ``finished_at`` is a load that never completed (the process
    died or the transaction failed): none of its rows are in the raw tables.
    """

    __tablename__ = "ingest_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="started")
    rows_read: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rows_accepted: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rows_quarantined: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rows_inserted: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rows_superseded: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rows_unchanged: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def sqlite_batch_check(table: str) -> str:
    """SQLite's trigger (revision 0008_ingest_batch_check, same text) refusing a row of raw table ``table``
    whose ``_batch_id`` names no ingest batch; a first load drops it for its own rows and makes it again."""
    return (
        f"CREATE TRIGGER {table}_batch_check BEFORE INSERT ON {table} "
        "WHEN NOT EXISTS (SELECT 1 FROM ingest_batches WHERE id = NEW._batch_id) "
        f"BEGIN SELECT RAISE(ABORT, 'table {table}: _batch_id is not an ingest batch (ingest_batches.id)'); "
        "END"
    )


def ingest_batches_table() -> Table:
    """The ``ingest_batches`` table as a Core table."""
    table = IngestBatch.__table__
    assert isinstance(table, Table)
    return table


def _columns_for(record: RecordTable) -> list[Column[Any]]:
    cols: list[Column[Any]] = [
        Column(
            VERSION_ID,
            BigInteger().with_variant(Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        *(Column(c.name, sql_type(c.type), nullable=c.nullable) for c in record.columns),
        # Names an ingest batch: checked by the database once per statement, not per row as a foreign key
        # would (revision 0008_ingest_batch_check).
        Column(BATCH_ID, Integer, nullable=False),
        Column(INGESTED_AT, DateTime, nullable=False),
        Column(SUPERSEDED_AT, DateTime, nullable=True),
    ]
    return cols


# Tables whose key does not start with consumer_id get an index on it (revision 0004): features read one
# consumer's, or one range of consumers', records through it. Outcomes are also looked up by date.
CONSUMER_INDEXED: tuple[str, ...] = ("accounts", "public_records")


def _indexes_for(record: RecordTable) -> list[Index]:
    key = list(record.key)
    extra = [Index(f"ix_{record.name}_consumer_id", "consumer_id")] if record.name in CONSUMER_INDEXED else []
    if record.name == "outcomes":
        extra.append(Index("ix_outcomes_observation_date", "observation_date"))
    return [
        *extra,
        # Superseded versions by key (a record's history): current versions are in the unique index
        # below, so this one holds only superseded rows — empty after a first load, which then sorts
        # each key once, not twice (revision 0009_superseded_key_index).
        Index(
            f"ix_{record.name}_superseded_key",
            *key,
            sqlite_where=text(f"{SUPERSEDED_AT} IS NOT NULL"),
            postgresql_where=text(f"{SUPERSEDED_AT} IS NOT NULL"),
        ),
        Index(
            f"ux_{record.name}_current_key",
            *key,
            unique=True,
            sqlite_where=text(f"{SUPERSEDED_AT} IS NULL"),
            postgresql_where=text(f"{SUPERSEDED_AT} IS NULL"),
        ),
    ]


def define_raw_table(record: RecordTable, metadata: MetaData) -> Table:
    """Define the stored table of ``record`` on ``metadata`` (revision 0001 spells the same out in full)."""
    return Table(record.name, metadata, *_columns_for(record), *_indexes_for(record))


# Declarations, like the ORM classes: every raw table lives on Base.metadata.
_RAW_TABLES: dict[str, Table] = {t.name: define_raw_table(t, Base.metadata) for t in TABLES}


def raw_table(name: str) -> Table:
    """The SQLAlchemy table of the raw record table ``name`` (one of ``RAW_TABLE_NAMES``)."""
    if name not in TABLES_BY_NAME:
        raise KeyError(f"{name!r} is not a raw table; expected one of {', '.join(RAW_TABLE_NAMES)}")
    return _RAW_TABLES[name]


def current_view_name(name: str) -> str:
    """Name of the view with the current rows of raw table ``name``."""
    return f"{name}_current"
