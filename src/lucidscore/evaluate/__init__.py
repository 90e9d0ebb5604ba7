"""Validation, fairness, stability and model-card reports for a scorecard (SR 11-7 style), and the
less-discriminatory-alternative search.

Metric functions are pure and vectorised; ``evaluation_report`` and ``drift_report`` assemble every
figure into one typed report (``EvaluationReport``, ``DriftReport``), which ``write_report`` renders as
self-contained HTML plus JSON and ``read_report`` reads back, validated. How many of the evaluated rows
trained the model comes from the model's fingerprint of its training rows (``training_rows``): figures
are labelled held-out or in-sample accordingly.
``lda_search`` fits candidate cards in cross-validation and keeps the Pareto frontier of AUC against the
worst adverse impact ratio; ``lda_report`` and ``write_lda_report`` turn it into JSON and HTML.
"""

from lucidscore.evaluate._assign import bin_index, reference_scores, segment_index
from lucidscore.evaluate._audit import align_audit, align_columns
from lucidscore.evaluate._fairness import (
    FOUR_FIFTHS,
    age_bands,
    audit_groups,
    fairlearn_summary,
    fairness_table,
)
from lucidscore.evaluate._lda_html import render_lda, write_lda_report
from lucidscore.evaluate._lda_search import Outcome as LdaOutcome
from lucidscore.evaluate._lda_search import (
    approve_at_rate,
    choose_alternative,
    cutoff_at_rate,
    dominates,
    pareto_frontier,
)
from lucidscore.evaluate._lda_search import refit as lda_refit
from lucidscore.evaluate._lda_search import search as lda_search
from lucidscore.evaluate._lda_tables import lda_report
from lucidscore.evaluate._lda_tables import provenance as lda_provenance
from lucidscore.evaluate._metrics import (
    auc,
    band_edges,
    band_table,
    bootstrap_intervals,
    brier,
    curves,
    discrimination,
    gini,
    hosmer_lemeshow,
    ks,
)
from lucidscore.evaluate._proxies import cramers_v, joint_proxy_table, proxy_table, single_feature_auc
from lucidscore.evaluate._report_data import (
    Table,
    check_cutoff,
    drift_report,
    evaluation_report,
    iv_strength,
    model_summary,
    target_values,
    training_rows,
)
from lucidscore.evaluate._report_html import render_drift, render_report, write_report
from lucidscore.evaluate._report_types import (
    REPORT_VERSION,
    DriftReport,
    EvaluationReport,
    Report,
    TrainingRows,
    parse_report,
    read_report,
    report_json,
)
from lucidscore.evaluate._scoring import score_table
from lucidscore.evaluate._stability import (
    characteristic_stability,
    flag,
    interaction_stability,
    psi,
    score_stability,
)

__all__ = [
    "FOUR_FIFTHS",
    "REPORT_VERSION",
    "DriftReport",
    "EvaluationReport",
    "LdaOutcome",
    "Report",
    "Table",
    "TrainingRows",
    "age_bands",
    "align_audit",
    "align_columns",
    "approve_at_rate",
    "auc",
    "audit_groups",
    "band_edges",
    "band_table",
    "bin_index",
    "bootstrap_intervals",
    "brier",
    "characteristic_stability",
    "check_cutoff",
    "choose_alternative",
    "cramers_v",
    "curves",
    "cutoff_at_rate",
    "discrimination",
    "dominates",
    "drift_report",
    "evaluation_report",
    "fairlearn_summary",
    "fairness_table",
    "flag",
    "gini",
    "hosmer_lemeshow",
    "interaction_stability",
    "iv_strength",
    "joint_proxy_table",
    "ks",
    "lda_provenance",
    "lda_refit",
    "lda_report",
    "lda_search",
    "model_summary",
    "pareto_frontier",
    "parse_report",
    "proxy_table",
    "psi",
    "read_report",
    "reference_scores",
    "render_drift",
    "render_lda",
    "render_report",
    "report_json",
    "score_stability",
    "score_table",
    "segment_index",
    "single_feature_auc",
    "target_values",
    "training_rows",
    "write_lda_report",
    "write_report",
]
