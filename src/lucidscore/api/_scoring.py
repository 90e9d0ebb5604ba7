"""Turn a model and a features frame into ``score_history`` rows (score, tier, reasons, explanation)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import date
from typing import Any

import pandas as pd

from lucidscore.model import ScorecardArtifact
from lucidscore.policy import ALL_FAMILIES, UNUSED_FAMILY


def _to_pandas(frame: Any) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame
    converted: pd.DataFrame = frame.to_pandas()
    return converted


def _plain(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _plain(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _text_of(item: Any) -> str:
    if isinstance(item, dict) and "from_label" in item and "to_label" in item:
        gained = item.get("points_gained")
        more = f" (+{gained} points)" if isinstance(gained, int) else ""
        subject = item.get("description", item.get("characteristic"))
        return f"{subject}: from {item['from_label']} to {item['to_label']}{more}"
    if isinstance(item, dict):
        for key in ("text", "description", "message"):
            if item.get(key):
                return str(item[key])
        return ", ".join(f"{k}: {v}" for k, v in item.items())
    return str(item)


def explanation_record(raw: Any) -> dict[str, Any]:
    """The stored explanation: points per family, structured reasons and recourse steps as text."""
    data = _plain(raw)
    if not isinstance(data, dict):
        return {"families": {}, "reasons": [], "recourse": [], "recourse_note": None}
    families_raw = data.get("family_points") or data.get("families") or data.get("family_contributions") or {}
    families: dict[str, int | None] = {}
    if isinstance(families_raw, dict):
        for family in ALL_FAMILIES:
            value = families_raw.get(family)
            families[family] = (
                None if family == UNUSED_FAMILY or not isinstance(value, int | float) else int(value)
            )
    reasons = [
        {
            "text": _text_of(r),
            "characteristic": r.get("characteristic") if isinstance(r, dict) else None,
            "family": r.get("family") if isinstance(r, dict) else None,
            "points_lost": r.get("points_lost") if isinstance(r, dict) else None,
        }
        for r in data.get("reasons") or []
    ]
    recourse_raw = data.get("recourse") or []
    if isinstance(recourse_raw, dict):
        steps = recourse_raw.get("changes") or recourse_raw.get("steps") or []
        note = recourse_raw.get("note") or recourse_raw.get("message")
        if steps and recourse_raw.get("target_tier") and recourse_raw.get("new_score") is not None:
            together = "Together these changes" if len(steps) > 1 else "This change"
            note = (
                f"{together} would reach {recourse_raw['target_tier']} "
                f"(score {recourse_raw['new_score']}, needs {recourse_raw.get('target_score')})."
            )
    else:
        steps, note = recourse_raw, data.get("recourse_note")
    return {
        "families": families,
        "reasons": reasons,
        "recourse": [{"text": _text_of(s)} for s in steps],
        "recourse_note": str(note) if note else None,
    }


def score_records(
    artifact: ScorecardArtifact,
    frame: Any,
    as_of: date,
    *,
    explain_ids: Collection[str] | None = None,
    id_column: str = "consumer_id",
) -> list[dict[str, Any]]:
    """One ``score_history`` row per consumer of ``frame``; explanations for ``explain_ids`` (None: all)."""
    from lucidscore.model._kernel import score_frame

    pdf = _to_pandas(frame).reset_index(drop=True)
    scored = score_frame(artifact, pdf, reasons=4)
    reason_cols = [c for c in scored.columns if c.startswith("reason_")]
    ids = pdf[id_column].astype(str).tolist()
    explanations: dict[int, dict[str, Any]] = {}
    wanted = (
        list(range(len(ids)))
        if explain_ids is None
        else [i for i, c in enumerate(ids) if c in set(explain_ids)]
    )
    if wanted:
        from lucidscore.model._recourse import explain_frame

        subset = pdf.iloc[wanted].reset_index(drop=True)
        for pos, raw in zip(wanted, explain_frame(artifact, subset), strict=True):
            explanations[pos] = explanation_record(raw)
    scores = scored["score"].to_numpy()
    tiers = scored["tier"].astype(str).tolist()
    probs = scored["probability"].to_numpy()
    segments = scored["segment"].astype(str).tolist()
    reason_values = scored[reason_cols].to_numpy(dtype=object) if reason_cols else None
    rows = []
    for i, consumer_id in enumerate(ids):
        explanation = explanations.get(i)
        if explanation is not None and explanation["reasons"]:
            reasons = explanation["reasons"]
        else:
            texts = [] if reason_values is None else [t for t in reason_values[i] if isinstance(t, str) and t]
            reasons = [{"text": t} for t in texts]
        rows.append(
            {
                "consumer_id": consumer_id,
                "model_id": artifact.model_id,
                "as_of": as_of,
                "score": int(scores[i]),
                "tier": tiers[i],
                "probability": float(probs[i]),
                "segment": segments[i],
                "reasons": reasons,
                "explanation": explanation,
            }
        )
    return rows
