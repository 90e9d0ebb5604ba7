"""The benefit catalogue merchants decide with, and the rule that turns a score into a decision.

A benefit is a product a consumer asks a merchant for (an instant credit line, a deposit-free rental, a
premium membership). A consent is granted for one benefit's purpose; the decision is approved when the
consumer's score reaches the benefit's minimum. Nothing else is consulted (SPEC section 2: no sanctions,
no input about other people), so the rule is a plain comparison that anyone can check.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lucidscore.errors import InputError

# The score scale of SPEC section 3; policy sits below model, so the bounds are restated, not imported.
MIN_SCORE = 350
MAX_SCORE = 950


class Benefit(BaseModel):
    """One product a merchant can grant, unlocked at ``min_score``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str = Field(min_length=1, max_length=80)
    min_score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)


class BenefitDecision(BaseModel):
    """The outcome of applying a benefit's rule to a score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str
    approved: bool
    min_score: int
    score: int


class BenefitCatalogue(BaseModel):
    """The products on offer; each product name appears once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    benefits: tuple[Benefit, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_products(self) -> BenefitCatalogue:
        names = [b.product for b in self.benefits]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"product listed more than once: {', '.join(dupes)}")
        return self

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(b.product for b in self.benefits)

    def get(self, product: str) -> Benefit:
        """The benefit named ``product``; ``InputError`` naming the known products otherwise."""
        for benefit in self.benefits:
            if benefit.product == product:
                return benefit
        raise InputError(
            f"product {product!r} is not in the benefit catalogue; expected one of {', '.join(self.products)}"
        )

    def decide(self, product: str, score: int) -> BenefitDecision:
        """Approve ``product`` when ``score`` reaches its minimum.

        >>> default_catalogue().decide("deposit_free_rental", 655).approved
        True
        """
        benefit = self.get(product)
        return BenefitDecision(
            product=product, approved=score >= benefit.min_score, min_score=benefit.min_score, score=score
        )


def default_catalogue() -> BenefitCatalogue:
    """The defaults of issue 4: instant credit line >= 600, deposit-free rental >= 650, premium >= 700."""
    return BenefitCatalogue(
        benefits=(
            Benefit(product="instant_credit_line", label="Instant credit line", min_score=600),
            Benefit(product="deposit_free_rental", label="Deposit-free rental", min_score=650),
            Benefit(product="premium", label="Premium membership", min_score=700),
        )
    )


def load_catalogue(path: str | Path) -> BenefitCatalogue:
    """Read a catalogue from JSON (``{"benefits": [{"product", "label", "min_score"}, ...]}``)."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: no such benefit catalogue file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid JSON ({exc}); expected a benefit catalogue") from None
    try:
        return BenefitCatalogue.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise InputError(f"{p}: field {where}: {first['msg']}; expected a benefit catalogue") from None
