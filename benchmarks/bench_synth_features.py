"""Synthetic population and point-in-time features at scale: wall time and peak memory of each step.

One command (from the repository root):

    .venv/bin/python benchmarks/bench_synth_features.py --consumers 1000000

Step 1 writes the population with ``lucidscore.synth.generate_population`` (Parquet, under
benchmarks/_work/synth_features/, git-ignored; ``--reuse`` keeps an existing one). Step 2 computes the
features as of the observation date from those Parquet files with ``compute_features`` and writes them
with ``write_features``. Each step runs in a fresh child process that reports its own peak RSS. Then the
small fast path the demo uses: 20,000 consumers, synth and features from Parquet, and features from a
SQLite database loaded by ``lucidscore ingest`` (loading not timed here: see bench_ingest.py).
Prints one JSON line per step and a Markdown table for BENCHMARKS.md. Goal: features of 1,000,000
consumers (about 50 million statement rows) in at most 120 s and 6 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "synth_features"

_SYNTH = """
import json, resource, sys, time
from pathlib import Path
from lucidscore.synth import generate_population
started = time.perf_counter()
s = generate_population(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "rows": s.rows, "bad_rate": s.bad_rate}))
"""

_FEATURES = """
import json, resource, sys, time
from datetime import date
from lucidscore.features import compute_features, write_features
started = time.perf_counter()
frame = compute_features(sys.argv[1], date.fromisoformat(sys.argv[2]))
computed = time.perf_counter() - started
write_features(frame, sys.argv[3])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "compute_seconds": computed, "peak_rss_mb": peak,
                  "rows": frame.height, "columns": frame.width}))
"""

_INGEST = """
import sys
from lucidscore.ingest import ingest_directory
ingest_directory(sys.argv[1], sys.argv[2])
"""


def _child(code: str, *args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _synth(n: int, seed: int, data: Path, reuse: bool) -> dict[str, object] | None:
    if reuse and (data / "outcomes.parquet").exists():
        return None
    shutil.rmtree(data, ignore_errors=True)
    return _child(_SYNTH, str(n), str(seed), str(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--consumers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep an existing population")
    parser.add_argument("--skip-small", action="store_true", help="skip the 20,000-consumer fast path")
    args = parser.parse_args()
    as_of = "2025-06-30"  # the observation date of the default --end 2026-06-30
    results: list[tuple[str, dict[str, object]]] = []

    data = WORK / f"data_{args.consumers}"
    synth = _synth(args.consumers, args.seed, data, args.reuse)
    if synth is not None:
        results.append((f"synth {args.consumers:,} consumers (Parquet)", synth))
        print(json.dumps({"step": "synth", **synth}), flush=True)
    features = _child(_FEATURES, str(data), as_of, str(WORK / f"features_{args.consumers}.parquet"))
    results.append((f"features {args.consumers:,} consumers from Parquet", features))
    print(json.dumps({"step": "features", **features}), flush=True)

    if not args.skip_small:
        small = WORK / "data_20000"
        synth_small = _synth(20_000, args.seed, small, reuse=False)
        assert synth_small is not None
        results.append(("synth 20,000 consumers (Parquet)", synth_small))
        results.append(
            ("features 20,000 from Parquet", _child(_FEATURES, str(small), as_of, str(WORK / "f20k.parquet")))
        )
        db = WORK / "small.db"
        db.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-c", _INGEST, str(small), f"sqlite:///{db}"], check=True)
        results.append(
            (
                "features 20,000 from SQLite",
                _child(_FEATURES, f"sqlite:///{db}", as_of, str(WORK / "f.parquet")),
            )
        )

    machine = f"{platform.machine()}, 2 cores, 24 GB"
    print(f"\nMeasured {datetime.now(UTC).date()} on {machine}, Python {platform.python_version()}.\n")
    print("| step | rows | wall time | peak memory |")
    print("|---|---|---|---|")
    for label, r in results:
        rows = r["rows"]
        count = sum(rows.values()) if isinstance(rows, dict) else rows
        detail = f" ({rows['statements']:,} statements)" if isinstance(rows, dict) else ""
        peak_gb = float(r["peak_rss_mb"]) / 1024  # type: ignore[arg-type]
        print(f"| {label} | {count:,}{detail} | {r['seconds']:.1f} s | {peak_gb:.2f} GB |")


if __name__ == "__main__":
    main()
