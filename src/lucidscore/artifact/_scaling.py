"""PDO scaling between log-odds and the 350-950 score, and tiers (SPEC section 3).

score = offset + factor * ln(odds good:bad), factor = PDO / ln 2,
offset = base_score - factor * ln(base_odds).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

MIN_SCORE = 350
MAX_SCORE = 950


class Tier(BaseModel):
    """A named score band; a tier covers [min_score, next tier's min_score)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    min_score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)


DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier(name="poor", min_score=350),
    Tier(name="fair", min_score=550),
    Tier(name="good", min_score=600),
    Tier(name="very good", min_score=650),
    Tier(name="excellent", min_score=700),
)


class Scaling(BaseModel):
    """Score scaling parameters: ``base_score`` points at ``base_odds`` good:bad, ``pdo`` points to double."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_score: float = Field(default=600.0, ge=MIN_SCORE, le=MAX_SCORE)
    base_odds: float = Field(default=10.0, gt=0)
    pdo: float = Field(default=40.0, gt=0)
    tiers: tuple[Tier, ...] = DEFAULT_TIERS

    @model_validator(mode="after")
    def _tiers_ordered(self) -> Scaling:
        mins = [t.min_score for t in self.tiers]
        if not mins or mins[0] != MIN_SCORE or mins != sorted(set(mins)):
            raise ValueError(
                f"tiers must start at {MIN_SCORE} and have strictly increasing min_score; found {mins}"
            )
        return self

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def score_from_log_odds(self, log_odds_good: npt.ArrayLike) -> npt.NDArray[np.int16]:
        """Integer scores, clipped to [350, 950], from ln(odds good:bad)."""
        raw = self.offset + self.factor * np.asarray(log_odds_good, dtype=np.float64)
        return np.clip(np.rint(raw), MIN_SCORE, MAX_SCORE).astype(np.int16)

    def probability_from_score(self, score: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Probability of bad implied by a score: 1 / (1 + odds), odds = exp((score - offset) / factor)."""
        s = np.asarray(score, dtype=np.float64)
        return 1.0 / (1.0 + np.exp((s - self.offset) / self.factor))

    def tier_of(self, score: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Tier names for scores."""
        s = np.asarray(score)
        mins = np.array([t.min_score for t in self.tiers])
        idx = np.searchsorted(mins, s, side="right") - 1
        names = np.array([t.name for t in self.tiers], dtype=object)
        return names[np.clip(idx, 0, len(mins) - 1)]

    def next_tier(self, score: int) -> Tier | None:
        """The tier above the one ``score`` is in, or None at the top."""
        for tier in self.tiers:
            if tier.min_score > score:
                return tier
        return None
