"""The model artifact: versioned, schema-checked JSON with a content hash. Never pickle.

This is the contract between layers: ``model`` writes it; ``score`` (the compiled kernel, Spark, the SQL
export) evaluates it; ``evaluate``, ``service`` and ``api`` read it. ``_reference`` implements the rule
below in plain numpy, and every engine is tested against it.

Scoring rule, identical in every engine:
  1. choose the segment: the first segment whose ``condition`` matches the row, else the segment whose
     condition is None (there is exactly one such default segment, listed last);
  2. for each characteristic of that segment, find the row's bin (how a cell is read: ``_values``):
     - value missing (NaN/None/empty) -> the ``missing`` bin;
     - numeric characteristic, a value that is not a number -> the row cannot be scored (an error);
     - value equal to one of the characteristic's ``special_values`` -> that ``special`` bin;
     - numeric: the ``interval`` bin with lower <= value < upper (None = unbounded);
     - categorical: the ``categories`` bin that lists the value (compared as strings); a category never
       seen in training falls in the ``missing`` bin;
  3. score = clip(segment.base_points + sum of the bins' ``points``, 350, 950) — integers throughout;
  4. probability of bad = Scaling.probability_from_score(score); tier = Scaling.tier_of(score).

Fields added after the first files were written (a characteristic's ``declared`` flag, the artifact's
``fingerprint`` of its training rows, issue 13) are left out of the JSON at their defaults, so the schema
stays at version 1: every file written before them loads and hashes exactly as it was written (its
characteristics count as undeclared, and it has no fingerprint).

Each characteristic may carry its declaration (issue 10): the advice direction recourse may move it
(``lower``, ``higher`` or ``none``), the unit its values are written in, a stable reason code, the consumer
statement template and the merchant's adverse-action statement. These fields are optional and a field at
its default is left out of the JSON, so the schema stays at version 1: every file written before them
loads and hashes exactly as it was written (such a file declares no advice direction, so recourse advises
nothing for it). A lucidscore older than issue 10 refuses a file that uses them, naming the field.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from lucidscore.artifact._fingerprint import RowFingerprint
from lucidscore.artifact._scaling import Scaling
from lucidscore.errors import ModelFileError, PolicyViolation, absent
from lucidscore.paths import temporary_sibling
from lucidscore.policy.families import Advice, Family, FeatureMeta, Unit, template_problem
from lucidscore.policy.guard import check_model_inputs

SCHEMA_VERSION = 1

BinKind = Literal["interval", "categories", "missing", "special"]


class Bin(BaseModel):
    """One bin of a characteristic, with its training statistics and its integer points."""

    model_config = ConfigDict(extra="forbid")

    kind: BinKind
    lower: float | None = None  # interval: inclusive lower edge, None = -inf
    upper: float | None = None  # interval: exclusive upper edge, None = +inf
    categories: list[str] = Field(default_factory=list)  # categories bin: the values it holds
    special_value: float | None = None  # special bin: the bureau code it holds
    label: str  # human text for the bin, e.g. "2 to 4", "A11, A12", "missing", "code -8"
    count: int = Field(ge=0)  # training rows in the bin
    bad_count: int = Field(ge=0)  # training rows in the bin with target = 1
    woe: float  # ln(share of goods / share of bads); higher is better
    points: int  # integer points this bin adds to the score


# Characteristic fields added after the first model files (whether it was declared, issue 13; its
# declaration, issue 10), optional so that every earlier model file still loads and hashes as written: a
# field at its default is left out of the JSON (``_omit_undeclared``).
_DECLARED_DEFAULTS: dict[str, object] = {
    "declared": False,
    "advice": None,
    "unit": "number",
    "code": "",
    "statement": "",
    "adverse_action": "",
    "missing_means": "",
}
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class Characteristic(BaseModel):
    """A model input column, binned, with its family and its declaration: the texts of its reasons and the
    direction recourse may move it."""

    model_config = ConfigDict(extra="forbid")

    name: str  # input column name
    family: Family
    dtype: Literal["numeric", "categorical"]
    description: str  # plain language, e.g. "Months late on most recent payment"
    actionable: bool = False  # advice is lower or higher (files before issue 10: no direction, no advice)
    monotonic_trend: str = (
        "auto"  # the WOE trend the binning imposed: ascending, descending, peak, valley, none
    )
    special_values: list[float] = Field(default_factory=list)
    iv: float = Field(ge=0)
    coefficient: float  # logistic regression coefficient on WOE
    bins: list[Bin]
    # The family and description were declared (a declaration file, the feature catalogue's metadata), not
    # guessed from the column name. A model people are scored with declares every characteristic.
    declared: bool = False
    advice: Advice | None = None  # which way recourse may move it; None (older files) = none
    unit: Unit = "number"  # how its values are written for a consumer
    code: str = ""  # stable reason code; "" = the column name
    statement: str = ""  # consumer statement template ({value}, {better}); "" = the default statement
    adverse_action: str = ""  # the merchant's adverse-action statement; "" = the description
    missing_means: str = ""  # what a missing value means to the consumer; "" = "not reported"

    @model_serializer(mode="wrap")
    def _omit_undeclared(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key, default in _DECLARED_DEFAULTS.items():
            if key in data and data[key] == default:
                del data[key]
        return data

    @property
    def reason_code(self) -> str:
        """The stable code reasons carry: the declared code, else the column name."""
        return self.code or self.name

    @property
    def advice_direction(self) -> Advice:
        """The declared advice direction; ``none`` when the file declares none."""
        return self.advice or "none"

    def declaration(self) -> FeatureMeta:
        """The characteristic's declaration, as ``train`` took it (to refit with the same declarations)."""
        return FeatureMeta(
            name=self.name,
            family=self.family,
            description=self.description,
            advice=self.advice_direction,
            unit=self.unit,
            code=self.code,
            statement=self.statement,
            adverse_action=self.adverse_action,
            missing_means=self.missing_means,
        )

    @property
    def adverse_action_text(self) -> str:
        """What a merchant tells an applicant about this characteristic (no personal values)."""
        return self.adverse_action or self.description.strip() or self.name

    @model_validator(mode="after")
    def _declaration_well_formed(self) -> Characteristic:
        if self.advice is not None and self.actionable != (self.advice != "none"):
            raise ValueError(
                f"characteristic {self.name!r}: actionable is {self.actionable} but advice is "
                f"{self.advice!r}; actionable must be true exactly when advice is lower or higher"
            )
        if self.code and not _CODE.match(self.code):
            raise ValueError(
                f"characteristic {self.name!r}: code {self.code!r} must be 1-40 letters, digits, _ . -"
            )
        problem = template_problem(self.statement)
        if problem:
            raise ValueError(f"characteristic {self.name!r}: statement {problem}")
        return self

    @model_validator(mode="after")
    def _bins_well_formed(self) -> Characteristic:
        """Every value has exactly one bin: one missing bin; numeric intervals tile the number line."""
        missing = [b for b in self.bins if b.kind == "missing"]
        if len(missing) != 1:
            raise ValueError(f"characteristic {self.name!r} must have exactly one missing bin")
        wrong = "categories" if self.dtype == "numeric" else "interval"
        if any(b.kind == wrong for b in self.bins):
            raise ValueError(f"{self.dtype} characteristic {self.name!r} cannot have {wrong} bins")
        if any(b.kind == "special" and b.special_value is None for b in self.bins):
            raise ValueError(f"characteristic {self.name!r}: a special bin needs its special_value")
        intervals = sorted(
            (b for b in self.bins if b.kind == "interval"),
            key=lambda b: -math.inf if b.lower is None else b.lower,
        )
        if self.dtype == "numeric":
            lowers = [b.lower for b in intervals]
            uppers = [b.upper for b in intervals]
            if not intervals or lowers[0] is not None or uppers[-1] is not None or lowers[1:] != uppers[:-1]:
                raise ValueError(
                    f"characteristic {self.name!r}: interval bins must tile the number line "
                    "(first lower and last upper null, each upper equal to the next lower)"
                )
            pairs = zip(lowers, uppers, strict=True)
            if any(lo is not None and hi is not None and not lo < hi for lo, hi in pairs):
                raise ValueError(f"characteristic {self.name!r}: an interval bin has lower >= upper")
        return self

    @property
    def best_points(self) -> int:
        return max(b.points for b in self.bins)


class Condition(BaseModel):
    """A segment condition on one column: ``column op value``."""

    model_config = ConfigDict(extra="forbid")

    column: str
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in"]
    value: float | str | list[float] | list[str]

    @property
    def is_numeric(self) -> bool:
        """Compares numbers (else category texts)."""
        value = self.value
        return not (
            isinstance(value, str) or (isinstance(value, list) and any(isinstance(v, str) for v in value))
        )


MAX_INTERACTIONS = 5  # interaction tables per segment at most (issue 14)
# Experiment only (issue 14, "stars"; ``lucidscore.model._interactions.SHARED_CHARACTERISTICS``): accept a
# characteristic in several grids of a segment. No engine but the reference rule scores such a model.
SHARED_CHARACTERISTICS = False


class Interaction(BaseModel):
    """A points grid on two characteristics of its segment (issue 14): a row whose ``first``
    characteristic's bin is in ``first_groups[i]`` (positions in that characteristic's ``bins``) and whose
    ``second`` one's is in ``second_groups[j]`` gets ``points[i][j]`` more. Each axis groups the
    characteristic's own bins (every bin in exactly one group, so every row falls in one cell).

    The rule every engine follows (docs/scoring.md, "Interactions"): a characteristic belongs to at most
    one interaction of its segment, and ``first`` is listed before ``second`` among the segment's
    characteristics. Score = base points + the points of every bin + the grid points of every
    interaction's cell. For reasons the pair is one *unit* standing where ``first`` is listed (``second``
    is then no unit of its own): its joint points at bins (a, b) are points(a) + points(b) + grid cell
    of (a, b); its points lost are the best joint points over the pairs of attainable bins minus the
    row's, and its reason code is ``"<first code>+<second code>"``."""

    model_config = ConfigDict(extra="forbid")

    first: str
    second: str
    first_groups: list[list[int]]
    second_groups: list[list[int]]
    points: list[list[int]]
    # The training rows behind each cell and the bads among them (as ``Bin.count``/``bad_count``); empty
    # when not known.
    counts: list[list[int]] = Field(default_factory=list)
    bad_counts: list[list[int]] = Field(default_factory=list)

    def points_by_bin(self) -> list[list[int]]:
        """The grid spread to bins: ``[a][b]`` = the points of the cell holding bin ``a`` of ``first`` and
        bin ``b`` of ``second`` (positions in each characteristic's ``bins``)."""
        row_of = {a: i for i, group in enumerate(self.first_groups) for a in group}
        col_of = {b: j for j, group in enumerate(self.second_groups) for b in group}
        return [[self.points[row_of[a]][col_of[b]] for b in range(len(col_of))] for a in range(len(row_of))]


def _groups_problem(groups: list[list[int]], n_bins: int) -> str:
    """Why ``groups`` is not a partition of the bin positions ``0..n_bins-1`` into ordered groups ("" if it
    is one)."""
    if not groups or any(not g for g in groups):
        return "needs at least one group and no empty group"
    flat = [i for g in groups for i in g]
    if sorted(flat) != list(range(n_bins)):
        return f"must list each of the characteristic's {n_bins} bin positions exactly once, found {flat}"
    return ""


class Segment(BaseModel):
    """One scorecard; segmented models choose one per row (SPEC section 3: thin vs thick file)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    condition: Condition | None = None  # None: the default segment (exactly one, listed last)
    intercept: float
    base_points: int  # constant points; score = base_points + sum(bin points)
    characteristics: list[Characteristic]
    n_train: int = Field(ge=0)
    bad_rate: float = Field(ge=0, le=1)
    metrics: dict[str, float] = Field(default_factory=dict)  # e.g. train_auc, test_auc, test_gini, test_ks
    # Points grids on pairs of characteristics (issue 14); left out of the JSON when empty, so files
    # written before them load and hash exactly as written.
    interactions: list[Interaction] = Field(default_factory=list, exclude_if=lambda v: v == [])

    @model_validator(mode="after")
    def _interactions_well_formed(self) -> Segment:
        if len(self.interactions) > MAX_INTERACTIONS:
            raise ValueError(
                f"segment {self.name!r} has {len(self.interactions)} interaction tables; "
                f"at most {MAX_INTERACTIONS} are allowed"
            )
        bins = {c.name: len(c.bins) for c in self.characteristics}
        order = {c.name: i for i, c in enumerate(self.characteristics)}
        paired: set[str] = set()
        for k, inter in enumerate(self.interactions):
            where = f"segment {self.name!r} interaction {k} ({inter.first} x {inter.second})"
            if inter.first == inter.second:
                raise ValueError(f"{where}: needs two different characteristics")
            for name in (inter.first, inter.second):
                if name not in bins:
                    raise ValueError(f"{where}: {name!r} is not a characteristic of the segment")
            if order[inter.first] > order[inter.second]:
                raise ValueError(
                    f"{where}: first must be listed before second among the segment's characteristics"
                )
            for name in (inter.first, inter.second):
                if name in paired and not SHARED_CHARACTERISTICS:
                    raise ValueError(
                        f"{where}: {name!r} is already in another interaction of the segment; "
                        "a characteristic belongs to at most one"
                    )
                paired.add(name)
            for axis, groups, name in (
                ("first_groups", inter.first_groups, inter.first),
                ("second_groups", inter.second_groups, inter.second),
            ):
                problem = _groups_problem(groups, bins[name])
                if problem:
                    raise ValueError(f"{where}: {axis} {problem}")
            rows, cols = len(inter.first_groups), len(inter.second_groups)
            for field, grid in (
                ("points", inter.points),
                ("counts", inter.counts),
                ("bad_counts", inter.bad_counts),
            ):
                if field != "points" and not grid:
                    continue
                if len(grid) != rows or any(len(r) != cols for r in grid):
                    raise ValueError(
                        f"{where}: {field} must be a {rows} x {cols} grid (first x second groups)"
                    )
        return self


def numeric_inputs(segments: list[Segment]) -> list[str]:
    """Columns the segments read as numbers, in first-use order (segment conditions first): a non-number
    in any of them makes the row unscoreable, and the first such row and column are the ones named."""
    names = [s.condition.column for s in segments if s.condition and s.condition.is_numeric]
    names += [c.name for s in segments for c in s.characteristics if c.dtype == "numeric"]
    return list(dict.fromkeys(names))


class ScoreProbability(BaseModel):
    """A row of the score -> probability table that every artifact and report carries."""

    model_config = ConfigDict(extra="forbid")

    score: int
    probability: float  # probability of bad implied by the scaling
    observed_bad_rate: float | None = None  # in training data around this score, when known


class ScorecardArtifact(BaseModel):
    """Everything needed to score, explain and export a model: nothing else, and never code."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    kind: Literal["lucidscore.scorecard"] = "lucidscore.scorecard"
    model_id: str  # short human id, e.g. "sc-20261122-1a2b3c4d"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    target: str
    input_columns: list[str]  # every column the model reads (characteristics and segment conditions)
    excluded_columns: list[str] = Field(default_factory=list)  # --exclude
    audit_columns: list[str] = Field(default_factory=list)  # kept out of the model, for the fairness audit
    scaling: Scaling = Field(default_factory=Scaling)
    segments: list[Segment]
    score_probability: list[ScoreProbability]
    training: dict[str, Any] = Field(default_factory=dict)  # rows, bad rate, split, seed, metrics, params
    fingerprint: RowFingerprint | None = None  # which rows trained it (never their values); None: unknown
    content_hash: str = ""  # sha256 of the canonical JSON of every other field

    @model_serializer(mode="wrap")
    def _omit_no_fingerprint(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("fingerprint", 0) is None:
            del data["fingerprint"]
        return data

    @model_validator(mode="after")
    def _segments_well_formed(self) -> ScorecardArtifact:
        if not self.segments:
            raise ValueError("a model needs at least one segment")
        defaults = [s for s in self.segments if s.condition is None]
        if len(defaults) != 1 or self.segments[-1].condition is not None:
            raise ValueError("exactly one default segment (condition null) is required, listed last")
        owner: dict[str, str] = {}
        for char in (c for s in self.segments for c in s.characteristics):
            other = owner.setdefault(char.reason_code, char.name)
            if other != char.name:
                raise ValueError(
                    f"reason code {char.reason_code!r} is declared for both {other!r} and {char.name!r}; "
                    "each characteristic needs a code of its own"
                )
        return self

    @property
    def numeric_columns(self) -> list[str]:
        """Input columns read as numbers (``numeric_inputs``)."""
        return numeric_inputs(self.segments)

    @property
    def undeclared(self) -> list[str]:
        """Characteristics whose family and description were guessed from the name, not declared (each
        once, in first-use order): a model people are scored with may have none."""
        names = [c.name for s in self.segments for c in s.characteristics if not c.declared]
        return list(dict.fromkeys(names))

    def canonical_json(self) -> str:
        """JSON of every field but the hash, with sorted keys: the bytes the hash covers."""
        data = self.model_dump(mode="json", exclude={"content_hash"})
        return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)

    def compute_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def with_hash(self) -> ScorecardArtifact:
        return self.model_copy(update={"content_hash": self.compute_hash()})

    def save(self, path: str | Path) -> Path:
        """Write the artifact (hash filled in) atomically."""
        p = Path(path)
        art = self.with_hash()
        tmp = temporary_sibling(p)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(art.model_dump(mode="json"), indent=1, allow_nan=False) + "\n", "utf-8")
        tmp.replace(p)
        return p


def load_artifact(path: str | Path) -> ScorecardArtifact:
    """Load and validate a model file; refuse one that was edited, truncated, forged or is of another
    version (see ``parse_artifact``)."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(
            f"{p}: {absent(p, 'model file')}; expected the JSON written by `lucidscore train`"
        )
    return parse_artifact(p.read_text("utf-8", errors="replace"), str(p))


def _refuse_constant(name: str) -> float:
    raise ValueError(f"the number {name} is not allowed in a model file")


def parse_artifact(text: str, source: str = "model") -> ScorecardArtifact:
    """Validate model JSON from any door (a file, the database, an upload).

    Refuses, with one line naming ``source`` and the field: invalid or truncated JSON, NaN or infinite
    numbers, nesting deeper than a model has, another kind or schema version, a schema mismatch, a
    content hash that does not match the content, and inputs the policy guard refuses (SPEC section 2).
    """
    try:
        raw = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{source}: not valid JSON at line {exc.lineno} column {exc.colno} (truncated or edited?); "
            "expected the JSON written by `lucidscore train`"
        ) from None
    except ValueError as exc:
        raise ModelFileError(f"{source}: {exc}; expected the JSON written by `lucidscore train`") from None
    except RecursionError:
        raise ModelFileError(
            f"{source}: JSON nested too deeply to be a model; expected the JSON written by `lucidscore train`"
        ) from None
    if not isinstance(raw, dict) or raw.get("kind") != "lucidscore.scorecard":
        raise ModelFileError(f"{source}: not a lucidscore model (field 'kind' is not 'lucidscore.scorecard')")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ModelFileError(
            f"{source}: schema_version is {version!r}; this lucidscore reads schema_version {SCHEMA_VERSION}"
        )
    try:
        art = ScorecardArtifact.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ModelFileError(
            f"{source}: field {where}: {first['msg']}; the file does not match the model schema"
        ) from None
    except RecursionError:
        raise ModelFileError(f"{source}: nested too deeply to be a model") from None
    expected = art.compute_hash()
    if art.content_hash != expected:
        raise ModelFileError(
            f"{source}: content_hash is {art.content_hash or 'empty'} but the content hashes to {expected}; "
            "the file was edited after training — retrain or restore the original"
        )
    check_artifact_inputs(art, source)
    return art


def check_artifact_inputs(art: ScorecardArtifact, source: str = "model") -> None:
    """Run the policy guard on every input a model reads, with the family each characteristic declares:
    a re-hashed file cannot smuggle in a refused input (SPEC section 2)."""
    metas = {
        c.name: FeatureMeta(name=c.name, family=c.family, description=c.description)
        for s in art.segments
        for c in s.characteristics
    }
    names = list(dict.fromkeys([*art.input_columns, *metas]))
    try:
        check_model_inputs(names, (), metas)
    except PolicyViolation as exc:
        raise PolicyViolation(f"{source} (model {art.model_id}): {exc.message}") from None
