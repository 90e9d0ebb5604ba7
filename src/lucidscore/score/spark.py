"""The Apache Spark engine: the same compiled kernel, run per partition with ``mapInPandas``.

Spark reads the file (CSV columns as text, so values are parsed exactly as the local engine parses them,
and the words its reader reads as missing, such as ``NA``, missing), each partition is scored by
``CompiledScorecard`` on the executors, and the result is written as one Parquet file (via a temporary
directory, then a rename), in input order.

>>> score_file("model.json", "applicants.csv", "scores.parquet")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from lucidscore.artifact import ScorecardArtifact, load_artifact
from lucidscore.errors import FIRST_ROW, InputError
from lucidscore.score._chunks import ARROW_NA_WORDS, CHUNK_ROWS, TableSource, open_source, whitespace_chunks
from lucidscore.score._compiled import CompiledScorecard
from lucidscore.score._frame import DEFAULT_MAX_CHANGES, compiled_score_frame, extra_columns
from lucidscore.score.local import (
    ROW_COLUMN,
    ScoreSummary,
    column_plan,
    output_schema,
    refuse_id_clash,
    statistics_columns,
)
from lucidscore.sparkenv import ERROR_PREFIX, input_error_of, jdbc_jar, literal_path
from lucidscore.sparktable import (
    FIELDS,
    REPLACEMENT,
    SURPLUS,
    column,
    csv_fields,
    positional,
    select_exactly,
    spans_lines,
    split_lines,
    surplus_refusal,
    without_na_words,
)
from lucidscore.tabular import (
    NA_WORDS,
    bad_utf8_error,
    first_bad_utf8,
    no_data_rows,
    not_well_formed,
    ragged_row_error,
)

_NOT_UTF8 = "a cell the model reads holds U+FFFD"  # the driver decides: not UTF-8, or U+FFFD as text
_SURPLUS_FOUND = "a row holds more fields than the header"  # the driver names the row (``surplus_refusal``)
_INDEX = "__lucid_row"  # each row's number while scoring; the renamed input columns are ``__lucid_in<j>``
INSTALL_HINT = "install Java 17 and pyspark (pip install 'lucidscore[spark]') to use the Spark engine"
# The loggers that report a failed task (its Java and Python stacks) as it fails. The driver raises the
# failure anyway, with the same stacks in its text: ``input_error_of`` turns an ``InputError`` a worker
# raised into the CLI's one line, and any other failure is raised with them.
_TASK_FAILURE_LOGGERS = (
    "org.apache.spark.executor.Executor",
    "org.apache.spark.scheduler.TaskSetManager",
    "org.apache.spark.util.Utils",
    "org.apache.spark.sql.execution.datasources.FileFormatWriter",
)


def spark_available() -> str | None:
    """None when Spark can run here, else what is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return f"pyspark is not installed: {INSTALL_HINT}"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return f"java is not on PATH: {INSTALL_HINT}"
    return None


def local_session(app_name: str = "lucidscore") -> Any:
    """A small ``local[2]`` SparkSession (no UI, 2 shuffle partitions, column names case-sensitive, as
    pandas reads them), using this Python for workers."""
    missing = spark_available()
    if missing is not None:
        raise InputError(missing)
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Column names compared as pandas compares them: ``X`` and ``x`` are two columns (issue 15).
        .config("spark.sql.caseSensitive", "true")
    )
    # The JDBC driver joins the driver's classpath only when the JVM starts: a later session in this
    # process (features over JDBC after scoring) could not load it otherwise.
    jar = jdbc_jar()
    if jar is not None:
        builder = builder.config("spark.jars", str(jar))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    jvm = session.sparkContext._jvm  # log4j 2, Spark's logging, has no Python interface
    if jvm is not None:  # None only once the session is stopped
        off = jvm.org.apache.logging.log4j.Level.OFF
        for name in _TASK_FAILURE_LOGGERS:
            jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(name, off)
    return session


def _plain_columns(scored: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as strings (None where missing), for Spark's string columns."""
    for name in scored.columns:
        if isinstance(scored[name].dtype, pd.CategoricalDtype):
            scored[name] = scored[name].astype(object).where(scored[name].notna(), None)
    return scored


def _scorer(
    model_json: str,
    what: tuple[int, bool, int],
    id_name: str,
    has_id: bool,
    first_row: int,
    names: list[str],
    surplus: bool = False,
    utf8: bool = False,
) -> Any:
    """The function ``mapInPandas`` runs on each partition (compiles the model once per task), on rows
    whose columns, by position, are the data row's 1-based position (from ``zipWithIndex``), the id
    column when ``has_id`` (else the position is the id, written as ``id_name``), and the model's columns
    ``names`` in order (the id column again among them when the model reads it).

    A batch's rows are consecutive, so messages name a bad cell's row as the local engine does, with
    ``first_row`` the number of the first data row (2 in a CSV file, whose header is row 1), whether or
    not an id column is named. ``surplus``: the last column is
    ``score_dataframe``'s ``surplus``, checked before any cell is read. ``utf8``: a cell the model reads
    (or the id) holding U+FFFD, which Spark makes of bytes that are not UTF-8, fails with ``_NOT_UTF8``.
    """
    reasons, recourse, max_changes = what

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        compiled = CompiledScorecard.from_artifact(ScorecardArtifact.model_validate_json(model_json))
        texts = column_plan(compiled)[1] if utf8 else []
        for rows in batches:
            if surplus and rows.iloc[:, -1].notna().any():
                raise ValueError(ERROR_PREFIX + _SURPLUS_FOUND)
            numbers = rows.iloc[:, 0]
            ids = rows.iloc[:, 1] if has_id else numbers
            # By position: a model column named as the output's id (``row``) is the user's, not the index.
            start = 2 if has_id else 1
            inputs = rows.iloc[:, start : start + len(names)].set_axis(names, axis=1)
            inputs.attrs[FIRST_ROW] = first_row
            offset = int(numbers.iloc[0]) - 1 if len(numbers) else 0
            if any(_replaced(values) for values in [ids, *(inputs[c] for c in texts)]):
                raise ValueError(ERROR_PREFIX + _NOT_UTF8)
            try:
                batch = compiled.prepare(inputs, row_offset=offset)
            except InputError as exc:
                if utf8 and REPLACEMENT in exc.message:  # a number's cell: not a number, or not UTF-8?
                    raise ValueError(ERROR_PREFIX + _NOT_UTF8) from None
                raise ValueError(ERROR_PREFIX + exc.message) from None
            scored = compiled_score_frame(
                compiled, batch, reasons, recourse=recourse, max_changes=max_changes
            )
            scored.insert(0, id_name, ids.to_numpy())
            yield _plain_columns(scored).reset_index(drop=True)

    return run


def _replaced(values: pd.Series) -> bool:
    """Whether a column of text holds U+FFFD."""
    if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
        return False
    return bool(values.astype("string").str.contains(REPLACEMENT, regex=False).any())


def score_dataframe(
    spark_frame: Any,
    artifact: ScorecardArtifact,
    reasons: int = 4,
    id_column: str | None = None,
    recourse: bool = False,
    max_changes: int = DEFAULT_MAX_CHANGES,
    first_row: int = 1,
    surplus: str | None = None,
    utf8: bool = False,
) -> Any:
    """Score a Spark DataFrame; the result has the id column (or ``row``) and the scores columns (the
    reason and recourse columns of ``score_frame``, as strings and short integers). ``first_row``: how
    messages number the first data row (2 when the DataFrame was read from a CSV file with its header).
    ``surplus``: a column of the DataFrame (not scored) whose value, where present, is a field past a
    CSV file's header that the local reader refuses (``_csv_text``): a worker that meets one fails with
    ``_SURPLUS_FOUND``. ``utf8``: a worker that
    meets U+FFFD in a cell the model reads as text or in the id, or in a cell that is not a number, fails
    with ``_NOT_UTF8`` (the DataFrame was read from a file that may not be UTF-8)."""
    from pyspark.sql import types as T

    compiled = CompiledScorecard.from_artifact(artifact)
    compiled.check_columns(spark_frame.columns, "the Spark DataFrame")
    refuse_id_clash("the Spark DataFrame", id_column, compiled, reasons, recourse, max_changes)
    needed = compiled.required_columns
    checked = [] if surplus is None else [surplus]
    # The row numbers join the columns renamed by position (``__lucid_in0``...), under a name none of
    # them has: a user's column named ``row`` is not the output's ``row`` (which the local engine also
    # writes as the row number, whatever the input holds). Rows are numbered with an id column too, so
    # that a message names a bad cell's row as the local engine does.
    renamed, inner = positional(spark_frame)
    indexed = renamed.rdd.zipWithIndex().map(lambda pair: (*pair[0], pair[1] + 1))
    schema = T.StructType([*renamed.schema.fields, T.StructField(_INDEX, T.LongType(), False)])
    ids = [] if id_column is None else [id_column]
    picked = [_INDEX, *[inner[n] for n in [*ids, *needed, *checked]]]
    frame = indexed.toDF(schema).select(*picked).toDF(*[f"__lucid_in{j}" for j in range(len(picked))])
    if id_column is None:
        id_name, id_type = ROW_COLUMN, T.LongType()
    else:
        id_name, id_type = id_column, spark_frame.schema[id_column].dataType
    kinds = {"text": T.StringType(), "tier": T.StringType(), "points": T.ShortType()}
    out_schema = T.StructType(
        [
            T.StructField(id_name, id_type),
            T.StructField("score", T.ShortType()),
            T.StructField("tier", T.StringType()),
            T.StructField("probability", T.DoubleType()),
            T.StructField("segment", T.StringType()),
            *[
                T.StructField(name, kinds[kind])
                for name, kind in extra_columns(compiled, reasons, recourse, max_changes)
            ],
        ]
    )
    what = (reasons, recourse, max_changes)
    has_id = id_column is not None
    scorer = _scorer(
        artifact.model_dump_json(), what, id_name, has_id, first_row, needed, bool(checked), utf8
    )
    with warnings.catch_warnings():  # pyspark 4.3 warns about pandas 3; the columns used here are plain
        warnings.simplefilter("ignore", FutureWarning)
        return frame.mapInPandas(scorer, out_schema)


def score_file(
    model_path: str | Path,
    data_path: str | Path,
    out_path: str | Path,
    reasons: int = 4,
    id_column: str | None = None,
    spark: Any = None,
    recourse: bool = False,
    max_changes: int = DEFAULT_MAX_CHANGES,
) -> ScoreSummary:
    """Score ``data_path`` on Spark into the Parquet file ``out_path``; same columns as the local engine.

    ``spark`` is an existing SparkSession; by default a ``local[2]`` one is started (and left for reuse).
    """
    what = (reasons, recourse, max_changes)
    art = load_artifact(model_path)
    source = open_source(data_path)  # same header checks and messages as the local engine
    compiled = CompiledScorecard.from_artifact(art)
    compiled.check_columns(source.columns, str(source.path))
    if id_column is not None and id_column not in source.columns:
        raise InputError(
            f"{source.path}: id column {id_column} not found; the file has {', '.join(source.columns)}"
        )
    refuse_id_clash(source.path, id_column, compiled, reasons, recourse, max_changes)
    session = spark if spark is not None else local_session()
    if source.kind == "parquet":
        frame = session.read.parquet(literal_path(source.path))
    else:
        if source.kind == "whitespace":
            chunks = list(whitespace_chunks(source.path, "string", CHUNK_ROWS))
            frame = session.createDataFrame(pd.concat(chunks).astype(object))
        else:
            frame = _csv_text(session, source, compiled, id_column)
    first_row = 1 if source.kind == "parquet" else 2  # a CSV's header is row 1, as ingest counts
    surplus = SURPLUS if SURPLUS in frame.columns and SURPLUS not in source.columns else None
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    extras = [c for c in compiled.extra_columns(source.columns) if c != id_column]
    summary = ScoreSummary(0, out, {t.name: 0 for t in art.scaling.tiers}, extras, engine="spark")
    workdir = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        # A CSV file is checked for bytes that are not UTF-8 where the model reads (as the local reader
        # refuses them there), unless the U+FFFD found was written as text: then scored again unchecked.
        for utf8 in (source.kind != "parquet", False):
            scored = score_dataframe(
                frame, art, reasons, id_column, recourse, max_changes, first_row, surplus, utf8
            )
            try:
                scored.write.mode("overwrite").parquet(str(workdir / "parts"))
                break
            except Exception as exc:  # a Py4J/PythonException wrapping the task's error
                raised = input_error_of(exc)
                if raised is not None and raised.message == _SURPLUS_FOUND:
                    raise surplus_refusal(source.path, source.separator) from None
                if raised is not None and raised.message == _NOT_UTF8:
                    if first_bad_utf8(source.path) is not None:
                        raise bad_utf8_error(source.path) from None
                    continue
                if raised is not None:
                    raise InputError(f"{source.path}: {raised.message}") from None
                raise
        # Part files are numbered by partition, and partitions follow the input: concatenating them in
        # name order keeps the input's row order.
        parts = sorted((workdir / "parts").glob("part-*.parquet"))
        _concat(parts, compiled, what, id_column or ROW_COLUMN, workdir / "out.parquet", summary, source.path)
        (workdir / "out.parquet").replace(out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary


def _csv_text(session: Any, source: TableSource, compiled: CompiledScorecard, id_column: str | None) -> Any:
    """A CSV file's cells as text, missing where the local engine's reader (``_chunks``) reads them as
    missing: pandas' missing-value words in a column read as numbers, pyarrow's in the others; a
    tab-separated file's lines split by ``sparktable.split_lines``, which keeps a line of tabs as a row
    of missing cells, as pyarrow does (Spark's CSV reader skips it), or read by ``_tab_cells`` where a quoted
    field may hold a line break; then ``sparktable.SURPLUS``, a row's field past the header's that the
    local engine refuses, else null: every such field, unless the first data row holds one field more than
    the header (``TableSource.surplus``, read on the driver), when ``read_table`` reads the column past the
    header's and drops it if every cell is missing: then a value in that column, or a row of more fields
    still."""
    numeric = set(column_plan(compiled)[0]) - {id_column}
    if source.separator == "\t" and spans_lines(session, source.path):
        frame = _tab_cells(session, source)
    elif source.separator == "\t":
        frame = split_lines(session, source.path, "\t", source.columns)
    else:
        frame = csv_fields(session, source.path, source.separator, source.columns)
    surplus = column(SURPLUS)
    if FIELDS in frame.columns and source.surplus:
        from pyspark.sql import functions as F

        wider = column(FIELDS) > len(source.columns) + 1
        surplus = F.when(wider, F.lit("")).when(~surplus.isin(*sorted(NA_WORDS)), surplus)
    return frame.select(
        *[without_na_words(c, NA_WORDS if c in numeric else ARROW_NA_WORDS).alias(c) for c in source.columns],
        surplus.alias(SURPLUS),
    )


def _tab_cells(session: Any, source: TableSource) -> Any:
    """The cells of a tab-separated file whose quoted field may hold a line break (``spans_lines``), which
    splitting its lines would cut, as text, by pandas on the driver (Spark's CSV reader would read it in
    one task too, but skips a line of tabs, a row of missing cells to the local reader): a row of more
    fields than the header refused as the local engine refuses it, empty cells empty (``_csv_text`` reads
    the local reader's missing words as missing), bytes that are not UTF-8 as U+FFFD, as Spark reads them
    (``score_file`` refuses them where the local engine does); ``SURPLUS`` null. A column past the header's,
    which ``read_table`` reads when the first data row holds one field more than the header, is dropped
    as ``read_table`` drops it, every cell of it missing (else the file is refused before)."""
    from pyspark.sql import types as T

    refused = ragged_row_error(source.path, "\t")
    if refused is not None:
        raise refused
    try:
        with warnings.catch_warnings():
            # That the column past the header's is dropped: every cell of it is missing (``refused``),
            # which pandas, reading no missing words here, cannot tell.
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            cells = pd.read_csv(
                source.path,
                sep="\t",
                dtype=str,
                keep_default_na=False,
                index_col=False,
                encoding_errors="replace",
                engine="c",
            )
    except pd.errors.ParserError as exc:
        raise not_well_formed(source.path, exc) from None
    cells = cells.astype(object).where(cells.notna(), None).set_axis(source.columns, axis=1)
    cells[SURPLUS] = None
    schema = T.StructType([T.StructField(n, T.StringType(), True) for n in [*source.columns, SURPLUS]])
    return session.createDataFrame(cells, schema)


def _concat(
    parts: list[Path],
    compiled: CompiledScorecard,
    what: tuple[int, bool, int],
    id_name: str,
    path: Path,
    summary: ScoreSummary,
    source: Path,
) -> None:
    """Write Spark's part files as one Parquet file with the local engine's schema (``source``: the data
    file, named if it has no data rows)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tiers = pd.Index([t.name for t in compiled.artifact.scaling.tiers])
    segments = pd.Index(compiled.segment_names)
    writer: pq.ParquetWriter | None = None
    try:
        for part in parts:
            result = pd.read_parquet(part)
            if result.empty:
                continue
            result["tier"] = pd.Categorical(result["tier"], categories=tiers)
            result["segment"] = pd.Categorical(result["segment"], categories=segments)
            for column, kind in extra_columns(compiled, *what):
                if kind == "points":
                    result[column] = result[column].astype("Int16")
                else:
                    cats = tiers if kind == "tier" else None
                    result[column] = pd.Categorical(result[column], categories=cats)
            if writer is None:
                id_type = pa.Array.from_pandas(result[id_name]).type
                if pa.types.is_large_string(id_type) or pa.types.is_null(id_type):
                    id_type = pa.string()
                schema = output_schema(compiled, what[0], id_name, id_type, *what[1:])
                writer = pq.ParquetWriter(path, schema, write_statistics=statistics_columns(schema))
            writer.write_table(pa.Table.from_pandas(result, schema=writer.schema, preserve_index=False))
            summary.add(result["score"].to_numpy(), result["tier"])
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise no_data_rows(source)


STORED_COLUMNS = ("score", "tier", "probability", "segment", "reasons", "explanation")


def _stored_scorer(model_json: str, as_of: Any, id_name: str, names: list[str]) -> Any:
    """The function ``mapInPandas`` runs per partition: ``score_consumers`` on its rows (their columns
    ``names``: see ``_scorer``), with reasons and explanations as JSON text (Spark has no type for them)."""
    import json

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from lucidscore.score._stored import score_consumers

        artifact = ScorecardArtifact.model_validate_json(model_json)
        for batch in batches:
            if batch.empty:
                continue
            frame = batch.set_axis(names, axis=1)
            try:
                rows = score_consumers(artifact, frame, as_of, id_column=id_name)
            except InputError as exc:
                raise ValueError(ERROR_PREFIX + exc.message) from None
            yield pd.DataFrame(
                {
                    id_name: [r["consumer_id"] for r in rows],
                    "score": [r["score"] for r in rows],
                    "tier": [r["tier"] for r in rows],
                    "probability": [r["probability"] for r in rows],
                    "segment": [r["segment"] for r in rows],
                    "reasons": [json.dumps(r["reasons"]) for r in rows],
                    "explanation": [
                        None if r["explanation"] is None else json.dumps(r["explanation"]) for r in rows
                    ],
                }
            )

    return run


def score_consumers_dataframe(
    spark_frame: Any, artifact: ScorecardArtifact, as_of: Any, id_column: str = "consumer_id"
) -> Any:
    """``lucidscore.score.score_consumers`` on Apache Spark: one row per consumer of ``spark_frame`` with
    the score history's columns (reasons and explanation as JSON text), computed on the executors by the
    same function, so the rows equal the local engine's.

    >>> rows = score_consumers_dataframe(spark.read.parquet("features.parquet"), art, as_of)  # doctest: +SKIP
    """
    from pyspark.sql import types as T

    compiled = CompiledScorecard.from_artifact(artifact)
    compiled.check_columns(spark_frame.columns, "the Spark DataFrame")
    if id_column not in spark_frame.columns:
        raise InputError(f"the Spark DataFrame has no id column {id_column}")
    needed = [id_column, *(c for c in compiled.required_columns if c != id_column)]
    schema = T.StructType(
        [
            T.StructField(id_column, T.StringType()),
            T.StructField("score", T.IntegerType()),
            T.StructField("tier", T.StringType()),
            T.StructField("probability", T.DoubleType()),
            T.StructField("segment", T.StringType()),
            T.StructField("reasons", T.StringType()),
            T.StructField("explanation", T.StringType()),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return select_exactly(spark_frame, needed).mapInPandas(
            _stored_scorer(artifact.model_dump_json(), as_of, id_column, needed), schema
        )
