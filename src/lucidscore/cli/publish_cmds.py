"""CLI command ``publish``: the month — features as of the date from the stored records, scores with
reasons and recourse from the active model, one current history row per consumer and month."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from lucidscore.cli._db import DbOption, open_store
from lucidscore.cli._progress import StageBars
from lucidscore.cli.data_cmds import _date


class PublishEngine(StrEnum):
    local = "local"
    spark = "spark"


def publish(
    db: DbOption,
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
) -> None:
    """Publish a month with the active model. Publishing it again changes nothing; a consumer whose score
    changed gets a row that supersedes the old one (kept as the trail). The service shows it at once."""
    from lucidscore.service import publish_month

    day = _date("--as-of", as_of)
    open_store(db).dispose()  # one clear line for a database that cannot be opened, and migrated
    with StageBars() as bars:
        report = publish_month(
            db,
            day,
            engine=engine.value,
            changed_only=changed_only,
            progress=bars,
            chunk_consumers=chunk_consumers,
        )
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    console.print(
        f"published {report.as_of.isoformat()} with model {report.model_id} ({report.engine} engine"
        + (", changed consumers only" if report.changed_only else "")
        + f"): {report.consumers:,} consumers scored; {report.new:,} new, {report.superseded:,} superseded "
        f"(a changed score), {report.unchanged:,} unchanged (no row) in {report.seconds:.1f} s",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``publish`` to the app."""
    app.command("publish")(publish)
