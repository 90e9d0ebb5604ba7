"""PSI/CSI on distributions with a known answer, and drift of a shifted characteristic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.evaluate import characteristic_stability, flag, psi, reference_scores, score_stability
from tests.evaluate.factory import make_artifact, make_frame


def test_psi_known_answer() -> None:
    # (0.25 - 0.5) ln(0.25/0.5) + (0.75 - 0.5) ln(0.75/0.5)
    expected = 0.25 * math.log(2) + 0.25 * math.log(1.5)
    assert psi([50, 50], [25, 75]) == pytest.approx(expected)
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.2747, abs=1e-4)


def test_psi_of_identical_distributions_is_zero_and_symmetric() -> None:
    assert psi([10, 20, 30], [1, 2, 3]) == pytest.approx(0.0)
    assert psi([10, 20, 70], [30, 30, 40]) == pytest.approx(psi([30, 30, 40], [10, 20, 70]))


def test_psi_empty_bin_stays_finite() -> None:
    value = psi([100, 0], [50, 50])
    # the empty bin gets share 1e-4: (0.5 - 1) ln(0.5) + (0.5 - 1e-4) ln(0.5 / 1e-4)
    assert value == pytest.approx(-0.5 * math.log(0.5) + (0.5 - 1e-4) * math.log(0.5 / 1e-4))


def test_psi_refuses_mismatched_bins() -> None:
    with pytest.raises(ValueError, match="the same bins"):
        psi([1, 2], [1, 2, 3])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=2, max_size=12), st.data())
def test_psi_is_never_negative(expected: list[int], data: st.DataObject) -> None:
    actual = data.draw(st.lists(st.integers(0, 1000), min_size=len(expected), max_size=len(expected)))
    if sum(actual) == 0:
        return
    assert psi(expected, actual) >= -1e-12


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "stable"),
        (0.0999, "stable"),
        (0.1, "monitor"),
        (0.2499, "monitor"),
        (0.25, "shifted"),
        (3.0, "shifted"),
    ],
)
def test_flags_at_conventional_thresholds(value: float, expected: str) -> None:
    assert flag(value) == expected


def test_score_stability_same_population_is_stable() -> None:
    art = make_artifact()
    a = reference_scores(art, make_frame(3000, seed=1))
    b = reference_scores(art, make_frame(3000, seed=2))
    out = score_stability(a, b)
    assert out["flag"] == "stable"
    assert sum(r["baseline_share"] for r in out["bands"]) == pytest.approx(1.0)


def test_shifted_characteristic_is_flagged_and_others_are_not() -> None:
    art = make_artifact()
    base = make_frame(3000, seed=1)
    cur = make_frame(3000, seed=2, utilisation_shift=0.35)
    rows = {r["characteristic"]: r for r in characteristic_stability(art, cur, base)}
    assert rows["utilisation"]["flag"] == "shifted"
    assert rows["utilisation"]["points_shift"] < 0
    assert rows["months_late"]["flag"] == "stable"
    assert rows["housing"]["flag"] == "stable"
    out = score_stability(reference_scores(art, base), reference_scores(art, cur))
    assert out["psi"] > 0.1


def test_csi_without_baseline_uses_training_counts() -> None:
    frame = make_frame(3000, seed=1)
    art = make_artifact(frame)
    rows = characteristic_stability(art, frame)
    assert all(r["csi"] == pytest.approx(0.0, abs=1e-9) for r in rows)
    shares = rows[0]["bins"]
    counts = np.array([b.count for b in art.segments[0].characteristics[0].bins])
    np.testing.assert_allclose([b["baseline_share"] for b in shares], counts / counts.sum())
