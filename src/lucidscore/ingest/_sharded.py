"""Ingest a directory into a deployment split by consumer (``lucidscore.store.read_shard_map``).

Two steps, so that a file is read once however many shards there are:

1. ``route_directory`` reads each table file once (the same reader and file checks as ``ingest_file``) and
   writes each row, with its row number in the file, to its shard's part (Parquet files in a work folder):
   consumer-keyed tables by ``shard_of(consumer_id)``, statements by the shard of their account's
   consumer (from this run's accounts file, else looked up in the shards). Lines that never became rows
   (and rows whose shard cannot be told: a statement of an account no shard holds) go to shard 0, where
   they are quarantined with the same reasons as in an unsharded load.
2. ``ingest_routed_shard`` loads one shard's parts, table by table in load order, each part through the
   same validation and all-or-nothing load as ``ingest_file`` (one transaction per file per shard). It
   can run in its own process; shards do not share anything.

Loading again changes nothing (each shard's part is the same rows as before). When a shard fails, the
others still load; running the command again loads the rest. ``merge_shard_reports`` sums each file's
counts over the shards and writes one quarantine file next to the input, rows numbered as in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import bindparam, text

from lucidscore.errors import InputError
from lucidscore.ingest._directory import find_table_files
from lucidscore.ingest._file import _ingest, open_source
from lucidscore.ingest._progress import NoProgress, ProgressSink
from lucidscore.ingest._quarantine import quarantine_path, read_quarantine, write_quarantine_file
from lucidscore.ingest._read import RawBatch
from lucidscore.ingest._report import FileReport, IngestReport
from lucidscore.ingest._validate import empty_problems
from lucidscore.records import TABLES_BY_NAME
from lucidscore.store import (
    DEFAULT_WAIT_SECONDS,
    Shard,
    ShardMap,
    ShardMismatch,
    ShardStamp,
    check_database,
    check_shard_members,
    check_shard_stamp,
    make_engine,
    migrate,
    shard_of_ids,
)

ROW = "__lucidscore_row"  # the row number in the input file, carried with each routed row
_LOOKUP_CHUNK = 5_000
NOWHERE = -1  # an account no shard holds: its statements go to shard 0, to be quarantined there


@dataclass(frozen=True)
class RoutedFile:
    """One input file split by shard: the part files of each shard (in order), their row counts, and the
    problems of lines that never became rows (for shard 0)."""

    path: Path
    table: str
    sha256: str
    parts: dict[int, tuple[Path, ...]]
    rows: dict[int, int]
    problems: Path | None
    problem_rows: int

    def has_work(self, shard: int) -> bool:
        return self.rows.get(shard, 0) > 0 or (shard == 0 and self.problems is not None)


@dataclass(frozen=True)
class RoutedRun:
    """A directory routed into ``count`` shards' parts under ``workdir``."""

    workdir: Path
    count: int
    files: tuple[RoutedFile, ...]
    ignored: tuple[Path, ...] = field(default_factory=tuple)


def _clean(column: pl.Series) -> pl.Series:
    """The value validation will store (text stripped, empty -> missing), as routing must see it."""
    return column.cast(pl.String, strict=False).str.strip_chars().replace("", None)


def _stored_accounts(urls: tuple[str, ...], ids: list[str]) -> dict[str, str]:
    """account_id -> consumer_id of the accounts already stored in the shards, for ``ids``."""
    found: dict[str, str] = {}
    query = text("SELECT account_id, consumer_id FROM accounts_current WHERE account_id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for url in urls:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                for start in range(0, len(ids), _LOOKUP_CHUNK):
                    for account, consumer in conn.execute(query, {"ids": ids[start : start + _LOOKUP_CHUNK]}):
                        found[str(account)] = str(consumer)
        finally:
            engine.dispose()
    return found


def _spread(column: pl.Series, shards_of: Callable[[list[str]], dict[str, int]]) -> np.ndarray:
    """Each row's shard: ``shards_of`` asked once per distinct value of the batch; a missing value (and
    a value it gives no shard, or ``NOWHERE``) goes to shard 0."""
    distinct = column.drop_nulls().unique().to_list()
    found = shards_of(distinct)
    values = [max(found.get(v, 0), 0) for v in distinct]
    mapped = column.replace_strict(distinct, values, default=0, return_dtype=pl.Int64).fill_null(0)
    return mapped.to_numpy()


def _consumer_shards(ids: list[str], known: dict[str, int], count: int) -> dict[str, int]:
    """``shard_of`` of each id, each hashed once per run (the consumer-keyed tables repeat them)."""
    new = [k for k in ids if k not in known]
    known.update(zip(new, shard_of_ids(new, count).tolist(), strict=True))
    return {k: known[k] for k in ids}


def _account_shards(
    ids: list[str], accounts: dict[str, int], urls: tuple[str, ...], count: int
) -> dict[str, int]:
    """The shard of each account: from this run's accounts, else from the shards (each asked once)."""
    unknown = [k for k in ids if k not in accounts]
    if unknown:
        stored = _stored_accounts(urls, unknown)
        found = shard_of_ids(list(stored.values()), count).tolist()
        accounts.update(zip(stored, found, strict=True))
        accounts.update((k, NOWHERE) for k in unknown if k not in stored)
    return {k: accounts[k] for k in ids}


def _route_file(
    path: Path,
    table: str,
    count: int,
    out: Path,
    accounts: dict[str, int],
    consumers: dict[str, int],
    urls: tuple[str, ...],
    sink: ProgressSink,
) -> RoutedFile:
    source = open_source(path, table)
    record = source.record
    by_consumer = "consumer_id" in record.column_names
    parts: dict[int, list[Path]] = {}
    rows: dict[int, int] = {}
    problems: list[pl.DataFrame] = []
    sink.start(f"routing {table} ({path.name})", source.total)
    for n, batch in enumerate(source.batches()):
        frame = batch.frame
        if batch.problems is not None and batch.problems.height:
            problems.append(batch.problems)
        if frame.height == 0:
            continue
        if by_consumer:
            consumer = _clean(frame.get_column("consumer_id"))
            shards = _spread(consumer, lambda ids: _consumer_shards(ids, consumers, count))
            if table == "accounts":
                pairs = (
                    pl.DataFrame({"k": _clean(frame.get_column("account_id")), "s": shards})
                    .drop_nulls("k")
                    .unique("k", keep="first", maintain_order=True)
                )
                for key, shard in pairs.iter_rows():
                    accounts.setdefault(key, shard)
        else:  # statements: the shard of the account's consumer
            shards = _spread(
                _clean(frame.get_column("account_id")),
                lambda ids: _account_shards(ids, accounts, urls, count),
            )
        framed = frame.with_columns(pl.Series(ROW, batch.rows, dtype=pl.Int64))
        for shard in np.unique(shards).tolist():
            part = framed.filter(pl.Series(shards == shard))
            target = out / f"shard-{shard}" / table / f"part-{n:06d}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            part.write_parquet(target)
            parts.setdefault(shard, []).append(target)
            rows[shard] = rows.get(shard, 0) + part.height
        sink.advance(frame.height)
    parse = source.after_read()
    if parse.height:
        problems.append(parse)
    merged = pl.concat(problems) if problems else None
    problem_file: Path | None = None
    if merged is not None and merged.height:
        problem_file = out / "problems" / f"{table}.parquet"
        problem_file.parent.mkdir(parents=True, exist_ok=True)
        merged.write_parquet(problem_file)
        sink.advance(merged.get_column("row").n_unique())
    sink.phase("routed")
    return RoutedFile(
        path=path,
        table=table,
        sha256=source.sha256,
        parts={k: tuple(v) for k, v in parts.items()},
        rows=rows,
        problems=problem_file,
        problem_rows=0 if merged is None else merged.get_column("row").n_unique(),
    )


def route_directory(
    directory: Path | str, shards: ShardMap, workdir: Path, progress: ProgressSink | None = None
) -> RoutedRun:
    """Split every table file of ``directory`` (as ``ingest_directory`` finds them) by shard into parts
    under ``workdir``. File-level faults raise ``InputError`` as in ``ingest_file``; nothing is written to
    any database."""
    files, ignored = find_table_files(Path(directory))
    sink = progress or NoProgress()
    accounts: dict[str, int] = {}
    consumers: dict[str, int] = {}
    urls = tuple(s.url for s in shards.shards)
    routed = tuple(
        _route_file(path, table, shards.count, workdir, accounts, consumers, urls, sink)
        for table, path in files.items()
    )
    return RoutedRun(workdir=workdir, count=shards.count, files=routed, ignored=ignored)


def _part_batches(f: RoutedFile, shard: int, count: int) -> Callable[[], Iterator[RawBatch]]:
    by_consumer = "consumer_id" in TABLES_BY_NAME[f.table].column_names

    def batches() -> Iterator[RawBatch]:
        for part in f.parts.get(shard, ()):
            frame = pl.read_parquet(part)
            if by_consumer:  # the row's shard, checked where it is written
                found = shard_of_ids(_clean(frame.get_column("consumer_id")), count)
                wrong = np.flatnonzero(found != shard)
                if wrong.size:
                    i = int(wrong[0])
                    raise ShardMismatch(
                        f"{f.path} row {int(frame[ROW][i]):,}: consumer {frame['consumer_id'][i]!r} "
                        "belongs to "
                        f"shard {int(found[i])}, not to shard {shard} it was to be written to; nothing of "
                        f"{f.path.name} was loaded into shard {shard}"
                    )
            yield RawBatch(frame.drop(ROW), frame.get_column(ROW).to_numpy())

    return batches


def _part_problems(f: RoutedFile, shard: int) -> Callable[[], pl.DataFrame]:
    if shard != 0 or f.problems is None:
        return empty_problems
    problems = f.problems
    return lambda: pl.read_parquet(problems)


def shard_quarantine(run: RoutedRun, shard: int, f: RoutedFile) -> Path:
    """Where shard ``shard`` writes its quarantine file of ``f`` (merged by ``merge_shard_reports``)."""
    return run.workdir / f"shard-{shard}" / "quarantine" / quarantine_path(f.path).name


def ingest_routed_shard(
    run: RoutedRun,
    shard: Shard,
    stamp: ShardStamp,
    *,
    progress: ProgressSink | None = None,
    now: datetime | None = None,
    wait: float = DEFAULT_WAIT_SECONDS,
) -> tuple[FileReport, ...]:
    """Load shard ``shard``'s parts of ``run`` into its database, file by file in load order, each all or
    nothing. The database is migrated, and refused (``ShardMismatch``) when its stamp is not ``stamp`` or
    it holds a consumer of another shard."""
    where = f"shard {shard.index} ({shard.shown})"
    engine = make_engine(shard.url)
    try:
        check_database(engine, where)
        migrate(engine, wait=wait)
        check_shard_stamp(engine, stamp, where)
        check_shard_members(engine, stamp, where)
        reports = []
        for f in run.files:
            if not f.has_work(shard.index):
                continue
            target = shard_quarantine(run, shard.index, f)
            target.parent.mkdir(parents=True, exist_ok=True)
            reports.append(
                _ingest(
                    engine,
                    TABLES_BY_NAME[f.table],
                    str(f.path),
                    f.sha256,
                    _part_batches(f, shard.index, run.count),
                    _part_problems(f, shard.index),
                    f.rows.get(shard.index, 0) + (f.problem_rows if shard.index == 0 else 0),
                    target,
                    progress,
                    now,
                    wait,
                )
            )
        return tuple(reports)
    finally:
        engine.dispose()


_COUNTS = ("read", "accepted", "quarantined", "inserted", "superseded", "unchanged")


def merge_shard_reports(run: RoutedRun, by_shard: dict[int, tuple[FileReport, ...]]) -> IngestReport:
    """One report per input file, its counts summed over the shards, and one quarantine file next to it
    (every shard's problems, in row order). ``batch_id`` of a merged report is -1: each shard logged its
    own batch. Call it when every shard has loaded; a quarantine file left from before is replaced (or
    removed when no row is quarantined now)."""
    merged = []
    for f in run.files:
        mine = [r for reports in by_shard.values() for r in reports if r.path == f.path]
        if not mine:
            raise InputError(f"{f.path}: no shard reported loading it; expected every shard to have run")
        counts = {c: sum(int(getattr(r, c)) for r in mine) for c in _COUNTS}
        out = quarantine_path(f.path)
        quarantined = [r.quarantine_path for r in mine if r.quarantine_path is not None]
        written: Path | None = None
        if quarantined:
            problems = pl.concat([read_quarantine(p) for p in quarantined])
            written = write_quarantine_file(problems, out)
        else:
            out.unlink(missing_ok=True)
        shown = tuple(sorted((p for r in mine for p in r.problems), key=_row_of))[:10]
        merged.append(
            FileReport(
                path=f.path,
                table=f.table,
                sha256=f.sha256,
                batch_id=-1,
                read=counts["read"],
                accepted=counts["accepted"],
                quarantined=counts["quarantined"],
                inserted=counts["inserted"],
                superseded=counts["superseded"],
                unchanged=counts["unchanged"],
                quarantine_path=written,
                problems=shown,
                seconds=max(r.seconds for r in mine),
            )
        )
    return IngestReport(files=tuple(merged), ignored=run.ignored)


def _row_of(line: str) -> int:
    """The row number of a problem line ('statements.csv row 1,204: ...'), for ordering."""
    _, _, rest = line.partition(" row ")
    digits = rest.split(":", 1)[0].replace(",", "")
    return int(digits) if digits.isdigit() else 0
