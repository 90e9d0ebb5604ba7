"""A recourse step's text on the consumer page: the points it gains, signed right even when a step of a
two-change plan (both characteristics of an interaction grid) gains nothing on its own."""

from __future__ import annotations

import pytest

from lucidscore.api._views import _change_text
from lucidscore.artifact import Change


def _change(points: int) -> Change:
    return Change(
        characteristic="months_late",
        description="Months late on most recent payment",
        family="credit_history",
        from_label="1 to < 2",
        to_label="< 1",
        steps=1,
        points_gained=points,
        score_alone=600 + points,
        from_text="1",
        to_text="under 1",
    )


@pytest.mark.parametrize(
    ("points", "shown"), [(12, "(+12 points)"), (0, "(+0 points alone"), (-3, "(-3 points alone")]
)
def test_the_points_a_step_gains_are_signed_once(points: int, shown: str) -> None:
    text = _change_text(_change(points))
    assert text.startswith("Months late on most recent payment: from 1 to under 1 ")
    assert shown in text and "+-" not in text
