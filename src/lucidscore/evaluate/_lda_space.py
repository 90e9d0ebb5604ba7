"""The space a less-discriminatory-alternative search explores: cards lucidscore can fit, as changes to
the base model's own configuration.

A *move* changes one dimension of the base configuration: drop a characteristic (those that proxy most
for an audit attribute first, by the evaluate proxy screen), bin granularity (``max_bins``,
``min_bin_share``), the WOE trend, characteristic selection (``iv_threshold``, ``max_characteristics``),
regularisation, or the segmentation (one card instead of the base's segments). A *candidate* is the base
configuration with a set of compatible moves applied; the base configuration itself is candidate 0.
Every candidate is fitted by the public estimator ``lucidscore.model.Scorecard``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from lucidscore.artifact import Characteristic, Condition, ScorecardArtifact
from lucidscore.evaluate._proxies import proxy_table
from lucidscore.model import InferredMeta, ScorecardParams
from lucidscore.policy import FeatureMeta

PROXY_DROPS = 4  # characteristics dropped one at a time, strongest proxy first
MAX_BINS = (3, 5, 12)
MIN_BIN_SHARES = (0.02, 0.1)
TRENDS = ("auto_monotone", "auto")
REGULARIZATIONS = (0.001, 0.01, 0.1, 10.0)
IV_THRESHOLDS = (0.05, 0.1)
MAX_CHARACTERISTICS = (4, 7)


@dataclass(frozen=True)
class Move:
    """One change to the base configuration: its dimension, what a person reads, the parameters set."""

    dimension: str  # "characteristics", "max_bins", "min_bin_share", ...
    label: str  # e.g. "drop PAY_0 (proxy for AGE: Cramér's V 0.12)"
    params: tuple[tuple[str, Any], ...]  # Scorecard parameters; "exclude" adds to the base's

    def as_dict(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class Candidate:
    """A configuration to fit: the base's, with ``moves`` applied (none for the base itself)."""

    id: str
    stage: int
    moves: tuple[Move, ...] = ()
    notes: tuple[str, ...] = ()  # consequences, e.g. "one card: the segment column was dropped"

    @property
    def label(self) -> str:
        return "; ".join(m.label for m in self.moves) or "base configuration"


@dataclass
class Space:
    """The base configuration, the moves of the first stage and the proxy ranking behind the drops."""

    base: dict[str, Any]  # Scorecard keyword arguments of the base configuration
    moves: list[Move]
    proxies: list[dict[str, Any]] = field(default_factory=list)  # characteristic, attribute, score
    segmentation: str = "one card"  # how the base configuration is segmented, in words

    def params_of(self, candidate: Candidate) -> dict[str, Any] | None:
        """Scorecard keyword arguments of a candidate, or None when its moves conflict."""
        return combine(self.base, candidate.moves)[0]


def _declaration(ch: Characteristic) -> FeatureMeta:
    """What the base model knows of a characteristic, to refit it with; one it only guessed stays guessed
    (an ``InferredMeta``), so an alternative card never claims a declaration its base did not have."""
    meta = ch.declaration()
    if ch.declared:
        return meta
    return InferredMeta(**{f.name: getattr(meta, f.name) for f in fields(meta) if f.init})


def base_configuration(
    artifact: ScorecardArtifact,
    columns: Sequence[str],
    audit_columns: Iterable[str],
) -> tuple[dict[str, Any], str]:
    """Scorecard keyword arguments that refit the base model's card structure, and its segmentation.

    The parameters recorded at training (defaults when the file has none), the base's scaling and the
    family, description and actionability of its characteristics. The segmentation is fixed as the base
    found it (its rule, no new search in each fold: the search is a choice the LDA search makes itself),
    and ``audit_columns`` and the base's own excluded and audit columns are kept out of the model.
    """
    recorded = dict(artifact.training.get("params") or {})
    known = {k: v for k, v in recorded.items() if k in ScorecardParams.model_fields}
    params = ScorecardParams.model_validate(known)
    present = set(columns)
    conditional = [s.condition for s in artifact.segments if s.condition is not None]
    segment_by = params.segment_by if params.segment_by in present else None
    segment_rule: Condition | None = None
    if segment_by is None and len(conditional) == 1 and conditional[0].column in present:
        segment_rule = conditional[0]
    if segment_by is not None:
        segmentation = f"one card per value of {segment_by}"
    elif segment_rule is not None:
        segmentation = f"two cards: {artifact.segments[0].name} and the rest"
    else:
        segmentation = "one card"
    meta = {ch.name: _declaration(ch) for seg in artifact.segments for ch in seg.characteristics}
    audit = sorted((set(params.audit_columns) | set(artifact.audit_columns) | set(audit_columns)) & present)
    excluded = tuple(dict.fromkeys(c for c in (*params.exclude, *artifact.excluded_columns) if c in present))
    base: dict[str, Any] = {
        "bad_value": params.bad_value,
        "exclude": excluded,
        "audit_columns": tuple(audit),
        "special_values": tuple(params.special_values),
        "monotonic_trend": params.monotonic_trend,
        "min_bin_share": params.min_bin_share,
        "max_bins": params.max_bins,
        "n_prebins": params.n_prebins,
        "iv_threshold": params.iv_threshold,
        "max_correlation": params.max_correlation,
        "max_characteristics": params.max_characteristics,
        "segment_by": segment_by,
        "segment_rule": segment_rule,
        "segment_search": False,
        "min_segment_rows": params.min_segment_rows,
        "min_segment_bads": params.min_segment_bads,
        "regularization": params.regularization,
        "scaling": artifact.scaling,
        "feature_meta": meta,
    }
    return base, segmentation


def proxy_ranking(
    artifact: ScorecardArtifact, frame: pd.DataFrame, audit: Mapping[str, pd.Series]
) -> list[dict[str, Any]]:
    """The base's characteristics, strongest proxy first: for each, the audit attribute it stands in for
    most, by the larger of Cramér's V and 2·(AUC - 0.5) of the evaluate proxy screen."""
    best: dict[str, dict[str, Any]] = {}
    for row in proxy_table(artifact, frame, dict(audit)):
        score = max(row["cramers_v"], 2 * (row["auc"] - 0.5))
        name = row["characteristic"]
        if name not in best or score > best[name]["score"]:
            best[name] = {
                "characteristic": name,
                "attribute": row["attribute"],
                "cramers_v": row["cramers_v"],
                "auc": row["auc"],
                "strength": row["strength"],
                "score": score,
            }
    return sorted(best.values(), key=lambda r: (-r["score"], r["characteristic"]))


def first_moves(base: Mapping[str, Any], proxies: Sequence[Mapping[str, Any]], segmented: bool) -> list[Move]:
    """Stage one: each dimension changed alone (values equal to the base's are skipped)."""
    moves: list[Move] = []
    top = list(proxies[:PROXY_DROPS])
    for p in top if len(proxies) > 1 else []:
        moves.append(
            Move(
                "characteristics",
                f"drop {p['characteristic']} (proxy for {p['attribute']}: Cramér's V {p['cramers_v']:.3f}, "
                f"AUC {p['auc']:.3f})",
                (("exclude", (p["characteristic"],)),),
            )
        )
    for k in (2, 3):
        if len(top) >= k and k < len(proxies):  # dropping every characteristic leaves no card
            names = tuple(p["characteristic"] for p in top[:k])
            label = f"drop the {k} strongest proxies ({', '.join(names)})"
            moves.append(Move("characteristics", label, (("exclude", names),)))
    grid: list[tuple[str, str, Sequence[Any]]] = [
        ("max_bins", "at most {} bins", MAX_BINS),
        ("min_bin_share", "bins of at least {:.0%} of rows", MIN_BIN_SHARES),
        ("monotonic_trend", "WOE trend {}", TRENDS),
        ("iv_threshold", "IV threshold {}", IV_THRESHOLDS),
        ("max_characteristics", "at most {} characteristics", MAX_CHARACTERISTICS),
        ("regularization", "regularisation C={:g}", REGULARIZATIONS),
    ]
    for name, text, values in grid:
        for value in values:
            if base.get(name) != value:
                moves.append(Move(name, text.format(value), ((name, value),)))
    if segmented:
        one_card = (("segment_by", None), ("segment_rule", None))
        moves.append(Move("segments", "one card for everyone", one_card))
    return moves


def combine(base: Mapping[str, Any], moves: Sequence[Move]) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """The base arguments with ``moves`` applied, and notes on consequences; None when two moves set one
    parameter to different values. Drops add up; dropping the segment column makes one card."""
    params = dict(base)
    set_by: dict[str, Any] = {}
    dropped: list[str] = []
    for move in moves:
        for key, value in move.params:
            if key == "exclude":
                dropped += [c for c in value if c not in dropped]
                continue
            if key in set_by and set_by[key] != value:
                return None, ()
            set_by[key] = value
            params[key] = value
    notes: list[str] = []
    if dropped:
        params["exclude"] = tuple(dict.fromkeys((*base["exclude"], *dropped)))
        rule = params.get("segment_rule")
        if isinstance(rule, Condition) and rule.column in dropped:
            params["segment_rule"] = None
            notes.append(f"one card: the segment column {rule.column} was dropped")
        if params.get("segment_by") in dropped:
            params["segment_by"] = None
            notes.append("one card: the segment column was dropped")
    return params, tuple(notes)


def params_record(params: Mapping[str, Any]) -> dict[str, Any]:
    """A candidate's parameters as JSON (without scaling and feature declarations, which are the base's)."""
    validated = ScorecardParams.model_validate(
        {k: v for k, v in params.items() if k not in ("scaling", "feature_meta") and v is not None}
    )
    return validated.model_dump(mode="json", exclude={"feature_meta", "scaling"})


def describe(space: Space) -> list[dict[str, Any]]:
    """The searched space, one entry per dimension: the base value and the values tried."""
    rows: list[dict[str, Any]] = []
    by_dim: dict[str, list[Move]] = {}
    for m in space.moves:
        by_dim.setdefault(m.dimension, []).append(m)
    base = space.base
    less = f", less {', '.join(base['exclude'])}" if base["exclude"] else ""
    shown = {
        "characteristics": "the base's inputs" + less,
        "segments": space.segmentation,
    }
    for dim, moves in by_dim.items():
        value = shown.get(dim, base.get(dim))
        rows.append(
            {
                "dimension": dim,
                "base": value if isinstance(value, str) else repr(value),
                "tried": [m.label for m in moves],
            }
        )
    return rows
