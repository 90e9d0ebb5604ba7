"""PDO scaling and tiers (SPEC section 3): properties that must hold for any parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from lucidscore.artifact import MAX_SCORE, MIN_SCORE, Scaling, Tier

scalings = st.builds(
    Scaling,
    base_score=st.floats(500, 800),
    base_odds=st.floats(1.0, 100.0),
    pdo=st.floats(10.0, 100.0),
)


def test_base_point_and_doubling() -> None:
    s = Scaling(base_score=600, base_odds=10, pdo=40)
    assert s.score_from_log_odds([math.log(10)])[0] == 600
    assert s.score_from_log_odds([math.log(20)])[0] == 640
    assert s.probability_from_score([600])[0] == pytest.approx(1 / 11)


@given(scalings, st.lists(st.floats(-50, 50), min_size=1, max_size=50))
def test_scores_are_integers_in_range(s: Scaling, log_odds: list[float]) -> None:
    scores = s.score_from_log_odds(log_odds)
    assert scores.min() >= MIN_SCORE and scores.max() <= MAX_SCORE
    assert np.all(np.diff(scores[np.argsort(log_odds, kind="stable")]) >= 0)


@given(scalings, st.integers(MIN_SCORE, MAX_SCORE))
def test_probability_round_trips_through_score(s: Scaling, score: int) -> None:
    p = s.probability_from_score([score])[0]
    log_odds_good = math.log((1 - p) / p)
    assert s.score_from_log_odds([log_odds_good])[0] == score


def test_default_tiers_follow_spec() -> None:
    s = Scaling()
    scores = [350, 549, 550, 599, 600, 649, 650, 699, 700, 950]
    assert list(s.tier_of(scores)) == [
        "poor", "poor", "fair", "fair", "good", "good", "very good", "very good", "excellent", "excellent",
    ]  # fmt: skip
    nxt = s.next_tier(612)
    assert nxt is not None and nxt.name == "very good"
    assert s.next_tier(800) is None


def test_tiers_must_start_at_350_and_increase() -> None:
    with pytest.raises(ValidationError, match="strictly increasing"):
        Scaling(tiers=(Tier(name="a", min_score=350), Tier(name="b", min_score=350)))
    with pytest.raises(ValidationError, match="must start at 350"):
        Scaling(tiers=(Tier(name="a", min_score=400),))
