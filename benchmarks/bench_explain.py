"""Explanations a consumer can trust (issue 10): credible bins against raw WOE, and faithfulness at scale.

Command (from the repo root; small by default, about a minute):
    .venv/bin/python benchmarks/bench_explain.py
The issue's figures (the demo's 20,000 consumers, six month ends = 120,000 scored rows; its thin-file
card carries an interaction grid, which 2,000 consumers are too few for):
    .venv/bin/python benchmarks/bench_explain.py --consumers 20000 --splits 5
Only the demo population's parts (a) and (c), without the public data sets' AUC (b):
    .venv/bin/python benchmarks/bench_explain.py --consumers 20000 --skip-auc
Another synthetic population (``--seed``) and a card without the thin/thick-file segments (``--one-card``),
e.g. the one where the recourse audit found plans in cells a grid paid against a declaration:
    .venv/bin/python benchmarks/bench_explain.py --consumers 20000 --skip-auc --seed 6 --one-card

Three parts, measured in one run, printed as Markdown:

(a) The demo population, built as ``lucidscore demo`` builds it (``generate_population`` with the demo's
    seed 7, features at the observation date for training and at the latest month end for scoring, the
    thin/thick segmented card with the feature catalogue's declarations), trained twice: with credible
    bins (``woe_prior`` 4, the default) and with raw WOE (``woe_prior`` = the rarer class's share of rows:
    one pseudo-row at the overall mix, the smoothing before issue 10). Reported: the share of consumers
    whose top reason (``reason_1_characteristic``) differs between the two cards, and the most points any
    bin resting on fewer than ``--small-bin-rows`` training rows is worth over its characteristic's most
    populated bin (what a reason built on it claims) in each card.
(b) Held-out AUC with and without credible bins on taiwan_default.csv (target ``default``) and
    german_credit.data (``CLASSIFICATION``, 0 = bad), protected columns to the audit, over ``--splits``
    stratified 70/30 splits (seeds 0, 1, ...); the issue's goal is a drop of at most 0.001.
(c) Faithfulness over every scored row of the demo population's month ends: for every reason, the score
    gain (before the 350-950 clip) of moving only that reason's characteristic — for the pair of an
    interaction grid, both of its characteristics — to values of its best reachable bins, against
    ``reason_N_points``; and, over the latest month (the whole current population), the recourse audit
    of ``tests/score/recourse_audit.py`` with plans of up to 1, 2 (the default) and 3 changes: steps
    against their characteristic's declared direction, into or out of missing, or advising more debt,
    credit or applications; claimed points (each step alone, each plan) that rescoring by the reference
    rule does not give, the grid's cells included; plans landing in a grid cell that pays for a step
    against a declaration. The card's grids are listed; with them, plans that move a member of a grid.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from lucidscore.artifact import Condition, ScorecardArtifact, raw_points, reason_units, segment_of_rows
from lucidscore.features import FEATURE_CATALOGUE, compute_features
from lucidscore.model import train_scorecard
from lucidscore.score import CompiledScorecard, explain_frame, score_frame
from lucidscore.synth import generate_population

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
SETS = {
    "taiwan_default.csv": ("default", None, ["SEX", "EDUCATION", "MARRIAGE", "AGE"]),
    "german_credit.data": ("CLASSIFICATION", 0, ["PERSONAL_STATUS_AND_SEX", "AGE", "FOREIGN"]),
}
DEMO_SEED = 7  # lucidscore demo's default seed
MONTHS = 6  # the demo keeps six month ends of history
CREDIBLE = 4.0  # ScorecardParams.woe_prior's default


def raw_prior(y: np.ndarray) -> float:
    """``woe_prior`` giving one pseudo-row at the overall mix (the smoothing before credible bins)."""
    bad = float(np.mean(y))
    return min(bad, 1.0 - bad)


def month_ends(end: date, months: int) -> list[date]:
    out = [end]
    while len(out) < months:
        out.append(out[-1].replace(day=1) - timedelta(days=1))
    return out[::-1]


# Set from the command line: the population's seed, and whether the card is segmented thin/thick file.
OPTIONS: dict[str, Any] = {"seed": DEMO_SEED, "segmented": True}


def train_demo(train: pd.DataFrame, woe_prior: float) -> ScorecardArtifact:
    """The demo's card (lucidscore.demo trains exactly this), at the given WOE prior."""
    rows = len(train)
    return train_scorecard(
        train.drop(columns=["consumer_id"]),
        "bad",
        test_size=0.3,
        seed=OPTIONS["seed"],
        segment_rule=Condition(column="thin_file", op="==", value=1.0) if OPTIONS["segmented"] else None,
        feature_meta=dict(FEATURE_CATALOGUE),
        min_segment_rows=min(1000, max(100, rows // 10)),
        min_segment_bads=min(50, max(10, rows // 100)),
        woe_prior=woe_prior,
    )


def small_bin_lead(art: ScorecardArtifact, rows: int) -> tuple[int, str]:
    """Most points a bin of fewer than ``rows`` training rows is worth over its characteristic's largest
    bin (what a reason built on it claims), and which bin that is."""
    best, where = 0, "none"
    for seg in art.segments:
        for c in seg.characteristics:
            largest = max(c.bins, key=lambda b: b.count)
            for b in c.bins:
                if b.count < rows and b.points - largest.points > best:
                    best = b.points - largest.points
                    where = f"{seg.name}: {c.name} {b.label} ({b.count} rows, {b.bad_count} bad)"
    return best, where


def part_a(
    train: pd.DataFrame, current: pd.DataFrame, small: int
) -> tuple[dict[str, Any], ScorecardArtifact]:
    credible = train_demo(train, CREDIBLE)
    raw = train_demo(train, raw_prior(train["bad"].to_numpy()))
    top = {}
    for name, art in (("credible", credible), ("raw", raw)):
        top[name] = score_frame(art, current, reasons=1)["reason_1_characteristic"].astype(object)
    has = top["credible"].notna() | top["raw"].notna()
    changed = int((top["credible"][has].fillna("") != top["raw"][has].fillna("")).sum())
    thin = (current["thin_file"] == 1).to_numpy()
    thin_top = {
        name: top[name][thin].value_counts(normalize=True).head(1) for name in ("raw", "credible")
    }  # the issue: every thin-file consumer's top reason was "more months since newest account"
    raw_top = top["raw"].value_counts(normalize=True).head(1)
    cred_top = top["credible"].value_counts(normalize=True).head(1)
    return {
        "consumers": len(current),
        "with_reason": int(has.sum()),
        "top_changed": changed,
        "top_changed_share": changed / max(int(has.sum()), 1),
        "raw_most_common_top": f"{raw_top.index[0]} ({raw_top.iloc[0]:.1%})",
        "credible_most_common_top": f"{cred_top.index[0]} ({cred_top.iloc[0]:.1%})",
        "thin_file": int(thin.sum()),
        **{f"thin_top_{k}": f"{v.index[0]} ({v.iloc[0]:.1%})" for k, v in thin_top.items()},
        "small_bin_lead_credible": small_bin_lead(credible, small),
        "small_bin_lead_raw": small_bin_lead(raw, small),
    }, credible


def part_b(splits: int) -> list[dict[str, Any]]:
    out = []
    for file, (target, bad_value, audit) in SETS.items():
        path = DATA / file
        if not path.exists():
            out.append({"data": file, "missing": str(path)})
            continue
        frame = pd.read_csv(path, sep=r"\s+" if path.suffix == ".data" else ",")
        y = (frame[target] == (1 if bad_value is None else bad_value)).to_numpy(dtype=int)
        frame = frame.assign(**{target: y})
        aucs: dict[str, list[float]] = {"credible": [], "raw": []}
        for seed in range(splits):
            tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=seed, stratify=y)
            tr, te = np.sort(tr), np.sort(te)
            for name, prior in (("credible", CREDIBLE), ("raw", raw_prior(y[tr]))):
                art = train_scorecard(frame.iloc[tr], target, seed=seed, audit_columns=audit, woe_prior=prior)
                scores = score_frame(art, frame.iloc[te])["score"].to_numpy()
                aucs[name].append(float(roc_auc_score(y[te], -scores)))
        drops = np.asarray(aucs["raw"]) - np.asarray(aucs["credible"])
        out.append({
            "data": file, "rows": len(y), "bad_rate": float(y.mean()), "splits": splits,
            "raw": float(np.mean(aucs["raw"])), "credible": float(np.mean(aucs["credible"])),
            "drop_mean": float(drops.mean()), "drop_max": float(drops.max()),
            "drop_sd": float(drops.std(ddof=1)) if splits > 1 else float("nan"),
        })  # fmt: skip
    return out


def faithfulness(art: ScorecardArtifact, frame: pd.DataFrame) -> dict[str, Any]:
    """Max |gain of moving a reason's characteristic (a pair: both) to its best reachable bins -
    reason_N_points| over every row."""
    out = score_frame(art, frame, reasons=4)
    compiled = CompiledScorecard.from_artifact(art)
    before = raw_points(art.segments, frame)
    segment = segment_of_rows(art.segments, frame)
    units = [
        {"+".join(seg.characteristics[m].name for m in u.members): u for u in reason_units(art.segments, s)}
        for s, seg in enumerate(art.segments)
    ]
    worst, reasons, left_segment, pairs = 0, 0, 0, 0
    for j in range(1, 6):
        names = out[f"reason_{j}_characteristic"].to_numpy(dtype=object)
        points = out[f"reason_{j}_points"]
        has = points.notna().to_numpy()
        if not has.any():
            continue
        changed = frame.copy()
        for (s, name), rows in pd.Series(np.flatnonzero(has)).groupby([segment[has], names[has]]):
            unit = units[s][name]
            masked = np.where(unit.attainable, unit.points, np.iinfo(np.int64).min)
            best = np.unravel_index(int(np.argmax(masked)), masked.shape)  # a pair: the best pair of bins
            for m, b in zip(unit.members, best, strict=True):
                witness = compiled.witnesses[int(compiled.tables.seg_start[s]) + m][int(b)]
                assert witness is not None
                changed.loc[rows.to_numpy(), art.segments[s].characteristics[m].name] = witness.low
            pairs += len(rows) if len(unit.members) == 2 else 0
        after = raw_points(art.segments, changed)
        left_segment += int((segment_of_rows(art.segments, changed) != segment)[has].sum())
        gap = np.abs((after - before)[has] - points[has].to_numpy(dtype=np.int64))
        worst = max(worst, int(gap.max()))
        reasons += int(has.sum())
    return {"rows": len(frame), "reasons": reasons, "pair_reasons": pairs, "max_gap": worst,
            "left_segment": left_segment}  # fmt: skip


def recourse_audit(art: ScorecardArtifact, frame: pd.DataFrame, max_changes: int) -> dict[str, Any]:
    """The audit of every consumer's plan (``tests/score/recourse_audit.py``), with the seconds taken to
    explain the population and to audit it."""
    sys.path.insert(0, str(ROOT))  # the audit the population test runs
    from tests.score.recourse_audit import audit_recourse

    t = time.process_time()
    explained = explain_frame(art, frame, max_changes=max_changes)
    explain_cpu = time.process_time() - t
    t = time.process_time()
    audit = audit_recourse(art, frame, explained)
    return {**vars(audit), "explain_cpu": explain_cpu, "audit_cpu": time.process_time() - t}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--consumers", type=int, default=2000, help="demo population size (issue: 20000)")
    ap.add_argument("--splits", type=int, default=1, help="70/30 splits per data set for the AUC effect")
    ap.add_argument("--small-bin-rows", type=int, default=100, help="a 'small' bin holds fewer rows")
    ap.add_argument("--skip-auc", action="store_true", help="leave out (b), the held-out AUC effect")
    ap.add_argument("--seed", type=int, default=DEMO_SEED, help="population seed (the demo's: 7)")
    ap.add_argument("--one-card", action="store_true", help="train one card, without the thin-file segments")
    args = ap.parse_args()
    OPTIONS.update(seed=args.seed, segmented=not args.one_card)

    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"uptime before: {uptime()}\n")
    start = time.perf_counter()
    with TemporaryDirectory() as tmp:
        summary = generate_population(args.consumers, args.seed, Path(tmp) / "data")
        train = compute_features(Path(tmp) / "data", summary.observation_date).to_pandas()
        months = [
            compute_features(Path(tmp) / "data", d).to_pandas().drop(columns=["consumer_id"])
            for d in month_ends(summary.end, MONTHS)
        ]
    built = time.perf_counter() - start
    current, every = months[-1], pd.concat(months, ignore_index=True)

    a, card = part_a(train, current, args.small_bin_rows)
    card_kind = "thin/thick-file segmented card" if OPTIONS["segmented"] else "one card"
    print(f"## (a) Demo population: {args.consumers:,} consumers, seed {args.seed}, {card_kind} "
          f"(built in {built:.0f} s)")  # fmt: skip
    print()
    print(f"- top reason changed, credible vs raw WOE: {a['top_changed']:,} of {a['with_reason']:,} "
          f"consumers with a reason = {a['top_changed_share']:.2%}")  # fmt: skip
    print(f"- most common top reason: raw {a['raw_most_common_top']}; "
          f"credible {a['credible_most_common_top']}")  # fmt: skip
    print(f"- most common top reason of the {a['thin_file']:,} thin-file consumers: raw {a['thin_top_raw']}; "
          f"credible {a['thin_top_credible']}")  # fmt: skip
    for name in ("raw", "credible"):
        lead, where = a[f"small_bin_lead_{name}"]
        print(f"- {name}: most points a bin of < {args.small_bin_rows} rows gets over its characteristic's "
              f"largest bin: {lead} ({where})")  # fmt: skip

    print("\n## (b) Held-out AUC, credible bins (woe_prior 4) vs raw WOE (one pseudo-row)\n")
    if args.skip_auc:
        print("skipped (--skip-auc)")
    else:
        print("| data | rows | splits | AUC raw | AUC credible | drop (mean) | drop (max) | sd |")
        print("|---|---|---|---|---|---|---|---|")
    for r in [] if args.skip_auc else part_b(args.splits):
        if "missing" in r:
            print(f"| {r['data']} | not found at {r['missing']} |")
            continue
        print(f"| {r['data']} | {r['rows']:,} | {r['splits']} | {r['raw']:.4f} | {r['credible']:.4f} | "
              f"{r['drop_mean']:+.4f} | {r['drop_max']:+.4f} | {r['drop_sd']:.4f} |")  # fmt: skip

    t = time.perf_counter()
    f = faithfulness(card, every)
    audits = {k: recourse_audit(card, current, k) for k in (1, 2, 3)}
    grids = [f"{seg.name}: {i.first} x {i.second}" for seg in card.segments for i in seg.interactions]
    print(f"\n## (c) Faithfulness and recourse (credible card, {time.perf_counter() - t:.0f} s)\n")
    print(f"- interaction grids of the card: {'; '.join(grids) or 'none'}")
    print(f"- {f['rows']:,} scored rows ({MONTHS} month ends), {f['reasons']:,} reasons "
          f"({f['pair_reasons']:,} naming a grid's pair): max |gain to best reachable bins - "
          f"reason_N_points| = {f['max_gap']} (rows leaving their segment: {f['left_segment']})")  # fmt: skip
    print(f"- recourse audit over the whole current population ({current.shape[0]:,} consumers):\n")
    print("| max changes | plans | steps | plans moving a grid member | both members | plans the grid's "
          "cells count in | violations | explain CPU s | audit CPU s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for k, r in audits.items():
        print(f"| {k} | {r['plans']:,} | {r['steps']:,} | {r['pair_plans']:,} | {r['both_members']:,} | "
              f"{r['grid_counted']:,} | {len(r['violations'])} | {r['explain_cpu']:.1f} | "
              f"{r['audit_cpu']:.1f} |")  # fmt: skip
    for k, r in audits.items():
        for v in r["violations"][:5]:
            print(f"  - max changes {k}: {v}")
    print(f"\nuptime after: {uptime()}; total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
