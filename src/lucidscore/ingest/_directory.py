"""Ingest a directory holding one file per raw table, in load order (consumers first)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lucidscore.errors import InputError
from lucidscore.ingest._file import ingest_file
from lucidscore.ingest._progress import NoProgress, ProgressSink, RichProgress
from lucidscore.ingest._report import FileReport, IngestReport
from lucidscore.records import LOAD_ORDER
from lucidscore.store import DEFAULT_WAIT_SECONDS, check_database, make_engine, migrate

REQUIRED_TABLES: tuple[str, ...] = ("consumers",)
SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".pq")


def find_table_files(directory: Path) -> tuple[dict[str, Path], tuple[Path, ...]]:
    """Map each raw table to its file in ``directory`` (``<table>.csv`` or ``<table>.parquet``).

    Returns (files by table in load order, other files that were not recognised). Raises ``InputError``
    when a required table is missing or a table has more than one file.
    """
    if not directory.exists():
        raise InputError(f"{directory}: no such directory; expected a directory of table files")
    if not directory.is_dir():
        raise InputError.about(
            "directory", f"{directory} is not a directory; expected a directory of table files"
        )
    found: dict[str, Path] = {}
    for table in LOAD_ORDER:
        candidates = [directory / f"{table}{s}" for s in SUFFIXES if (directory / f"{table}{s}").is_file()]
        if len(candidates) > 1:
            raise InputError(
                f"{directory}: {table} has more than one file ({', '.join(p.name for p in candidates)}); "
                "expected exactly one"
            )
        if candidates:
            found[table] = candidates[0]
    missing = [t for t in REQUIRED_TABLES if t not in found]
    if missing:
        raise InputError(
            f"{directory}: no {' or '.join(f'{t}.csv / {t}.parquet' for t in missing)}; the consumers table "
            f"is required (the others are optional: {', '.join(LOAD_ORDER[1:])})"
        )
    known = set(found.values())
    ignored = tuple(
        sorted(
            p
            for p in directory.iterdir()
            if p.is_file()
            and p not in known
            and not p.name.startswith(".")
            and not p.name.endswith(".quarantine.csv")
        )
    )
    return found, ignored


def _load_files(
    files: dict[str, Path], db_url: str, sink: ProgressSink, now: datetime | None, wait: float
) -> tuple[FileReport, ...]:
    engine = make_engine(db_url)
    try:
        check_database(engine, db_url)
        migrate(engine, wait=wait)
        return tuple(
            ingest_file(path, table, engine, progress=sink, now=now, wait=wait)
            for table, path in files.items()
        )
    finally:
        engine.dispose()


def ingest_directory(
    path: Path | str,
    db_url: str,
    progress: bool = False,
    *,
    now: datetime | None = None,
    wait: float = DEFAULT_WAIT_SECONDS,
) -> IngestReport:
    """Migrate the database at ``db_url`` and load every table file of ``path`` in load order.

    ``consumers`` is required; accounts, statements, inquiries, public_records, income and outcomes are
    loaded when present. Each file is one transaction; a file-level fault stops the run with an
    ``InputError`` (files before it stay loaded; loading the directory again is safe). ``wait``: seconds
    each file may wait for another writer of the database (see ``ingest_file``).

    >>> ingest_directory("no-such-dir", "sqlite://")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    lucidscore.errors.InputError: no-such-dir: no such directory; expected a directory of table files
    """
    directory = Path(path)
    files, ignored = find_table_files(directory)
    if progress:
        with RichProgress() as sink:
            reports = _load_files(files, db_url, sink, now, wait)
    else:
        reports = _load_files(files, db_url, NoProgress(), now, wait)
    return IngestReport(files=reports, ignored=ignored)
