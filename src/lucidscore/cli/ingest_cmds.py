"""CLI command ``ingest``: load a directory of table files (or one file) into the database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._shards import (
    Says,
    fail_if_any,
    ingest_one_shard,
    load_map,
    open_shard,
    refuse_both,
    run_shards,
)
from lucidscore.errors import InputError
from lucidscore.records import LOAD_ORDER

if TYPE_CHECKING:  # the ingest layer (SQLAlchemy, polars) loads only when the command runs
    from lucidscore.ingest import FileReport, IngestReport

_COUNTS = ("read", "accepted", "quarantined", "inserted", "superseded", "unchanged")
_SHOWN_PROBLEMS = 5


def _ingest_one(path: Path, table: str | None, db: str, progress: bool, wait: float) -> IngestReport:
    from lucidscore.ingest import IngestReport, RichProgress, ingest_file
    from lucidscore.store import check_database, make_engine, migrate

    name = table or path.name.split(".")[0]
    if name not in LOAD_ORDER:
        raise InputError(
            f"{path}: cannot tell which table this file holds; pass --table (one of {', '.join(LOAD_ORDER)})"
        )
    engine = make_engine(db)
    try:
        check_database(engine, db)
        migrate(engine, wait=wait)
        if progress:
            with RichProgress() as sink:
                report = ingest_file(path, name, engine, progress=sink, wait=wait)
        else:
            report = ingest_file(path, name, engine, wait=wait)
    finally:
        engine.dispose()
    return IngestReport(files=(report,))


def _refuse_a_shard(db: str) -> None:
    """A shard's database holds only its own consumers: loading a directory or file into it by ``--db``
    would put other shards' consumers there (found only by the next sharded command). Refused, naming the
    shard and the way to load it."""
    from sqlalchemy.exc import DBAPIError

    from lucidscore.cli._db import shown
    from lucidscore.store import any_shard_stamp, make_engine

    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            stamp = any_shard_stamp(conn)
    except DBAPIError:
        return  # not a database (yet), or unreachable: the ingest itself says so
    finally:
        engine.dispose()
    if stamp is not None:
        raise InputError(
            f"--db {shown(db)}: this database is {stamp.describe()}; expected a database that is no shard: "
            "load a deployment split by consumer with lucidscore ingest PATH --shards MAP, which sends each "
            "consumer's records to its shard"
        )


def _print(report: IngestReport, console: Console) -> None:
    table = Table(title="ingested")
    table.add_column("file")
    table.add_column("table")
    for c in _COUNTS:
        table.add_column(c, justify="right")
    for f in report.files:
        table.add_row(f.path.name, f.table, *(f"{getattr(f, c):,}" for c in _COUNTS))
    if len(report.files) > 1:
        table.add_row("total", "", *(f"{report.total(c):,}" for c in _COUNTS), style="bold")
    console.print(table)
    for f in report.files:
        _print_quarantine(f, console)
    for p in report.ignored:
        console.print(f"ignored {p} (not a table file: expected <table>.csv or <table>.parquet)")


def _print_quarantine(f: FileReport, console: Console) -> None:
    if not f.quarantined:
        return
    console.print(f"[yellow]{f.quarantined:,} row(s) of {f.path.name} quarantined:[/] {f.quarantine_path}")
    for line in f.problems[:_SHOWN_PROBLEMS]:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    if f.quarantined > _SHOWN_PROBLEMS:
        console.print("  ... (all of them, with reasons, in the quarantine file)")


def _loaded(files: tuple[FileReport, ...]) -> str:
    inserted, unchanged = sum(f.inserted for f in files), sum(f.unchanged for f in files)
    return f"{len(files)} file(s) loaded; {inserted:,} rows inserted, {unchanged:,} unchanged"


# What an interrupted sharded ingest says of its shards (``cli._interrupt``).
INGEST_SAYS = Says(
    _loaded,
    "the files loaded before it are kept (each file is one transaction), the file loading was rolled back",
    "it loads the shards not finished; the finished shards' files are read again and found unchanged",
)


def _ingest_sharded(path: Path, shard_map: str, jobs: int, progress: bool, wait: float) -> None:
    """Route the directory's rows by consumer, load each shard's part (``jobs`` shards at once, each in its
    own process), then sum the files' counts and merge their quarantine files."""
    import shutil
    import tempfile

    from lucidscore.ingest import NoProgress, RichProgress, merge_shard_reports, route_directory

    smap = load_map(shard_map)
    for shard in smap.shards:  # every shard initialised and in its place before anything is read
        open_shard(shard, smap.stamp(shard.index)).dispose()
    workdir = Path(tempfile.mkdtemp(prefix="lucidscore-shards-"))
    try:
        if progress:
            with RichProgress() as sink:
                run = route_directory(path, smap, workdir, sink)
        else:
            run = route_directory(path, smap, workdir, NoProgress())
        tasks = [(s.index, (run, s, smap.stamp(s.index), wait)) for s in smap.shards]
        outcomes = run_shards(ingest_one_shard, tasks, jobs, smap, INGEST_SAYS)
        fail_if_any(outcomes, smap, "ingest")
        report = merge_shard_reports(run, {o.shard: o.value or () for o in outcomes})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    console = Console(width=200)
    _print(report, console)
    per = Table(title=f"by shard ({smap.count}, map {smap.fingerprint[:12]})")
    per.add_column("shard")
    per.add_column("database")
    for c in _COUNTS:
        per.add_column(c, justify="right")
    for o in outcomes:
        files = o.value or ()
        per.add_row(
            str(o.shard),
            smap.shards[o.shard].shown,
            *(f"{sum(getattr(f, c) for f in files):,}" for c in _COUNTS),
        )
    console.print(per)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command()
    def ingest(
        ctx: typer.Context,
        path: Annotated[Path, typer.Argument(help="directory with <table>.csv|parquet files, or one file")],
        db: Annotated[str, typer.Option(help="database URL: sqlite:///file.db or postgresql://...")] = (
            "sqlite:///lucidscore.db"
        ),
        table: Annotated[
            str | None, typer.Option(help="raw table a single file holds (default: from its name)")
        ] = None,
        progress: Annotated[bool, typer.Option(help="show a progress bar per file")] = True,
        wait: Annotated[
            float,
            typer.Option(
                help="seconds to wait for another ingest of the same database to finish (then give up)",
                min=0,
            ),
        ] = 1800.0,
        shards: Annotated[
            str | None,
            typer.Option(
                help="shard map (TOML): load a directory into a deployment split by consumer, each "
                "record into its consumer's shard (instead of --db)",
            ),
        ] = None,
        jobs: Annotated[int, typer.Option(min=1, help="with --shards: shards loaded at once")] = 1,
    ) -> None:
        """Validate and load raw records; bad rows go to <file>.quarantine.csv with reasons."""
        if shards is not None:
            refuse_both(ctx)
            if not path.is_dir():
                raise InputError(f"{path}: --shards loads a directory of table files; expected a directory")
            if table is not None:
                raise InputError(f"{path}: --table applies to a single file, not to a directory")
            _ingest_sharded(path, shards, jobs, progress, wait)
            return
        _refuse_a_shard(db)
        if path.is_dir():
            if table is not None:
                raise InputError(f"{path}: --table applies to a single file, not to a directory")
            from lucidscore.ingest import ingest_directory

            report = ingest_directory(path, db, progress=progress, wait=wait)
        else:
            report = _ingest_one(path, table, db, progress, wait)
        _print(report, Console(width=200))
