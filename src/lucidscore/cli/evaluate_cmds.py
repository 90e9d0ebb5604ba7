"""CLI commands ``evaluate`` (validation, fairness and model-card report) and ``monitor`` (drift report)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lucidscore.cli._flags import flags
from lucidscore.errors import InputError

AUDIT_FLAGS = {"columns": "--audit-columns", "key": "--audit-key"}  # align_audit's parameters


def _split_columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _json_path(report: Path, json_out: Path | None) -> Path:
    return json_out if json_out is not None else report.with_suffix(".json")


def evaluate(
    model: Annotated[Path, typer.Argument(help="Model file written by `lucidscore train`.")],
    data: Annotated[Path, typer.Argument(help="Table to validate on (CSV or Parquet), with the target.")],
    target: Annotated[str | None, typer.Option(help="Target column (1 = bad). Default: the model's.")] = None,
    bad_value: Annotated[
        str | None, typer.Option(help="Target value meaning bad. Default: the model's, else 1 of 0/1.")
    ] = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            help="Table with the audit columns, if not DATA itself; joined by --audit-key or row order."
        ),
    ] = None,
    audit_key: Annotated[
        str | None, typer.Option(help="Column present in DATA and --audit to join on.")
    ] = None,
    audit_columns: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated protected attributes for the fairness audit, e.g. SEX,MARRIAGE,AGE."
        ),
    ] = None,
    cutoff: Annotated[int, typer.Option(help="Lowest approved score (350-950) for fairness figures.")] = 600,
    report: Annotated[Path, typer.Option(help="HTML report to write.")] = Path("report.html"),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="JSON twin of the report. Default: REPORT with .json.")
    ] = None,
    train: Annotated[Path | None, typer.Option(help="Training table, to show train vs test metrics.")] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Baseline for score PSI and CSI. Default: --train, else the training bins."),
    ] = None,
    resamples: Annotated[
        int, typer.Option(min=10, max=10_000, help="Bootstrap resamples for intervals.")
    ] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
) -> None:
    """Validate a model: discrimination, calibration, stability, fairness at a cutoff, proxies, model card."""
    from lucidscore.artifact import load_artifact
    from lucidscore.evaluate import (
        Table,
        align_audit,
        align_columns,
        check_cutoff,
        evaluation_report,
        write_report,
    )
    from lucidscore.tabular import read_table

    check_cutoff(cutoff)
    artifact = load_artifact(model)
    frame = read_table(data)
    columns = _split_columns(audit_columns)
    if audit_key is not None and audit is None:
        raise InputError("--audit-key needs --audit FILE: the table that holds the audit columns")
    same_table = audit is None or audit.resolve() == data.resolve()
    if not columns and audit is not None:
        columns = list(artifact.audit_columns)
        if not columns:
            raise InputError(
                f"--audit {audit} given but no --audit-columns, and model {artifact.model_id} records none; "
                "name them, e.g. --audit-columns SEX,AGE"
            )
    audit_frame = None if same_table or audit is None else read_table(audit)
    with flags(**AUDIT_FLAGS):
        groups, how = align_audit(
            frame,
            audit_frame,
            columns,
            key=None if same_table else audit_key,
            data_name=str(data),
            audit_name=str(audit),
            model_inputs=artifact.input_columns,
        )
    joined = None
    fingerprint = artifact.fingerprint
    if fingerprint is not None and audit_frame is not None:
        # Columns the model's fingerprint identifies its training rows by, kept in the audit file.
        wanted = [c for c in fingerprint.columns if c not in frame.columns and c in audit_frame.columns]
        if wanted:
            with flags(**AUDIT_FLAGS):
                joined, _ = align_columns(
                    frame, audit_frame, wanted, key=audit_key, data_name=str(data), audit_name=str(audit)
                )
    err = Console(stderr=True)
    with err.status("evaluating: scoring, bootstrap, fairness and proxies"):
        result = evaluation_report(
            artifact,
            Table(frame, str(data), groups, joined),
            target=target,
            bad_value=bad_value,
            cutoff=cutoff,
            train=None if train is None else Table(read_table(train), str(train)),
            baseline=None if baseline is None else Table(read_table(baseline), str(baseline)),
            audit_join=how,
            n_resamples=resamples,
            seed=seed,
        )
        html, js = write_report(result, report, _json_path(report, json_out))
    evaluated = result.discrimination.evaluated
    label = result.training_rows.label_text
    lo, hi = evaluated.ci["auc"]
    interval = "" if lo is None or hi is None else f" [{lo:.4f}, {hi:.4f}]"
    typer.echo(result.training_rows.statement)
    typer.echo(
        f"AUC ({label}) {evaluated.auc:.4f}{interval}  Gini {evaluated.gini:.4f}  KS {evaluated.ks:.4f}  "
        f"Brier {evaluated.brier:.4f}  ({evaluated.rows} rows)"
    )
    if result.model.undeclared:
        typer.echo(
            f"undeclared characteristics (the service will refuse this model): "
            f"{', '.join(result.model.undeclared)}"
        )
    for col, entry in result.fairness.attributes.items():
        flagged = ", ".join(entry.four_fifths_flagged) or "none"
        air = entry.min_adverse_impact_ratio
        air_text = "n/a (nobody approved)" if air is None else f"{air:.3f}"
        typer.echo(f"{col}: lowest adverse impact ratio {air_text}, four-fifths flags: {flagged}")
    strong = [f"{p.characteristic}~{p.attribute}" for p in result.proxies if p.strength == "strong"]
    strong += [
        f"all characteristics~{j.attribute}" for j in result.proxy_combinations if j.strength == "strong"
    ]
    if strong:
        typer.echo(f"strong proxies to review: {', '.join(strong)}")
    typer.echo(f"wrote {html} and {js}")


def monitor(
    model: Annotated[Path, typer.Argument(help="Model file written by `lucidscore train`.")],
    baseline: Annotated[Path, typer.Option(help="Baseline population (CSV or Parquet), e.g. last January.")],
    current: Annotated[Path, typer.Option(help="Current population to compare with the baseline.")],
    report: Annotated[Path, typer.Option(help="HTML drift report to write.")] = Path("drift.html"),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="JSON twin of the report. Default: REPORT with .json.")
    ] = None,
) -> None:
    """Population drift: PSI of the score, CSI of each characteristic and PSI of each interaction grid's
    cells, flagged at 0.1 and 0.25."""
    from lucidscore.artifact import load_artifact
    from lucidscore.evaluate import Table, drift_report, write_report
    from lucidscore.tabular import read_table

    artifact = load_artifact(model)
    base = Table(read_table(baseline), str(baseline))
    cur = Table(read_table(current), str(current))
    result = drift_report(artifact, base, cur)
    html, js = write_report(result, report, _json_path(report, json_out))
    typer.echo(f"score PSI {result.score.psi:.4f} ({result.score.flag})")
    for c in result.characteristics:
        if c.flag != "stable":
            typer.echo(f"{c.characteristic} ({c.segment}): CSI {c.csi:.4f} ({c.flag})")
    if not result.flagged:
        typer.echo("no characteristic reached CSI 0.1")
    for g in result.interactions:
        if g.flag != "stable":
            typer.echo(f"{g.first} x {g.second} ({g.segment}): grid PSI {g.psi:.4f} ({g.flag})")
    if result.interactions and all(g.flag == "stable" for g in result.interactions):
        typer.echo("no interaction grid reached PSI 0.1")
    typer.echo(f"wrote {html} and {js}")


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` and ``monitor`` to the app."""
    app.command()(evaluate)
    app.command()(monitor)
