"""The benefit catalogue: defaults of issue 4, the decision rule, loading a catalogue file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lucidscore.errors import InputError
from lucidscore.policy import default_catalogue, load_catalogue


def test_defaults() -> None:
    cat = default_catalogue()
    assert {b.product: b.min_score for b in cat.benefits} == {
        "instant_credit_line": 600,
        "deposit_free_rental": 650,
        "premium": 700,
    }


@given(st.integers(350, 950), st.sampled_from(["instant_credit_line", "deposit_free_rental", "premium"]))
def test_approved_exactly_when_the_score_reaches_the_minimum(score: int, product: str) -> None:
    cat = default_catalogue()
    decision = cat.decide(product, score)
    assert decision.approved == (score >= cat.get(product).min_score)
    assert decision.min_score == cat.get(product).min_score


def test_unknown_product_is_named() -> None:
    with pytest.raises(
        InputError, match=r"product 'yacht' is not in the benefit catalogue; expected one of "
    ):
        default_catalogue().decide("yacht", 900)


def test_load_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "benefits.json"
    path.write_text(json.dumps({"benefits": [{"product": "bike_rental", "label": "Bike", "min_score": 580}]}))
    assert load_catalogue(path).decide("bike_rental", 580).approved


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", r"not valid JSON"),
        ('{"benefits": []}', r"field benefits: Tuple should have at least 1 item"),
        ('{"benefits": [{"product": "x1", "label": "X", "min_score": 1000}]}', r"field benefits.0.min_score"),
        (
            '{"benefits": [{"product": "ab", "label": "A", "min_score": 600},'
            ' {"product": "ab", "label": "B", "min_score": 700}]}',
            r"product listed more than once: ab",
        ),
    ],
)
def test_bad_catalogue_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "benefits.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_catalogue(path)
    with pytest.raises(InputError, match="no such benefit catalogue file"):
        load_catalogue(tmp_path / "missing.json")
