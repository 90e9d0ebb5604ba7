"""The five factor families of SPEC section 3. Every model characteristic belongs to exactly one.

The fifth family, interpersonal relationships, is never used: no characteristic may declare it, and
consumer-facing pages show it as "not used".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class FeatureMeta:
    """What the model and the consumer page need to know about an input column.

    ``features`` publishes one per characteristic it computes (and stores them in the Parquet file's
    metadata under the key ``lucidscore.feature_meta``); ``model`` reads them to assign families, write
    reasons and pick actionable characteristics for recourse.
    """

    name: str
    family: Family
    description: str  # plain language: "Months since the last payment 30+ days late"
    actionable: bool = False  # a consumer can change it by their own conduct
    unit: str = ""
    higher_is: Literal["better", "worse", "unknown"] = "unknown"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FeatureMeta:
        family = str(data["family"])
        if family not in ALL_FAMILIES:
            raise ValueError(
                f"feature {data.get('name')!r}: family {family!r} is not one of {', '.join(ALL_FAMILIES)}"
            )
        higher = str(data.get("higher_is", "unknown"))
        if higher not in ("better", "worse", "unknown"):
            raise ValueError(
                f"feature {data.get('name')!r}: higher_is {higher!r} is not better, worse or unknown"
            )
        return cls(
            name=str(data["name"]),
            family=family,
            description=str(data.get("description", data["name"])),
            actionable=bool(data.get("actionable", False)),
            unit=str(data.get("unit", "")),
            higher_is=higher,  # type: ignore[arg-type]
        )


FEATURE_META_KEY = b"lucidscore.feature_meta"
