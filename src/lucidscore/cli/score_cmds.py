"""CLI commands ``score`` (batch scoring, local or Spark) and ``export`` (the model as SQL or PMML)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.errors import InputError
from lucidscore.paths import temporary_sibling


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class ExportFormat(StrEnum):
    sql = "sql"
    pmml = "pmml"


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
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write [default: model.sql or model.pmml].")
    ] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Export format.")] = ExportFormat.sql,
    dialect: Annotated[
        SqlDialect | None, typer.Option(help="SQL dialect (--format sql only) [default: sqlite].")
    ] = None,
    table: Annotated[
        str | None, typer.Option(help="Table the SELECT reads from (--format sql only) [default: input].")
    ] = None,
    reasons: Annotated[
        int | None,
        typer.Option(
            help="Reason codes per row (0-4): SQL reason_j_code/reason_j_points columns (a 5th for recent "
            "inquiries) [default: 0]; PMML reason_1..k outputs [default: 4].",
        ),
    ] = None,
) -> None:
    """Export the model: one SQL SELECT that scores a table in-database, or a PMML 4.4 Scorecard with
    reason codes for any PMML evaluator."""
    from lucidscore.artifact import load_artifact
    from lucidscore.score import to_pmml, to_sql

    if reasons is not None and not 0 <= reasons <= 4:
        raise InputError(f"--reasons is {reasons}; expected 0 to 4")

    if fmt is ExportFormat.pmml:
        given = [flag for flag, value in (("--dialect", dialect), ("--table", table)) if value is not None]
        if given:
            verb = "apply" if len(given) > 1 else "applies"
            raise InputError(
                f"{' and '.join(given)} {verb} to --format sql only; PMML has no dialect or table"
            )
    art = load_artifact(model)
    if fmt is ExportFormat.pmml:
        k = 4 if reasons is None else reasons
        text = to_pmml(art, reasons=k)
        what = "pmml 4.4: score, tier, probability, segment" + (f", reason_1..{k}" if k else "")
    else:
        sql_dialect = dialect or SqlDialect.sqlite
        k = reasons or 0
        text = to_sql(art, table=table or "input", dialect=sql_dialect.value, reasons=k)
        what = f"sql, {sql_dialect.value}: scores table {table or 'input'!r}" + (
            f", {k} reasons" if k else ""
        )
    target = out or Path(f"model.{fmt.value}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    tmp.write_text(text, "utf-8")
    tmp.replace(target)
    Console().print(f"wrote {target} ({what})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``score`` and ``export`` to the app."""
    app.command("score")(score)
    app.command("export")(export)
