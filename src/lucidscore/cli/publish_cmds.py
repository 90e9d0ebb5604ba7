"""CLI command ``publish``: the month — features as of the date from the stored records, scores with
reasons and recourse from the active model, one current history row per consumer and month."""

from __future__ import annotations

from datetime import UTC, date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._db import OptionalDbOption, ShardsOption, open_store
from lucidscore.cli._progress import StageBars
from lucidscore.cli._shards import (
    Says,
    fail_if_any,
    load_map,
    open_shard,
    publish_one_shard,
    refuse_both,
    require_db,
    run_shards,
)
from lucidscore.cli.data_cmds import _date
from lucidscore.errors import InputError

if TYPE_CHECKING:
    from lucidscore.service import PublishReport


class PublishEngine(StrEnum):
    local = "local"
    spark = "spark"


def publish(
    ctx: typer.Context,
    db: OptionalDbOption = None,
    *,
    as_of: Annotated[str, typer.Option("--as-of", help="the month's date, YYYY-MM-DD, not in the future")],
    engine: Annotated[
        PublishEngine,
        typer.Option(help="local (polars, numba) or spark (local[2] Apache Spark); same scores"),
    ] = PublishEngine.local,
    changed_only: Annotated[
        bool,
        typer.Option(
            "--changed-only",
            help="rescore only consumers whose records changed since the month was last published "
            "(the same result as a full publish)",
        ),
    ] = False,
    chunk_consumers: Annotated[
        int, typer.Option(min=1, help="consumers scored and written per transaction")
    ] = 20_000,
    shards: ShardsOption = None,
    jobs: Annotated[int, typer.Option(min=1, help="with --shards: shards published at once")] = 1,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="score every consumer even where the month is already published with this model and "
            "code and no record changed since (skipped otherwise)",
        ),
    ] = False,
) -> None:
    """Publish a month with the active model. Publishing it again changes nothing; a consumer whose score
    changed gets a row that supersedes the old one (kept as the trail). The service shows it at once. A
    database (with --shards, a shard) whose month a finished publish made with the same model and code,
    and whose records did not change since, is not scored again (--full scores it anyway)."""
    from lucidscore.service import publish_month

    day = _date("--as-of", as_of)
    if full and changed_only:
        raise InputError(
            "--full and --changed-only: give one; --full scores every consumer, --changed-only only those "
            "whose records changed since the month was last published"
        )
    if shards is not None:
        refuse_both(ctx)
        if engine is not PublishEngine.local:
            raise InputError(
                "--engine spark: --shards publishes each shard with the local engine in its own process; "
                "drop --engine spark"
            )
        from lucidscore.service import check_publish

        check_publish(day, chunk_consumers=chunk_consumers)  # once, before any shard starts
        _publish_sharded(shards, day, chunk_consumers, jobs, changed_only, full)
        return
    db = require_db(db)
    open_store(db).dispose()  # one clear line for a database that cannot be opened, and migrated
    with StageBars() as bars:
        report = publish_month(
            db,
            day,
            engine=engine.value,
            changed_only=changed_only,
            progress=bars,
            chunk_consumers=chunk_consumers,
            skip_unchanged=not full,
        )
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    if report.already is not None:
        console.print(
            f"published {report.as_of.isoformat()} with model {report.model_id}: {_already(report)}; "
            "nothing scored (--full scores it again)",
            markup=False,
        )
        return
    console.print(
        f"published {report.as_of.isoformat()} with model {report.model_id} ({report.engine} engine"
        + (", changed consumers only" if report.changed_only else "")
        + f"): {report.consumers:,} consumers scored; {report.new:,} new, {report.superseded:,} superseded "
        f"(a changed score), {report.unchanged:,} unchanged (no row) in {report.seconds:.1f} s",
        markup=False,
    )


def _already(r: PublishReport) -> str:
    """What a publish that scored nobody says: the month was already published, when, and by which run."""
    assert r.already is not None
    when = r.already.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"already published {when} (publication {r.publication_id}); nothing changed since"


def _published(r: PublishReport) -> str:
    if r.already is not None:
        return f"{_already(r)}, nothing scored"
    return (
        f"{r.consumers:,} consumers scored; {r.new:,} new, {r.superseded:,} superseded, {r.unchanged:,} "
        "unchanged"
    )


# What an interrupted sharded publish says of its shards (``cli._interrupt``).
PUBLISH_SAYS = Says(
    _published,
    "the consumers written before it are kept (each chunk is its own transaction), the chunk in progress "
    "was rolled back",
    "it publishes the shards not finished, scoring all their consumers and writing only the rows not yet "
    "written; a shard finished here is not scored again (its month is published, nothing changed since), "
    "unless a record of it changed meanwhile or --full is given",
)


def _publish_sharded(
    shard_map: str, day: date, chunk: int, jobs: int, changed_only: bool, full: bool
) -> None:
    """Every shard published by its own process, with the same active model; a summary table."""
    import time

    from sqlalchemy.orm import Session

    from lucidscore.service import active_model

    smap = load_map(shard_map)
    started = time.perf_counter()
    active: dict[int, tuple[str, str] | None] = {}
    for shard in smap.shards:
        engine = open_shard(shard, smap.stamp(shard.index))
        try:
            with Session(engine) as session:
                model = active_model(session)
                active[shard.index] = None if model is None else (model.model_id, model.content_hash)
        finally:
            engine.dispose()
    missing = [i for i, m in active.items() if m is None]
    if missing:
        raise InputError(
            f"--shards: shard {missing[0]} ({smap.shards[missing[0]].shown}) has no active model; "
            "register and activate one in every shard: lucidscore model register FILE --shards MAP, then "
            "lucidscore model activate MODEL_ID --shards MAP"
        )
    models = {m for m in active.values() if m is not None}
    if len(models) > 1:
        said = "; ".join(f"shard {i}: {m[0]} (content hash {m[1][:12]})" for i, m in active.items() if m)
        raise InputError(
            f"--shards: the shards' active models differ ({said}); every shard must publish with the same "
            "model: lucidscore model activate MODEL_ID --shards MAP"
        )
    model_id = next(iter(models))[0]
    tasks = [
        (s.index, (s, smap.stamp(s.index), day, chunk, model_id, changed_only, not full)) for s in smap.shards
    ]
    outcomes = run_shards(publish_one_shard, tasks, jobs, smap, PUBLISH_SAYS)
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    table = Table(title=f"published {day.isoformat()} with model {model_id}, {smap.count} shard(s)")
    for column in ("shard", "database", "consumers", "new", "superseded", "unchanged", "seconds", "note"):
        table.add_column(column, justify="left" if column in ("shard", "database", "note") else "right")
    totals = [0, 0, 0, 0]
    skipped = 0
    for o in outcomes:
        r = o.value
        if r is None:
            table.add_row(str(o.shard), smap.shards[o.shard].shown, "failed", "", "", "", "", "")
            continue
        for i, n in enumerate((r.consumers, r.new, r.superseded, r.unchanged)):
            totals[i] += n
        skipped += r.already is not None
        table.add_row(
            str(o.shard),
            smap.shards[o.shard].shown,
            *(f"{n:,}" for n in (r.consumers, r.new, r.superseded, r.unchanged)),
            f"{r.seconds:.1f}",
            _already(r) if r.already is not None else "",
        )
    table.add_row(
        "total", "", *(f"{n:,}" for n in totals), f"{time.perf_counter() - started:.1f}", "", style="bold"
    )
    console.print(table)
    fail_if_any(
        outcomes,
        smap,
        "publish",
        "the finished ones are not scored again, unless a record of theirs changed meanwhile",
    )
    console.print(
        f"published {day.isoformat()} with model {model_id} over {smap.count} shard(s): "
        f"{totals[0]:,} consumers "
        f"scored; {totals[1]:,} new, {totals[2]:,} superseded, {totals[3]:,} unchanged"
        + (
            f"; {skipped} shard(s) already published with nothing changed since, not scored again "
            "(--full scores them)"
            if skipped
            else ""
        ),
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``publish`` to the app."""
    app.command("publish")(publish)
