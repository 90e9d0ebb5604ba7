"""CLI commands ``score`` (batch scoring, local or Spark) and ``export`` (the model as SQL)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.errors import InputError


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class ExportFormat(StrEnum):
    sql = "sql"


class SqlDialect(StrEnum):
    sqlite = "sqlite"
    postgresql = "postgresql"
    spark = "spark"


def score(
    model: Annotated[Path, typer.Argument(help="Model JSON written by `lucidscore train`.")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file, one row per applicant.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write.")] = Path("scores.parquet"),
    reasons: Annotated[
        int,
        typer.Option(
            help="Principal reasons per row (0-4; a 5th for recent inquiries), each with its statement, "
            "code, characteristic and points lost."
        ),
    ] = 4,
    recourse: Annotated[
        bool,
        typer.Option(
            help="Add each row's recourse: the fewest and smallest changes, each in its characteristic's "
            "declared direction, that reach the next tier (target tier, new score, from and to)."
        ),
    ] = False,
    max_changes: Annotated[int, typer.Option(help="Most characteristics a recourse plan may change.")] = 2,
    engine: Annotated[Engine, typer.Option(help="local (numba kernel) or spark (local[2] Apache Spark).")] = (
        Engine.local
    ),
    id_column: Annotated[
        str | None, typer.Option("--id", help="Input column carried into the output as each row's id.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Score every row of DATA: score 350-950, tier, probability of bad, segment, reasons and recourse."""
    if not 0 <= reasons <= 4:
        raise InputError(f"--reasons is {reasons}; expected 0 to 4")
    if not 1 <= max_changes <= 5:
        raise InputError(f"--max-changes is {max_changes}; expected 1 to 5")
    if engine is Engine.spark:
        from lucidscore.score.spark import score_file as spark_score_file

        summary = spark_score_file(
            model, data, out, reasons=reasons, id_column=id_column, recourse=recourse, max_changes=max_changes
        )
    else:
        from lucidscore.score import score_file

        summary = score_file(
            model,
            data,
            out,
            reasons=reasons,
            progress=progress,
            id_column=id_column,
            recourse=recourse,
            max_changes=max_changes,
        )
    console = Console()
    table = Table(title=f"{summary.rows:,} rows scored ({summary.engine}) -> {summary.out_path}")
    table.add_column("tier")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    for tier, n in summary.tier_counts.items():
        table.add_row(tier, f"{n:,}", f"{n / max(summary.rows, 1):.1%}")
    console.print(table)
    if summary.score_mean is not None:
        console.print(
            f"scores: min {summary.score_min}, mean {summary.score_mean:.1f}, max {summary.score_max}",
            highlight=False,
        )
    if summary.extra_columns:
        console.print(
            f"note: {len(summary.extra_columns)} column(s) not used by the model were ignored: "
            + ", ".join(summary.extra_columns),
            highlight=False,
        )


def export(
    model: Annotated[Path, typer.Argument(help="Model JSON written by `lucidscore train`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")] = Path("model.sql"),
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Export format.")] = ExportFormat.sql,
    dialect: Annotated[SqlDialect, typer.Option(help="SQL dialect.")] = SqlDialect.sqlite,
    table: Annotated[str, typer.Option(help="Table the SELECT reads from.")] = "input",
) -> None:
    """Export the model as one SQL SELECT (a CASE per characteristic) that scores a table in-database."""
    from lucidscore.artifact import load_artifact
    from lucidscore.score import to_sql

    art = load_artifact(model)
    text = to_sql(art, table=table, dialect=dialect.value)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(out)
    Console().print(f"wrote {out} ({fmt.value}, {dialect.value}): scores table {table!r}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``score`` and ``export`` to the app."""
    app.command("score")(score)
    app.command("export")(export)
