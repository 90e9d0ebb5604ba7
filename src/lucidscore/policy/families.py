"""The five factor families of SPEC section 3. Every model characteristic belongs to exactly one.

The fifth family, interpersonal relationships, is never used: no characteristic may declare it, and
consumer-facing pages show it as "not used".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from string import Formatter
from typing import Literal, get_args

Family = Literal[
    "credit_history",
    "payment_behaviour",
    "fulfilment_capacity",
    "stability_identity",
    "interpersonal_relationships",
]

ALL_FAMILIES: tuple[Family, ...] = get_args(Family)
UNUSED_FAMILY: Family = "interpersonal_relationships"
USABLE_FAMILIES: tuple[Family, ...] = tuple(f for f in ALL_FAMILIES if f != UNUSED_FAMILY)

FAMILY_LABELS: dict[Family, str] = {
    "credit_history": "Credit history",
    "payment_behaviour": "Payment behaviour",
    "fulfilment_capacity": "Fulfilment capacity",
    "stability_identity": "Stability and identity",
    "interpersonal_relationships": "Interpersonal relationships",
}


Advice = Literal["lower", "higher", "none"]
"""Which way recourse may suggest moving a characteristic: ``none`` for what a person cannot or should not
change (age of file, past delinquencies, number of accounts, income level, protected or audit columns)."""

Unit = Literal["money", "percent", "months", "days", "count", "flag", "number"]
"""How a value is written for a consumer: money 5,050; percent 28% (the value is a share, 0.28); months,
days and count as numbers of them; flag as yes/no; number as it is (three significant figures)."""

ADVICE_DIRECTIONS: tuple[Advice, ...] = get_args(Advice)
UNITS: tuple[Unit, ...] = get_args(Unit)
STATEMENT_FIELDS = ("value", "better")
# Units written by lucidscore before issue 10 (Parquet metadata of older feature files).
_LEGACY_UNITS: dict[str, Unit] = {"": "number", "currency": "money", "ratio": "percent"}
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def template_problem(template: str) -> str | None:
    """Why a consumer statement template cannot be used, or None: it may name only ``{value}`` (the
    person's own value) and ``{better}`` (the range that scores higher), and must be well formed."""
    try:
        parts = [p for p in Formatter().parse(template) if p[1] is not None]
    except ValueError as exc:
        return f"is not a well-formed template ({exc}); write a literal brace as {{{{ or }}}}"
    if any(spec or conversion for _, _, spec, conversion in parts):
        return "formats a field (':' or '!'); write {value} and {better} plainly, they are text already"
    unknown = sorted({str(p[1]) for p in parts if p[1] not in STATEMENT_FIELDS})
    if unknown:
        names = ", ".join("{" + f + "}" for f in unknown)
        return f"uses {names}; a statement may use only {{value}} and {{better}}"
    return None


@dataclass(frozen=True)
class FeatureMeta:
    """What the model, the reasons and the recourse need to know about an input column: its declaration.

    ``features`` publishes one per characteristic it computes (and stores them in the Parquet file's
    metadata under the key ``lucidscore.feature_meta``); a flat-file user writes them in a declaration
    file (``lucidscore.artifact.load_declarations``); ``model`` copies them into the artifact, where
    ``score`` reads them to write reasons and to keep recourse in the declared direction.
    """

    name: str
    family: Family
    description: str  # plain language: "Months since the last payment 30+ days late"
    advice: Advice = "none"  # which way recourse may suggest moving it
    unit: Unit = "number"
    higher_is: Literal["better", "worse", "unknown"] = "unknown"  # for the risk, as documented
    code: str = ""  # stable reason code ("" = the column name)
    statement: str = ""  # consumer statement template with {value} and {better} ("" = a default)
    adverse_action: str = ""  # what a merchant tells the applicant; no personal values ("" = description)
    missing_means: str = ""  # what a missing value means to the consumer: "no late payment on record"

    def __post_init__(self) -> None:
        where = f"feature {self.name!r}"
        if self.family not in ALL_FAMILIES:
            raise ValueError(f"{where}: family {self.family!r} is not one of {', '.join(ALL_FAMILIES)}")
        if self.advice not in ADVICE_DIRECTIONS:
            raise ValueError(f"{where}: advice {self.advice!r} is not one of {', '.join(ADVICE_DIRECTIONS)}")
        if self.unit not in UNITS:
            raise ValueError(f"{where}: unit {self.unit!r} is not one of {', '.join(UNITS)}")
        if self.higher_is not in ("better", "worse", "unknown"):
            raise ValueError(f"{where}: higher_is {self.higher_is!r} is not better, worse or unknown")
        if self.code and not _CODE.match(self.code):
            raise ValueError(
                f"{where}: code {self.code!r} must be 1-40 letters, digits, '_', '.' or '-' (no spaces)"
            )
        problem = template_problem(self.statement)
        if problem:
            raise ValueError(f"{where}: statement {problem}")

    @property
    def actionable(self) -> bool:
        """A consumer can change it by their own conduct, in the declared direction."""
        return self.advice != "none"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FeatureMeta:
        """Read a stored declaration (also one written before issue 10: units currency/ratio)."""
        # A declaration written before issue 10 says ``actionable`` but not which way: it gets no advice
        # direction (recourse never guesses one; recompute the features or declare it).
        advice = str(data.get("advice", "none"))
        unit = str(data.get("unit", ""))
        return cls(
            name=str(data["name"]),
            family=str(data["family"]),  # type: ignore[arg-type]  # checked in __post_init__
            description=str(data.get("description", data["name"])),
            advice=advice,  # type: ignore[arg-type]
            unit=_LEGACY_UNITS.get(unit, unit),  # type: ignore[arg-type]
            higher_is=str(data.get("higher_is", "unknown")),  # type: ignore[arg-type]
            code=str(data.get("code", "")),
            statement=str(data.get("statement", "")),
            adverse_action=str(data.get("adverse_action", "")),
            missing_means=str(data.get("missing_means", "")),
        )


FEATURE_META_KEY = b"lucidscore.feature_meta"
