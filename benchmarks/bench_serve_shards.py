"""Decisions served from a shard map against the same bureau in one database, side by side (issue 15).

``lucidscore serve --shards MAP`` answers each request from its consumer's shard: a consent token the
sharded service issued names its shard (``lct_s1.…``), and is read there alone; a token without a mark
(issued before marks) is looked up shard by shard until found. This measures what serving a map costs
against one database, with marked tokens and with unmarked ones, on the same data, in the same run. One
command (from the repository root; needs `wrk`: apt-get install wrk):

    .venv/bin/python benchmarks/bench_serve_shards.py --consumers 20000 --shards 2 --seconds 30 --rate 200

It writes a synthetic population with ``lucidscore synth`` under benchmarks/_work/ (git-ignored), trains a
model on its features, and loads the same records twice, each through the operator's commands: into one
SQLite database (``ingest --db``, ``model register|activate``, ``publish``, ``admin create merchant``) and
into a map of ``--shards`` SQLite databases (the same commands with ``--shards``). The same consumers
(the first 500 with a score) grant the merchant a consent in each deployment (in the map, twice: a token
marked with the consumer's shard, as ``serve --shards`` issues it, and one without a mark); then, for
each round and side (one database; the map with marked tokens; the map with unmarked tokens; the order
reversed every other round), a ``lucidscore serve`` process (one uvicorn worker) takes wrk's decisions:
paced at ``--rate`` for ``--seconds``, then unpaced for ``--burst-seconds`` (the ceiling). Prints one
JSON line per run, the load average before and after, and a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_api import CONNECTIONS, _server, _wrk

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-30"  # synth's default last day: the month published
TRAIN_AS_OF = "2025-06-30"  # features a year before, with the year's outcomes as the target
PRODUCT = "deposit_free_rental"
CONSENTS = 500


def _lucid(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lucidscore.cli.main", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"lucidscore {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def _api_key(out: str) -> str:
    found = re.search(r"api key, shown once: (\S+)", out)
    if found is None:
        raise SystemExit(f"no API key in: {out[-500:]}")
    return found.group(1)


def _build(work: Path, consumers: int, shards: int) -> dict[str, Any]:
    """The two deployments of one synthetic bureau, each made by the operator's commands."""
    raw, model = work / "raw", work / "model.json"
    if not (raw / "consumers.parquet").exists():
        _lucid("synth", "--out", str(raw), "--consumers", str(consumers), "--seed", "7")
    if not model.exists():
        features = work / "features.parquet"
        _lucid("features", "--data", str(raw), "--as-of", TRAIN_AS_OF, "--out", str(features))
        _lucid("train", str(features), "--target", "bad", "--out", str(model))
    model_id = json.loads(model.read_text())["model_id"]
    one = f"sqlite:///{work / 'one.db'}"
    smap = work / "shards.toml"
    smap.write_text("".join(f'[[shard]]\nurl = "sqlite:///s{i}.db"\n' for i in range(shards)))
    deployments: dict[str, Any] = {}
    for name, where in (("one database", ["--db", one]), (f"{shards} shards", ["--shards", str(smap)])):
        if name != "one database":
            _lucid("shards", "init", str(smap))
        _lucid("ingest", str(raw), *where)
        _lucid("model", "register", str(model), *where)
        _lucid("model", "activate", model_id, *where)
        _lucid("publish", *where, "--as-of", AS_OF)
        key = _api_key(_lucid("admin", "create", "merchant", "shop_bench", *where))
        deployments[name] = {"where": where, "key": key}
    return {"deployments": deployments, "one": one, "map": smap, "shards": shards}


def _consents(built: dict[str, Any], *, marked: bool) -> dict[str, list[str]]:
    """The same consumers' consents in each deployment (in each consumer's own shard for the map; their
    tokens marked with it when ``marked``, as a sharded service issues them)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from lucidscore.policy import default_catalogue
    from lucidscore.service import grant_consent
    from lucidscore.store import make_engine, shard_of
    from lucidscore.store.service import ScoreRecord

    one = make_engine(built["one"])
    with Session(one) as s:
        query = select(ScoreRecord.consumer_id).distinct().order_by(ScoreRecord.consumer_id).limit(CONSENTS)
        ids = list(s.scalars(query))
    one.dispose()
    n = built["shards"]
    folder = Path(built["map"]).parent
    shard_urls = [f"sqlite:///{folder / f's{i}.db'}" for i in range(n)]
    urls = {"one database": [built["one"]], f"{n} shards": shard_urls}
    tokens: dict[str, list[str]] = {}
    for name, deployment_urls in urls.items():
        engines = [make_engine(u) for u in deployment_urls]
        sessions = [Session(e) for e in engines]
        got = []
        for consumer_id in ids:
            index = shard_of(consumer_id, len(sessions))
            mark = index if marked and len(sessions) > 1 else None
            catalogue = default_catalogue()
            _, token = grant_consent(
                sessions[index], consumer_id, "shop_bench", PRODUCT, 30, catalogue, 365, shard=mark
            )
            got.append(token)
        for session in sessions:
            session.commit()
            session.close()
        for engine in engines:
            engine.dispose()
        tokens[name] = got
    return tokens


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux ``/proc``): what a decision costs the
    server, which the other work on a loaded machine changes far less than the rate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_blocks(
    built: dict[str, Any], sides: list[tuple[str, str, list[str]]], blocks: int
) -> dict[str, list[float]]:
    """CPU milliseconds per decision of each side, measured in this process (``time.process_time``: the
    app, the test client and SQLite, every thread), ``blocks`` times over every side's tokens, the sides
    alternating; other processes' work on a loaded machine moves CPU time far less than wall time."""
    from fastapi.testclient import TestClient

    from lucidscore.api import Settings, create_app

    apps = {
        "one database": create_app(Settings(db_url=built["one"], secret_key="bench")),
        f"{built['shards']} shards": create_app(Settings(shard_map=built["map"], secret_key="bench")),
    }
    out: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    with contextlib.ExitStack() as stack:
        clients = {name: stack.enter_context(TestClient(app)) for name, app in apps.items()}
        for block in range(blocks + 1):  # the first block warms up and is not kept
            for name, deployment, tokens in sides if block % 2 == 0 else list(reversed(sides)):
                client = clients[deployment]
                headers = {"X-API-Key": built["deployments"][deployment]["key"]}
                start = time.process_time()
                for token in tokens:
                    r = client.post(
                        "/v1/decisions", json={"consent_token": token, "product": PRODUCT}, headers=headers
                    )
                    if r.status_code != 200:
                        raise SystemExit(f"{name}: decision answered {r.status_code}: {r.text[:300]}")
                if block:
                    out[name].append((time.process_time() - start) * 1000 / len(tokens))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=20_000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--burst-seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--cpu-blocks",
        type=int,
        default=10,
        help="in-process CPU blocks per side after the wrk runs (0: none)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    if args.shards < 2:
        raise SystemExit(f"--shards {args.shards}: expected at least 2 (one database is the other side)")
    work = ROOT / "benchmarks" / "_work" / f"serve_shards_{args.consumers}_{args.shards}"
    for old in work.glob("*.db*"):  # the deployments are made again; the population and model are kept
        old.unlink()
    work.mkdir(parents=True, exist_ok=True)
    print(json.dumps({"load_before": os.getloadavg()}), flush=True)
    built = _build(work, args.consumers, args.shards)
    marked, unmarked = _consents(built, marked=True), _consents(built, marked=False)
    sharded = f"{args.shards} shards"
    sides = [  # (name shown, deployment, its tokens)
        ("one database", "one database", marked["one database"]),
        (f"{sharded}, marked tokens", sharded, marked[sharded]),
        (f"{sharded}, unmarked tokens", sharded, unmarked[sharded]),
    ]
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lucid-tokens-") as tmp:
        for i in range(args.rounds):
            for name, deployment, tokens in sides if i % 2 == 0 else reversed(sides):
                dep = built["deployments"][deployment]
                tokens_file = Path(tmp) / "tokens.txt"
                tokens_file.write_text("\n".join(tokens) + "\n")
                env = {"PYTHONPATH": str(ROOT / "src")}
                pids: list[int] = []
                with _server(built["one"], 1, env, dep["where"], pids.append) as base:
                    guess = round(CONNECTIONS * 1000 / args.rate)
                    warm = _wrk(base, "/v1/decisions", tokens_file, dep["key"], 3, guess)
                    paced = max(0, round(guess - (CONNECTIONS * 1000 / warm["rate_per_s"] - guess)))
                    modes = (("paced", args.seconds, paced), ("max", args.burst_seconds, 0))
                    for mode, seconds, delay in modes:
                        cpu = _cpu_seconds(pids[0])
                        result = _wrk(base, "/v1/decisions", tokens_file, dep["key"], seconds, delay)
                        cpu_ms = (_cpu_seconds(pids[0]) - cpu) * 1000 / max(1, result["requests"])
                        result |= {"deployment": name, "round": i + 1, "mode": mode}
                        result |= {"cpu_ms_per_request": round(cpu_ms, 3), "load_1min": os.getloadavg()[0]}
                        print(json.dumps(result), flush=True)
                        runs.append(result)
    cpu = _cpu_blocks(built, sides, args.cpu_blocks) if args.cpu_blocks else {}
    for name, values in cpu.items():
        print(json.dumps({"side": name, "cpu_ms_per_decision_in_process": [round(v, 3) for v in values]}))
    print(json.dumps({"load_after": os.getloadavg()}), flush=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"\n{stamp}, {os.cpu_count()} cores, {platform.machine()}, {args.consumers:,} consumers, "
        f"wrk 1 thread {CONNECTIONS} connections, one uvicorn worker\n"
    )
    print(
        "| deployment | round | load | requests/s | p50 ms | p99 ms | max ms | errors "
        "| server CPU ms/decision | load avg (1 min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        load = f"paced to {args.rate}/s" if r["mode"] == "paced" else "unpaced"
        print(
            f"| {r['deployment']} | {r['round']} | {load}, {r['duration_s']:.0f} s | {r['rate_per_s']:.0f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['errors_total']} | "
            f"{r['cpu_ms_per_request']:.2f} | {r['load_1min']:.1f} |"
        )
    print("\n| round | side | ceiling / one database's | CPU per decision / one database's |")
    print("|---|---|---|---|")
    for i in range(1, args.rounds + 1):
        ceiling = {r["deployment"]: r for r in runs if r["round"] == i and r["mode"] == "max"}
        base = ceiling["one database"]
        for name, r in ceiling.items():
            if name != "one database":
                print(
                    f"| {i} | {name} | {r['rate_per_s'] / base['rate_per_s']:.3f} | "
                    f"{r['cpu_ms_per_request'] / base['cpu_ms_per_request']:.3f} |"
                )
    if cpu:
        base = statistics.median(cpu["one database"])
        print(
            f"\nIn this process, CPU per decision over {args.cpu_blocks} blocks of {CONSENTS} decisions "
            "a side (median, min–max; the sides alternating):\n"
        )
        print("| side | CPU ms/decision | min–max | median / one database's | per block / one database's |")
        print("|---|---|---|---|---|")
        for name, values in cpu.items():
            median = statistics.median(values)
            paired = statistics.median(v / b for v, b in zip(values, cpu["one database"], strict=True))
            print(
                f"| {name} | {median:.3f} | {min(values):.3f}–{max(values):.3f} | {median / base:.3f} "
                f"| {paired:.3f} |"
            )
        names = list(cpu)
        if len(names) == 3:  # marked against unmarked tokens, block by block
            ratios = [m / u for m, u in zip(cpu[names[1]], cpu[names[2]], strict=True)]
            print(
                f"\n{names[1]} / {names[2]}, per block: median {statistics.median(ratios):.3f}, "
                f"lower in {sum(r < 1 for r in ratios)} of {len(ratios)} blocks"
            )


if __name__ == "__main__":
    main()
