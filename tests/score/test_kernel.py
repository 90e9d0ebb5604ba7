"""The numba scoring kernel follows the scoring rule of _artifact.py exactly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from lucidscore.artifact import Bin, Condition, Scaling, Segment
from lucidscore.errors import InputError
from lucidscore.score import CompiledScorecard, score_frame
from tests.score.cards import (
    artifact,
    categorical,
    categories,
    interval,
    missing,
    one_card,
    reference_score,
    special,
    two_cards,
)

ROW = {
    "months_late": 0,
    "utilisation": 0.1,
    "checking": "A13",
    "inquiries_6m": 0,
    "months_at_address": 40,
    "n_accounts": 5,
}


def frame(**changes: object) -> pd.DataFrame:
    return pd.DataFrame([{**ROW, **changes}])


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, 250 + 120 + 150 + 80 + 50 + 40),  # best everywhere: 690
        ({"months_late": 1}, 690 - 60),  # lower edge is inclusive
        ({"months_late": 0.999}, 690),  # upper edge is exclusive
        ({"months_late": 3}, 690 - 120),
        ({"months_late": np.nan}, 690 - 90),  # missing bin: 30
        ({"months_late": -8}, 690 - 80),  # special value beats the interval it falls in
        ({"months_late": -7}, 690),  # not declared special: the interval (< 1)
        ({"checking": "A11"}, 690 - 70),
        ({"checking": "A99"}, 690 - 60),  # unseen category: missing bin (20)
        ({"checking": None}, 690 - 60),
        ({"checking": " A12 "}, 690 - 50),  # compared as trimmed strings
        ({"utilisation": 0.95, "months_late": 5, "checking": "A11", "months_at_address": 1}, 350),  # clipped
    ],
)
def test_known_scores(changes: dict[str, object], expected: int) -> None:
    out = score_frame(one_card(), frame(**changes))
    assert int(out["score"].iloc[0]) == max(expected, 350)


def test_score_clips_at_950() -> None:
    out = score_frame(one_card(base=900), frame())
    assert out["score"].tolist() == [950]


def test_probability_and_tier_follow_scaling() -> None:
    out = score_frame(one_card(), frame(months_late=np.nan))
    scaling = Scaling()
    assert out["score"].iloc[0] == 600
    assert out["tier"].iloc[0] == "good"
    assert out["probability"].iloc[0] == pytest.approx(float(scaling.probability_from_score(600)))
    assert out["probability"].iloc[0] == pytest.approx(1 / 11)  # 600 points = odds 10:1


def test_segment_choice_first_match_and_missing_goes_to_default() -> None:
    data = pd.concat([frame(n_accounts=1), frame(n_accounts=2), frame(n_accounts=np.nan)], ignore_index=True)
    out = score_frame(two_cards(), data)
    assert out["segment"].tolist() == ["thin", "thick", "thick"]
    assert out["score"].tolist() == [400 + 150 + 40, 690, 690]


def test_categorical_numbers_compare_as_strings() -> None:
    char = categorical(
        "grade", "Grade", [categories(["1", "2"], 10), categories(["3.0"], 40), missing(0), special(-9, 5)]
    )
    seg = Segment(name="all", intercept=0, base_points=400, characteristics=[char], n_train=1, bad_rate=0.1)
    art = artifact([seg])
    ints = score_frame(art, pd.DataFrame({"grade": [1, 3, 7, -9]}))
    floats = score_frame(art, pd.DataFrame({"grade": [1.0, 3.0, np.nan, -9.0]}))
    texts = score_frame(art, pd.DataFrame({"grade": ["1", "3.0", "", "-9"]}))
    assert ints["score"].tolist() == [410, 440, 400, 405]
    assert floats["score"].tolist() == [410, 440, 400, 405]
    assert texts["score"].tolist() == [410, 440, 400, 405]


def test_missing_columns_are_named() -> None:
    with pytest.raises(
        InputError, match=r"missing column\(s\) checking, inquiries_6m that model sc-test needs"
    ):
        score_frame(one_card(), frame().drop(columns=["checking", "inquiries_6m"]))


def test_segment_condition_column_is_required() -> None:
    with pytest.raises(InputError, match=r"missing column\(s\) n_accounts"):
        score_frame(two_cards(), frame().drop(columns=["n_accounts"]))


def test_extra_columns_are_ignored_and_listed() -> None:
    compiled = CompiledScorecard.from_artifact(one_card())
    batch = compiled.prepare(frame(colour="red", shoe_size=44))
    assert batch.extra_columns == ("n_accounts", "colour", "shoe_size")
    assert score_frame(one_card(), frame(colour="red"))["score"].tolist() == [690]


def test_junk_in_numeric_column_names_column_row_and_value() -> None:
    data = pd.DataFrame([{**ROW, "utilisation": "0.2"}, {**ROW, "utilisation": "lots"}])
    with pytest.raises(InputError, match=r"column utilisation row 2: found 'lots'; expected a number"):
        score_frame(one_card(), data)


def test_numeric_text_and_blanks_are_parsed() -> None:
    data = pd.DataFrame([{**ROW, "utilisation": " 0.2 "}, {**ROW, "utilisation": ""}])
    assert score_frame(one_card(), data)["score"].tolist() == [690, 690 - 90]


def test_string_segment_condition() -> None:
    thick = one_card().segments[0].model_copy(update={"name": "other"})
    renters = thick.model_copy(
        update={
            "name": "renters",
            "condition": Condition(column="housing", op="in", value=["A151"]),
            "base_points": 200,
        }
    )
    art = artifact([renters, thick], columns=[*sorted(ROW), "housing"])
    out = score_frame(art, pd.concat([frame(housing="A151"), frame(housing="A152"), frame(housing=None)]))
    assert out["segment"].tolist() == ["renters", "other", "other"]
    assert out["score"].tolist() == [640, 690, 690]


@pytest.mark.parametrize(
    "bins",
    [
        [interval(None, 0, 10), interval(5, None, 30)],  # overlap
        [interval(None, 0, 10), interval(1, None, 30)],  # gap
        [interval(0, None, 30)],  # nothing below 0
        [],  # no interval at all
    ],
)
def test_intervals_that_do_not_tile_the_line_are_refused_by_the_artifact(bins: list[Bin]) -> None:
    """Every value has exactly one bin, so no engine has to guess where a value in a gap scores."""
    from tests.score.cards import numeric

    with pytest.raises(ValidationError, match="interval bins must tile the number line"):
        numeric("x", "X", [*bins, missing(-5)])


def test_points_and_bins_agree_with_score() -> None:
    compiled = CompiledScorecard.from_artifact(two_cards())
    data = pd.concat(
        [frame(), frame(n_accounts=0, utilisation=0.7), frame(months_late=np.nan)], ignore_index=True
    )
    batch = compiled.prepare(data)
    pts = compiled.points(batch)
    assert pts.shape == (3, 5)
    raw = compiled.tables.seg_base[batch.segment] + pts.sum(axis=1)
    assert compiled.score(batch).tolist() == np.clip(raw, 350, 950).tolist()
    assert pts[1].tolist() == [70, 40, 0, 0, 0]  # thin card: two characteristics, rest padded with 0


def test_empty_frame_scores_to_empty_result() -> None:
    out = score_frame(one_card(), frame().iloc[:0])
    assert len(out) == 0
    assert list(out.columns) == ["score", "tier", "probability", "segment"]


def test_index_is_kept() -> None:
    data = frame().set_axis([42])
    assert score_frame(one_card(), data).index.tolist() == [42]


values = {
    "months_late": st.one_of(
        st.sampled_from([0, 1, 2, 3, -8, -7, 0.999, 2.999]), st.floats(-10, 10), st.just(math.nan)
    ),
    "utilisation": st.one_of(st.sampled_from([0.3, 0.6, 0.9, 0.2999]), st.floats(-1, 2), st.just(math.nan)),
    "checking": st.sampled_from(["A11", "A12", "A13", "A14", "A15", "", None]),
    "inquiries_6m": st.one_of(st.integers(0, 6).map(float), st.just(math.nan)),
    "months_at_address": st.one_of(
        st.sampled_from([12.0, 36.0, 11.0, 35.0]), st.floats(0, 100), st.just(math.nan)
    ),
    "n_accounts": st.one_of(st.integers(0, 4).map(float), st.just(math.nan)),
}
rows = st.fixed_dictionaries(values)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=30))
def test_kernel_matches_the_written_rule(data: list[dict[str, object]]) -> None:
    art = two_cards()
    out = score_frame(art, pd.DataFrame(data), reasons=4)
    expected = [reference_score(art, row) for row in data]
    assert list(zip(out["score"].tolist(), out["segment"].tolist(), strict=True)) == expected
    assert out["score"].between(350, 950).all()
