"""``compute_features`` and ``write_features``: the public entry points of the features layer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from lucidscore.errors import InputError
from lucidscore.features._catalogue import FEATURE_CATALOGUE
from lucidscore.features._compute import build, point_in_time
from lucidscore.features._progress import Steps
from lucidscore.features._sources import load_sources
from lucidscore.policy import FEATURE_META_KEY


@dataclass(frozen=True)
class _Counted:
    frame: pl.DataFrame
    rows_used: dict[str, int]  # per table, rows dated on or before as_of (outcomes: observed on it)


def _check_as_of(as_of: date, today: date) -> None:
    if as_of > today:
        raise InputError(
            f"as_of: {as_of.isoformat()} is in the future; expected a date on or before {today.isoformat()}"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _culprit(tables: dict[str, pl.LazyFrame], exc: BaseException) -> tuple[str, str]:
    """Which table failed to parse (only on the error path: each table is read once more on its own)."""
    for name, frame in tables.items():
        try:
            frame.collect()
        except pl.exceptions.PolarsError as own:
            return name, _first_line(own)
    return "one", _first_line(exc)


def compute_features(
    source: str | Path,
    as_of: date,
    progress: bool = False,
    today: date | None = None,
) -> pl.DataFrame:
    """Characteristics of every consumer as of ``as_of``, from records dated on or before it.

    Parameters
    ----------
    source
        A directory with one CSV or Parquet file per table (as ``lucidscore synth`` writes them), or a
        database URL (``sqlite:///lucidscore.db``, ``postgresql+psycopg://...``) loaded by
        ``lucidscore ingest``, read through its ``<table>_current`` views.
    as_of
        Observation date, not in the future. Statements of months after it, and accounts, inquiries,
        public records and income dated after it, are ignored.
    progress
        Show a Rich progress bar.
    today
        The date "the future" starts after (default: today); for tests.

    Returns
    -------
    polars.DataFrame
        ``consumer_id``, one column per entry of ``FEATURE_CATALOGUE`` (null where undefined), and
        ``bad`` when the source has outcomes observed on ``as_of``.

    Examples
    --------
    >>> import tempfile
    >>> from lucidscore.synth import generate_population
    >>> data = generate_population(300, seed=1, out_dir=Path(tempfile.mkdtemp())).out_dir
    >>> frame = compute_features(data, date(2025, 6, 30))
    >>> frame.height, "bad" in frame.columns
    (300, True)
    """
    return _run(source, as_of, progress, today, count=False).frame


def compute_features_counted(
    source: str | Path, as_of: date, progress: bool = False, today: date | None = None
) -> _Counted:
    """``compute_features`` plus the rows used per table (for the CLI's final counts)."""
    return _run(source, as_of, progress, today, count=True)


def _run(source: str | Path, as_of: date, progress: bool, today: date | None, count: bool) -> _Counted:
    _check_as_of(as_of, today or date.today())
    with Steps(progress) as steps:
        steps.step("reading")
        tables = load_sources(source, as_of, on_table=lambda name: steps.step(f"reading {name}"))
        steps.step("computing")
        try:
            # The streaming engine keeps the 50-million-row statements table out of memory at once.
            frame = build(tables, as_of).collect(engine="streaming")
        except pl.exceptions.PolarsError as exc:
            name, first = _culprit(tables, exc)
            raise InputError(
                f"{source}: the {name} table could not be read with the types of its schema ({first}); "
                "see docs/data.md"
            ) from None
        if "bad" in frame.columns and frame.get_column("bad").null_count() == frame.height:
            frame = frame.drop("bad")
        rows: dict[str, int] = {}
        if count:
            steps.step("counting")
            cut = point_in_time(tables, as_of)
            rows = {name: int(lf.select(pl.len()).collect().item()) for name, lf in cut.items()}
        steps.step("done")
    return _Counted(frame, rows)


def write_features(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write features to Parquet with the catalogue (JSON list of ``FeatureMeta.to_dict()``) in the
    schema metadata under ``lucidscore.policy.FEATURE_META_KEY``, so ``lucidscore train`` knows each
    column's family and description. Written atomically (temporary file, then rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    metas = [FEATURE_CATALOGUE[c].to_dict() for c in frame.columns if c in FEATURE_CATALOGUE]
    table = frame.to_arrow()
    metadata = dict(table.schema.metadata or {})
    metadata[FEATURE_META_KEY] = json.dumps(metas).encode("utf-8")
    table = table.replace_schema_metadata(metadata)
    tmp = p.with_name(f".{p.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(p)
    return p
