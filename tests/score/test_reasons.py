"""Reason codes: ranked by points lost against each characteristic's best bin, with plain-language text."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.artifact import bin_reason_text, is_inquiry_characteristic
from lucidscore.score import CompiledScorecard, score_frame
from tests.score.cards import checking, inquiries, late, one_card, reference_bin, tenure, utilisation

BEST = {"months_late": 0, "utilisation": 0.1, "checking": "A13", "inquiries_6m": 0, "months_at_address": 40}


def reasons_of(**changes: object) -> list[str | None]:
    out = score_frame(one_card(), pd.DataFrame([{**BEST, **changes}]), reasons=4)
    return [out[f"reason_{j}"].iloc[0] for j in range(1, 6)]


def test_text_for_interval_bins_says_which_way_helps() -> None:
    char = late()
    assert bin_reason_text(char, char.bins[1]) == (
        "Months late on most recent payment: 1 to 2 — fewer months late would raise your score"
    )
    assert bin_reason_text(tenure(), tenure().bins[0]) == (
        "Months at current address: under 12 — more months would raise your score"
    )
    assert bin_reason_text(inquiries(), inquiries().bins[2]) == (
        "Number of inquiries in the last 6 months: 3 or more — fewer inquiries would raise your score"
    )
    assert bin_reason_text(utilisation(), utilisation().bins[3]) == (
        "Share of credit limit in use: 90% or more — a lower value would raise your score"
    )


def test_text_for_categories_missing_and_special() -> None:
    assert (
        bin_reason_text(checking(), checking().bins[0])
        == "Checking account status: A11 — A13, A14 would score higher"
    )
    assert bin_reason_text(late(), late().bins[3]) == (
        "Months late on most recent payment: not reported — providing it could raise your score"
    )
    assert bin_reason_text(late(), late().bins[4]).startswith(
        "Months late on most recent payment: code -8 — "
    )


def test_inquiry_characteristics_are_recognised() -> None:
    assert is_inquiry_characteristic(inquiries())
    assert not is_inquiry_characteristic(late())


def test_no_reason_at_best_points() -> None:
    assert reasons_of() == [None] * 5


def test_ranked_by_points_lost() -> None:
    got = reasons_of(months_late=3, utilisation=0.7, checking="A12", months_at_address=20)
    # lost: months_late 120, utilisation 80, checking 50, tenure 20
    assert [g.split(":")[0] if g else None for g in got] == [
        "Months late on most recent payment",
        "Share of credit limit in use",
        "Checking account status",
        "Months at current address",
        None,
    ]


def test_ties_go_to_the_characteristic_listed_first() -> None:
    # months_late 1-2 loses 60; checking unseen loses 60: months_late is listed first.
    got = reasons_of(months_late=1, checking="A99")
    assert got[0] is not None and got[0].startswith("Months late")
    assert got[1] == (
        "Checking account status: not reported or not a recognised value — "
        "a recognised value could raise your score"
    )


def test_fifth_reason_only_for_inquiries_outside_the_top_four() -> None:
    worst = {"months_late": 3, "utilisation": 0.95, "checking": "A11", "months_at_address": 1}
    got = reasons_of(**worst, inquiries_6m=1)  # inquiries lose 5: fifth, after four bigger losses
    assert (
        got[4] == "Number of inquiries in the last 6 months: 1 to 2 — fewer inquiries would raise your score"
    )
    got = reasons_of(**worst, inquiries_6m=5)  # inquiries lose 50: inside the top four, no fifth
    assert got[4] is None
    assert any(g is not None and g.startswith("Number of inquiries") for g in got[:4])


def test_fewer_reasons_requested() -> None:
    out = score_frame(one_card(), pd.DataFrame([{**BEST, "months_late": 3, "utilisation": 0.7}]), reasons=1)
    assert [c for c in out.columns if c.startswith("reason")] == ["reason_1", "reason_2"]
    assert out["reason_1"].iloc[0].startswith("Months late")
    assert out["reason_2"].iloc[0] is None


def test_reasons_kernel_scores_equal_plain_scores() -> None:
    compiled = CompiledScorecard.from_artifact(one_card())
    data = pd.DataFrame([BEST, {**BEST, "months_late": np.nan, "checking": "A11"}])
    batch = compiled.prepare(data)
    codes = compiled.score_with_reasons(batch, 4)
    assert codes.scores.tolist() == compiled.score(batch).tolist()
    assert codes.characteristic.shape == (2, 5)


rows = st.fixed_dictionaries(
    {
        "months_late": st.one_of(st.sampled_from([0.0, 1.0, 3.0, -8.0]), st.just(math.nan)),
        "utilisation": st.one_of(st.floats(0, 1.2), st.just(math.nan)),
        "checking": st.sampled_from(["A11", "A12", "A13", "A99", None]),
        "inquiries_6m": st.sampled_from([0.0, 1.0, 4.0, math.nan]),
        "months_at_address": st.sampled_from([0.0, 20.0, 50.0, math.nan]),
    }
)


@settings(max_examples=60, deadline=None)
@given(rows, st.integers(0, 4))
def test_reasons_are_the_largest_losses_in_order(row: dict[str, object], k: int) -> None:
    art = one_card()
    compiled = CompiledScorecard.from_artifact(art)
    codes = compiled.score_with_reasons(compiled.prepare(pd.DataFrame([row])), k)
    chars = art.segments[0].characteristics
    lost = {c.name: c.best_points - reference_bin(c, row[c.name]).points for c in chars}
    picked = [chars[int(c)].name for c in codes.characteristic[0, :k] if c >= 0]
    assert len(picked) == min(k, sum(v > 0 for v in lost.values()))
    losses = [lost[n] for n in picked]
    assert losses == sorted(losses, reverse=True)
    assert all(v > 0 for v in losses)
    rest = [v for n, v in lost.items() if n not in picked]
    assert all(v <= min(losses, default=math.inf) for v in rest)
    extra = int(codes.characteristic[0, k])
    if extra >= 0:
        assert chars[extra].name == "inquiries_6m" and "inquiries_6m" not in picked
        assert lost["inquiries_6m"] > 0
