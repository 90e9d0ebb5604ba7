"""The model file and its meaning: the contract between fitting, scoring, evaluation and the service.

Light on purpose (pydantic, numpy, pandas; no numba, no scikit-learn), so the service can read models
without loading the engines:

- the model file (``ScorecardArtifact``: versioned, hashed JSON; ``load_artifact``);
- scaling between log-odds and the 350-950 score, and tiers (``Scaling``);
- how a raw cell is read (``numeric_values``, ``category_text``) and the plain-numpy reference rule for
  placing a row in a segment and a bin (``bin_index``, ``segment_of_rows``, ``reference_scores``), which
  every engine is tested against;
- the reason text of every bin (``bin_reason_text``) and the typed explanation of a score
  (``Explanation``, ``Reason``, ``Recourse``);
- the fingerprint of a model's training rows (``RowFingerprint``, ``fingerprint_rows``) and the estimate of
  how many rows of a table trained the model (``training_overlap``).
"""

import importlib
from typing import TYPE_CHECKING

from lucidscore.artifact._explanation import Change, Explanation, Reason, Recourse
from lucidscore.artifact._fingerprint import (
    Overlap,
    RowFingerprint,
    fingerprint_rows,
    row_hashes,
    training_overlap,
)
from lucidscore.artifact._model import (
    SCHEMA_VERSION,
    Bin,
    Characteristic,
    Condition,
    ScorecardArtifact,
    ScoreProbability,
    Segment,
    check_artifact_inputs,
    load_artifact,
    numeric_inputs,
    parse_artifact,
)
from lucidscore.artifact._scaling import DEFAULT_TIERS, MAX_SCORE, MIN_SCORE, Scaling, Tier
from lucidscore.artifact._texts import (
    MAX_PRINCIPAL_REASONS,
    bin_reason_text,
    bin_reason_texts,
    is_inquiry_characteristic,
)

# The reference rule and the cell reader need pandas; they load on first use, so the service (which reads
# model files but never places rows in bins) starts without pandas.
_LAZY = {
    "bin_index": "_reference",
    "condition_mask": "_reference",
    "raw_points": "_reference",
    "reference_scores": "_reference",
    "segment_of_rows": "_reference",
    "canonical_number": "_values",
    "category_codes": "_values",
    "category_keys": "_values",
    "category_text": "_values",
    "category_values": "_values",
    "numeric_columns": "_values",
    "numeric_values": "_values",
    "parse_numbers": "_values",
}

if TYPE_CHECKING:
    from lucidscore.artifact._reference import (
        bin_index,
        condition_mask,
        raw_points,
        reference_scores,
        segment_of_rows,
    )
    from lucidscore.artifact._values import (
        canonical_number,
        category_codes,
        category_keys,
        category_text,
        category_values,
        numeric_columns,
        numeric_values,
        parse_numbers,
    )


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(f"lucidscore.artifact.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'lucidscore.artifact' has no attribute {name!r}")


__all__ = [
    "DEFAULT_TIERS",
    "MAX_PRINCIPAL_REASONS",
    "MAX_SCORE",
    "MIN_SCORE",
    "SCHEMA_VERSION",
    "Bin",
    "Change",
    "Characteristic",
    "Condition",
    "Explanation",
    "Overlap",
    "Reason",
    "Recourse",
    "RowFingerprint",
    "Scaling",
    "ScoreProbability",
    "ScorecardArtifact",
    "Segment",
    "Tier",
    "bin_index",
    "bin_reason_text",
    "bin_reason_texts",
    "canonical_number",
    "category_codes",
    "category_keys",
    "category_text",
    "category_values",
    "check_artifact_inputs",
    "condition_mask",
    "fingerprint_rows",
    "is_inquiry_characteristic",
    "load_artifact",
    "numeric_columns",
    "numeric_inputs",
    "numeric_values",
    "parse_artifact",
    "parse_numbers",
    "raw_points",
    "reference_scores",
    "row_hashes",
    "segment_of_rows",
    "training_overlap",
]
