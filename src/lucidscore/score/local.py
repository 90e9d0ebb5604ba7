"""The local batch engine: score a CSV or Parquet file chunk by chunk into one Parquet file.

>>> score_file("model.json", "applicants.csv", "scores.parquet", reasons=4)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from lucidscore.artifact import ScorecardArtifact, load_artifact
from lucidscore.errors import InputError
from lucidscore.paths import temporary_sibling
from lucidscore.score._chunks import BLOCK_BYTES, TableSource, iter_chunks, open_source
from lucidscore.score._compiled import CompiledScorecard
from lucidscore.score._frame import DEFAULT_MAX_CHANGES, compiled_score_frame, extra_columns
from lucidscore.tabular import no_data_rows

ROW_COLUMN = "row"  # 1-based data row number, written when no id column is named


@dataclass
class ScoreSummary:
    """What a scoring run did: rows, score distribution per tier, ignored columns, output file."""

    rows: int
    out_path: Path
    tier_counts: dict[str, int]
    extra_columns: list[str] = field(default_factory=list)
    engine: str = "local"
    score_min: int | None = None
    score_max: int | None = None
    score_mean: float | None = None

    def add(self, scores: np.ndarray, tiers: pd.Series) -> None:
        if len(scores) == 0:
            return
        lo, hi, total = int(scores.min()), int(scores.max()), float(scores.sum(dtype=np.int64))
        prev = (self.score_mean or 0.0) * self.rows
        self.rows += len(scores)
        self.score_min = lo if self.score_min is None else min(self.score_min, lo)
        self.score_max = hi if self.score_max is None else max(self.score_max, hi)
        self.score_mean = (prev + total) / self.rows
        for name, n in tiers.value_counts(sort=False).items():
            self.tier_counts[str(name)] = self.tier_counts.get(str(name), 0) + int(n)


def column_plan(compiled: CompiledScorecard) -> tuple[list[str], list[str]]:
    """Which required columns to read as numbers and which as text (categories, text conditions)."""
    art = compiled.artifact
    textual: set[str] = {c.name for c in compiled.characteristics if c.dtype == "categorical"}
    for seg in art.segments:
        cond = seg.condition
        if cond is not None and (
            isinstance(cond.value, str)
            or (isinstance(cond.value, list) and any(isinstance(v, str) for v in cond.value))
        ):
            textual.add(cond.column)
    required = compiled.required_columns
    return [c for c in required if c not in textual], [c for c in required if c in textual]


SCORE_COLUMNS = ("score", "tier", "probability", "segment")


def refuse_id_clash(
    source: str | Path,
    id_column: str | None,
    compiled: CompiledScorecard,
    reasons: int,
    recourse: bool = False,
    max_changes: int = DEFAULT_MAX_CHANGES,
) -> None:
    """Refuse an id column named as a column the scores table adds (``score``, ``reason_1``...), which
    it could not hold twice, in one message for both engines (``source`` names the input)."""
    if id_column is None:
        return
    added = [*SCORE_COLUMNS, *(name for name, _ in extra_columns(compiled, reasons, recourse, max_changes))]
    if id_column in added:
        raise InputError(
            f"{source}: id column {id_column} has the name of a column the scores table adds; expected an "
            f"id column named otherwise (rename it in the data): the table adds {', '.join(added)}"
        )


_ARROW_KINDS = {
    "text": pa.dictionary(pa.int32(), pa.string()),
    "points": pa.int16(),
    "tier": pa.dictionary(pa.int8(), pa.string()),
}


def output_schema(
    compiled: CompiledScorecard,
    reasons: int,
    id_name: str,
    id_type: pa.DataType,
    recourse: bool = False,
    max_changes: int = DEFAULT_MAX_CHANGES,
) -> pa.Schema:
    """The Parquet schema of a scores file (fixed, so every chunk writes the same columns)."""
    fields = [
        pa.field(id_name, id_type),
        pa.field("score", pa.int16()),
        pa.field("tier", pa.dictionary(pa.int8(), pa.string())),
        pa.field("probability", pa.float64()),
        pa.field("segment", pa.dictionary(pa.int8(), pa.string())),
    ]
    fields += [
        pa.field(name, _ARROW_KINDS[kind])
        for name, kind in extra_columns(compiled, reasons, recourse, max_changes)
    ]
    return pa.schema(fields)


def statistics_columns(schema: pa.Schema) -> list[str]:
    """Columns worth min/max statistics: not the text columns (statements, codes), where they cost half
    of the write and help no reader."""
    return [f.name for f in schema if not pa.types.is_dictionary(f.type)]


@contextmanager
def _progress(enabled: bool, total: int | None, label: str) -> Iterator[tuple[Progress, TaskID]]:
    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, disable=not enabled, transient=True) as bar:
        yield bar, bar.add_task(label, total=total)


def score_file(
    model_path: str | Path,
    data_path: str | Path,
    out_path: str | Path,
    reasons: int = 4,
    progress: bool = True,
    id_column: str | None = None,
    artifact: ScorecardArtifact | None = None,
    chunk_bytes: int = BLOCK_BYTES,
    recourse: bool = False,
    max_changes: int = DEFAULT_MAX_CHANGES,
) -> ScoreSummary:
    """Score every row of ``data_path`` into the Parquet file ``out_path`` (written atomically).

    Parameters
    ----------
    model_path : the model JSON (validated: an edited or truncated file is refused).
    data_path : CSV (comma, semicolon, tab or space separated, header row) or Parquet.
    out_path : the Parquet file written: the id column (``id_column``'s values, else ``row``, the 1-based
        data row number), ``score``, ``tier``, ``probability``, ``segment``, then per reason j ``reason_j``,
        ``reason_j_code``, ``reason_j_characteristic``, ``reason_j_points`` and, with ``recourse``, the
        recourse columns (``score_frame``).
    reasons : principal reasons per row (0 for scores only).
    progress : show a Rich progress bar.
    id_column : an input column to carry into the output as the row's id.
    artifact : an already loaded model (then ``model_path`` is only used in messages).
    chunk_bytes : CSV block size read and scored at a time (memory stays a few times this).
    recourse, max_changes : add each row's recourse to the next tier (at most ``max_changes`` changes).
    """
    if reasons < 0:
        raise InputError.about("reasons", f"{reasons} is below 0; expected 0 or more")
    if recourse and max_changes < 1:
        raise InputError.about("max_changes", f"{max_changes} is below 1; expected 1 or more")
    art = artifact if artifact is not None else load_artifact(model_path)
    compiled = CompiledScorecard.from_artifact(art)
    source = open_source(data_path)
    compiled.check_columns(source.columns, str(source.path))
    if id_column is not None and id_column not in source.columns:
        raise InputError(
            f"{source.path}: id column {id_column} not found; the file has {', '.join(source.columns)}"
        )
    refuse_id_clash(source.path, id_column, compiled, reasons, recourse, max_changes)
    numeric, text = column_plan(compiled)
    keep = [id_column] if id_column else []
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(out)
    extras = [c for c in compiled.extra_columns(source.columns) if c != id_column]
    summary = ScoreSummary(0, out, {t.name: 0 for t in art.scaling.tiers}, extras)
    writer: pq.ParquetWriter | None = None
    try:
        with _progress(progress, source.total_rows, f"scoring {source.path.name}") as (bar, task):
            for chunk in iter_chunks(
                source, [c for c in numeric if c != id_column], text, keep, block_bytes=chunk_bytes
            ):
                scored = _score_chunk(
                    compiled, chunk, (reasons, recourse, max_changes), id_column, summary.rows, source
                )
                if writer is None:
                    schema = output_schema(
                        compiled,
                        reasons,
                        id_column or ROW_COLUMN,
                        _id_type(scored, id_column),
                        recourse,
                        max_changes,
                    )
                    writer = pq.ParquetWriter(tmp, schema, write_statistics=statistics_columns(schema))
                writer.write_table(pa.Table.from_pandas(scored, schema=writer.schema, preserve_index=False))
                summary.add(scored["score"].to_numpy(), scored["tier"])
                bar.update(task, completed=summary.rows)
        if writer is None:
            raise no_data_rows(source.path)
        writer.close()
        writer = None
        tmp.replace(out)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return summary


def _id_type(scored: pd.DataFrame, id_column: str | None) -> pa.DataType:
    if id_column is None:
        return pa.int64()
    kind = pa.Array.from_pandas(scored[id_column]).type
    return (
        pa.string()
        if pa.types.is_null(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
        else kind
    )


def _score_chunk(
    compiled: CompiledScorecard,
    chunk: pd.DataFrame,
    what: tuple[int, bool, int],
    id_column: str | None,
    offset: int,
    source: TableSource,
) -> pd.DataFrame:
    try:
        batch = compiled.prepare(chunk, row_offset=offset, source=str(source.path))
    except InputError as exc:
        raise InputError(f"{source.path}: {exc.message}") from None
    reasons, recourse, max_changes = what
    scored = compiled_score_frame(
        compiled, batch, reasons, categorical_reasons=True, recourse=recourse, max_changes=max_changes
    )
    ids = chunk[id_column].to_numpy() if id_column else np.arange(offset + 1, offset + len(chunk) + 1)
    scored.insert(0, id_column or ROW_COLUMN, ids)
    return scored
