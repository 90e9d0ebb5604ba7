"""The evaluation and drift reports as types: one declaration of every field, checked when a report is
built, when the page is rendered and when report.json is read back (``read_report``).

Every model forbids fields it does not declare, so a field renamed on one side (the code that builds a
report, the template, a stored report.json) fails loudly instead of leaving a section silently empty.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from lucidscore.errors import InputError, absent, utf8_text

# Version 2: typed; discrimination.evaluated (was .test), training_rows, declared characteristics.
REPORT_VERSION: Literal[2] = 2

Number = float | None  # a figure that may be undefined (NaN in the maths, null in the JSON)
Label = Literal["held-out", "in-sample", "possibly in-sample", "unknown"]
Flag = Literal["stable", "monitor", "shifted"]
Strength = Literal["strong", "moderate", "weak"]

LABEL_TEXT: dict[str, str] = {
    "held-out": "held-out",
    "in-sample": "in-sample",
    "possibly in-sample": "possibly in-sample",
    "unknown": "not known to be held-out",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierCut(_Section):
    name: str
    min_score: int


class ScalingSummary(_Section):
    base_score: float
    base_odds: float
    pdo: float
    tiers: list[TierCut]


class SegmentSummary(_Section):
    name: str
    n_train: int
    bad_rate: float
    metrics: dict[str, float]


class ModelSummary(_Section):
    """The model evaluated: identity, inputs, segments, scaling, and the characteristics it does not
    declare."""

    model_id: str
    content_hash: str
    created_at: str
    target: str
    input_columns: list[str]
    audit_columns: list[str]
    segments: list[SegmentSummary]
    scaling: ScalingSummary
    undeclared: list[str]


class DataSummary(_Section):
    table: str  # the evaluated table (usually its path)
    train: str | None
    target: str
    bad_value: str | int | float
    rows: int
    bad_rate: float
    audit_columns: list[str]


class TrainingRows(_Section):
    """How many of the evaluated rows trained the model (estimated from its fingerprint), and so what
    the figures on them are: held-out, in-sample, possibly in-sample, or unknown."""

    rows: int
    in_training: int | None
    low: int | None  # 95% interval of in_training
    high: int | None
    share: Number
    label: Label
    checked: int  # rows looked up in the fingerprint
    false_positive_rate: Number
    heldout_file: str | None  # the held-out rows train --test-size wrote next to the model
    statement: str  # the plain sentence the report, the model card and the CLI print

    @property
    def label_text(self) -> str:
        return LABEL_TEXT[self.label]


class Discrimination(_Section):
    rows: int
    bads: int
    bad_rate: float
    auc: float
    gini: float
    ks: float
    brier: float
    ci: dict[str, tuple[Number, Number]]  # metric -> [low, high]
    ci_level: float
    n_resamples: int
    seed: int


class Curves(_Section):
    score: list[Number]  # the first point (nothing called bad) has no score
    tpr: list[float]
    fpr: list[float]


class DiscriminationSection(_Section):
    evaluated: Discrimination  # on the evaluated rows, labelled by training_rows.label
    label: Label
    train: Discrimination | None  # on the --train table (in-sample by definition)
    training_metrics: dict[str, Number]
    curves: Curves


class HosmerLemeshow(_Section):
    statistic: float
    dof: float
    p_value: float


class CalibrationBand(_Section):
    band: str
    lower: int
    upper: int
    rows: int
    share: float
    bads: int
    observed_bad_rate: Number
    predicted_bad_rate: Number


class ScoreProbabilityRow(_Section):
    score: int
    probability: float
    observed_bad_rate: Number


class Calibration(_Section):
    brier: float
    hosmer_lemeshow: HosmerLemeshow
    bands: list[CalibrationBand]
    score_probability: list[ScoreProbabilityRow]


class GroupRow(_Section):
    group: str
    rows: int
    share: float
    bads: int
    bad_rate: Number


class DistributionBand(_Section):
    band: str
    rows: int
    share: float
    bads: int
    observed_bad_rate: Number


class Distribution(_Section):
    tiers: list[GroupRow]
    bands: list[DistributionBand]
    mean_score: float


class BinSummary(_Section):
    label: str
    count: int
    bad_count: int
    bad_rate: Number
    woe: float
    points: int


class CharacteristicSummary(_Section):
    segment: str
    name: str
    family: str
    family_label: str
    description: str
    declared: bool
    iv: float
    iv_strength: str
    coefficient: float
    bins: list[BinSummary]


class InteractionGrid(_Section):
    """One interaction grid of a segment (issue 14): the points its cells add, with the evaluated rows of
    the segment and their bad rate in each cell, and the training rows behind each cell when the model
    file records them (``train_*``: empty otherwise). Axis i (j) is the i-th group of ``first``'s
    (``second``'s) bins, labelled with its bins' labels; ``points[i][j]`` is cell (i, j)."""

    segment: str
    first: str
    second: str
    first_labels: list[str]
    second_labels: list[str]
    points: list[list[int]]
    rows: list[list[int]]
    bads: list[list[int]]
    bad_rate: list[list[Number]]  # None where the cell has no rows
    train_rows: list[list[int]] = Field(default_factory=list)
    train_bad_rate: list[list[Number]] = Field(default_factory=list)


class ShiftBand(_Section):
    band: str
    baseline_share: float
    current_share: float


class ScoreStability(_Section):
    psi: float
    flag: Flag
    baseline_rows: int
    current_rows: int
    baseline_mean: float
    current_mean: float
    bands: list[ShiftBand]


class ShiftBin(_Section):
    label: str
    baseline_share: float
    current_share: float


class CharacteristicStability(_Section):
    segment: str
    characteristic: str
    csi: float
    flag: Flag
    points_shift: float
    bins: list[ShiftBin]


class InteractionStability(_Section):
    """One interaction grid of a segment over its cells, current against baseline (issue 14): the PSI of
    the cells' shares, flagged like a characteristic's CSI, and the change in average points the grid adds
    (``points_shift``: the sum of ``cell_points_shift``, each (current share - baseline share) x the
    cell's points). ``training_share`` and ``training_psi`` compare with the training rows the model file
    records behind each cell (empty / None when it records none). Cell ``[i][j]`` is the i-th group of
    ``first``'s bins (``first_labels``) and the j-th of ``second``'s."""

    segment: str
    first: str
    second: str
    first_labels: list[str]
    second_labels: list[str]
    psi: float
    flag: Flag
    points_shift: float
    training_psi: Number
    points: list[list[int]]
    baseline_rows: list[list[int]]
    current_rows: list[list[int]]
    baseline_share: list[list[float]]
    current_share: list[list[float]]
    cell_points_shift: list[list[float]]
    training_share: list[list[float]]

    @property
    def name(self) -> str:
        """How reports and the CLI name the grid: "first × second"."""
        return f"{self.first} × {self.second}"


class Stability(_Section):
    baseline: str
    score: ScoreStability | None
    characteristics: list[CharacteristicStability]
    # The grids over their cells, against the baseline table or the training counts in the model file;
    # absent from report.json when the model has no grids (reports written before grids read as []).
    interactions: list[InteractionStability] = Field(default_factory=list, exclude_if=lambda v: v == [])


class GroupFairness(_Section):
    group: str
    rows: int
    approval_rate: float
    bad_rate: float
    tpr: Number
    mean_score: float
    small: bool
    adverse_impact_ratio: Number
    four_fifths_flag: bool


class FairlearnSummary(_Section):
    demographic_parity_difference: Number
    demographic_parity_ratio: Number
    equal_opportunity_difference: Number
    equalized_odds_difference: Number


class AttributeFairness(_Section):
    cutoff: int
    reference_group: str
    groups: list[GroupFairness]
    min_adverse_impact_ratio: Number
    four_fifths_flagged: list[str]
    tpr_gap: Number
    mean_score_gap: float
    fairlearn: FairlearnSummary


class Fairness(_Section):
    cutoff: int
    approval_rate: float
    audit_join: str
    attributes: dict[str, AttributeFairness]


class Proxy(_Section):
    characteristic: str
    attribute: str
    cramers_v: float
    auc: float
    auc_group: str | None
    strength: Strength


class JointProxy(_Section):
    attribute: str
    auc: float
    auc_group: str | None
    score_auc: float
    characteristics: int
    strength: Strength


class CardMetrics(_Section):
    label: Label
    auc: float
    gini: float
    ks: float
    brier: float


class CardCharacteristic(_Section):
    """Every characteristic of the model, with what it means: nothing scored is hidden."""

    name: str
    family_label: str
    description: str
    declared: bool
    segments: list[str]


class ModelCard(_Section):
    intended_use: str
    out_of_scope: list[str]
    training_data: dict[str, str | int | float | bool]
    training_rows: str  # how many evaluated rows trained the model (training_rows.statement)
    characteristics: list[CardCharacteristic]
    metrics: CardMetrics
    fairness_findings: list[str]
    limitations: list[str]


class EvaluationReport(_Section):
    """Every figure of the validation, fairness and model-card report (report.json)."""

    kind: Literal["lucidscore.evaluation"] = "lucidscore.evaluation"
    version: Literal[2] = REPORT_VERSION
    lucidscore_version: str
    generated_at: str
    model: ModelSummary
    data: DataSummary
    training_rows: TrainingRows
    discrimination: DiscriminationSection
    calibration: Calibration
    distribution: Distribution
    characteristics: list[CharacteristicSummary]
    # Reports written before interactions have none: they still read.
    interactions: list[InteractionGrid] = Field(default_factory=list)
    stability: Stability
    fairness: Fairness
    proxies: list[Proxy]
    proxy_combinations: list[JointProxy]
    model_card: ModelCard


class DriftReport(_Section):
    """Score PSI and characteristic CSI, current against baseline (drift.json)."""

    kind: Literal["lucidscore.drift"] = "lucidscore.drift"
    version: Literal[2] = REPORT_VERSION
    lucidscore_version: str
    generated_at: str
    model: ModelSummary
    baseline: str
    current: str
    score: ScoreStability
    characteristics: list[CharacteristicStability]
    flagged: list[str]
    # Grids of the model (issue 14), over their cells; left out of drift.json when the model has none, so a
    # grid-free model's report is as before, and a drift.json written before grids reads as none.
    interactions: list[InteractionStability] = Field(default_factory=list, exclude_if=lambda v: v == [])


Report = EvaluationReport | DriftReport
_ANY_REPORT: TypeAdapter[Report] = TypeAdapter(
    Annotated[EvaluationReport | DriftReport, Field(discriminator="kind")]
)


def report_json(report: Report) -> str:
    """The report as strict JSON (no NaN), as report.json holds it."""
    return json.dumps(report.model_dump(mode="json"), indent=1, allow_nan=False) + "\n"


def parse_report(text: str, source: str = "report") -> Report:
    """A report from its JSON, validated: a missing, renamed or extra field is an ``InputError`` naming
    ``source`` and the field."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON at line {exc.lineno} column {exc.colno}") from None
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in ("lucidscore.evaluation", "lucidscore.drift"):
        raise InputError(
            f"{source}: field kind is {kind!r}; expected lucidscore.evaluation or lucidscore.drift"
        )
    if raw.get("version") != REPORT_VERSION:
        raise InputError(
            f"{source}: version is {raw.get('version')!r}; this lucidscore reads report version "
            f"{REPORT_VERSION} (evaluate again to rewrite it)"
        )
    try:
        return _ANY_REPORT.validate_python(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:3]:
            where = ".".join(str(x) for x in err["loc"][1:])  # [0] is the kind the union chose
            problems.append(f"field {where}: {err['msg']}")
        more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise InputError(
            f"{source}: {'; '.join(problems)}{more}; the file does not match the {kind} report schema "
            f"(version {REPORT_VERSION})"
        ) from None


def read_report(path: str | Path) -> Report:
    """Read and validate report.json (or drift.json) written by ``write_report``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {absent(p)}; expected the report.json written by lucidscore evaluate")
    return parse_report(utf8_text(p, "the report.json written by lucidscore evaluate"), str(p))
