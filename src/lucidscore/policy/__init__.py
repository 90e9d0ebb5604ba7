"""Scope rules of SPEC section 2, enforced in code: families, prohibited inputs, benefit rules."""

from lucidscore.policy.benefits import (
    Benefit,
    BenefitCatalogue,
    BenefitDecision,
    default_catalogue,
    load_catalogue,
)
from lucidscore.policy.families import (
    ADVICE_DIRECTIONS,
    ALL_FAMILIES,
    FAMILY_LABELS,
    FEATURE_META_KEY,
    UNITS,
    UNUSED_FAMILY,
    USABLE_FAMILIES,
    Advice,
    Family,
    FeatureMeta,
    Unit,
    template_problem,
)
from lucidscore.policy.guard import check_model_inputs, name_tokens, refusal_reason

__all__ = [
    "ADVICE_DIRECTIONS",
    "ALL_FAMILIES",
    "FAMILY_LABELS",
    "FEATURE_META_KEY",
    "UNITS",
    "UNUSED_FAMILY",
    "USABLE_FAMILIES",
    "Advice",
    "Benefit",
    "BenefitCatalogue",
    "BenefitDecision",
    "Family",
    "FeatureMeta",
    "Unit",
    "check_model_inputs",
    "default_catalogue",
    "load_catalogue",
    "name_tokens",
    "refusal_reason",
    "template_problem",
]
