"""The model file and its meaning: the contract between fitting, scoring, evaluation and the service.

Light on purpose (pydantic, numpy, pandas; no numba, no scikit-learn), so the service can read models
without loading the engines:

- the model file (``ScorecardArtifact``: versioned, hashed JSON; ``load_artifact``);
- scaling between log-odds and the 350-950 score, and tiers (``Scaling``);
- how a raw cell is read (``numeric_values``, ``category_text``) and the plain-numpy reference rule for
  placing a row in a segment and a bin (``bin_index``, ``segment_of_rows``, ``reference_scores``), which
  every engine is tested against;
- the fingerprint of a model's training rows (``RowFingerprint``, ``fingerprint_rows``) and the estimate of
  how many rows of a table trained the model (``training_overlap``);
- declarations (``load_declarations``: unit, advice direction, code, statements of each characteristic),
  how values are written for a consumer (``format_value``, ``format_range``), which bins a row can reach
  without leaving its segment (``bin_witnesses``), the statements of every bin (``bin_statements``) and
  the typed explanation of a score (``Explanation``, ``Reason``, ``Change``, ``Recourse``).
"""

import importlib
from typing import TYPE_CHECKING

from lucidscore.artifact._declarations import Declaration, load_declarations, parse_declarations
from lucidscore.artifact._explanation import Change, Explanation, InteractionPoints, Reason, Recourse
from lucidscore.artifact._fingerprint import (
    Overlap,
    RowFingerprint,
    fingerprint_from_hashes,
    fingerprint_rows,
    fingerprint_rows_later,
    row_hashes,
    training_overlap,
)
from lucidscore.artifact._model import (
    MAX_INTERACTIONS,
    SCHEMA_VERSION,
    Bin,
    Characteristic,
    Condition,
    Interaction,
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
    BinStatement,
    PairBetter,
    adverse_action_of,
    bin_statements,
    is_inquiry_characteristic,
    pair_adverse_action,
    pair_better,
    pair_label,
    pair_statement_text,
    pair_statements,
    statement_text,
)
from lucidscore.artifact._units import (
    display_round,
    format_range,
    format_rounded,
    format_value,
    join_alternatives,
)

# The reference rule and the cell reader need pandas; they load on first use, so the service (which reads
# model files but never places rows in bins) starts without pandas.
_LAZY = {
    "ReasonUnit": "_attainable",
    "Witness": "_attainable",
    "attainable_bins": "_attainable",
    "best_reachable_points": "_attainable",
    "bin_witnesses": "_attainable",
    "reason_units": "_attainable",
    "reference_reasons": "_attainable",
    "bin_index": "_reference",
    "bin_index_of_numbers": "_reference",
    "bin_index_of_texts": "_reference",
    "condition_mask": "_reference",
    "raw_points": "_reference",
    "reference_scores": "_reference",
    "segment_of_rows": "_reference",
    "canonical_number": "_values",
    "category_codes": "_values",
    "category_keys": "_values",
    "category_text": "_values",
    "category_values": "_values",
    "nested_cell_error": "_values",
    "NUMBER_PATTERN": "_values",
    "SPACE_PATTERN": "_values",
    "numeric_columns": "_values",
    "numeric_values": "_values",
    "parse_numbers": "_values",
}

if TYPE_CHECKING:
    from lucidscore.artifact._attainable import (
        ReasonUnit,
        Witness,
        attainable_bins,
        best_reachable_points,
        bin_witnesses,
        reason_units,
        reference_reasons,
    )
    from lucidscore.artifact._reference import (
        bin_index,
        bin_index_of_numbers,
        bin_index_of_texts,
        condition_mask,
        raw_points,
        reference_scores,
        segment_of_rows,
    )
    from lucidscore.artifact._values import (
        NUMBER_PATTERN,
        SPACE_PATTERN,
        canonical_number,
        category_codes,
        category_keys,
        category_text,
        category_values,
        nested_cell_error,
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
    "MAX_INTERACTIONS",
    "MAX_PRINCIPAL_REASONS",
    "MAX_SCORE",
    "MIN_SCORE",
    "NUMBER_PATTERN",
    "SCHEMA_VERSION",
    "SPACE_PATTERN",
    "Bin",
    "BinStatement",
    "Change",
    "Characteristic",
    "Condition",
    "Declaration",
    "Explanation",
    "Interaction",
    "InteractionPoints",
    "Overlap",
    "PairBetter",
    "Reason",
    "ReasonUnit",
    "Recourse",
    "RowFingerprint",
    "Scaling",
    "ScoreProbability",
    "ScorecardArtifact",
    "Segment",
    "Tier",
    "Witness",
    "adverse_action_of",
    "attainable_bins",
    "best_reachable_points",
    "bin_index",
    "bin_index_of_numbers",
    "bin_index_of_texts",
    "bin_statements",
    "bin_witnesses",
    "canonical_number",
    "category_codes",
    "category_keys",
    "category_text",
    "category_values",
    "check_artifact_inputs",
    "condition_mask",
    "display_round",
    "fingerprint_from_hashes",
    "fingerprint_rows",
    "fingerprint_rows_later",
    "format_range",
    "format_rounded",
    "format_value",
    "is_inquiry_characteristic",
    "join_alternatives",
    "load_artifact",
    "load_declarations",
    "nested_cell_error",
    "numeric_columns",
    "numeric_inputs",
    "numeric_values",
    "pair_adverse_action",
    "pair_better",
    "pair_label",
    "pair_statement_text",
    "pair_statements",
    "parse_artifact",
    "parse_declarations",
    "parse_numbers",
    "raw_points",
    "reason_units",
    "reference_reasons",
    "reference_scores",
    "row_hashes",
    "segment_of_rows",
    "statement_text",
    "training_overlap",
]
