"""Scope rules of SPEC section 2, enforced in code: families, prohibited inputs, benefit rules."""

from lucidscore.policy.benefits import (
    Benefit,
    BenefitCatalogue,
    BenefitDecision,
    default_catalogue,
    load_catalogue,
)
from lucidscore.policy.families import (
    ALL_FAMILIES,
    FAMILY_LABELS,
    FEATURE_META_KEY,
    UNUSED_FAMILY,
    USABLE_FAMILIES,
    Family,
    FeatureMeta,
)
from lucidscore.policy.guard import check_model_inputs, name_tokens, refusal_reason

__all__ = [
    "ALL_FAMILIES",
    "FAMILY_LABELS",
    "FEATURE_META_KEY",
    "UNUSED_FAMILY",
    "USABLE_FAMILIES",
    "Benefit",
    "BenefitCatalogue",
    "BenefitDecision",
    "Family",
    "FeatureMeta",
    "check_model_inputs",
    "default_catalogue",
    "load_catalogue",
    "name_tokens",
    "refusal_reason",
]
