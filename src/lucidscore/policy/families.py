"""The five factor families of SPEC section 3. Every model characteristic belongs to exactly one.

The fifth family, interpersonal relationships, is never used: no characteristic may declare it, and
consumer-facing pages show it as "not used".
"""

from __future__ import annotations

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
