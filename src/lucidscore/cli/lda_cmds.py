"""CLI command ``lda``: search for a less discriminatory alternative to a model (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lucidscore.cli._flags import flags
from lucidscore.errors import InputError


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def lda(
    model: Annotated[Path, typer.Argument(help="Base model file written by `lucidscore train`.")],
    data: Annotated[
        Path,
        typer.Argument(help="Rows to search on (CSV or Parquet), with the target and the model's inputs."),
    ],
    target: Annotated[str | None, typer.Option(help="Target column. Default: the model's.")] = None,
    audit_columns: Annotated[
        str | None,
        typer.Option(help="Comma-separated protected attributes to compare, e.g. SEX,MARRIAGE,AGE."),
    ] = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            help="Table with the audit columns, if not DATA itself; joined by --audit-key or row order."
        ),
    ] = None,
    audit_key: Annotated[
        str | None, typer.Option(help="Column present in DATA and --audit to join on (never a model input).")
    ] = None,
    cutoff: Annotated[
        int,
        typer.Option(help="The base model's lowest approved score; every candidate is judged at its rate."),
    ] = 600,
    max_auc_loss: Annotated[
        float, typer.Option(help="Largest AUC loss against the base configuration an alternative may have.")
    ] = 0.002,
    report: Annotated[Path, typer.Option(help="HTML report to write.")] = Path("lda.html"),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="JSON twin of the report. Default: REPORT with .json.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Model file of the alternative. Default: REPORT with .model.json."),
    ] = None,
    exclude: Annotated[
        str | None,
        typer.Option(help="Columns of DATA no candidate may use (identifiers...), comma separated."),
    ] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds.")] = 5,
    resamples: Annotated[
        int, typer.Option(min=10, max=10_000, help="Bootstrap resamples for AUC intervals.")
    ] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the folds and the bootstrap.")] = 0,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="Worker processes fitting candidates.")] = 2,
    max_candidates: Annotated[int, typer.Option(min=1, max=1000, help="Most candidates to fit.")] = 60,
) -> None:
    """Search the cards lucidscore can fit for a less discriminatory alternative to MODEL.

    Every candidate is cross-validated on DATA and judged at the base model's approval rate; the report
    shows the Pareto frontier of AUC against the worst group's adverse impact ratio and the best
    alternative within --max-auc-loss, whose model file is written to --out.
    """
    from lucidscore.artifact import load_artifact
    from lucidscore.evaluate import (
        align_audit,
        check_cutoff,
        lda_provenance,
        lda_refit,
        lda_report,
        lda_search,
        target_values,
        write_lda_report,
    )
    from lucidscore.tabular import read_table

    check_cutoff(cutoff)
    artifact = load_artifact(model)
    frame = read_table(data)
    columns = _columns(audit_columns)
    if audit_key is not None and audit is None:
        raise InputError("--audit-key needs --audit FILE: the table that holds the audit columns")
    same_table = audit is None or audit.resolve() == data.resolve()
    if not columns:
        raise InputError(
            "no --audit-columns: name the protected attributes to compare, e.g. SEX,MARRIAGE,AGE"
        )
    target = target or artifact.target
    bad_value = artifact.training.get("params", {}).get("bad_value")
    y = target_values(frame, target, str(data), bad_value)
    with flags(columns="--audit-columns", key="--audit-key"):
        groups, how = align_audit(
            frame,
            None if same_table or audit is None else read_table(audit),
            columns,
            key=None if same_table else audit_key,
            data_name=str(data),
            audit_name=str(audit),
            model_inputs=artifact.input_columns,
        )
    # The join key identifies rows: no candidate may use it.
    keys = [audit_key] if audit_key is not None and audit_key in frame.columns else []
    never = list(dict.fromkeys(_columns(exclude) + keys))
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}", justify="left"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("refitting the base configuration", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what[:70])

        with flags(audit="--audit-columns"):
            outcome = lda_search(
                artifact,
                frame,
                y,
                target,
                groups,
                cutoff=cutoff,
                max_auc_loss=max_auc_loss,
                exclude=never,
                folds=folds,
                n_resamples=resamples,
                seed=seed,
                jobs=jobs,
                max_candidates=max_candidates,
                progress=progress,
                data_name=str(data),
            )
        alternative = None
        model_out = out if out is not None else report.with_name(report.stem + ".model.json")
        if outcome.alternative is not None:
            bar.update(task, description="refitting the alternative on all rows", total=None)
            params = outcome.space.params_of(outcome.alternative.candidate)
            assert params is not None
            fitted = lda_refit(params, frame, target, exclude=never)
            training = {**fitted.training, "lda": lda_provenance(outcome, artifact, str(data))}
            alternative = fitted.model_copy(update={"training": training}).with_hash()
            alternative.save(model_out)
        result = lda_report(
            outcome,
            artifact,
            data_name=str(data),
            target=target,
            y=y,
            audit_join=how,
            n_resamples=resamples,
            seed=seed,
            alternative=alternative,
            alternative_path=None if alternative is None else str(model_out),
            frame=frame,
        )
        html, js = write_lda_report(result, report, json_out)
    base = result["base"]
    typer.echo(
        f"base configuration ({outcome.folds}-fold CV on {outcome.rows:,} rows): AUC {base['auc']:.4f}, "
        f"worst adverse impact ratio {base['worst_air']:.3f} ({base['worst_attribute']} "
        f"{base['worst_group']}) at approval rate {outcome.approval_rate:.2%}"
    )
    typer.echo(
        f"{result['space']['fitted']} candidates fitted, {len(result['frontier'])} on the Pareto frontier, "
        f"in {outcome.seconds:.0f} s"
    )
    typer.echo(result["choice"]["statement"])
    if alternative is not None:
        typer.echo(
            f"alternative model {alternative.model_id} written to {model_out}; cutoff "
            f"{result['choice']['model']['cutoff']} approves the same share of these rows"
        )
    typer.echo(f"wrote {html} and {js}")


def register(app: typer.Typer) -> None:
    """Add ``lda`` to the app."""
    app.command()(lda)
