"""The Apache Spark engine for features: the local engine's polars code, run where Spark has put the
records, so the two engines give the same features bit for bit by construction.

Spark reads the tables (Parquet files, or a PostgreSQL database over JDBC) and cuts them at the as-of date
where the reader can push the filter down. Then two stages, each one shuffle:

1. statements, with the owner of each account, are partitioned by ``account_id``; each partition is
   summarised per account by the local engine's ``per_account`` (one row per account);
2. those summaries and the other tables are partitioned by ``consumer_id``; each partition goes through
   the local engine's ``build``, which sees every record of each of its consumers.

The features are sorted by ``consumer_id`` in Spark and written as one Parquet file (parts in order, then
a rename), with the catalogue in its metadata, exactly as ``lucidscore.features.features_to_parquet``.

>>> features_to_parquet("data/", date(2025, 6, 30), "features.parquet")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from lucidscore.errors import InputError
from lucidscore.features._compute import build, per_account, point_in_time
from lucidscore.features._features import FeaturesWritten, _check_as_of, _with_catalogue
from lucidscore.features._sources import (
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    amount_beyond_the_schema,
    is_database_url,
    polars_schema,
    scan_directory,
    used_columns,
)
from lucidscore.records import TABLES_BY_NAME
from lucidscore.sparkenv import input_error_of, jdbc_jar, literal_path

INSTALL_HINT = "install Java 17 and pyspark (pip install 'lucidscore[spark]') to use the Spark engine"
# Debian's libpostgresql-jdbc-java; another place can be given in LUCIDSCORE_JDBC_JAR.
# Records per partition the stages aim at: a partition is one polars computation in one Python worker.
STATEMENTS_PER_PARTITION = 2_000_000
CONSUMERS_PER_PARTITION = 50_000

_TAG = "_table"
_STATEMENT_COLUMNS = used_columns(TABLES_BY_NAME["statements"])


def spark_available() -> str | None:
    """None when Spark can run here, else what is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return f"pyspark is not installed: {INSTALL_HINT}"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return f"java is not on PATH: {INSTALL_HINT}"
    return None


def local_session(master: str = "local[2]", memory: str = "4g", app_name: str = "lucidscore-features") -> Any:
    """A local SparkSession for features: UTC, Arrow on, no UI, column names case-sensitive, the JDBC
    driver when there is one.

    ``memory`` is the driver JVM's heap, which in local mode also runs the tasks (set before the JVM
    starts: a session already running in this process is returned as it is).
    """
    missing = spark_available()
    if missing is not None:
        raise InputError(missing)
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.memory", memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
        .config("spark.sql.caseSensitive", "true")  # as ``score.spark.local_session``: X and x are two
    )
    jar = jdbc_jar()
    if jar is not None:
        builder = builder.config("spark.jars", str(jar))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# ---------------------------------------------------------------------------------------------- reading


def _month(as_of: date) -> str:
    return f"{as_of.year:04d}-{as_of.month:02d}"


@dataclass(frozen=True)
class _Jdbc:
    url: str
    properties: dict[str, str]


def _jdbc(url: str) -> _Jdbc:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        raise InputError.about(
            "source",
            f"{url}: the Spark engine reads PostgreSQL (over JDBC) or a directory of Parquet files; "
            "use the local engine for SQLite",
        )
    if jdbc_jar() is None:
        raise InputError(
            "the PostgreSQL JDBC driver is missing: install it (Debian: apt-get install "
            "libpostgresql-jdbc-java) or name its jar in LUCIDSCORE_JDBC_JAR"
        )
    host, port = parsed.host or "localhost", parsed.port or 5432
    properties = {
        "driver": "org.postgresql.Driver",
        "user": parsed.username or "",
        "preferTimestampNTZ": "true",
    }
    if parsed.password:
        properties["password"] = str(parsed.password)
    return _Jdbc(f"jdbc:postgresql://{host}:{port}/{parsed.database}", properties)


def _cuts(as_of: date) -> dict[str, str]:
    """Point-in-time filters Spark pushes into the reader (the kernel cuts again, exactly)."""
    iso, month = as_of.isoformat(), _month(as_of)
    return {
        "statements": f"period <= '{month}'",
        "income": f"period <= '{month}'",
        "accounts": f"opened <= DATE '{iso}'",
        "public_records": f"filed <= DATE '{iso}'",
        "outcomes": f"observation_date = DATE '{iso}'",
    }


def read_tables(spark: Any, source: str | Path, as_of: date, partitions: int = 8) -> dict[str, Any]:
    """The raw tables as Spark DataFrames (the columns features use), cut at ``as_of`` where that is
    cheap to push down. ``partitions``: JDBC reads of the large tables run as that many queries."""
    cuts = _cuts(as_of)
    frames: dict[str, Any] = {}
    if is_database_url(source):
        jdbc = _jdbc(str(source))
        for name in REQUIRED_TABLES + OPTIONAL_TABLES:
            columns = ", ".join(used_columns(TABLES_BY_NAME[name]))
            where = cuts.get(name, "TRUE")
            query = f"(SELECT {columns} FROM {name}_current WHERE {where}) AS {name}"
            key = "account_id" if name == "statements" else "consumer_id"
            predicates = [f"(hashtext({key}) & 2147483647) % {partitions} = {i}" for i in range(partitions)]
            try:
                frames[name] = spark.read.jdbc(
                    jdbc.url, query, predicates=predicates, properties=jdbc.properties
                )
                frames[name].schema  # noqa: B018 - resolves the query now: a missing view is named here
            except Exception as exc:  # Py4J wraps the driver's error
                if name in OPTIONAL_TABLES and "does not exist" in str(exc):
                    continue
                if "ClassNotFoundException: org.postgresql.Driver" in str(exc):
                    raise InputError.about(
                        "source",
                        f"{source}: this Spark session cannot load the PostgreSQL JDBC driver; it joins the "
                        "classpath only when Spark starts (lucidscore's local sessions add it when the "
                        "machine has one: apt-get install libpostgresql-jdbc-java; else start Spark with "
                        "spark.jars=<postgresql.jar>)",
                    ) from None
                raise InputError.about(
                    "source", f"{source}: cannot read {name}_current ({_first_line(exc)})"
                ) from None
        return frames
    directory = Path(source)
    scan_directory(directory)  # the local engine's checks: missing tables and columns named alike
    for name in REQUIRED_TABLES + OPTIONAL_TABLES:
        path = next(
            (directory / f"{name}{s}" for s in (".parquet", ".pq") if (directory / f"{name}{s}").is_file()),
            None,
        )
        if path is None:
            if (directory / f"{name}.csv").is_file():
                raise InputError(
                    f"{directory / f'{name}.csv'}: the Spark engine reads Parquet; write the tables as "
                    "Parquet (lucidscore synth writes Parquet by default) or use the local engine"
                )
            continue  # an optional table (scan_directory named a missing required one)
        frame = spark.read.parquet(literal_path(path)).select(*used_columns(TABLES_BY_NAME[name]))
        frames[name] = frame.where(cuts[name]) if name in cuts else frame
    return frames


def _first_line(exc: BaseException) -> str:
    """The error's first line; for Py4J's "An error occurred while calling ...", the Java exception that
    says what went wrong (e.g. ``org.postgresql.util.PSQLException: ...``) follows it."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    cause = next((line for line in lines[1:] if "Exception: " in line or "Error: " in line), None)
    return (f"{lines[0]} {cause}" if cause else lines[0])[:400]


# ---------------------------------------------------------------------------------------------- kernels


def _spark_type(dtype: pl.DataType) -> Any:
    from pyspark.sql import types as T

    types: dict[Any, Any] = {
        pl.String: T.StringType(),
        pl.Int64: T.LongType(),
        pl.Int32: T.IntegerType(),
        pl.Int8: T.ByteType(),
        pl.Float64: T.DoubleType(),
        pl.Boolean: T.BooleanType(),
        pl.Date: T.DateType(),
        pl.Datetime: T.TimestampNTZType(),
    }
    return types[dtype.base_type()]


def _spark_schema(schema: pl.Schema) -> Any:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(n, _spark_type(t), True) for n, t in schema.items()])


def _empty(name: str) -> pl.LazyFrame:
    schema = polars_schema(TABLES_BY_NAME[name])
    return pl.LazyFrame(schema={c: schema[c] for c in used_columns(TABLES_BY_NAME[name])})


def summary_schema(as_of: date) -> pl.Schema:
    """Columns of a per-account summary, and the owner it is routed to."""
    owners = pl.LazyFrame(schema={"account_id": pl.String, "consumer_id": pl.String})
    return per_account(_empty("statements"), as_of).join(owners, on="account_id").collect_schema()


def features_schema(as_of: date, with_outcomes: bool) -> pl.Schema:
    names = REQUIRED_TABLES + (("outcomes",) if with_outcomes else ())
    tables = {name: _empty(name) for name in names}
    return build(tables, as_of).collect_schema()


def _table(batches: Iterator[pa.RecordBatch]) -> pl.DataFrame | None:
    got = list(batches)
    if not got or not sum(b.num_rows for b in got):
        return None
    frame = pl.from_arrow(pa.Table.from_batches(got))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _part(frame: pl.DataFrame, tag: int, schema: dict[str, pl.DataType]) -> pl.LazyFrame:
    """Rows of one table out of a tagged union, in the local engine's types."""
    return frame.lazy().filter(pl.col(_TAG) == tag).select(list(schema)).cast(schema)  # type: ignore[arg-type]


_ARROW: dict[Any, pa.DataType] = {
    pl.String: pa.string(),
    pl.Int64: pa.int64(),
    pl.Int32: pa.int32(),
    pl.Int8: pa.int8(),
    pl.Float64: pa.float64(),
    pl.Boolean: pa.bool_(),
    pl.Date: pa.date32(),
    pl.Datetime: pa.timestamp("us"),
}


def _arrow(frame: pl.DataFrame, schema: pl.Schema) -> Iterator[pa.RecordBatch]:
    """``frame`` as Arrow batches of the types Spark expects for ``schema`` (plain strings)."""
    target = pa.schema([pa.field(n, _ARROW[t.base_type()]) for n, t in schema.items()])
    yield from frame.select(list(schema)).to_arrow().cast(target).to_batches()


def summarise(as_of: date) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Stage 1 (``mapInArrow``): statements (tag 0) and account owners (tag 1) of the accounts of one
    partition -> ``per_account`` of each account, with its owner."""
    statement_types = {
        c: t for c, t in polars_schema(TABLES_BY_NAME["statements"]).items() if c in _STATEMENT_COLUMNS
    }
    out = summary_schema(as_of)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        frame = _table(batches)
        if frame is None:
            return
        statements = _part(frame, 0, statement_types)
        owners = _part(frame, 1, {"account_id": pl.String(), "consumer_id": pl.String()}).unique()
        query = per_account(statements, as_of).join(owners, on="account_id", how="inner")
        yield from _arrow(_collect(query, {"statements": statements}, as_of), out)

    return run


def _collect(query: pl.LazyFrame, tables: dict[str, pl.LazyFrame], as_of: date) -> pl.DataFrame:
    """A kernel's result; where polars refuses the values for an amount beyond the schema, the local
    engine's words for it (``features_to_parquet`` reads them back from the task's error:
    ``sparkenv.input_error_of``)."""
    try:
        return query.collect()
    except pl.exceptions.PolarsError:
        beyond = amount_beyond_the_schema(point_in_time(tables, as_of))
        if beyond is None:
            raise
        raise InputError(beyond) from None


_STAGE2 = ("consumers", "accounts", "inquiries", "public_records", "income", "outcomes")


def compute(
    as_of: date, with_outcomes: bool
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Stage 2 (``mapInArrow``): every table of the consumers of one partition (tags 1..6) and their
    account summaries (tag 0) -> the local engine's features of those consumers."""
    summary_types = dict(summary_schema(as_of))
    types = {
        name: {
            c: t
            for c, t in polars_schema(TABLES_BY_NAME[name]).items()
            if c in used_columns(TABLES_BY_NAME[name])
        }
        for name in _STAGE2
    }
    out = features_schema(as_of, with_outcomes)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        frame = _table(batches)
        if frame is None:
            return
        # An account owned by two consumers of this partition arrives twice: its summary counts once.
        summary = _part(frame, 0, summary_types).drop("consumer_id").unique()
        tables = {name: _part(frame, i, types[name]) for i, name in enumerate(_STAGE2, 1)}
        if not with_outcomes:
            del tables["outcomes"]
        yield from _arrow(_collect(build(tables, as_of, summary), tables, as_of), out)

    return run


def features_frame(spark: Any, tables: dict[str, Any], as_of: date, partitions: int) -> Any:
    """The features of every consumer as a Spark DataFrame (``bad`` when there is an outcomes table)."""
    from pyspark.sql import functions as F

    def tagged(frame: Any, tag: int) -> Any:
        return frame.withColumn(_TAG, F.lit(tag).cast("byte"))

    owners = tables["accounts"].select("account_id", "consumer_id").distinct()
    statements = tagged(tables["statements"].select(*_STATEMENT_COLUMNS), 0).unionByName(
        tagged(owners, 1), allowMissingColumns=True
    )
    summaries = statements.repartition(partitions, "account_id").mapInArrow(
        summarise(as_of), _spark_schema(summary_schema(as_of))
    )
    with_outcomes = "outcomes" in tables
    parts = tagged(summaries, 0)
    for i, name in enumerate(_STAGE2, 1):
        if name in tables:
            parts = parts.unionByName(tagged(tables[name], i), allowMissingColumns=True)
    consumers = max(1, partitions // 2)
    return parts.repartition(consumers, "consumer_id").mapInArrow(
        compute(as_of, with_outcomes), _spark_schema(features_schema(as_of, with_outcomes))
    )


# ---------------------------------------------------------------------------------------------- entry points


def _partitions(spark: Any, source: str | Path, tables: dict[str, Any]) -> int:
    """Enough partitions that each holds about ``STATEMENTS_PER_PARTITION`` statements, at least two per
    core."""
    cores = int(spark.sparkContext.defaultParallelism)
    if is_database_url(source):
        consumers = int(tables["consumers"].count())
        statements = consumers * 60
    else:
        path = next(Path(source).glob("statements.p*"))
        statements = pq.ParquetFile(path).metadata.num_rows
    return max(2 * cores, -(-statements // STATEMENTS_PER_PARTITION))


def features_to_parquet(
    source: str | Path,
    as_of: date,
    out: str | Path,
    spark: Any = None,
    today: date | None = None,
    partitions: int | None = None,
) -> FeaturesWritten:
    """Features of every consumer as of ``as_of`` computed on Spark, written to ``out`` exactly as the
    local engine's ``features_to_parquet`` writes them (same rows, columns, types and values).

    ``source`` is a directory of Parquet tables or a PostgreSQL URL (read over JDBC); ``spark`` an
    existing SparkSession (default: ``local_session()``); ``partitions`` the partitions of the statement
    stage (default: about two million statements each).
    """
    from pyspark import StorageLevel

    _check_as_of(as_of, today or date.today())
    session = spark if spark is not None else local_session()
    tables = read_tables(session, source, as_of, partitions or 8)
    count = partitions or _partitions(session, source, tables)
    keep_bad = "outcomes" in tables and bool(
        tables["outcomes"].where(f"observation_date = DATE '{as_of.isoformat()}'").limit(1).count()
    )
    # Kept (memory, then local disk) while written: the sort's range partitioner first runs the plan
    # above it to sample its keys, which without this computed every consumer's features twice.
    computed = features_frame(session, tables, as_of, count).persist(StorageLevel.MEMORY_AND_DISK)
    frame = computed.orderBy("consumer_id")
    if not keep_bad and "outcomes" in tables:
        frame = frame.drop("bad")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        try:
            frame.write.mode("overwrite").parquet(str(workdir / "parts"))
        except Exception as exc:  # a Py4J/PythonException wrapping the task's error
            refused = input_error_of(exc)
            if refused is not None:
                raise InputError(f"{source}: {refused.message}") from None
            raise InputError(f"{source}: the Spark features job failed ({_first_line(exc)})") from None
        summary = _concat(sorted((workdir / "parts").glob("part-*.parquet")), workdir / "out.parquet", path)
        (workdir / "out.parquet").replace(path)
    finally:
        computed.unpersist()
        shutil.rmtree(workdir, ignore_errors=True)
    return summary


def _concat(parts: list[Path], tmp: Path, path: Path) -> FeaturesWritten:
    """Spark's part files (sorted, in order) as one Parquet file with the local engine's schema."""
    summary = FeaturesWritten(path)
    writer: pq.ParquetWriter | None = None
    try:
        for part in parts:
            frame = pl.read_parquet(part, glob=False)
            table = _with_catalogue(frame.to_arrow())
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                summary.columns = frame.columns
            writer.write_table(table.cast(writer.schema))
            summary.rows += frame.height
            summary.chunks += 1
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise InputError(f"{path}: Spark wrote no part files")
    return summary


def compute_features(
    source: str | Path,
    as_of: date,
    spark: Any = None,
    today: date | None = None,
    partitions: int | None = None,
) -> pl.DataFrame:
    """``features_to_parquet`` read back as a polars frame (for comparisons and small populations)."""
    with tempfile.TemporaryDirectory(prefix="lucidscore-spark-") as tmp:
        path = features_to_parquet(
            source, as_of, Path(tmp) / "features.parquet", spark, today, partitions
        ).path
        return pl.read_parquet(path, glob=False)
