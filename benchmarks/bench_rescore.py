"""A dispute accepted in the service rescores that consumer alone (issue 15): the latency of accepting a
dispute — correct the record, read that consumer's records, compute their features, score, explain, write
the score if it changed, keep the trail — at 100,000 and 1,000,000 consumers in SQLite; and the month's
publish that it rescores within.

One command per measurement (from the repository root):

    .venv/bin/python benchmarks/bench_rescore.py --consumers 100000
    .venv/bin/python benchmarks/bench_rescore.py --consumers 1000000 --disputes 300

The bureau is built once per size under benchmarks/_work/rescore/ (git-ignored; kept for the next run):
``lucidscore synth``, ``lucidscore ingest`` into SQLite, a scorecard trained on a sample of the
observation-date features, ``lucidscore model register`` / ``activate``, and ``lucidscore publish`` of the
last simulated month (timed: the monthly publish at that size). Each step is a child process; its wall
time and peak resident memory are reported.

The measurement runs in one warm process, as the service does: for ``--disputes`` consumers drawn at
random (seeded), each with a consumer account, a dispute is opened on their latest statement and accepted
with a correction (days past due 0, paid in full) through ``lucidscore.service.accept_dispute`` with the
service's ``PipelineRescorer`` — the whole accept is timed, and the rescoring inside it alone. The first
accept (numba's compiled kernels load) is reported apart from the percentiles.
Prints one JSON line per step and a Markdown table for BENCHMARKS.md, with the load average around it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "rescore"
MONTH = "2026-06-30"  # the last simulated month of synth's default --end: the month published
TRAIN_ROWS = 50_000

_TRAIN = """
import sys
from datetime import date
from pathlib import Path
import polars as pl
from lucidscore.features import FEATURE_CATALOGUE, compute_features
from lucidscore.model import train_scorecard
from lucidscore.artifact import Condition
data, out, rows = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
ids = pl.read_parquet(data / "consumers.parquet", columns=["consumer_id"]).head(rows)["consumer_id"].to_list()
frame = compute_features(data, date(2025, 6, 30), consumer_ids=ids).to_pandas()
art = train_scorecard(frame.drop(columns=["consumer_id"]), "bad", segment_rule=Condition(
    column="thin_file", op="==", value=1.0), feature_meta=dict(FEATURE_CATALOGUE), segment_search=False)
art.with_hash().save(out)
print(art.model_id)
"""

_MEASURE = """
import json, random, sys, time
from sqlalchemy import text
from sqlalchemy.orm import Session
from lucidscore.service import (PipelineRescorer, accept_dispute, active_model, create_user, open_dispute)
from lucidscore.store import make_engine
url, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
engine = make_engine(url)
rng = random.Random(seed)
with engine.connect() as conn:
    total = conn.execute(text("SELECT count(*) FROM consumers_current")).scalar_one()
    chosen = []
    while len(chosen) < n:
        cid = f"C{rng.randrange(total):08d}"
        row = conn.execute(text(
            "SELECT s.account_id, s.period, s.amount_due FROM statements_current s "
            "JOIN accounts_current a ON a.account_id = s.account_id WHERE a.consumer_id = :c "
            "ORDER BY s.days_past_due DESC, s.period DESC LIMIT 1"), {"c": cid}).first()
        if row is not None and cid not in [c for c, _ in chosen]:
            chosen.append((cid, row))
run = f"{int(time.time())}"
with Session(engine, expire_on_commit=False) as s:
    analyst = create_user(s, f"bench-analyst-{run}", "analyst", "x" * 12)
    users = {cid: create_user(s, f"b{run}-{cid}", "consumer", "x" * 12) for cid, _ in chosen}
    s.commit()
# Consumer accounts point at their consumer (unique): reuse one left by an earlier run, if any.
with engine.begin() as conn:
    for cid, _ in chosen:
        conn.execute(text("UPDATE users SET consumer_id = NULL WHERE consumer_id = :c"), {"c": cid})
        conn.execute(text("UPDATE users SET consumer_id = :c WHERE id = :i"), {"c": cid, "i": users[cid].id})


class Timed(PipelineRescorer):
    last = 0.0
    def rescore_consumer(self, session, consumer_id, model):
        started = time.perf_counter()
        try:
            return super().rescore_consumer(session, consumer_id, model)
        finally:
            Timed.last = time.perf_counter() - started


rescorer = Timed(url)
COUNT = text("SELECT count(*) FROM score_history WHERE consumer_id = :c")
accept, rescore, changed = [], [], 0
for cid, (account, period, due) in chosen:
    with Session(engine, expire_on_commit=False) as s:
        consumer = s.get(type(users[cid]), users[cid].id)
        dispute = open_dispute(s, consumer, "statements", f"{account}|{period}", "I paid on time")
        s.commit()
        before = s.execute(COUNT, {"c": cid}).scalar_one()
        started = time.perf_counter()
        accept_dispute(s, rescorer, dispute, analyst, {"days_past_due": 0, "amount_paid": due}, "bench")
        accept.append(time.perf_counter() - started)
        rescore.append(Timed.last)
        after = s.execute(COUNT, {"c": cid}).scalar_one()
        changed += after - before
engine.dispose()


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


warm_a, warm_r = accept[1:], rescore[1:]
print(json.dumps({
    "disputes": n, "first_accept_s": accept[0], "first_rescore_s": rescore[0],
    "accept_p50_s": pct(warm_a, 50), "accept_p90_s": pct(warm_a, 90), "accept_p99_s": pct(warm_a, 99),
    "accept_max_s": max(warm_a), "rescore_p50_s": pct(warm_r, 50), "rescore_p99_s": pct(warm_r, 99),
    "rescore_max_s": max(warm_r), "score_rows_added": changed,
}))
"""


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants (from /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{p}/task/{p}/children") as fh:
                stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def _child(args: list[str]) -> dict[str, Any]:
    """Run ``args`` with this tree's sources first on the path; wall time, peak tree memory, stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"seconds": time.perf_counter() - started, "peak_gb": peak[0] / 2**30, "stdout": out.strip()}


def _lucid(*args: str) -> list[str]:
    return [sys.executable, "-m", "lucidscore.cli.main", *args]


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--consumers", type=int, default=100_000)
    parser.add_argument("--disputes", type=int, default=200, help="disputes accepted and timed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk-consumers", type=int, default=20_000, help="publish's chunk size")
    args = parser.parse_args()
    n = args.consumers
    WORK.mkdir(parents=True, exist_ok=True)
    data, db = WORK / f"data_{n}", WORK / f"bureau_{n}.db"
    url = f"sqlite:///{db}"
    steps: list[tuple[str, dict[str, Any]]] = []

    def record(label: str, result: dict[str, Any]) -> None:
        steps.append((label, result))
        print(json.dumps({"step": label, **{k: v for k, v in result.items() if k != "stdout"}}), flush=True)

    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, load {_load()}"
    )
    if not (data / "statements.parquet").exists():
        record(
            f"synth {n:,}",
            _child(_lucid("synth", "--consumers", str(n), "--seed", str(args.seed), "--out", str(data))),
        )
    if not db.exists():
        record(f"ingest {n:,} into SQLite", _child(_lucid("ingest", str(data), "--db", url, "--no-progress")))
    model = WORK / f"model_{n}.json"
    if not model.exists():
        record(
            f"train on {TRAIN_ROWS:,} of them",
            _child([sys.executable, "-c", _TRAIN, str(data), str(model), str(TRAIN_ROWS)]),
        )
    listed = _child(_lucid("model", "list", "--db", url))["stdout"]
    if "active" not in listed:
        _child(_lucid("model", "register", str(model), "--db", url))
        model_id = json.loads(model.read_text())["model_id"]
        _child(_lucid("model", "activate", model_id, "--db", url))
    if MONTH not in _child(_lucid("model", "list", "--db", url))["stdout"]:
        result = _child(
            _lucid("publish", "--db", url, "--as-of", MONTH, "--chunk-consumers", str(args.chunk_consumers))
        )
        record(f"publish {MONTH} for {n:,} consumers (4 reasons, recourse)", result)
        print(result["stdout"].splitlines()[-1], flush=True)
    before = _load()
    result = _child([sys.executable, "-c", _MEASURE, url, str(args.disputes), str(args.seed)])
    figures = json.loads(result["stdout"].splitlines()[-1])
    record(f"accept {args.disputes} disputes at {n:,} consumers", result | figures)
    print(f"\nload average before {before}, after {_load()}")
    print(
        "\n| consumers | disputes | accept p50 | accept p90 | accept p99 | accept max | rescore p50 | "
        "rescore p99 | first accept | score rows added |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    ms = {k: f"{v * 1000:.0f} ms" for k, v in figures.items() if k.endswith("_s")}
    print(
        f"| {n:,} | {figures['disputes']} | {ms['accept_p50_s']} | {ms['accept_p90_s']} | "
        f"{ms['accept_p99_s']} | {ms['accept_max_s']} | {ms['rescore_p50_s']} | {ms['rescore_p99_s']} | "
        f"{figures['first_accept_s']:.1f} s | {figures['score_rows_added']} |"
    )


if __name__ == "__main__":
    main()
