"""Assemble every figure of the evaluation and drift reports into one typed report (-> report.json).

The metric functions return plain dicts (JSON-safe after ``clean``); each section is validated into its
type (``_report_types``) as it is built, so a figure under a wrong name fails here, not as an empty
section of the page. The HTML report is rendered from the typed report alone, so the page and the JSON
cannot disagree.
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
from lucidscore.artifact import (
    MAX_SCORE,
    MIN_SCORE,
    Overlap,
    ScorecardArtifact,
    segment_of_rows,
    training_overlap,
)
from lucidscore.errors import InputError, row_label
from lucidscore.evaluate._assign import grid_cells
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
from lucidscore.evaluate._report_types import (
    LABEL_TEXT,
    Calibration,
    CardCharacteristic,
    CardMetrics,
    CharacteristicStability,
    CharacteristicSummary,
    DataSummary,
    Discrimination,
    DiscriminationSection,
    Distribution,
    DriftReport,
    EvaluationReport,
    Fairness,
    InteractionGrid,
    InteractionStability,
    JointProxy,
    ModelCard,
    ModelSummary,
    Proxy,
    ScoreStability,
    Stability,
    TrainingRows,
)
from lucidscore.evaluate._scoring import score_table
from lucidscore.evaluate._stability import characteristic_stability, interaction_stability, score_stability

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
        raise InputError.about("target", f"{name} has no column {target!r}; columns are: {cols}")
    col = frame[target]
    if bad_value is None:
        num = pd.to_numeric(col, errors="coerce")
        wrong = ~num.isin([0, 1]).to_numpy()
        y = np.where(wrong, 0, num.fillna(0).to_numpy(dtype=np.float64)).astype(np.int64)
        expected = "0 (good) or 1 (bad), or name the value that means bad"
    else:
        y = _is_value(col, bad_value).astype(np.int64)
        goods = np.flatnonzero(y == 0)
        good = col.iloc[goods[0]] if goods.size else None
        wrong = col.isna().to_numpy() | ((y == 0) & ~_is_value(col, good))
        expected = f"{bad_value} (bad) or {good} (good): two values only"
    if wrong.any():
        pos = int(np.flatnonzero(wrong)[0])
        found = f"{name} {row_label(col, pos)}: column {target} is {str(col.iloc[pos])!r}; "
        found += f"expected {expected}"
        # Without a bad value, naming one is the fix: the error is about that parameter.
        raise InputError.about("bad_value", found) if bad_value is None else InputError(found)
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
    """Refuse a cutoff outside the score range (an ``InputError`` about the parameter ``cutoff``)."""
    if not MIN_SCORE <= cutoff <= MAX_SCORE:
        raise InputError.about(
            "cutoff",
            f"{cutoff} is outside the score range {MIN_SCORE}-{MAX_SCORE}; "
            "expected the lowest approved score, e.g. 600",
        )


def _downsample(n: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype(int))


def _curves(y: np.ndarray, score: np.ndarray) -> dict[str, list[float]]:
    c = curves(y, -score.astype(np.float64))
    keep = _downsample(c.tpr.size)
    thr = -c.threshold[keep]  # back to score units: rows at or below this score are called bad
    return {"score": thr.tolist(), "tpr": c.tpr[keep].tolist(), "fpr": c.fpr[keep].tolist()}


def _family_label(family: str) -> str:
    return family.replace("_", " ").capitalize()


def _characteristics(artifact: ScorecardArtifact) -> list[CharacteristicSummary]:
    out = []
    for seg in artifact.segments:
        for ch in seg.characteristics:
            bins = [
                {
                    "label": b.label,
                    "count": b.count,
                    "bad_count": b.bad_count,
                    "bad_rate": b.bad_count / b.count if b.count else None,
                    "woe": b.woe,
                    "points": b.points,
                }
                for b in ch.bins
            ]
            out.append(
                CharacteristicSummary.model_validate(
                    clean(
                        {
                            "segment": seg.name,
                            "name": ch.name,
                            "family": ch.family,
                            "family_label": _family_label(ch.family),
                            "description": ch.description,
                            "declared": ch.declared,
                            "iv": ch.iv,
                            "iv_strength": iv_strength(ch.iv),
                            "coefficient": ch.coefficient,
                            "bins": bins,
                        }
                    )
                )
            )
    return out


def interaction_grids(
    artifact: ScorecardArtifact, frame: pd.DataFrame, y: npt.NDArray[np.int64]
) -> list[InteractionGrid]:
    """Every interaction grid of every segment, with the rows of ``frame`` (outcomes ``y``, 1 = bad) in
    the segment counted per cell, and the training counts the model file records."""
    seg_of_row = segment_of_rows(artifact.segments, frame)
    out = []
    for s, seg in enumerate(artifact.segments):
        rows = np.flatnonzero(seg_of_row == s)
        part = frame.iloc[rows]
        by_name = {c.name: c for c in seg.characteristics}
        for inter in seg.interactions:
            first, second = by_name[inter.first], by_name[inter.second]
            cell, first_labels, second_labels = grid_cells(inter, first, second, part, rows)
            shape = (len(first_labels), len(second_labels))
            n = np.bincount(cell, minlength=shape[0] * shape[1]).reshape(shape)
            bads = np.bincount(cell, weights=y[rows], minlength=n.size).reshape(shape).astype(np.int64)
            rate = np.where(n > 0, bads / np.maximum(n, 1), np.nan)
            train_n = np.asarray(inter.counts, dtype=np.int64).reshape(-1, shape[1])
            train_bads = np.asarray(inter.bad_counts, dtype=np.int64).reshape(-1, shape[1])
            train_rate = np.where(train_n > 0, train_bads / np.maximum(train_n, 1), np.nan)
            out.append(
                InteractionGrid.model_validate(
                    clean(
                        {
                            "segment": seg.name,
                            "first": inter.first,
                            "second": inter.second,
                            "first_labels": first_labels,
                            "second_labels": second_labels,
                            "points": inter.points,
                            "rows": n,
                            "bads": bads,
                            "bad_rate": rate,
                            "train_rows": train_n,
                            "train_bad_rate": train_rate,
                        }
                    )
                )
            )
    return out


def model_summary(artifact: ScorecardArtifact) -> ModelSummary:
    """Identity, inputs, segments and scaling of a model, as both reports show them."""
    sc = artifact.scaling
    return ModelSummary.model_validate(
        clean(
            {
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
                "undeclared": artifact.undeclared,
            }
        )
    )


def _heldout_file(artifact: ScorecardArtifact) -> str | None:
    split = artifact.training.get("split")
    name = split.get("heldout_file") if isinstance(split, dict) else None
    return str(name) if name else None


def _count(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def overlap_statement(overlap: Overlap, artifact: ScorecardArtifact, table: str) -> str:
    """One plain sentence: how many rows of ``table`` trained the model, and what the figures are."""
    heldout = _heldout_file(artifact)
    where = (
        f" For held-out figures, evaluate on the rows the model was not trained on ({heldout}, written "
        "next to the model by train --test-size)."
        if heldout
        else " For held-out figures, evaluate on rows the model was not trained on (train --test-size "
        "writes them next to the model)."
    )
    if artifact.fingerprint is None:
        return (
            f"Model {artifact.model_id} carries no fingerprint of its training rows (it was built before "
            f"lucidscore recorded one), so whether the {overlap.rows:,} rows of {table} trained it is "
            "unknown: the figures are not known to be held-out."
        )
    if overlap.label == "unknown":
        return (
            f"Whether the {overlap.rows:,} rows of {table} trained model {artifact.model_id} cannot be told: "
            f"{overlap.why_unknown}. The figures are not known to be held-out."
        )
    share = overlap.share or 0.0
    fpr = overlap.false_positive_rate or 0.0
    estimate = (
        f"About {_count(overlap.in_training)} of the {overlap.rows:,} rows of {table} ({share:.1%}; 95% "
        f"interval {_count(overlap.low)}–{_count(overlap.high)}) were used to train model "
        f"{artifact.model_id}, estimated from its fingerprint of its training rows (false-positive rate "
        f"{fpr:.1%}; a row identical to a training row counts as one)"
    )
    if overlap.label == "held-out":
        return f"{estimate}: under 1%, so the figures are held-out."
    if overlap.label == "in-sample":
        return f"{estimate}: the figures on them are in-sample, and optimistic.{where}"
    unsure = "too few rows to tell whether under 1% did, so the figures are possibly in-sample"
    return f"{estimate}: {unsure}.{where}"


def training_rows(artifact: ScorecardArtifact, test: Table) -> TrainingRows:
    """How many rows of ``test`` trained the model, from its fingerprint (unknown without one)."""
    fp = artifact.fingerprint
    rows = test.frame
    if test.joined is not None:
        extra = [c for c in test.joined.columns if c not in rows.columns]
        rows = pd.concat([rows, test.joined[extra].set_axis(rows.index)], axis=1)
    if fp is None:
        overlap = Overlap(len(rows), None, None, None, "unknown", 0, None, "no fingerprint")
    else:
        overlap = training_overlap(fp, rows)
    return TrainingRows.model_validate(
        clean(
            {
                "rows": overlap.rows,
                "in_training": overlap.in_training,
                "low": overlap.low,
                "high": overlap.high,
                "share": overlap.share,
                "label": overlap.label,
                "checked": overlap.checked,
                "false_positive_rate": overlap.false_positive_rate,
                "heldout_file": _heldout_file(artifact),
                "statement": overlap_statement(overlap, artifact, test.name),
            }
        )
    )


@dataclass
class Table:
    """A table to evaluate or compare, with the name errors should use (usually its path).

    ``audit`` holds the audit group labels aligned to the rows (``align_audit``); ``joined``, columns of
    a separate audit table as they are, aligned to the rows (``align_columns``), which the model's
    fingerprint may need to recognise its training rows.
    """

    frame: pd.DataFrame
    name: str
    audit: dict[str, pd.Series] = field(default_factory=dict)
    joined: pd.DataFrame | None = None


def _discrimination(y: np.ndarray, scored: pd.DataFrame, n_resamples: int, seed: int) -> Discrimination:
    figures = discrimination(
        y,
        scored["score"].to_numpy(),
        scored["probability"].to_numpy(),
        n_resamples=n_resamples,
        seed=seed,
    )
    return Discrimination.model_validate(clean(figures))


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
) -> EvaluationReport:
    """Every figure of the validation, fairness and model-card report (``EvaluationReport``).

    ``test.audit`` holds the audit group labels aligned to the test rows (see ``align_audit``).
    Stability compares ``test`` with ``baseline`` when given, else with ``train`` when given, else the
    CSI uses the training counts in the model's bins (and there is no score PSI: it needs a table). How
    many of ``test``'s rows trained the model is estimated from the model's fingerprint
    (``training_rows``), and labels the figures held-out or in-sample.
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
    rows = training_rows(artifact, test)

    evaluated = _discrimination(y, scored, n_resamples, seed)
    train_figures = None
    if train is not None:
        ty = _target(train.frame, target, train.name, bad_value)
        train_figures = _discrimination(ty, score_table(artifact, train.frame, train.name), n_resamples, seed)
    disc = DiscriminationSection.model_validate(
        {
            "evaluated": evaluated,
            "label": rows.label,
            "train": train_figures,
            "training_metrics": clean(artifact.training.get("metrics", {})),
            "curves": clean(_curves(y, score)),
        }
    )
    edges = band_edges()
    bands = band_table(y, score, prob, edges)
    tiers = [t.name for t in artifact.scaling.tiers]
    table = [
        {"score": r.score, "probability": r.probability, "observed_bad_rate": r.observed_bad_rate}
        for r in artifact.score_probability
    ]
    calibration = Calibration.model_validate(
        clean(
            {
                "brier": evaluated.brier,
                "hosmer_lemeshow": hosmer_lemeshow(y, prob),
                "bands": bands,
                "score_probability": table,
            }
        )
    )
    distribution = Distribution.model_validate(
        clean(
            {
                "tiers": group_table(y, scored["tier"].to_numpy(), tiers),
                "bands": [
                    {k: r[k] for k in ("band", "rows", "share", "bads", "observed_bad_rate")} for r in bands
                ],
                "mean_score": float(score.mean()),
            }
        )
    )
    stability: dict[str, Any] = {
        "baseline": "training counts in the model's bins" if baseline is None else baseline.name,
        "score": None,
        "characteristics": characteristic_stability(
            artifact, test.frame, None if baseline is None else baseline.frame
        ),
        "interactions": interaction_stability(
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
    characteristics = _characteristics(artifact)
    report = {
        "lucidscore_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model_summary(artifact),
        "data": DataSummary.model_validate(
            clean(
                {
                    "table": test.name,
                    "train": None if train is None else train.name,
                    "target": target,
                    "bad_value": 1 if bad_value is None else bad_value,
                    "rows": int(y.size),
                    "bad_rate": float(y.mean()),
                    "audit_columns": list(test.audit),
                }
            )
        ),
        "training_rows": rows,
        "discrimination": disc,
        "calibration": calibration,
        "distribution": distribution,
        "characteristics": characteristics,
        "interactions": interaction_grids(artifact, test.frame, y),
        "stability": Stability.model_validate(clean(stability)),
        "fairness": Fairness.model_validate(clean(fairness)),
        "proxies": [Proxy.model_validate(clean(p)) for p in proxies],
        "proxy_combinations": [JointProxy.model_validate(clean(j)) for j in joint],
    }
    report["model_card"] = _model_card(artifact, report)
    return EvaluationReport.model_validate(report)


def _card_characteristics(artifact: ScorecardArtifact) -> list[CardCharacteristic]:
    """Every characteristic once, with the segments that use it."""
    seen: dict[str, dict[str, Any]] = {}
    for seg in artifact.segments:
        for ch in seg.characteristics:
            entry = seen.setdefault(
                ch.name,
                {
                    "name": ch.name,
                    "family_label": _family_label(ch.family),
                    "description": ch.description,
                    "declared": ch.declared,
                    "segments": [],
                },
            )
            entry["segments"].append(seg.name)
    return [CardCharacteristic.model_validate(e) for e in seen.values()]


def _model_card(artifact: ScorecardArtifact, report: dict[str, Any]) -> ModelCard:
    evaluated: Discrimination = report["discrimination"].evaluated
    rows: TrainingRows = report["training_rows"]
    fairness: Fairness = report["fairness"]
    findings: list[str] = []
    for col, entry in fairness.attributes.items():
        air = entry.min_adverse_impact_ratio
        air_text = "n/a" if air is None else f"{air:.3f}"
        if entry.four_fifths_flagged:
            findings.append(
                f"{col}: group(s) {', '.join(entry.four_fifths_flagged)} approved at under four fifths of "
                f"the rate of {entry.reference_group} at cutoff {entry.cutoff} (lowest ratio {air_text})."
            )
        else:
            findings.append(f"{col}: no group under the four-fifths line (lowest ratio {air_text}).")
    proxies: list[Proxy] = report["proxies"]
    for p in proxies:
        if p.strength == "strong":
            findings.append(
                f"{p.characteristic} is a strong proxy for {p.attribute} (Cramér's V "
                f"{p.cramers_v:.3f}, AUC {p.auc:.3f}): review before use."
            )
    joint: list[JointProxy] = report["proxy_combinations"]
    for j in joint:
        if j.strength != "weak":
            findings.append(
                f"Together, the model's {j.characteristics} characteristics predict {j.attribute} "
                f"group {j.auc_group} with cross-validated AUC {j.auc:.3f} ({j.strength}); "
                f"the score alone {j.score_auc:.3f}: review before use."
            )
    data: DataSummary = report["data"]
    label = LABEL_TEXT[rows.label]
    limitations = [
        f"Validated on {data.rows} rows of {data.table}, figures {label}; they carry the bootstrap "
        f"uncertainty shown ({evaluated.n_resamples} resamples).",
        "Fairness figures describe outcomes at one cutoff on this sample; they do not prove the absence "
        "of disparate treatment, and groups under 30 rows are shown but not flagged.",
        "Proxy screening looks at each characteristic alone and at all of them together in a linear "
        "model of their bins; a non-linear combination could still carry more about an audit attribute.",
    ]
    if rows.label != "held-out":
        limitations.insert(0, rows.statement)
    stability: Stability = report["stability"]
    shifted = [c.characteristic for c in stability.characteristics if c.flag == "shifted"]
    if shifted:
        limitations.append(f"Characteristics shifted against the baseline: {', '.join(shifted)}.")
    grids = [g.name for g in stability.interactions if g.flag == "shifted"]
    if grids:
        limitations.append(f"Interaction grids shifted against the baseline: {', '.join(grids)}.")
    characteristics: list[CharacteristicSummary] = report["characteristics"]
    leaky = [c.name for c in characteristics if c.iv >= 0.5]
    if leaky:
        limitations.append(f"Information value above 0.5 (check for leakage): {', '.join(leaky)}.")
    if artifact.undeclared:
        limitations.append(
            f"Undeclared characteristics (family and description guessed from the column name): "
            f"{', '.join(artifact.undeclared)}. The service refuses to register, activate or publish "
            "scores with this model until each is declared."
        )
    training: dict[str, Any] = {}
    for key, value in artifact.training.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, v in items:  # one level of nesting (split, metrics) flattened to "split.test_size"
            name = f"{key}.{sub}" if sub else key
            if isinstance(v, float):
                training[name] = round(v, 4)
            elif isinstance(v, (str, int, bool)):
                training[name] = v
    return ModelCard.model_validate(
        {
            "intended_use": INTENDED_USE,
            "out_of_scope": list(OUT_OF_SCOPE),
            "training_data": training,
            "training_rows": rows.statement,
            "characteristics": _card_characteristics(artifact),
            "metrics": CardMetrics(
                label=rows.label,
                auc=evaluated.auc,
                gini=evaluated.gini,
                ks=evaluated.ks,
                brier=evaluated.brier,
            ),
            "fairness_findings": findings or ["No audit columns were given: fairness was not assessed."],
            "limitations": limitations,
        }
    )


def drift_report(artifact: ScorecardArtifact, baseline: Table, current: Table) -> DriftReport:
    """PSI of the score, CSI of each characteristic and PSI of each interaction grid's cells, current
    against baseline (-> drift.json)."""
    base_scores = score_table(artifact, baseline.frame, baseline.name)["score"].to_numpy()
    cur_scores = score_table(artifact, current.frame, current.name)["score"].to_numpy()
    chars = [
        CharacteristicStability.model_validate(clean(c))
        for c in characteristic_stability(artifact, current.frame, baseline.frame)
    ]
    return DriftReport(
        lucidscore_version=__version__,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        model=model_summary(artifact),
        baseline=baseline.name,
        current=current.name,
        score=ScoreStability.model_validate(clean(score_stability(base_scores, cur_scores))),
        characteristics=chars,
        flagged=[c.characteristic for c in chars if c.flag != "stable"],
        interactions=[
            InteractionStability.model_validate(clean(g))
            for g in interaction_stability(artifact, current.frame, baseline.frame)
        ],
    )
