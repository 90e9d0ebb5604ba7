"""CLI command ``train``: fit a scorecard from a flat CSV/Parquet table and write the model JSON; and the
report of a model that ``train`` and ``model show`` print (``print_report``)."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from lucidscore.cli.score_cmds import Engine
from lucidscore.errors import InputError, LucidError

if TYPE_CHECKING:  # the model layer (numba, scikit-learn) and pandas load only when a command needs them
    import pandas as pd

    from lucidscore.artifact import Condition, Interaction, ScorecardArtifact, Segment
    from lucidscore.policy import FeatureMeta

_RULE = re.compile(r"^\s*([^\s<>=!]+)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip()) if text else ()


def _numbers(text: str | None, option: str) -> tuple[float, ...]:
    out = []
    for part in _names(text):
        try:
            out.append(float(part))
        except ValueError:
            raise InputError(f"{option}: {part!r} is not a number; expected e.g. -7,-8,-9") from None
    return tuple(out)


def parse_rule(text: str) -> Condition:
    """'n_credit_accounts<2' -> Condition(column='n_credit_accounts', op='<', value=2.0)."""
    from lucidscore.artifact import Condition

    m = _RULE.match(text)
    if m is None:
        raise InputError(f"--segment-rule {text!r}: expected COLUMN OP VALUE, e.g. 'n_credit_accounts<2'")
    column, op, raw = m.groups()
    value: float | str
    try:
        value = float(raw)
    except ValueError:
        if op not in ("==", "!="):
            raise InputError(f"--segment-rule {text!r}: {op} needs a number, found {raw!r}") from None
        value = raw.strip("'\"")
    return Condition(column=column, op=op, value=value)


def _feature_meta(path: Path) -> dict[str, FeatureMeta] | None:
    """FeatureMeta stored by the features layer in a Parquet file's schema metadata, if any."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        return None
    import pyarrow.parquet as pq

    from lucidscore.policy import FEATURE_META_KEY, FeatureMeta

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # read_table has already reported unreadable files
        return None
    raw = meta.get(FEATURE_META_KEY)
    if raw is None:
        return None
    try:
        items = [FeatureMeta.from_dict(d) for d in json.loads(raw)]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path}: feature metadata ({FEATURE_META_KEY.decode()}) is not valid: {exc}"
        ) from None
    return {m.name: m for m in items}


def _declared(
    meta: dict[str, FeatureMeta] | None, path: Path | None, frame: pd.DataFrame, target: str
) -> dict[str, FeatureMeta] | None:
    """``meta`` (the Parquet file's) with the declaration file's entries on top."""
    if path is None:
        return meta
    from lucidscore.artifact import load_declarations

    declared = load_declarations(path)
    unknown = [n for n in declared if n not in frame.columns or n == target]
    if unknown:
        raise InputError(
            f"--declarations {path}: characteristic {unknown[0]} is not an input column of the data; "
            f"the columns are {', '.join(str(c) for c in frame.columns if c != target)}",
            parameter="declarations",
        )
    return {**(meta or {}), **declared}


def parse_actionable(text: str | None) -> dict[str, str]:
    """'utilisation:lower,income:higher' -> {'utilisation': 'lower', 'income': 'higher'}."""
    from lucidscore.policy import ADVICE_DIRECTIONS

    out: dict[str, str] = {}
    for item in _names(text):
        name, _, direction = item.rpartition(":")
        if not name or direction not in ADVICE_DIRECTIONS:
            raise InputError(
                f"--actionable {item!r}: expected COLUMN:DIRECTION with DIRECTION one of "
                f"{', '.join(ADVICE_DIRECTIONS)} (which way recourse may suggest moving it), "
                f"e.g. utilisation:lower,income:higher",
                parameter="actionable",
            )
        out[name.strip()] = direction
    return out


def _with_actionable(
    meta: dict[str, FeatureMeta] | None, advice: dict[str, str], frame: pd.DataFrame, target: str
) -> dict[str, FeatureMeta] | None:
    """``meta`` with the ``--actionable`` columns' advice directions (family and texts kept if declared,
    else inferred from the name as for any flat file)."""
    if not advice:
        return meta
    unknown = [n for n in advice if n not in frame.columns or n == target]
    if unknown:
        raise InputError(
            f"--actionable: column(s) {', '.join(unknown)} not in the data; "
            f"the columns are {', '.join(str(c) for c in frame.columns if c != target)}",
            parameter="actionable",
        )
    from dataclasses import replace

    from lucidscore.model import meta_for

    out = dict(meta or {})
    for name, direction in advice.items():
        out[name] = replace(meta_for(name, meta), advice=direction)  # type: ignore[arg-type]
    return out


def _bad_value(text: str | None) -> float | str | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _grid_table(seg: Segment, inter: Interaction) -> Table:
    """One interaction grid: points added per cell (rows and bad rate behind it), rows the first
    characteristic's groups of bins, columns the second's."""
    chars = {c.name: c for c in seg.characteristics}

    def label(name: str, group: list[int]) -> str:
        return " | ".join(chars[name].bins[i].label for i in group)

    table = Table(title=f"segment {seg.name}: points added for {inter.first} x {inter.second}")
    table.add_column(f"{inter.first} \\ {inter.second}", justify="left")
    for group in inter.second_groups:
        table.add_column(label(inter.second, group), justify="right")
    for i, group in enumerate(inter.first_groups):
        cells = []
        for j in range(len(inter.second_groups)):
            cell = f"{inter.points[i][j]:+d}"
            if inter.counts:
                n, bad = inter.counts[i][j], inter.bad_counts[i][j]
                cell += f" ({n:,} rows, {bad / n:.1%} bad)" if n else " (no rows)"
            cells.append(cell)
        table.add_row(*map(Text, [label(inter.first, group), *cells]))
    return table


def _segment_title(seg: Segment) -> str:
    cond = "everyone else" if seg.condition is None else seg.name
    return (
        f"segment {seg.name} ({cond}): {seg.n_train:,} rows, bad rate {seg.bad_rate:.1%}, "
        f"base points {seg.base_points}"
    )


def _bins_table(seg: Segment) -> Table:
    """Every bin of every characteristic of a segment: the evidence (rows, bads, goods, bad rate) each
    bin's WOE and points rest on."""
    # Cells go in as Text: data (labels, category names) is never read as Rich markup or emoji codes,
    # and a Text cell is not parsed at all (a fifth of the report's time at 1,000,000 rows).
    from lucidscore.policy import FAMILY_LABELS

    table = Table(title=_segment_title(seg), show_lines=False)
    for col, just in (
        ("characteristic", "left"),
        ("family", "left"),
        ("IV", "right"),
        ("bin", "left"),
        ("rows", "right"),
        ("bads", "right"),
        ("goods", "right"),
        ("bad rate", "right"),
        ("WOE", "right"),
        ("points", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for ch in seg.characteristics:
        for i, b in enumerate(ch.bins):
            first = i == 0
            cells = (
                ch.name if first else "",
                FAMILY_LABELS[ch.family] if first else "",
                f"{ch.iv:.3f}" if first else "",
                b.label,
                f"{b.count:,}",
                f"{b.bad_count:,}",
                f"{b.count - b.bad_count:,}",
                f"{b.bad_count / b.count:.1%}" if b.count else "-",
                f"{b.woe:+.3f}",
                str(b.points),
            )
            table.add_row(*map(Text, cells), end_section=i == len(ch.bins) - 1)
    return table


def _span(points: Iterable[int]) -> str:
    """A range of points: '-12 to +30' (one value: '+5')."""
    values = list(points)
    low, high = min(values), max(values)
    return f"{low:+d}" if low == high else f"{low:+d} to {high:+d}"


def _summary_table(seg: Segment) -> Table:
    """One row per characteristic of a segment: family, IV, how many bins, the points its bins give, and
    the WOE shape the binning imposed (when the model file records it; files before issue 14 say auto)."""
    from lucidscore.policy import FAMILY_LABELS

    shapes = any(ch.monotonic_trend != "auto" for ch in seg.characteristics)
    table = Table(title=_segment_title(seg), show_lines=False)
    columns = [("characteristic", "left"), ("family", "left"), ("IV", "right"), ("bins", "right")]
    columns += [("points", "right")] + ([("shape", "left")] if shapes else [])
    for col, just in columns:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for ch in seg.characteristics:
        cells = [ch.name, FAMILY_LABELS[ch.family], f"{ch.iv:.3f}", str(len(ch.bins))]
        cells.append(_span(b.points for b in ch.bins))
        if shapes:
            cells.append("" if ch.monotonic_trend == "auto" else ch.monotonic_trend)
        table.add_row(*map(Text, cells))
    return table


_Z = re.compile(r"(-?\d+(?:\.\d+)?) standard errors above zero")


def _grid_line(seg: Segment, inter: Interaction, notes: list[str]) -> str:
    """An interaction grid in one line: both characteristics, its size, the range of points it adds, and
    the z of its cross-validated gain when its training note gives one."""
    line = (
        f"segment {seg.name}: grid {inter.first} x {inter.second} "
        f"({len(inter.first_groups)} x {len(inter.second_groups)} cells), "
        f"points {_span(p for row in inter.points for p in row)}"
    )
    prefix = f"segment {seg.name}: interaction {inter.first} x {inter.second}: "
    for note in notes:
        z = _Z.search(note) if note.startswith(prefix) else None
        if z is not None:
            return f"{line}, z {z.group(1)}"
    return line


def print_report(console: Console, art: ScorecardArtifact, last: str, *, bins: bool = False) -> None:
    """What ``train`` prints about the model it wrote, and ``model show`` about a model file: per segment
    a summary table (one row per characteristic) and one line per interaction grid, or with ``bins`` every
    bin of every characteristic and every grid's cells; then the test metrics, the training notes and
    ``last`` (the line saying where the model is)."""
    notes: list[str] = art.training.get("notes", [])
    for seg in art.segments:
        if bins:
            console.print(_bins_table(seg))
            for inter in seg.interactions:
                console.print(_grid_table(seg, inter))
            continue
        console.print(_summary_table(seg))
        for inter in seg.interactions:
            console.print(_grid_line(seg, inter, notes), highlight=False, markup=False)
    metrics = art.training.get("metrics", {})
    if "test_auc" in metrics:
        console.print(
            f"test ({art.training['split']['test_rows']:,} rows): AUC {metrics['test_auc']:.4f}, "
            f"Gini {metrics['test_gini']:.4f}, KS {metrics['test_ks']:.4f}",
            highlight=False,
        )
    for seg in art.segments:
        if len(art.segments) > 1 and "test_auc" in seg.metrics:
            console.print(f"  segment {seg.name}: test AUC {seg.metrics['test_auc']:.4f}", highlight=False)
    for note in notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    console.print(last, highlight=False, markup=False)


def _help(name: str) -> str:
    """A flag's help text: the description of its parameter in ``ScorecardParams`` (one declaration)."""
    from lucidscore.model import ScorecardParams

    return ScorecardParams.model_fields[name].description or ""


# ScorecardParams fields that reach the CLI in another form (tests/cli/test_train.py checks every other
# field has a flag of its own name).
NOT_FLAGS = {
    "scaling": "--base-score, --base-odds, --pdo",
    "feature_meta": "the Parquet file's feature metadata, --declarations and --actionable",
}


def train(
    data: Annotated[
        Path, typer.Argument(help="CSV or Parquet table, one row per applicant, with the target.")
    ],
    target: Annotated[str, typer.Option(help="Target column (binary; see --bad-value).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model JSON to write.")] = Path("model.json"),
    exclude: Annotated[str | None, typer.Option(help=_help("exclude") + " Comma separated.")] = None,
    audit_columns: Annotated[str | None, typer.Option(help=_help("audit_columns") + " (A,B)")] = None,
    bad_value: Annotated[str | None, typer.Option(help=_help("bad_value"))] = None,
    test_size: Annotated[
        float | None,
        typer.Option(
            help="Hold out this share, stratified, and report test AUC/Gini/KS; the held-out rows are "
            "written next to the model as <OUT stem>.heldout.parquet, to evaluate on."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the train/test split.")] = 0,
    segment_by: Annotated[str | None, typer.Option(help=_help("segment_by"))] = None,
    segment_rule: Annotated[str | None, typer.Option(help=_help("segment_rule"))] = None,
    declarations: Annotated[
        Path | None,
        typer.Option(
            help="TOML file declaring each characteristic: family, description, unit, advice direction, "
            "code, consumer statement, adverse-action statement (see docs/scoring.md)."
        ),
    ] = None,
    actionable: Annotated[
        str | None,
        typer.Option(
            help="Advice directions, COLUMN:lower|higher|none (A:lower,B:higher): recourse suggests moving "
            "a characteristic only this way; it overrides --declarations and the Parquet metadata."
        ),
    ] = None,
    segment_search: Annotated[bool, typer.Option(help=_help("segment_search"))] = True,
    shape_search: Annotated[bool, typer.Option(help=_help("shape_search"))] = True,
    refine: Annotated[bool, typer.Option(help=_help("refine"))] = True,
    refine_rows: Annotated[int, typer.Option(help=_help("refine_rows"))] = 40_000,
    interactions: Annotated[int, typer.Option(help=_help("interactions"))] = 5,
    woe_prior: Annotated[float, typer.Option(help=_help("woe_prior"))] = 4.0,
    min_segment_rows: Annotated[int, typer.Option(help=_help("min_segment_rows"))] = 1000,
    min_segment_bads: Annotated[int, typer.Option(help=_help("min_segment_bads"))] = 50,
    special_values: Annotated[str | None, typer.Option(help=_help("special_values"), allow_dash=True)] = None,
    monotonic_trend: Annotated[str, typer.Option(help=_help("monotonic_trend"))] = "auto",
    min_bin_share: Annotated[float, typer.Option(help=_help("min_bin_share"))] = 0.05,
    max_bins: Annotated[int, typer.Option(help=_help("max_bins"))] = 8,
    n_prebins: Annotated[int, typer.Option(help=_help("n_prebins"))] = 30,
    iv_threshold: Annotated[float, typer.Option(help=_help("iv_threshold"))] = 0.02,
    max_correlation: Annotated[float, typer.Option(help=_help("max_correlation"))] = 0.8,
    max_characteristics: Annotated[int | None, typer.Option(help=_help("max_characteristics"))] = None,
    regularization: Annotated[float, typer.Option(help=_help("regularization"))] = 1.0,
    base_score: Annotated[float, typer.Option(help="Score at the base odds.")] = 600.0,
    base_odds: Annotated[float, typer.Option(help="Odds good:bad at the base score.")] = 10.0,
    pdo: Annotated[float, typer.Option(help="Points to double the odds.")] = 40.0,
    engine: Annotated[
        Engine,
        typer.Option(
            help="local, or spark (local[2] Apache Spark: counts aggregated in Spark, the same model file)."
        ),
    ] = Engine.local,
    bins: Annotated[
        bool,
        typer.Option(
            "--bins",
            help="Print every bin of every characteristic (rows, bads, goods, bad rate, WOE, points) and "
            "every interaction grid's cells, instead of one row per characteristic; `lucidscore model "
            "show MODEL --bins` prints the same from the model file.",
        ),
    ] = False,
) -> None:
    """Fit a scorecard on DATA and write the model JSON; print a summary of each card (one row per
    characteristic, one line per interaction grid; --bins for every bin), the test metrics and notes."""
    from lucidscore.artifact import Scaling
    from lucidscore.tabular import decode_parquet, is_parquet, read_table, write_table

    if segment_by and segment_rule:
        raise InputError("give --segment-by or --segment-rule, not both")
    try:
        scaling = Scaling(base_score=base_score, base_odds=base_odds, pdo=pdo)
    except ValidationError as exc:
        raise InputError(f"--base-score/--base-odds/--pdo: {exc.errors()[0]['msg']}") from None
    if test_size is not None and heldout_path(out).resolve() == data.resolve():
        raise InputError(
            f"--out {out}: the held-out rows would be written to {data}, the data being trained on; "
            "choose another --out"
        )
    if engine is Engine.spark and test_size is not None:
        raise InputError(
            "--test-size works with --engine local only (its stratified split follows the local row "
            "order); hold rows out before training with --engine spark"
        )
    advice = parse_actionable(actionable)
    sdf, first_row = _spark_table(data) if engine is Engine.spark else (None, 1)
    if sdf is None:
        # A Parquet file is decoded on one thread (outside the GIL, on pyarrow's threads) from the start,
        # while this one imports pandas; the fit's modules (numba) and compiled kernels load on another.
        # ``read_table`` checks the file first, then converts what was decoded (or reports its error).
        with _long_lived(), ThreadPoolExecutor(2, thread_name_prefix="lucidscore-load") as pool:
            decoded = pool.submit(decode_parquet, data) if is_parquet(data) and data.is_file() else None
            loaded = pool.submit(_load_fit)
            frame = read_table(data, decoded=None if decoded is None else decoded.result)
            loaded.result()
    else:
        import pandas

        frame = pandas.DataFrame(columns=list(sdf.columns))  # the column names, for the declarations
    meta = _with_actionable(
        _declared(_feature_meta(data), declarations, frame, target), advice, frame, target
    )
    console = Console()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)
        try:
            from lucidscore.model import train_split

            fit = train_split if sdf is None else partial(_spark_fit, first_row=first_row)
            trained = fit(
                frame if sdf is None else sdf,
                target,
                test_size=test_size,
                seed=seed,
                progress=lambda msg: bar.update(task, description=msg),
                bad_value=_bad_value(bad_value),
                exclude=_names(exclude),
                audit_columns=_names(audit_columns),
                special_values=_numbers(special_values, "--special-values"),
                monotonic_trend=monotonic_trend,
                min_bin_share=min_bin_share,
                max_bins=max_bins,
                iv_threshold=iv_threshold,
                max_correlation=max_correlation,
                segment_by=segment_by,
                segment_rule=parse_rule(segment_rule) if segment_rule else None,
                segment_search=segment_search,
                min_segment_rows=min_segment_rows,
                min_segment_bads=min_segment_bads,
                n_prebins=n_prebins,
                max_characteristics=max_characteristics,
                regularization=regularization,
                shape_search=shape_search,
                refine=refine,
                refine_rows=refine_rows,
                interactions=interactions,
                woe_prior=woe_prior,
                scaling=scaling,
                feature_meta=meta,
            )
        except LucidError as exc:
            if exc.parameter is not None:  # about a flag, not about the file
                raise
            raise type(exc)(f"{data}: {exc.message}") from None
    art = trained.artifact
    heldout = heldout_path(out)
    if trained.heldout is not None:
        split = {**art.training["split"], "heldout_file": heldout.name}
        art = art.model_copy(update={"training": {**art.training, "split": split}})
        write_table(trained.heldout, heldout)
    art.save(out)
    print_report(console, art, f"model {art.model_id} written to {out}", bins=bins)
    if trained.heldout is not None:
        console.print(
            f"held-out rows ({len(trained.heldout):,}, every column) written to {heldout}: evaluate the "
            "model on them for held-out figures",
            highlight=False,
            markup=False,
        )
    if art.undeclared:
        console.print(
            f"warning: {len(art.undeclared)} characteristic(s) are undeclared (family and description "
            f"guessed from the name): {', '.join(art.undeclared)}. Fine for analysis; the service will not "
            "register, activate or publish scores with this model until each is declared (--declarations).",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _load_fit() -> None:
    """Load numba (lean: this process uses it only for the fit), the fit's compiled kernels and the fit's
    modules: for a second thread."""
    from lucidscore.model import load_kernels

    load_kernels(lean=True)
    from lucidscore.model import train_split  # noqa: F401 - its modules, imported now


@contextmanager
def _long_lived() -> Iterator[None]:
    """For work that makes objects the rest of the process keeps (the imports, numba's type registries and
    kernels: about 150,000 objects, and the table): no cyclic garbage collection runs inside, and on the
    way out every object alive is frozen (``gc.freeze``), out of the collector's sight. Each full
    collection, during the fit and as the interpreter exits, then walks only what the fit made: it would
    otherwise walk them all, about 0.1 s each time, to free nothing. Reference counting still frees
    frozen objects."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _spark_table(data: Path) -> tuple[Any, int]:
    """DATA (Parquet, a directory of Parquet files, or CSV read as the local reader reads it:
    ``sparktable.read_csv``) as a Spark DataFrame on a local[2] session, and the number of its first data
    row in messages (2 in a CSV file, whose header is row 1; 1 in Parquet), as the local reader counts
    (``errors.FIRST_ROW``)."""
    from lucidscore.score.spark import local_session
    from lucidscore.sparkenv import literal_path
    from lucidscore.sparktable import read_csv
    from lucidscore.tabular import is_parquet

    if not data.exists():
        raise InputError(f"{data}: no such file; expected a CSV or Parquet table")
    spark = local_session("lucidscore-train")
    if data.is_dir() or is_parquet(data):
        return spark.read.parquet(literal_path(data)), 1
    return read_csv(spark, data), 2


def _spark_fit(
    sdf: Any, target: str, *, test_size: float | None, seed: int, first_row: int = 1, **params: Any
) -> Any:
    """``train_split``'s result from the Spark engine (no held-out rows: --test-size is refused)."""
    from lucidscore.model import Trained
    from lucidscore.model.spark import train_spark

    return Trained(train_spark(sdf, target, seed=seed, first_row=first_row, **params), None)


def heldout_path(model: Path) -> Path:
    """Where ``train --test-size`` keeps the held-out rows: model.json -> model.heldout.parquet."""
    return model.with_name(f"{model.stem}.heldout.parquet")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(train)
