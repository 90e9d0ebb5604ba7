"""Scorecard fitting: accuracy against a glass-box model, scorecard libraries and a black box, and
whole-process fit speed/memory against optbinning, in one run.

Command (from the repo root; the anchors live in their own virtualenv, see docs/model.md):
    .venv/bin/python benchmarks/bench_fit.py [--only quality|cv|scale|tune|search|interactions]
        [--repeat 3] [--cv-repeats 2] [--big-rows 10000000] [--no-big-anchor]
        [--cv-sets taiwan,german,simulated] [--cv-libs ebm,optbinning,toad,lightgbm]

Quality: stratified 70/30 split, seed 0, of taiwan_default.csv and german_credit.data (protected columns
to the audit), plus a simulated credit table none of the defaults were tuned on; test AUC and fit seconds
of lucidscore, InterpretML's ExplainableBoostingClassifier (defaults, random_state 0), optbinning, toad
and LightGBM (defaults, random_state 0; the black-box reference). CV: repeated stratified 4-fold cross-
validation inside the 70% training part only, the same folds for every library. Scale: the Taiwan training
rows replicated to 1,000,000 rows with Gaussian noise of 1% of each column's standard deviation on every
numeric column; ``lucidscore train`` as a whole process (start, read Parquet, fit with the segment search,
write the model) against a whole optbinning process (start, read Parquet, ``BinningProcess`` +
``Scorecard.fit``), interleaved, best of ``--repeat``, with each process's peak RSS; then each once at
``--big-rows`` rows (optbinning too unless ``--no-big-anchor``). Tune (``--only tune``): how the defaults
were chosen, by repeated stratified cross-validation inside the 70% training parts only (the test split is
never read) and on a population of the synthetic bureau. Search (``--only search``): whether the segment
search helps on fresh rows of generated tables. Interactions (``--only interactions``): how much test and
CV AUC the pairwise-interaction prototype (``lucidscore.model._interactions``) would add. Results are
printed and saved to benchmarks/_work/fit_results.json.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LUCIDSCORE_DATA", ROOT / ".." / "shared" / "data"))  # a worktree may set it
WORK = ROOT / "benchmarks" / "_work"
ANCHOR_PY = WORK / "anchors-venv" / "bin" / "python"
ANCHOR = ROOT / "benchmarks" / "anchors" / "run_anchor.py"
# lucidscore as shipped (defaults), without the segment search (always one card), without refinement.
VARIANTS = {
    "lucidscore": "{}",
    "lucidscore_one_card": '{"segment_search": false}',
    "lucidscore_unrefined": '{"refine": false}',
}
CV_VARIANTS = {"lucidscore": "{}", "lucidscore_unrefined": '{"refine": false}'}
# The anchors, run in their own virtualenv: the glass-box reference, two scorecard libraries, a black box.
LIBS = ["ebm", "optbinning", "toad", "lightgbm"]
ANCHOR_PINS = "optbinning==1.0.0 toad==0.1.7 interpret-core==0.7.8 lightgbm==4.7.0 pyarrow==26.0.1"
SETS = {
    "taiwan": (DATA / "taiwan_default.csv", "default", "", "SEX,EDUCATION,MARRIAGE,AGE"),
    "german": (DATA / "german_credit.data", "CLASSIFICATION", "0", "PERSONAL_STATUS_AND_SEX,AGE,FOREIGN"),
}


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, sep=r"\s+" if path.suffix == ".data" else ",")


def simulated(n: int = 20000, seed: int = 7) -> pd.DataFrame:
    """A credit-like table with non-linear effects, missing values and bureau codes (-8)."""
    rng = np.random.default_rng(seed)
    util = rng.beta(2, 3, n)
    months_late = rng.poisson(0.4, n).astype(float)
    income = rng.lognormal(10, 0.5, n)
    tenure = rng.integers(0, 240, n).astype(float)
    inquiries = rng.poisson(1.2, n).astype(float)
    rent_on_time = rng.beta(5, 1, n)
    region = rng.choice(["north", "south", "east", "west", "centre"], n)
    logit = (
        -2.2 + 2.5 * (util - 0.4) ** 2 * 4 + 0.8 * months_late - 0.5 * np.log(income / 22000)
        - 0.004 * tenure + 0.25 * inquiries - 1.5 * (rent_on_time - 0.8)
        + np.where(region == "east", 0.3, 0.0)
    )  # fmt: skip
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    income[rng.random(n) < 0.08] = np.nan
    tenure[rng.random(n) < 0.03] = -8.0
    noise = rng.normal(size=n)
    return pd.DataFrame(
        {
            "utilisation": util,
            "months_late": months_late,
            "income": income,
            "tenure_months": tenure,
            "inquiries_6m": inquiries,
            "rent_on_time_share": rent_on_time,
            "region": region,
            "noise": noise,
            "bad": bad,
        }
    )


def all_sets() -> dict[str, tuple[Path, str, str, str]]:
    """``SETS`` plus the simulated table: name -> (file, target column, bad value, audit columns). Writes
    the simulated table to ``WORK`` the first time."""
    sim = WORK / "simulated.csv"
    if not sim.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        simulated().to_csv(sim, index=False)
    return {**SETS, "simulated": (sim, "bad", "", "")}


@dataclass(frozen=True)
class CardSet:
    """One data set read for the accuracy benchmarks: its rows, the 0/1 label (1 = bad) and the arguments
    lucidscore's ``Scorecard`` needs for it."""

    name: str
    path: Path
    frame: pd.DataFrame
    target: str
    audit: str  # comma-separated, as the anchors take it
    bad: str  # the bad value as text; "" means 1
    x: pd.DataFrame = field(repr=False)
    y: np.ndarray = field(repr=False)

    @property
    def audit_columns(self) -> list[str]:
        return [c for c in self.audit.split(",") if c]

    @property
    def bad_value(self) -> float | None:
        return float(self.bad) if self.bad else None


def load_set(name: str) -> CardSet:
    """Read one of ``all_sets()`` by name."""
    path, target, bad, audit = all_sets()[name]
    frame = read(path)
    y = (frame[target].astype(str) == (bad or "1")).to_numpy(dtype=int)
    return CardSet(name, path, frame, target, audit, bad, frame.drop(columns=[target]), y)


def fit_card(data: CardSet, rows: np.ndarray, **params: Any) -> tuple[Any, float]:
    """lucidscore's card (``Scorecard(**params)``, defaults otherwise) fitted on the rows at ``rows``, and
    the CPU seconds the fit took."""
    from lucidscore.model import Scorecard

    card = Scorecard(audit_columns=data.audit_columns, bad_value=data.bad_value, **params)
    start = time.process_time()
    card.fit(data.x.iloc[rows], data.frame[data.target].iloc[rows])
    return card, time.process_time() - start


def split(y: np.ndarray, name: str) -> Path:
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=y)
    path = WORK / f"split_{name}.npz"
    np.savez(path, train=np.sort(train), test=np.sort(test))
    return path


def ours(
    data: Path, target: str, bad: str, audit: str, split_path: Path, params: dict[str, object]
) -> dict[str, float | None]:
    """Fit lucidscore on the split in this process's child; AUC on test from the 350-950 scores."""
    from lucidscore.model import Scorecard

    frame = read(data)
    idx = np.load(split_path)
    y = frame[target]
    x = frame.drop(columns=[target])
    card = Scorecard(
        audit_columns=[c for c in audit.split(",") if c],
        bad_value=float(bad) if bad else None,
        **params,  # type: ignore[arg-type]
    )
    start, cpu = time.perf_counter(), time.process_time()
    card.fit(x.iloc[idx["train"]], y.iloc[idx["train"]])
    fit_seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    auc = None
    if len(idx["test"]):
        yb = (y.iloc[idx["test"]] == (float(bad) if bad else 1)).to_numpy(dtype=int)
        scores = card.score_table(x.iloc[idx["test"]])["score"].to_numpy()
        auc = float(roc_auc_score(yb, -scores))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"test_auc": auc, "fit_seconds": fit_seconds, "cpu_seconds": cpu_seconds, "peak_rss_mib": peak}


def run_child(args: list[str], python: Path | str = sys.executable) -> dict[str, float | None]:
    out = subprocess.run([str(python), *args], capture_output=True, text=True, check=False, timeout=3600)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{args[0]} failed: {out.stderr[-2000:]}")
    return json.loads(lines[-1])


def compare(name: str, data: Path, target: str, bad: str, audit: str, libs: list[str]) -> dict[str, object]:
    """Test AUC and fit seconds of every library on the 70/30 split (seed 0)."""
    frame = read(data)
    y = (frame[target].astype(str) == (bad or "1")).to_numpy(dtype=int)
    split_path = split(y, name)
    row: dict[str, object] = {"rows": len(frame)}
    for label, params in VARIANTS.items():
        row[label] = run_child([__file__, "--child", str(data), target, bad, audit, str(split_path), params])
    for lib in libs:
        row[lib] = run_child([str(ANCHOR), lib, str(data), target, bad, audit, str(split_path)], ANCHOR_PY)
    return row


def cv_folds(name: str, y: np.ndarray, folds: int, repeats: int) -> list[Path]:
    """Repeated stratified folds of the 70% training part only (seeds 1..repeats), as split files."""
    from sklearn.model_selection import StratifiedKFold

    train = np.load(split(y, name))["train"]
    paths: list[Path] = []
    for rep in range(repeats):
        kfold = StratifiedKFold(folds, shuffle=True, random_state=1 + rep)
        for i, (a, b) in enumerate(kfold.split(train, y[train])):
            path = WORK / f"cv_{name}_{rep}_{i}.npz"
            np.savez(path, train=train[a], test=train[b])
            paths.append(path)
    return paths


def cross_validate(
    name: str,
    data: Path,
    target: str,
    bad: str,
    audit: str,
    libs: list[str],
    folds: int = 4,
    repeats: int = 2,
) -> dict[str, object]:
    """Mean AUC and fit seconds over repeated stratified folds of the 70% training part (steadier than
    one split); every library sees the same folds."""
    frame = read(data)
    y = (frame[target].astype(str) == (bad or "1")).to_numpy(dtype=int)
    runs: dict[str, list[dict[str, float | None]]] = {
        **{label: [] for label in CV_VARIANTS},
        **{lib: [] for lib in libs},
    }
    for path in cv_folds(name, y, folds, repeats):
        for label, params in CV_VARIANTS.items():
            runs[label].append(
                run_child([__file__, "--child", str(data), target, bad, audit, str(path), params])
            )
        for lib in libs:
            runs[lib].append(
                run_child([str(ANCHOR), lib, str(data), target, bad, audit, str(path)], ANCHOR_PY)
            )
    out: dict[str, object] = {"folds": folds, "repeats": repeats}
    for lib, got in runs.items():
        aucs = [float(r["test_auc"] or 0) for r in got]
        out[lib] = {
            "auc": float(np.mean(aucs)),
            "fold_aucs": [round(a, 5) for a in aucs],
            "auc_sd": float(np.std(aucs, ddof=1)),
            "fit_seconds": float(np.mean([float(r["fit_seconds"] or 0) for r in got])),
        }
    return out


# Candidate settings compared by ``--only tune`` (lucidscore parameters; {} = the shipped defaults).
TUNE_GRID: dict[str, dict[str, object]] = {
    "defaults": {},
    "segment_search=False": {"segment_search": False},
    "n_prebins=20": {"n_prebins": 20},
    "n_prebins=40": {"n_prebins": 40},
    "n_prebins=50": {"n_prebins": 50},
    "max_bins=10": {"max_bins": 10},
    "min_bin_share=0.03": {"min_bin_share": 0.03},
    "min_bin_share=0.02": {"min_bin_share": 0.02},
    "regularization=0.1": {"regularization": 0.1},
    "regularization=10": {"regularization": 10.0},
    "iv_threshold=0.01": {"iv_threshold": 0.01},
    "max_correlation=0.9": {"max_correlation": 0.9},
    "monotonic_trend=auto_monotone": {"monotonic_trend": "auto_monotone"},
    "monotonic_trend=none": {"monotonic_trend": "none"},
    "shape_search=False": {"shape_search": False},
    "woe_prior=0.25": {"woe_prior": 0.25},
    "woe_prior=8": {"woe_prior": 8.0},
}


def tuning_sets() -> dict[str, tuple[pd.DataFrame, np.ndarray, dict[str, object], int]]:
    """Training parts (70%, split seed 0) of the public sets and a synthetic-bureau population:
    features, 0/1 target, fixed Scorecard arguments, CV repetitions (more for the small German set)."""
    from datetime import date

    from lucidscore.features import compute_features
    from lucidscore.synth import generate_population

    sets: dict[str, tuple[pd.DataFrame, np.ndarray, dict[str, object], int]] = {}
    for name, (data, target, bad, audit) in SETS.items():
        frame = read(data)
        y = (frame[target].astype(str) == (bad or "1")).to_numpy(dtype=int)
        train = np.load(split(y, name))["train"]
        part = frame.iloc[train].reset_index(drop=True)
        fixed: dict[str, object] = {"audit_columns": audit.split(",")}  # y is already 1 = bad
        sets[name] = (part.drop(columns=[target]), y[train], fixed, 6 if len(part) < 5000 else 2)
    pop = WORK / "tune_population"
    if not (pop / "outcomes.parquet").exists():
        generate_population(20000, seed=11, out_dir=pop)
    feats = compute_features(pop, date(2025, 6, 30)).to_pandas()
    sets["synthetic_bureau"] = (feats.drop(columns=["bad", "consumer_id"]), feats["bad"].to_numpy(int), {}, 2)
    return sets


def log_odds_bad(segments: list, frame: pd.DataFrame) -> np.ndarray:  # type: ignore[type-arg]
    """Each row's unrounded log-odds of bad from its segment's regression (what the points round)."""
    from lucidscore.artifact import bin_index, segment_of_rows

    seg_of = segment_of_rows(segments, frame)
    out = np.zeros(len(frame))
    for i, seg in enumerate(segments):
        rows = seg_of == i
        part = frame.loc[rows]
        z = np.full(int(rows.sum()), seg.intercept)
        for ch in seg.characteristics:
            z += ch.coefficient * np.array([bin.woe for bin in ch.bins])[bin_index(ch, part[ch.name])]
        out[rows] = z
    return out


def search_check(fresh_rows: int = 100_000) -> dict[str, object]:
    """Does the segment search help on rows it never saw? Generated tables with and without a real
    interaction: fit with the search and without (one card), AUC of each on fresh rows of the same
    generator. Nothing here is tuned on the public data sets' test splits."""
    from lucidscore.model import Scorecard

    sys.path.insert(0, str(ROOT))  # the same two-population generator the segment-search tests use
    from tests.model._sim import two_populations

    cases = [("simulated", n, seed) for n in (8000, 20000) for seed in range(1, 7)]
    cases += [("interaction", 8000, seed) for seed in range(1, 4)]
    out: dict[str, object] = {}
    for kind, n, seed in cases:
        make = simulated if kind == "simulated" else two_populations
        table, fresh = make(n, seed), make(fresh_rows, 1000 + seed)
        x, y, fx = table.drop(columns=["bad"]), table["bad"], fresh.drop(columns=["bad"])
        on = Scorecard().fit(x, y)
        one = Scorecard(segment_search=False).fit(x, y)
        auc_on = float(roc_auc_score(fresh["bad"], -on.score(fx)["score"]))
        auc_one = float(roc_auc_score(fresh["bad"], -one.score(fx)["score"]))
        split = on.artifact_.segments[0].name if len(on.artifact_.segments) > 1 else None
        out[f"{kind}_{n}_{seed}"] = {"split": split, "auc_search": auc_on, "auc_one_card": auc_one}
        print(
            f"{kind:12s} n={n:6d} seed={seed}  split={split}  fresh AUC {auc_on:.4f} vs {auc_one:.4f}",
            flush=True,
        )
    return out


def tune(folds: int = 5) -> dict[str, object]:
    """Mean CV AUC of each TUNE_GRID setting on each tuning set: (integer score, unrounded log-odds)."""
    from sklearn.model_selection import StratifiedKFold

    from lucidscore.artifact import reference_scores
    from lucidscore.model import Scorecard

    sets = tuning_sets()
    out: dict[str, object] = {"folds": folds}
    for label, params in TUNE_GRID.items():
        row: dict[str, list[float]] = {}
        for name, (x, y, fixed, reps) in sets.items():
            scored, raw = [], []
            for rep in range(reps):
                for a, b in StratifiedKFold(folds, shuffle=True, random_state=100 + rep).split(x, y):
                    card = Scorecard(**fixed, **params).fit(x.iloc[a], pd.Series(y[a]))  # type: ignore[arg-type]
                    held = x.iloc[b].reset_index(drop=True)
                    scored.append(roc_auc_score(y[b], -reference_scores(card.artifact_.segments, held)))
                    raw.append(roc_auc_score(y[b], log_odds_bad(card.artifact_.segments, held)))
            row[name] = [float(np.mean(scored)), float(np.mean(raw))]
        out[label] = row
        print(f"{label:32s}", "  ".join(f"{n}={v[0]:.4f}/{v[1]:.4f}" for n, v in row.items()), flush=True)
    return out


def replicated(n_rows: int) -> Path:
    """Taiwan training rows (split above) replicated to ``n_rows`` with Gaussian noise of 1% of each
    column's standard deviation added to every numeric column (not only amounts), so that rows no longer
    repeat exactly: a value sitting on a bin edge falls on either side, as in real data."""
    path = WORK / f"taiwan_noisy_{n_rows}.parquet"
    if path.exists():
        return path
    frame = read(SETS["taiwan"][0])
    target = SETS["taiwan"][1]
    train = np.load(split(frame[target].to_numpy(dtype=int), "taiwan"))["train"]
    rng = np.random.default_rng(0)
    rows = rng.choice(train, n_rows, replace=True)
    big = pd.DataFrame({target: frame[target].to_numpy()[rows]})
    for col in frame.columns:
        if col == target:
            continue
        values = frame[col].to_numpy(dtype=np.float64)
        noise = rng.normal(scale=0.01 * float(np.std(values[train])), size=n_rows)
        big[col] = values[rows] + noise
    big.to_parquet(path, index=False)
    return path


def whole_process(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall seconds, CPU seconds (user + system, every thread) and peak RSS (MiB) of one child process,
    from start to exit, and the load average as it started (a shared machine's other work)."""
    log = WORK / "whole_process.log"
    load = os.getloadavg()[0]  # the machine's 1-minute load average as the process starts
    with log.open("wb") as sink:  # a file, not a pipe: nothing can block on a full pipe
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:3]} exited {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mib": usage.ru_maxrss / 1024, "load": load}


def compiled_bytecode() -> None:
    """Byte-compile lucidscore's own modules before it is timed, as installing a wheel does. An editable
    install in an environment with PYTHONDONTWRITEBYTECODE set (this machine's shells) never caches its
    bytecode, so every timed ``lucidscore train`` compiled its ~60 modules from source, ~0.1 CPU-s, while
    optbinning's installed modules load theirs (BENCHMARKS.md, issue 14). Python still reads the files
    with the variable set; a stale one is ignored, and this runs before every timing."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "lucidscore")], check=True)


def scale(repeat: int, big_rows: int, big_anchor: bool = True) -> dict[str, object]:
    """``lucidscore train`` vs optbinning as whole processes on the noisy 1M-row table, interleaved, best of
    ``repeat``; then each once on ``big_rows`` rows (optbinning unless ``big_anchor`` is false: about ten
    times its 1M-row time and 11 GB)."""
    lucid = str(Path(sys.executable).with_name("lucidscore"))
    audit = SETS["taiwan"][3]
    model = WORK / "scale_model.json"

    def ours(data: Path) -> list[str]:
        return [
            lucid,
            "train",
            str(data),
            "--target",
            "default",
            "--audit-columns",
            audit,
            "--out",
            str(model),
        ]

    big = replicated(1_000_000)
    compiled_bytecode()
    fit_only = WORK / "split_1m.npz"
    np.savez(fit_only, train=np.arange(1_000_000), test=np.arange(0))
    anchor = [str(ANCHOR_PY), str(ANCHOR), "optbinning", str(big), "default", "", audit, str(fit_only)]
    runs: dict[str, list[dict[str, float]]] = {"lucidscore": [], "optbinning": []}
    for _ in range(repeat):  # interleaved, so both see the same load on a shared machine
        runs["lucidscore"].append(whole_process(ours(big)))
        runs["optbinning"].append(whole_process(anchor))
        print("scale run", json.dumps({k: v[-1] for k, v in runs.items()}), flush=True)
    out: dict[str, object] = {"rows": 1_000_000, "repeat": repeat}
    for lib, got in runs.items():
        out[lib] = {
            "seconds": min(r["seconds"] for r in got),
            "seconds_all": [round(r["seconds"], 2) for r in got],
            "cpu_seconds_all": [round(r["cpu_seconds"], 2) for r in got],
            "peak_rss_mib": max(r["peak_rss_mib"] for r in got),
        }
    out["segments"] = [s["name"] for s in json.loads(model.read_text())["segments"]]
    if big_rows:
        huge = replicated(big_rows)
        out[f"lucidscore_{big_rows}"] = whole_process(ours(huge))
        print("scale run", json.dumps({f"lucidscore_{big_rows}": out[f"lucidscore_{big_rows}"]}), flush=True)
        if big_anchor:
            fit_all = WORK / f"split_{big_rows}.npz"
            np.savez(fit_all, train=np.arange(big_rows), test=np.arange(0))
            anchor[3], anchor[-1] = str(huge), str(fit_all)
            out[f"optbinning_{big_rows}"] = whole_process(anchor)
            fit_all.unlink()
    return out


def interactions(folds: int = 4, repeats: int = 2) -> dict[str, object]:
    """What the interaction grids add (``Scorecard(interactions=5)``, lucidscore defaults otherwise): test
    AUC on the 70/30 split and mean AUC over the same repeated CV folds of the training part, of the model
    with its grids and of the same model without them (the grids are searched after the card is fitted,
    so the card is the same), with fit seconds."""
    from lucidscore.artifact import reference_scores
    from lucidscore.model import Scorecard

    out: dict[str, object] = {}
    for name, (data, target, bad, audit) in all_sets().items():
        frame = read(data)
        y = (frame[target].astype(str) == (bad or "1")).to_numpy(dtype=np.int8)
        x = frame.drop(columns=[target])
        paths = [split(y, name), *cv_folds(name, y, folds, repeats)]
        plain, paired, found, seconds = [], [], [], []
        for path in paths:
            idx = np.load(path)
            fit_x = x.iloc[idx["train"]].reset_index(drop=True)
            start = time.perf_counter()
            card = Scorecard(audit_columns=[c for c in audit.split(",") if c], interactions=5)
            art = card.fit(fit_x, y[idx["train"]]).artifact_
            seconds.append(time.perf_counter() - start)
            held = x.iloc[idx["test"]].reset_index(drop=True)
            without = [s.model_copy(update={"interactions": []}) for s in art.segments]
            plain.append(float(roc_auc_score(y[idx["test"]], -reference_scores(without, held))))
            paired.append(float(roc_auc_score(y[idx["test"]], -reference_scores(art.segments, held))))
            found.append([f"{s.name}: {i.first} x {i.second}" for s in art.segments for i in s.interactions])
        out[name] = {
            "test_auc": plain[0],
            "test_auc_with_pairs": paired[0],
            "test_pairs": found[0],
            "cv_auc": float(np.mean(plain[1:])),
            "cv_auc_with_pairs": float(np.mean(paired[1:])),
            "cv_pairs_per_fit": float(np.mean([len(f) for f in found[1:]])),
            "fit_seconds": float(np.median(seconds)),
        }
        print(name, json.dumps(out[name]), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument(
        "--only",
        choices=["quality", "cv", "scale", "tune", "search", "interactions"],
        help="run one part only",
    )
    parser.add_argument("--repeat", type=int, default=3, help="1M-row fits per library (best is kept)")
    parser.add_argument("--cv-repeats", type=int, default=2, help="repetitions of the 4-fold CV")
    parser.add_argument(
        "--big-rows", type=int, default=10_000_000, help="one fit each at this size (0: none)"
    )
    parser.add_argument(
        "--no-big-anchor", action="store_true", help="at --big-rows, fit lucidscore only (not optbinning)"
    )
    parser.add_argument("--cv-sets", default="taiwan,german,simulated", help="data sets of the CV part")
    parser.add_argument(
        "--cv-libs",
        default=",".join(LIBS),
        help="anchors of the CV part (also ebm_additive: EBM without pairs; ebm_pairs5: at most 5 pairs)",
    )
    args = parser.parse_args()
    if args.child:
        data, target, bad, audit, split_path, params = args.child
        print(json.dumps(ours(Path(data), target, bad, audit, Path(split_path), json.loads(params))))
        return
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the public data sets live in ../shared/data")
    if not ANCHOR_PY.exists():
        sys.exit(f"{ANCHOR_PY} not found: create it with `python3 -m venv {ANCHOR_PY.parents[1]}` and "
                 f"`{ANCHOR_PY.parent}/pip install {ANCHOR_PINS}`")  # fmt: skip
    WORK.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "machine": machine}
    out = WORK / "fit_results.json"
    if out.exists():  # keep the other part's figures when running one part
        results = {**json.loads(out.read_text()), **results}
    sim = all_sets()["simulated"][0]
    if args.only in (None, "quality"):
        for name, (data, target, bad, audit) in SETS.items():
            results[name] = compare(name, data, target, bad, audit, LIBS)
            print(name, json.dumps(results[name]), flush=True)
        results["simulated"] = compare("simulated", sim, "bad", "", "", LIBS)
        print("simulated", json.dumps(results["simulated"]), flush=True)
    if args.only in (None, "cv"):
        cv_sets = {**SETS, "simulated": (sim, "bad", "", "")}
        cv_libs = [lib for lib in args.cv_libs.split(",") if lib]
        unknown = sorted(set(args.cv_sets.split(",")) - set(cv_sets))
        if unknown:
            sys.exit(f"--cv-sets: unknown {', '.join(unknown)}; expected some of {', '.join(cv_sets)}")
        for name in args.cv_sets.split(","):
            data, target, bad, audit = cv_sets[name]
            results[f"cv_{name}"] = cross_validate(
                name, data, target, bad, audit, cv_libs, repeats=args.cv_repeats
            )
            print(f"cv_{name}", json.dumps(results[f"cv_{name}"]), flush=True)
    if args.only == "tune":
        results["tune"] = tune()
    if args.only == "search":
        results["search_check"] = search_check()
    if args.only in (None, "interactions"):
        results["interactions"] = interactions(repeats=args.cv_repeats)
    if args.only in (None, "scale"):
        results["scale"] = scale(args.repeat, args.big_rows, not args.no_big_anchor)
        print("scale", json.dumps(results["scale"]), flush=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
