"""CLI commands ``synth`` (write a synthetic population) and ``features`` (point-in-time features)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lucidscore.cli._flags import flags
from lucidscore.errors import InputError


class OutputFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def _date(option: str, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a date; expected YYYY-MM-DD, e.g. 2025-06-30") from None


def synth(
    out: Annotated[Path, typer.Option("--out", help="Directory for one file per table.")],
    consumers: Annotated[int, typer.Option("--consumers", help="Number of consumers.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed; the same seed writes the same files.")] = 7,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="parquet or csv.")] = OutputFormat.parquet,
    end: Annotated[str, typer.Option("--end", help="Last simulated day, YYYY-MM-DD, not in the future.")] = (
        "2026-06-30"
    ),
    bad_rate: Annotated[float, typer.Option("--bad-rate", help="Target share of bad consumers.")] = 0.08,
    history_months: Annotated[
        int, typer.Option("--history-months", help="Simulated months, including the 12-month outcome window.")
    ] = 36,
) -> None:
    """Write a synthetic population (consumers, accounts, statements, inquiries, public records, income,
    outcomes) driven by the latent process documented in docs/data.md."""
    from lucidscore.synth import generate_population

    summary = generate_population(
        consumers,
        seed,
        out,
        fmt=fmt.value,
        end=_date("--end", end),
        history_months=history_months,
        bad_rate=bad_rate,
        progress=True,
    )
    console = Console()
    written = ", ".join(f"{name} {rows:,}" for name, rows in summary.rows.items())
    console.print(f"rows written: {written}", highlight=False, soft_wrap=True)
    console.print(
        f"wrote {len(summary.files)} {summary.fmt} files to {summary.out_dir} in {summary.seconds:.1f} s; "
        f"outcomes observed on {summary.observation_date}, bad rate {summary.bad_rate:.2%}",
        highlight=False,
        soft_wrap=True,
    )


class FeaturesEngine(StrEnum):
    local = "local"
    spark = "spark"


def features(
    as_of: Annotated[str, typer.Option("--as-of", help="Observation date, YYYY-MM-DD, not in the future.")],
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    db: Annotated[str | None, typer.Option("--db", help="Database URL loaded by lucidscore ingest.")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Directory of CSV/Parquet tables.")] = None,
    engine: Annotated[
        FeaturesEngine,
        typer.Option(
            help="local (polars, out of core) or spark (local[2] Apache Spark; Parquet or PostgreSQL)."
        ),
    ] = FeaturesEngine.local,
    consumer: Annotated[
        list[str] | None,
        typer.Option("--consumer", help="Only this consumer (repeat for more); reads only their records."),
    ] = None,
    chunk_consumers: Annotated[
        int, typer.Option("--chunk-consumers", help="Consumers computed together (local engine).")
    ] = 250_000,  # lucidscore.features.DEFAULT_CHUNK_CONSUMERS, not imported to keep start-up light
) -> None:
    """Compute point-in-time features (records dated on or before --as-of only) and write them to Parquet
    with each feature's family and description in the file's metadata."""
    if (db is None) == (data is None):
        raise InputError("features: give exactly one of --db URL or --data DIR")
    if db is not None:
        from lucidscore.store import open_database

        open_database(db).dispose()  # a missing file or an unreachable server: one clear line, here
    source: str | Path = db if db is not None else data  # type: ignore[assignment]
    day = _date("--as-of", as_of)
    source_flag = flags(source="--db" if db is not None else "--data")  # the library says ``source``
    console = Console()
    if engine is FeaturesEngine.spark:
        if consumer:
            raise InputError("--consumer: choosing consumers works with --engine local; drop it for spark")
        from lucidscore.features.spark import features_to_parquet as spark_features

        with source_flag:
            result = spark_features(source, day, out)
    else:
        from lucidscore.features import features_to_parquet

        with source_flag:
            result = features_to_parquet(
                source, day, out, progress=True, consumer_ids=consumer, chunk_consumers=chunk_consumers
            )
        used = ", ".join(f"{name} {rows:,}" for name, rows in result.rows_used.items())
        console.print(f"rows read, dated on or before {as_of}: {used}", highlight=False, soft_wrap=True)
    n_features = len(result.columns) - 1 - int("bad" in result.columns)
    console.print(
        f"rows written: {result.rows:,} consumers x {n_features} features"
        + (" + bad" if "bad" in result.columns else "")
        + f" to {result.path} ({engine.value} engine"
        + (f", {result.chunks} chunks)" if engine is FeaturesEngine.local and result.chunks > 1 else ")"),
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``synth`` and ``features`` to the app."""
    app.command("synth")(synth)
    app.command("features")(features)
