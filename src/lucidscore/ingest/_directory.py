"""Ingest a directory holding one file per raw table, in load order (consumers first)."""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from lucidscore.errors import InputError
from lucidscore.ingest._file import ingest_file
from lucidscore.ingest._progress import NoProgress, ProgressSink, RichProgress
from lucidscore.ingest._report import FileReport, IngestReport
from lucidscore.records import LOAD_ORDER, TABLES_BY_NAME
from lucidscore.store import DEFAULT_WAIT_SECONDS, check_database, make_engine, migrate

REQUIRED_TABLES: tuple[str, ...] = ("consumers",)
SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".pq")
PARALLEL_FILES = 2  # PostgreSQL: files loading at once (the server does most of the work of each)


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


def _needs(files: dict[str, Path]) -> dict[str, set[str]]:
    """Each file's table -> the tables of this run it references (they load first)."""
    return {
        table: {
            c.references.split(".")[0]
            for c in TABLES_BY_NAME[table].columns
            if c.references and c.references.split(".")[0] in files and c.references.split(".")[0] != table
        }
        for table in files
    }


def _load_files(
    files: dict[str, Path], db_url: str, sink: ProgressSink, now: datetime | None, wait: float
) -> tuple[FileReport, ...]:
    engine = make_engine(db_url)
    try:
        check_database(engine, db_url)
        migrate(engine, wait=wait)
        if engine.dialect.name != "postgresql":  # SQLite has one writer: one file after another
            return tuple(
                ingest_file(path, table, engine, progress=sink, now=now, wait=wait)
                for table, path in files.items()
            )
        return _load_together(files, engine, sink, now, wait)
    finally:
        engine.dispose()


def _load_together(
    files: dict[str, Path], engine: Engine, sink: ProgressSink, now: datetime | None, wait: float
) -> tuple[FileReport, ...]:
    """PostgreSQL: two files at a time, each in its own transaction holding its table's lock, a file as
    soon as the tables it references are loaded (in load order: statements right after accounts, the
    consumer-keyed tables beside it). The first failure stops new files from starting; files already
    loading finish (each is all or nothing), then that failure is raised. An interrupt (Ctrl-C) stops the
    files loading at their next batch, rolled back, before it is raised."""
    needs = _needs(files)
    done: dict[str, FileReport] = {}
    waiting = list(files)  # load order
    failure: BaseException | None = None
    abort = threading.Event()
    watched = _Interruptible(sink, abort)
    with ThreadPoolExecutor(max_workers=PARALLEL_FILES, thread_name_prefix="ingest") as pool:
        running: dict[Future[FileReport], str] = {}
        try:
            while waiting or running:
                if failure is None:
                    ready = [t for t in waiting if needs[t] <= done.keys()]
                    for table in ready[: PARALLEL_FILES - len(running)]:
                        waiting.remove(table)
                        running[pool.submit(_one, files[table], table, engine, watched, now, wait)] = table
                if not running:
                    break
                # With a timeout: a signal may reach a loading thread, and the main thread only sees
                # the interrupt (Ctrl-C) when it wakes.
                finished, _ = wait_for(running, timeout=0.2, return_when=FIRST_COMPLETED)
                for job in finished:
                    table = running.pop(job)
                    try:
                        done[table] = job.result()
                    except BaseException as exc:
                        failure = failure or exc
        except BaseException:  # an interrupt while waiting: stop the loads, then let it through
            abort.set()
            wait_for(running)
            raise
    if failure is not None:
        raise failure
    assert done.keys() == files.keys(), "every file's references are loaded before it"
    return tuple(done[t] for t in files)


def _one(
    path: Path, table: str, engine: Engine, sink: ProgressSink, now: datetime | None, wait: float
) -> FileReport:
    return ingest_file(path, table, engine, progress=sink, now=now, wait=wait)


class _Interrupted(KeyboardInterrupt):
    """Raised in a loading thread when the run was interrupted: its file's transaction rolls back."""


class _Interruptible:
    """A progress sink that stops its thread's load at the next batch (or phase) once ``abort`` is set."""

    def __init__(self, sink: ProgressSink, abort: threading.Event) -> None:
        self._sink, self._abort = sink, abort

    def _check(self) -> None:
        if self._abort.is_set():
            raise _Interrupted("the ingest was interrupted")

    def start(self, label: str, total: int | None) -> None:
        self._check()
        self._sink.start(label, total)

    def advance(self, rows: int) -> None:
        self._check()
        self._sink.advance(rows)

    def phase(self, text: str) -> None:
        self._check()
        self._sink.phase(text)


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
