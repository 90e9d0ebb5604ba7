"""Running a sharded publish again once its shards have finished (issue 15): what a finished shard costs
when the month stands and is not scored again, against scoring it again (``--full``: what every re-run
cost before).

One command (from the repository root):

    .venv/bin/python benchmarks/bench_resume.py --consumers 20000 --rounds 2

The bases are ``bench_shards.py``'s (two SQLite shards of the same synthetic population, model active;
built once under benchmarks/_work/shards/). Each round, in a fresh copy of them: the month published
(``publish --shards MAP --as-of M``, the first time), then the same command again (every shard's month
stands: checked, not scored), then again with ``--full`` (every shard scored again, nothing written). Each
is the real command in a child process: wall and CPU seconds of it and its descendants. The re-run and
``--full`` leave the same score history (checked).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rescore import MONTH
from bench_shards import WORK, _fresh, _lucid, _scores, build, header, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consumers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.consumers
    WORK.mkdir(parents=True, exist_ok=True)
    header()
    _, two, _ = build(n, args.seed)
    folder = WORK / "run_resume"
    shards = str(folder / "shards.toml")
    publish = _lucid("publish", "--shards", shards, "--as-of", MONTH)
    runs: list[dict[str, Any]] = []
    for r in range(args.rounds):
        _fresh(two, folder)
        for name, cmd in (
            ("first publish of the month", publish),
            ("the same command again (months stand: checked, not scored)", publish),
            ("again with --full (every shard scored again: what a re-run cost before)", [*publish, "--full"]),
        ):
            before = _scores(folder)
            result = run(cmd)
            if not name.startswith("first"):
                assert _scores(folder) == before, f"{name}: the score history changed"
                assert ("already published" in result["stdout"]) == ("--full" not in cmd), result["stdout"]
            row = {"round": r + 1, "run": name, "consumers": n, **result}
            row.pop("stdout")
            runs.append(row)
            print(json.dumps(row), flush=True)
    print("\n| round | run | consumers | wall s | CPU s | load |")
    print("|---|---|---|---|---|---|")
    for row in runs:
        figures = f"{row['wall_s']:.1f} | {row['cpu_s']:.1f}"
        load = f"{row['load_before']} → {row['load_after']}"
        print(f"| {row['round']} | {row['run']} | {row['consumers']:,} | {figures} | {load} |")


if __name__ == "__main__":
    main()
