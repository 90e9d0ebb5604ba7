"""Publish across processes (issue 15): the same population published as one SQLite database by one process
and as two SQLite shards by two processes at once (``lucidscore publish --shards MAP --jobs 2``).

One command (from the repository root):

    .venv/bin/python benchmarks/bench_shards.py --consumers 40000 --rounds 2

Built once per size under benchmarks/_work/shards/ (git-ignored, kept for the next run): ``lucidscore
synth``, a scorecard trained on a sample of the observation-date features (as ``bench_rescore.py``), then
two bases: ``one/one.db`` (``lucidscore ingest --db``) and ``two/s0.db``, ``two/s1.db`` (``lucidscore shards
init`` and ``lucidscore ingest --shards --jobs 2``, timed as well), each with the model registered and
activated. Each round publishes the last simulated month into fresh copies of both bases (the shard map
uses relative paths, so a copied folder is the same map), one variant after the other, alternating which
goes first so that both meet the same machine load. Every run is the real command in a child process: wall
seconds, and CPU seconds of the child and all its descendants (``RUSAGE_CHILDREN``: the shard processes
included), consumers per wall second and per CPU second, with the load average before and after. At the end
the two variants' published scores are compared consumer by consumer (they must be equal).
Prints one JSON line per run and a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rescore import _TRAIN, MONTH

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "shards"
TRAIN_ROWS = 20_000
MAP = '[[shard]]\nurl = "sqlite:///s0.db"\n\n[[shard]]\nurl = "sqlite:///s1.db"\n'


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def header() -> None:
    """The run's first line: when, where, which commit, and the load as it starts."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, commit {commit.stdout.strip()}, load {_load()}",
        flush=True,
    )


def _lucid(*args: str) -> list[str]:
    return [sys.executable, "-m", "lucidscore.cli.main", *args]


def run(cmd: list[str]) -> dict[str, Any]:
    """Run a child to the end: wall and CPU seconds (it and every descendant it waited for), its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "160"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = _load()
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "max_rss_gb": round(after.ru_maxrss / 2**20, 2),  # the largest single process so far (KiB -> GiB)
        "load_before": load,
        "load_after": _load(),
        "stdout": proc.stdout,
    }


def _copy_db(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def _fresh(base: Path, target: Path) -> None:
    """A copy of a base folder: its databases (backup API) and its map."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for db in base.glob("*.db"):
        _copy_db(db, target / db.name)
    for extra in base.glob("*.toml"):
        shutil.copy(extra, target / extra.name)


def _scores(folder: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for db in sorted(folder.glob("*.db")):
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT consumer_id, score FROM score_history WHERE as_of = ? ORDER BY id", (MONTH,)
            ).fetchall()
        for consumer, score in rows:
            assert consumer not in out or db.name == "one.db", f"{consumer} in two shards"
            out[consumer] = int(score)
    return out


def build(n: int, seed: int) -> tuple[Path, Path, dict[str, dict[str, Any]]]:
    """The two bases of ``n`` consumers (built once) and the timings of the steps run now."""
    steps: dict[str, dict[str, Any]] = {}
    data = WORK / f"data_{n}"
    if not (data / "statements.parquet").exists():
        steps["synth"] = run(_lucid("synth", "--consumers", str(n), "--seed", str(seed), "--out", str(data)))
    model = WORK / f"model_{n}.json"
    if not model.exists():
        steps["train"] = run([sys.executable, "-c", _TRAIN, str(data), str(model), str(min(n, TRAIN_ROWS))])
    model_id = json.loads(model.read_text())["model_id"]
    one, two = WORK / f"one_{n}", WORK / f"two_{n}"
    if not (one / "one.db").exists():
        shutil.rmtree(one, ignore_errors=True)
        one.mkdir(parents=True)
        url = f"sqlite:///{one / 'one.db'}"
        steps["ingest one database"] = run(_lucid("ingest", str(data), "--db", url, "--no-progress"))
        run(_lucid("model", "register", str(model), "--db", url))
        run(_lucid("model", "activate", model_id, "--db", url))
    if not (two / "s1.db").exists():
        shutil.rmtree(two, ignore_errors=True)
        two.mkdir(parents=True)
        (two / "shards.toml").write_text(MAP, "utf-8")
        shards = str(two / "shards.toml")
        run(_lucid("shards", "init", shards))
        steps["ingest two shards (--jobs 2)"] = run(
            _lucid("ingest", str(data), "--shards", shards, "--jobs", "2", "--no-progress")
        )
        run(_lucid("model", "register", str(model), "--shards", shards))
        run(_lucid("model", "activate", model_id, "--shards", shards))
    return one, two, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consumers", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (one database, two shards)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.consumers
    WORK.mkdir(parents=True, exist_ok=True)
    header()
    one, two, steps = build(n, args.seed)
    for label, result in steps.items():
        print(json.dumps({"step": label, **{k: v for k, v in result.items() if k != "stdout"}}), flush=True)
    runs: list[dict[str, Any]] = []
    variants = {
        "one database, one process": lambda: run(
            _lucid("publish", "--db", f"sqlite:///{WORK / 'run_one' / 'one.db'}", "--as-of", MONTH)
        ),
        "two shards, two processes (--jobs 2)": lambda: run(
            _lucid(
                "publish", "--shards", str(WORK / "run_two" / "shards.toml"), "--as-of", MONTH, "--jobs", "2"
            )
        ),
    }
    names = list(variants)
    for r in range(args.rounds):
        _fresh(one, WORK / "run_one")  # each variant publishes into its own copy once per round
        _fresh(two, WORK / "run_two")
        for name in names if r % 2 == 0 else names[::-1]:
            result = variants[name]()
            row = {"round": r + 1, "variant": name, "consumers": n, **result}
            row["consumers_per_s"] = round(n / result["wall_s"])
            row["consumers_per_cpu_s"] = round(n / result["cpu_s"])
            row.pop("stdout")
            runs.append(row)
            print(json.dumps(row), flush=True)
    same = _scores(WORK / "run_one") == _scores(WORK / "run_two")
    print(f"\nscores equal consumer by consumer: {same}")
    if not same:
        raise SystemExit("the two deployments published different scores")
    print("\n| round | variant | consumers | wall s | CPU s | consumers/s | consumers/CPU s | load |")
    print("|---|---|---|---|---|---|---|---|")
    for row in runs:
        figures = f"{row['wall_s']:.1f} | {row['cpu_s']:.1f} | {row['consumers_per_s']:,}"
        print(
            f"| {row['round']} | {row['variant']} | {row['consumers']:,} | {figures} "
            f"| {row['consumers_per_cpu_s']:,} | {row['load_before']} → {row['load_after']} |"
        )
    for label, result in steps.items():
        load = f"{result['load_before']} → {result['load_after']}"
        print(f"| build | {label} | {n:,} | {result['wall_s']:.1f} | {result['cpu_s']:.1f} | | | {load} |")


if __name__ == "__main__":
    main()
