"""``train --engine spark`` against the local engine: wall and CPU seconds, peak memory, and whether the
model files agree, on the Taiwan rows replicated with noise (as ``bench_fit.py --only scale``).

Command (from the repo root):
    .venv/bin/python benchmarks/bench_train_spark.py [--rows 200000] [--spark-memory 8g] [--masters local[2]]

Each fit runs as its own child process (start, read Parquet, fit with the default searches, write the
model): the local engine (``lucidscore train``), then Spark ``local[1]`` and ``local[2]``
(``train_spark`` on a session with that master). Wall seconds from start to exit; CPU seconds of the
child's Python plus, for Spark, of its JVM and the JVM's descendants (the Python workers), read just
before the session stops; peak memory is the driver's peak RSS plus, for Spark, the sum of the peak RSS
(``VmHWM``) of the JVM and each of its descendants (an upper bound on their joint peak). The table is
the Taiwan rows replicated to ``--rows`` rows with Gaussian noise of 1% of each column's standard
deviation on every numeric column.
Results are printed and saved to benchmarks/_work/train_spark_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LUCIDSCORE_DATA", ROOT / ".." / "shared" / "data"))
WORK = ROOT / "benchmarks" / "_work"
AUDIT = "SEX,EDUCATION,MARRIAGE,AGE"
TARGET = "default"

CHILD = """
import json, os, resource, sys, time
start = time.perf_counter()
from lucidscore.model.spark import train_spark
from lucidscore.score.spark import local_session
master, data, out, audit, memory = sys.argv[1:6]
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master(master).appName("bench-train")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", master[6:-1])
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.driver.memory", memory or "1g")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
art = train_spark(spark.read.parquet(data), "default", audit_columns=audit.split(","))
art.save(out)
def tree(root):
    # The JVM and its descendants (the Python worker daemon and its workers), before Spark stops them.
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent[int(entry)] = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, q in parent.items() if q == p]
    return out
ticks = os.sysconf("SC_CLK_TCK")
jvm_cpu, jvm_hwm = 0.0, 0
for p in tree(spark.sparkContext._gateway.proc.pid):
    try:  # a worker may exit between the listing and the reading
        stat = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        hwm = [l for l in open(f"/proc/{p}/status") if l.startswith("VmHWM")]  # none for a zombie
    except OSError:
        continue
    jvm_cpu += sum(int(x) for x in stat[11:15]) / ticks  # utime, stime, cutime, cstime
    jvm_hwm += int(hwm[0].split()[1]) if hwm else 0
spark.stop()
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"jvm_cpu": jvm_cpu, "jvm_peak_mib": jvm_hwm / 1024,
                  "py_cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "py_peak_mib": me.ru_maxrss / 1024, "inner_seconds": time.perf_counter() - start}))
"""


def replicated(n_rows: int) -> Path:
    """Taiwan rows replicated to ``n_rows`` with Gaussian noise of 1% of each column's standard deviation
    on every numeric column (``bench_fit.replicated``, over all rows rather than a training split)."""
    path = WORK / f"taiwan_noisy_all_{n_rows}.parquet"
    if path.exists():
        return path
    frame = pd.read_csv(DATA / "taiwan_default.csv")
    rng = np.random.default_rng(0)
    rows = rng.choice(len(frame), n_rows, replace=True)
    big = pd.DataFrame({TARGET: frame[TARGET].to_numpy()[rows]})
    for col in frame.columns:
        if col == TARGET:
            continue
        values = frame[col].to_numpy(dtype=np.float64)
        big[col] = values[rows] + rng.normal(scale=0.01 * float(np.std(values)), size=n_rows)
    WORK.mkdir(parents=True, exist_ok=True)
    big.to_parquet(path, index=False)
    return path


def run(args: list[str]) -> tuple[dict[str, float], str]:
    """Wall seconds, CPU seconds and peak RSS of one child process; its stdout."""
    start = time.perf_counter()
    with (WORK / "train_spark_child.log").open("ab") as log:  # Spark's messages, for a failed run
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
    out = proc.stdout.read().decode() if proc.stdout is not None else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{args[:4]} failed (see {WORK / 'train_spark_child.log'}): {out[-2000:]}")
    return {
        "seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }, out


def comparable(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    for key in ("created_at", "content_hash"):
        data.pop(key)
    data["model_id"] = data["model_id"].rsplit("-", 1)[1]
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--masters", default="local[1],local[2]", help="the Spark masters to run, comma-separated"
    )
    parser.add_argument(
        "--spark-memory", default="", help="driver JVM heap for Spark, e.g. 8g (default: Spark's, 1g)"
    )
    args = parser.parse_args()
    data = replicated(args.rows)
    lucid = str(Path(sys.executable).with_name("lucidscore"))
    results: dict[str, object] = {
        "rows": args.rows,
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "load_before": os.getloadavg(),
    }
    local_model = WORK / "train_local.json"
    local, _ = run(
        [
            lucid,
            "train",
            str(data),
            "--target",
            TARGET,
            "--audit-columns",
            AUDIT,
            "--out",
            str(local_model),
        ]
    )
    results["local"] = local
    print("local", json.dumps(local), flush=True)
    for master in args.masters.split(","):
        model = WORK / f"train_spark_{master[6]}.json"
        outer, out = run(
            [sys.executable, "-c", CHILD, master, str(data), str(model), AUDIT, args.spark_memory]
        )
        inner = json.loads(out.strip().splitlines()[-1])
        figures = {
            "seconds": outer["seconds"],
            "cpu_seconds": inner["py_cpu"] + inner["jvm_cpu"],
            "peak_mib": inner["py_peak_mib"] + inner["jvm_peak_mib"],
            "driver_peak_mib": inner["py_peak_mib"],
            "jvm_peak_mib": inner["jvm_peak_mib"],
            "same_model_as_local": comparable(model) == comparable(local_model),
        }
        results[master] = figures
        print(master, json.dumps(figures), flush=True)
    results["load_after"] = os.getloadavg()
    results["self_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (WORK / "train_spark_results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
