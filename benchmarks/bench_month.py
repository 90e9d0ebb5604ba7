"""The monthly cycle stage by stage, in one run (issue 15): synth, ingest into SQLite and PostgreSQL,
features, train and publish (4 reasons, recourse, chained history), on the local engine and on Spark
``local[1]`` and ``local[2]``, with wall and CPU seconds, peak memory and throughput per CPU second.

Command (from the repository root; PostgreSQL 15 and Java 17 as for the tests):

    .venv/bin/python benchmarks/bench_month.py --consumers 100000
    .venv/bin/python benchmarks/bench_month.py --consumers 1000000 --spark-memory 8g

Every stage runs in its own child process; its CPU seconds are those of the child and all its
descendants (the JVM and Spark's Python workers), plus the PostgreSQL server's for the stages that use it
(its backends' time, read from /proc); its peak memory is the largest sampled sum of their resident sizes
(the server's shared buffers not included). Throughput per CPU second is what other people's load
distorts least on a shared machine, and what docs/scale.md projects from.

The stages: the synthetic population as Parquet (``generate_population``); ``ingest_directory`` of it
into a SQLite file and into a PostgreSQL server started in a temporary directory; the features as of the
observation date 2025-06-30 (with outcomes) from Parquet by the local engine and by Spark (the files must
be identical); a scorecard trained on them (thin-file segment rule, as ``bench_rescore.py``) by the local
engine and by Spark (the model files must agree but for the model id's date); then the model registered
and activated, and the last month 2026-06-30 published into fresh copies: local engine on SQLite and on
PostgreSQL, Spark on PostgreSQL (features over JDBC, scores on the executors). Work files live under
benchmarks/_work/month/ (git-ignored). Prints one JSON line per stage and a Markdown table.

One row of the table can be measured again without the others: ``--engines`` names the engines whose
features, training and publish run (the local engine's features and model are always made: the later
stages read them), ``--spark-stages`` the stages Spark runs (features, train, publish), and
``--no-sqlite`` leaves out SQLite's ingest and publish. For example, Spark ``local[1]``'s publish at
1,000,000 consumers with only what it needs:

    .venv/bin/python benchmarks/bench_month.py --consumers 1000000 --spark-memory 8g \
        --engines 'local[1]' --spark-stages publish --no-sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import _server_cpu, postgres_server
from bench_synth_features import _child, _same

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "month"
AS_OF = "2025-06-30"  # the observation date: features with outcomes, for training
MONTH = "2026-06-30"  # the month published

_SYNTH = """
import json, sys, time
from lucidscore.synth import generate_population
started = time.perf_counter()
generate_population(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], fmt="parquet")
print(json.dumps({"seconds": time.perf_counter() - started}))
"""

_INGEST = """
import json, sys, time
from lucidscore.ingest import ingest_directory
started = time.perf_counter()
report = ingest_directory(sys.argv[1], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - started, "rows": report.total("read")}))
"""

_SESSION = """
from lucidscore.features.spark import local_session
session = local_session(MASTER, memory=MEMORY)
"""

_FEATURES = """
import json, sys, time
from datetime import date
MASTER, MEMORY = sys.argv[3], sys.argv[4]
started = time.perf_counter()
if MASTER == "local":
    from lucidscore.features import features_to_parquet
    w = features_to_parquet(sys.argv[1], date.fromisoformat(AS_OF), sys.argv[2])
else:
    from lucidscore.features.spark import features_to_parquet
    SESSION
    w = features_to_parquet(sys.argv[1], date.fromisoformat(AS_OF), sys.argv[2], spark=session)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": w.rows}))
"""

_TRAIN = """
import json, sys, time
import polars as pl
from lucidscore.artifact import Condition
from lucidscore.features import FEATURE_CATALOGUE
MASTER, MEMORY = sys.argv[3], sys.argv[4]
params = dict(segment_rule=Condition(column="thin_file", op="==", value=1.0),
              feature_meta=dict(FEATURE_CATALOGUE), segment_search=False)
started = time.perf_counter()
if MASTER == "local":
    from lucidscore.model import train_scorecard
    frame = pl.read_parquet(sys.argv[1]).drop("consumer_id").to_pandas()
    art = train_scorecard(frame, "bad", **params)
else:
    from lucidscore.model.spark import train_spark
    SESSION
    art = train_spark(session.read.parquet(sys.argv[1]).drop("consumer_id"), "bad", **params)
art.with_hash().save(sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - started,
                  "rows": pl.scan_parquet(sys.argv[1]).select(pl.len()).collect().item()}))
"""

_PUBLISH = """
import json, sys, time
from datetime import date
from lucidscore.service import publish_month
MASTER, MEMORY = sys.argv[2], sys.argv[3]
session = None
if MASTER != "local":
    SESSION
started = time.perf_counter()
engine = "local" if MASTER == "local" else "spark"
report = publish_month(sys.argv[1], date.fromisoformat(MONTH), engine=engine, spark=session)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": report.consumers,
                  "written": report.written, "notes": list(report.notes)}))
"""


def _code(template: str) -> str:
    return (
        template.replace("    SESSION\n", "".join(f"    {line}\n" for line in _SESSION.strip().splitlines()))
        .replace("AS_OF", repr(AS_OF))
        .replace("MONTH", repr(MONTH))
    )


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _comparable(path: Path) -> dict[str, Any]:
    """A model file without what differs between two trainings of the same rows: its id (dated), hash and
    creation time."""
    doc = json.loads(path.read_text())
    for key in ("model_id", "content_hash", "created_at", "trained_at", "signature"):
        doc.pop(key, None)
    return doc


def _register(url: str, model: Path) -> None:
    from sqlalchemy.orm import Session

    from lucidscore.artifact import load_artifact
    from lucidscore.service import activate_model, register_model
    from lucidscore.store import make_engine

    engine = make_engine(url)  # migrated by the ingest
    with Session(engine) as s:
        activate_model(s, register_model(s, load_artifact(model)))
        s.commit()
    engine.dispose()


def _pg_copy(url: str, name: str) -> str:
    """A fresh copy of the PostgreSQL database at ``url`` (``CREATE DATABASE … TEMPLATE``)."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    source = make_url(url)
    with psycopg.connect(
        host=source.host, port=source.port, user=source.username, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(str(source.database))
            )
        )
    return source.set(database=name).render_as_string(hide_password=False)


def _pg_drop(url: str) -> None:
    """Drop the database at ``url`` (a copy made by ``_pg_copy``)."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    target = make_url(url)
    with psycopg.connect(
        host=target.host, port=target.port, user=target.username, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(str(target.database))))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--consumers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--spark-memory", default="6g", help="driver JVM heap for Spark")
    parser.add_argument("--no-spark", action="store_true", help="the local engine only")
    parser.add_argument(
        "--engines",
        default="local,local[1],local[2]",
        help="comma-separated engines to measure (local, local[1], local[2]); the local engine's "
        "features and model are made whatever is asked, since later stages read them",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="leave out SQLite's ingest and publish")
    parser.add_argument(
        "--spark-stages",
        default="features,train,publish",
        help="comma-separated stages the Spark engines of --engines run (features, train, publish)",
    )
    args = parser.parse_args()
    known = ["local", "local[1]", "local[2]"]
    asked = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in asked if e not in known]
    if unknown or not asked:
        parser.error(f"--engines: found {args.engines!r}; expected a comma-separated subset of {known}")
    n = args.consumers
    work = WORK / str(n)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    masters = [m for m in known if m in asked and not (args.no_spark and m != "local")]
    if not masters:
        parser.error("--no-spark leaves no engine of --engines to measure")
    spark_stages = {s.strip() for s in args.spark_stages.split(",") if s.strip()}
    if not spark_stages <= {"features", "train", "publish"}:
        parser.error(
            f"--spark-stages: found {args.spark_stages!r}; expected a comma-separated subset of "
            "features, train, publish"
        )

    def runs(stage: str, master: str) -> bool:
        return master == "local" or stage in spark_stages

    rows: list[tuple[str, str, str, dict[str, Any]]] = []

    def record(stage: str, engine: str, unit: str, result: dict[str, Any]) -> None:
        rows.append((stage, engine, unit, result))
        print(json.dumps({"stage": stage, "engine": engine, **result}), flush=True)

    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"load {_load()}"
    )
    data = work / "data"
    result = _child(_SYNTH, str(n), str(args.seed), str(data))
    result["rows"] = n
    record("synth (Parquet)", "local", "consumers", result)

    with postgres_server() as (pg_url, pg_data):
        sqlite_db = work / "bureau.db"
        if not args.no_sqlite:
            record(
                "ingest into SQLite", "local", "records", _child(_INGEST, str(data), f"sqlite:///{sqlite_db}")
            )
        server = _server_cpu(pg_data)
        result = _child(_INGEST, str(data), pg_url)
        result["cpu_s"] += _server_cpu(pg_data) - server
        record("ingest into PostgreSQL", "local", "records", result)

        made = ["local", *(m for m in masters if m != "local")]  # the local files are always made
        features = {m: work / f"features_{m}.parquet" for m in made}
        for master in (m for m in made if runs("features", m)):
            result = _child(_code(_FEATURES), str(data), str(features[master]), master, args.spark_memory)
            if master != "local":
                result["identical"] = _same(features["local"], features[master])
            record("features (from Parquet)", master, "consumers", result)

        models = {m: work / f"model_{m}.json" for m in made}
        for master in (m for m in made if runs("train", m)):
            result = _child(
                _code(_TRAIN), str(features["local"]), str(models[master]), master, args.spark_memory
            )
            if master != "local":
                result["identical"] = _comparable(models["local"]) == _comparable(models[master])
            record("train (thin-file segments)", master, "rows", result)

        if not args.no_sqlite:
            _register(f"sqlite:///{sqlite_db}", models["local"])
        _register(pg_url, models["local"])
        # The SQLite file is published in place (no later stage reads it) and then removed, and each
        # PostgreSQL copy is dropped after its stage: at 1,000,000 consumers a database holds 13-17 GB,
        # and a copy per stage would not fit on this machine's disk.
        if not args.no_sqlite and "local" in masters:
            result = _child(_code(_PUBLISH), f"sqlite:///{sqlite_db}", "local", args.spark_memory)
            record("publish on SQLite (4 reasons, recourse)", "local", "consumers", result)
        for leftover in work.glob("bureau.db*"):
            leftover.unlink()
        for master in (m for m in masters if runs("publish", m)):
            url = _pg_copy(pg_url, f"publish_{master.replace('[', '_').replace(']', '')}")
            server = _server_cpu(pg_data)
            result = _child(_code(_PUBLISH), url, master, args.spark_memory)
            result["cpu_s"] += _server_cpu(pg_data) - server
            record("publish on PostgreSQL (4 reasons, recourse)", master, "consumers", result)
            _pg_drop(url)

    print(f"# load average at the end {_load()}")
    print(
        "\n| stage | engine | wall s | CPU s | peak GiB | units | per CPU second | same as local |"
        "\n|---|---|---|---|---|---|---|---|"
    )
    for stage, engine, unit, r in rows:
        same = "" if "identical" not in r else ("yes" if r["identical"] else "**no**")
        per_cpu = r["rows"] / r["cpu_s"] if r["cpu_s"] else 0.0
        print(
            f"| {stage} | {engine} | {r['seconds']:.1f} | {r['cpu_s']:.1f} | {r['peak_gb']:.2f} | "
            f"{r['rows']:,} {unit} | {per_cpu:,.0f} | {same} |"
        )


if __name__ == "__main__":
    main()
