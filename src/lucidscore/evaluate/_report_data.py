"""Assemble every figure of the evaluation and drift reports into one plain dict (-> report.json).

The HTML report is rendered from this dict alone, so the page and the JSON cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore import __version__
from lucidscore.artifact import MAX_SCORE, MIN_SCORE, ScorecardArtifact
from lucidscore.errors import InputError
from lucidscore.evaluate._fairness import fairlearn_summary, fairness_table
from lucidscore.evaluate._metrics import (
    band_edges,
    band_table,
    curves,
    discrimination,
    group_table,
    hosmer_lemeshow,
)
from lucidscore.evaluate._proxies import joint_proxy_table, proxy_table
from lucidscore.evaluate._scoring import score_table
from lucidscore.evaluate._stability import characteristic_stability, score_stability

REPORT_KIND = "lucidscore.evaluation"
DRIFT_KIND = "lucidscore.drift"
REPORT_VERSION = 1
CURVE_POINTS = 200

INTENDED_USE = (
    "Estimate the probability that a consumer who asked for credit or a merchant benefit will reach "
    "90+ days past due (or charge-off, or an unpaid judgment) within 12 months, and express it as a "
    "350-950 score with tiers and reason codes, for decisions the consumer started and consented to."
)
OUT_OF_SCOPE = (
    "Any decision the consumer did not ask for: no use outside the transaction the consumer started "
    "(travel, employment, schooling, housing eligibility, internet access) and no sanctions.",
    "Public lookup: nobody sees a person's score without that person's consent, except the person.",
    "Inputs about opinions, speech, beliefs, social-media posts, browsing or reading habits.",
    "Inputs about other people: friends' or relatives' scores, social graphs, relationships.",
    "Protected attributes as inputs (sex, marital status, age, race or ethnic origin, national origin, "
    "religion, health, public assistance): they appear here only in the fairness audit.",
    "Populations unlike the training data without re-validation (see Stability).",
)


def iv_strength(iv: float) -> str:
    """Conventional label for an information value (Siddiqi)."""
    if iv < 0.02:
        return "not predictive"
    if iv < 0.1:
        return "weak"
    if iv < 0.3:
        return "medium"
    if iv < 0.5:
        return "strong"
    return "very strong (check for leakage)"


def clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy scalars -> Python, tuples -> lists."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    return value


def _is_value(cells: pd.Series, value: object) -> npt.NDArray[np.bool_]:
    """Cells equal to ``value`` as text, or as numbers (so a bad value of 0 matches 0.0)."""
    hit = cells.astype(str).to_numpy() == str(value)
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.notna(number):
        hit |= (pd.to_numeric(cells, errors="coerce") == number).to_numpy(dtype=bool, na_value=False)
    return np.asarray(hit, dtype=bool)


def _target(frame: pd.DataFrame, target: str, name: str, bad_value: str | float | None = None) -> np.ndarray:
    """The target as 1 = bad, 0 = good: 0/1 values, or any two values of which ``bad_value`` is bad."""
    if target not in frame.columns:
        cols = ", ".join(str(c) for c in list(frame.columns)[:12])
        raise InputError(f"{name}: no target column {target!r} (from --target); columns are: {cols}")
    col = frame[target]
    if bad_value is None:
        num = pd.to_numeric(col, errors="coerce")
        wrong = ~num.isin([0, 1]).to_numpy()
        y = np.where(wrong, 0, num.fillna(0).to_numpy(dtype=np.float64)).astype(np.int64)
        expected = "0 (good) or 1 (bad); or name the bad value with --bad-value"
    else:
        y = _is_value(col, bad_value).astype(np.int64)
        goods = np.flatnonzero(y == 0)
        good = col.iloc[goods[0]] if goods.size else None
        wrong = col.isna().to_numpy() | ((y == 0) & ~_is_value(col, good))
        expected = f"{bad_value} (bad) or {good} (good): two values only"
    if wrong.any():
        pos = int(np.flatnonzero(wrong)[0])
        raise InputError(
            f"{name} row {pos + 1:,}: column {target} is {str(col.iloc[pos])!r}; expected {expected}"
        )
    if y.min() == y.max():
        only = "good" if y[0] == 0 else "bad"
        raise InputError(
            f"{name}: column {target} holds only {only} rows ({y.size:,}); expected both good and bad rows "
            "to measure how the score separates them"
        )
    return y


def target_values(
    frame: pd.DataFrame, target: str, name: str, bad_value: str | float | None = None
) -> npt.NDArray[np.int64]:
    """The target column as 1 = bad, 0 = good; ``InputError`` naming the table, row and value otherwise."""
    return np.asarray(_target(frame, target, name, bad_value), dtype=np.int64)


def check_cutoff(cutoff: int) -> None:
    if not MIN_SCORE <= cutoff <= MAX_SCORE:
        raise InputError(
            f"--cutoff {cutoff} is outside the score range {MIN_SCORE}-{MAX_SCORE}; "
            "expected the lowest approved score, e.g. 600"
        )


def _downsample(n: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype(int))


def _curves(y: np.ndarray, score: np.ndarray) -> dict[str, list[float]]:
    c = curves(y, -score.astype(np.float64))
    keep = _downsample(c.tpr.size)
    thr = -c.threshold[keep]  # back to score units: rows at or below this score are called bad
    return {"score": thr.tolist(), "tpr": c.tpr[keep].tolist(), "fpr": c.fpr[keep].tolist()}


def _characteristics(artifact: ScorecardArtifact) -> list[dict[str, Any]]:
    out = []
    for seg in artifact.segments:
        for ch in seg.characteristics:
            out.append(
                {
                    "segment": seg.name,
                    "name": ch.name,
                    "family": ch.family,
                    "family_label": ch.family.replace("_", " ").capitalize(),
                    "description": ch.description,
                    "iv": ch.iv,
                    "iv_strength": iv_strength(ch.iv),
                    "coefficient": ch.coefficient,
                    "bins": [
                        {
                            "label": b.label,
                            "count": b.count,
                            "bad_count": b.bad_count,
                            "bad_rate": b.bad_count / b.count if b.count else None,
                            "woe": b.woe,
                            "points": b.points,
                        }
                        for b in ch.bins
                    ],
                }
            )
    return out


def _model(artifact: ScorecardArtifact) -> dict[str, Any]:
    sc = artifact.scaling
    return {
        "model_id": artifact.model_id,
        "content_hash": artifact.content_hash or artifact.compute_hash(),
        "created_at": artifact.created_at.isoformat(),
        "target": artifact.target,
        "input_columns": list(artifact.input_columns),
        "audit_columns": list(artifact.audit_columns),
        "segments": [
            {"name": s.name, "n_train": s.n_train, "bad_rate": s.bad_rate, "metrics": dict(s.metrics)}
            for s in artifact.segments
        ],
        "scaling": {
            "base_score": sc.base_score,
            "base_odds": sc.base_odds,
            "pdo": sc.pdo,
            "tiers": [{"name": t.name, "min_score": t.min_score} for t in sc.tiers],
        },
    }


@dataclass
class Table:
    """A table to evaluate or compare, with the name errors should use (usually its path)."""

    frame: pd.DataFrame
    name: str
    audit: dict[str, pd.Series] = field(default_factory=dict)


def evaluation_report(
    artifact: ScorecardArtifact,
    test: Table,
    *,
    target: str | None = None,
    bad_value: str | float | None = None,
    cutoff: int = 600,
    train: Table | None = None,
    baseline: Table | None = None,
    audit_join: str = "no audit columns",
    n_resamples: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """Every figure of the validation, fairness and model-card report, as a JSON-safe dict.

    ``test.audit`` holds the audit group labels aligned to the test rows (see ``align_audit``).
    Stability compares ``test`` with ``baseline`` when given, else with ``train`` when given, else the
    CSI uses the training counts in the model's bins (and there is no score PSI: it needs a table).
    """
    check_cutoff(cutoff)
    if target is None or target == artifact.target:
        target = artifact.target
        if bad_value is None:  # the value the model was trained to call bad
            bad_value = artifact.training.get("params", {}).get("bad_value")
    baseline = baseline if baseline is not None else train
    y = _target(test.frame, target, test.name, bad_value)
    scored = score_table(artifact, test.frame, test.name)
    score = scored["score"].to_numpy(dtype=np.int64)
    prob = scored["probability"].to_numpy(dtype=np.float64)

    disc: dict[str, Any] = {
        "test": discrimination(y, score, prob, n_resamples=n_resamples, seed=seed),
        "train": None,
        "training_metrics": clean(artifact.training.get("metrics", {})),
        "curves": _curves(y, score),
    }
    if train is not None:
        ty = _target(train.frame, target, train.name, bad_value)
        ts = score_table(artifact, train.frame, train.name)
        disc["train"] = discrimination(
            ty, ts["score"].to_numpy(), ts["probability"].to_numpy(), n_resamples=n_resamples, seed=seed
        )
    edges = band_edges()
    bands = band_table(y, score, prob, edges)
    tiers = [t.name for t in artifact.scaling.tiers]
    table = [
        {"score": r.score, "probability": r.probability, "observed_bad_rate": r.observed_bad_rate}
        for r in artifact.score_probability
    ]
    calibration = {
        "brier": disc["test"]["brier"],
        "hosmer_lemeshow": hosmer_lemeshow(y, prob),
        "bands": bands,
        "score_probability": table,
    }
    distribution = {
        "tiers": group_table(y, scored["tier"].to_numpy(), tiers),
        "bands": [{k: r[k] for k in ("band", "rows", "share", "bads", "observed_bad_rate")} for r in bands],
        "mean_score": float(score.mean()),
    }
    stability: dict[str, Any] = {
        "baseline": "training counts in the model's bins" if baseline is None else baseline.name,
        "score": None,
        "characteristics": characteristic_stability(
            artifact, test.frame, None if baseline is None else baseline.frame
        ),
    }
    if baseline is not None:
        base_scores = score_table(artifact, baseline.frame, baseline.name)["score"].to_numpy()
        stability["score"] = score_stability(base_scores, score)
    approved = score >= cutoff
    fairness: dict[str, Any] = {
        "cutoff": cutoff,
        "approval_rate": float(approved.mean()),
        "audit_join": audit_join,
        "attributes": {},
    }
    for col, groups in test.audit.items():
        entry = fairness_table(groups, score, y, cutoff)
        entry["fairlearn"] = fairlearn_summary(groups, score, y, cutoff)
        fairness["attributes"][col] = entry
    proxies = proxy_table(artifact, test.frame, test.audit) if test.audit else []
    joint = joint_proxy_table(artifact, test.frame, test.audit, -score, seed=seed) if test.audit else []
    report = {
        "kind": REPORT_KIND,
        "version": REPORT_VERSION,
        "lucidscore_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": _model(artifact),
        "data": {
            "test": test.name,
            "train": None if train is None else train.name,
            "target": target,
            "bad_value": 1 if bad_value is None else bad_value,
            "rows": int(y.size),
            "bad_rate": float(y.mean()),
            "audit_columns": list(test.audit),
        },
        "discrimination": disc,
        "calibration": calibration,
        "distribution": distribution,
        "characteristics": _characteristics(artifact),
        "stability": stability,
        "fairness": fairness,
        "proxies": proxies,
        "proxy_combinations": joint,
    }
    report["model_card"] = _model_card(artifact, report)
    return dict(clean(report))


def _model_card(artifact: ScorecardArtifact, report: dict[str, Any]) -> dict[str, Any]:
    test = report["discrimination"]["test"]
    findings: list[str] = []
    for col, entry in report["fairness"]["attributes"].items():
        flagged = entry["four_fifths_flagged"]
        air = entry["min_adverse_impact_ratio"]
        air_text = "n/a" if air is None else f"{air:.3f}"
        if flagged:
            findings.append(
                f"{col}: group(s) {', '.join(flagged)} approved at under four fifths of the rate of "
                f"{entry['reference_group']} at cutoff {entry['cutoff']} (lowest ratio {air_text})."
            )
        else:
            findings.append(f"{col}: no group under the four-fifths line (lowest ratio {air_text}).")
    strong = [p for p in report["proxies"] if p["strength"] == "strong"]
    for p in strong:
        findings.append(
            f"{p['characteristic']} is a strong proxy for {p['attribute']} (Cramér's V "
            f"{p['cramers_v']:.3f}, AUC {p['auc']:.3f}): review before use."
        )
    for j in report["proxy_combinations"]:
        if j["strength"] != "weak":
            findings.append(
                f"Together, the model's {j['characteristics']} characteristics predict {j['attribute']} "
                f"group {j['auc_group']} with cross-validated AUC {j['auc']:.3f} ({j['strength']}); "
                f"the score alone {j['score_auc']:.3f}: review before use."
            )
    limitations = [
        f"Validated on {report['data']['rows']} rows of {report['data']['test']}; figures carry the "
        f"bootstrap uncertainty shown ({test['n_resamples']} resamples).",
        "Fairness figures describe outcomes at one cutoff on this sample; they do not prove the absence "
        "of disparate treatment, and groups under 30 rows are shown but not flagged.",
        "Proxy screening looks at each characteristic alone and at all of them together in a linear "
        "model of their bins; a non-linear combination could still carry more about an audit attribute.",
    ]
    shifted = [c["characteristic"] for c in report["stability"]["characteristics"] if c["flag"] == "shifted"]
    if shifted:
        limitations.append(f"Characteristics shifted against the baseline: {', '.join(shifted)}.")
    leaky = [c["name"] for c in report["characteristics"] if c["iv"] >= 0.5]
    if leaky:
        limitations.append(f"Information value above 0.5 (check for leakage): {', '.join(leaky)}.")
    training: dict[str, Any] = {}
    for key, value in artifact.training.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, v in items:  # one level of nesting (split, metrics) flattened to "split.test_size"
            name = f"{key}.{sub}" if sub else key
            if isinstance(v, float):
                training[name] = round(v, 4)
            elif isinstance(v, (str, int, bool)):
                training[name] = v
    return {
        "intended_use": INTENDED_USE,
        "out_of_scope": list(OUT_OF_SCOPE),
        "training_data": training,
        "metrics": {k: test[k] for k in ("auc", "gini", "ks", "brier")},
        "fairness_findings": findings or ["No audit columns were given: fairness was not assessed."],
        "limitations": limitations,
    }


def drift_report(artifact: ScorecardArtifact, baseline: Table, current: Table) -> dict[str, Any]:
    """PSI of the score and CSI of each characteristic, current against baseline (-> drift.json)."""
    base_scores = score_table(artifact, baseline.frame, baseline.name)["score"].to_numpy()
    cur_scores = score_table(artifact, current.frame, current.name)["score"].to_numpy()
    chars = characteristic_stability(artifact, current.frame, baseline.frame)
    report = {
        "kind": DRIFT_KIND,
        "version": REPORT_VERSION,
        "lucidscore_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": _model(artifact),
        "baseline": baseline.name,
        "current": current.name,
        "score": score_stability(base_scores, cur_scores),
        "characteristics": chars,
        "flagged": [c["characteristic"] for c in chars if c["flag"] != "stable"],
    }
    return dict(clean(report))
