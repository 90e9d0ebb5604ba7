"""Check that two builds of lucidscore write the same model file: a speed change must not change a model.

Command (from the repo root; BEFORE is another checkout's ``lucidscore``, e.g. main's):
    .venv/bin/python benchmarks/same_model.py --before /work/main/.venv/bin/lucidscore
        [--after .venv/bin/lucidscore] [--cases taiwan,taiwan_split,german,simulated,noisy_1m]
        [--reuse-before]

Each case runs ``lucidscore train`` with both executables on the same table and compares the two model
files after removing what depends on the moment and the output name (``created_at``, the date inside
``model_id``, ``content_hash``, which covers ``created_at``, and the held-out file's name). Tables:
taiwan_default.csv and german_credit.data from ../shared/data (LUCIDSCORE_DATA), the benchmark's simulated
table and the 1,000,000-row noisy Taiwan table (``bench_fit.py`` makes both in benchmarks/_work). Exit
status 1 and the first differing lines when any pair differs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_fit  # noqa: E402  (the data sets and generated tables of the fit benchmark)

TAIWAN_AUDIT = "SEX,EDUCATION,MARRIAGE,AGE"
GERMAN_AUDIT = "PERSONAL_STATUS_AND_SEX,AGE,FOREIGN"


def cases() -> dict[str, list[str]]:
    """Name -> ``train`` arguments (without ``--out``)."""
    simulated = bench_fit.all_sets()["simulated"][0]
    taiwan = str(bench_fit.DATA / "taiwan_default.csv")
    return {
        "taiwan": [taiwan, "--target", "default", "--audit-columns", TAIWAN_AUDIT],
        "taiwan_split": [
            taiwan,
            "--target",
            "default",
            "--audit-columns",
            TAIWAN_AUDIT,
            "--test-size",
            "0.3",
        ],
        "german": [
            str(bench_fit.DATA / "german_credit.data"),
            "--target",
            "CLASSIFICATION",
            "--bad-value",
            "0",
            "--audit-columns",
            GERMAN_AUDIT,
        ],
        "simulated": [str(simulated), "--target", "bad"],
        "noisy_1m": [
            str(bench_fit.replicated(1_000_000)),
            "--target",
            "default",
            "--audit-columns",
            TAIWAN_AUDIT,
        ],
    }


def normalised(path: Path) -> str:
    """The model file without what depends on the moment it ran or its name, pretty-printed."""
    model = json.loads(path.read_text())
    model["model_id"] = re.sub(r"^sc-\d{8}-", "sc-DATE-", model["model_id"])
    model.pop("created_at")
    model.pop("content_hash")
    split = model["training"].get("split") or {}
    if "heldout_file" in split:
        split["heldout_file"] = "HELDOUT"
    return json.dumps(model, indent=1, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", required=True, help="the lucidscore executable to compare against")
    parser.add_argument("--after", default=str(Path(sys.executable).with_name("lucidscore")))
    parser.add_argument("--cases", default=",".join(cases()))
    parser.add_argument(
        "--reuse-before", action="store_true", help="keep the before model files of an earlier run"
    )
    args = parser.parse_args()
    out = bench_fit.WORK / "same_model"
    out.mkdir(parents=True, exist_ok=True)
    known = cases()
    failed = []
    for name in args.cases.split(","):
        files = []
        for label, exe in (("before", args.before), ("after", args.after)):
            model = out / f"{name}.{label}.json"
            if label == "before" and args.reuse_before and model.exists():
                files.append(normalised(model))
                continue
            subprocess.run(
                [exe, "train", *known[name], "--out", str(model)],
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "COLUMNS": "200"},
            )
            files.append(normalised(model))
        if files[0] == files[1]:
            print(f"{name}: same model file ({len(files[0]):,} characters)", flush=True)
            continue
        failed.append(name)
        diff = difflib.unified_diff(files[0].splitlines(), files[1].splitlines(), "before", "after", n=1)
        print(f"{name}: DIFFERENT\n" + "\n".join(list(diff)[:40]), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
