"""Feature metadata for model columns: declared ``FeatureMeta``, else a family guessed from the name
(an ``InferredMeta``, which the model file marks as undeclared); and how a declaration reaches the
artifact (``characteristic_fields``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lucidscore.policy import Family, FeatureMeta
from lucidscore.policy.guard import name_tokens

# Checked in order; the first family whose pattern matches a token sequence of the name wins.
_FAMILY_PATTERNS: tuple[tuple[Family, re.Pattern[str]], ...] = (
    ("payment_behaviour", re.compile(r"\b(rent|utility|utilities|telecom|phone bill|mobile bill)\b")),
    (
        "stability_identity",
        re.compile(
            r"\b(months at|tenure|verified|identity|residence|since|employment|employed|job|housing"
            r"|address|telephone|property)\b"
        ),
    ),
    (
        "credit_history",
        re.compile(
            r"\b(pay \d+|delinq\w*|late|dpd|past due|overdue|bankrupt\w*|judgm?ents?|history|status"
            r"|default\w*|inquir\w*)\b"
        ),
    ),
    (
        "fulfilment_capacity",
        re.compile(
            r"\b(limit|bill|income|util\w*|debt|debts|balance|bal|amount|amt|salary|savings|bonds"
            r"|installment|instalment|duration|obligations?|loan)\b"
        ),
    ),
)


def infer_family(name: str) -> Family:
    """A family guessed from the column name; credit history when nothing matches.

    >>> infer_family("PAY_AMT3"), infer_family("months_at_address"), infer_family("rent_on_time_share")
    ('fulfilment_capacity', 'stability_identity', 'payment_behaviour')
    """
    text = " ".join(name_tokens(name))
    for family, pattern in _FAMILY_PATTERNS:
        if pattern.search(text):
            return family
    return "credit_history"


@dataclass(frozen=True)
class InferredMeta(FeatureMeta):
    """Metadata guessed from a column's name, not declared: its characteristic is marked undeclared, and a
    model with one is refused by the service (issue 13). ``dataclasses.replace`` keeps the class, so
    marking a guessed column actionable does not make it declared."""


def meta_for(name: str, declared: Mapping[str, FeatureMeta] | None) -> FeatureMeta:
    """The declared metadata of ``name`` or one inferred from it (description = the column name).

    >>> is_declared(meta_for("PAY_0", None)), is_declared(FeatureMeta("PAY_0", "credit_history", "Status"))
    (False, True)
    """
    if declared and name in declared:
        return declared[name]
    return InferredMeta(name=name, family=infer_family(name), description=name)


def is_declared(meta: FeatureMeta) -> bool:
    """The metadata was declared (a declaration, the feature catalogue), not guessed from the name."""
    return not isinstance(meta, InferredMeta)


def characteristic_fields(meta: FeatureMeta) -> dict[str, Any]:
    """The ``Characteristic`` fields a declaration fills: family, description, advice direction, unit, code
    and statements (undeclared ones at their defaults, which the model file leaves out).

    >>> meta = FeatureMeta("util", "fulfilment_capacity", "Credit in use", advice="lower")
    >>> characteristic_fields(meta)["actionable"], characteristic_fields(meta)["advice"]
    (True, 'lower')
    """
    return {
        "declared": is_declared(meta),
        "family": meta.family,
        "description": meta.description,
        "actionable": meta.actionable,
        "advice": meta.advice,
        "unit": meta.unit,
        "code": meta.code,
        "statement": meta.statement,
        "adverse_action": meta.adverse_action,
        "missing_means": meta.missing_means,
    }
