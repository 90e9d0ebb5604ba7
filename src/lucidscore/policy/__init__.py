"""Scope rules of SPEC section 2, enforced in code: families, prohibited inputs, benefit rules."""

from lucidscore.policy.benefits import (
    BENEFIT_KINDS,
    Benefit,
    BenefitCatalogue,
    BenefitDecision,
    BenefitKind,
    catalogue_json,
    default_catalogue,
    forbidden_purposes,
    load_catalogue,
    parse_catalogue,
    refused_purpose,
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
from lucidscore.policy.guard import check_model_inputs, name_tokens, refusal_reason, refused_vocabulary

__all__ = [
    "ALL_FAMILIES",
    "BENEFIT_KINDS",
    "FAMILY_LABELS",
    "FEATURE_META_KEY",
    "UNUSED_FAMILY",
    "USABLE_FAMILIES",
    "Benefit",
    "BenefitCatalogue",
    "BenefitDecision",
    "BenefitKind",
    "Family",
    "FeatureMeta",
    "catalogue_json",
    "check_model_inputs",
    "default_catalogue",
    "forbidden_purposes",
    "load_catalogue",
    "name_tokens",
    "parse_catalogue",
    "refusal_reason",
    "refused_purpose",
    "refused_vocabulary",
]
