"""Reasons: ranked by points lost against the best bin a row can reach in its segment, each with the consumer
statement (the person's own value, what scores higher), the merchant statement, a stable code and the
points; proved against a brute force of the reference rule on Hypothesis-built cards."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import (
    Bin,
    Characteristic,
    ScorecardArtifact,
    bin_statements,
    bin_witnesses,
    is_inquiry_characteristic,
    statement_text,
)
from lucidscore.features import FEATURE_CATALOGUE
from lucidscore.model import characteristic_fields
from lucidscore.score import CompiledScorecard, explain_frame, score_frame
from tests.score.cards import (
    artifact,
    checking,
    inquiries,
    interval,
    late,
    missing,
    one_card,
    reference_bin,
    two_cards,
    utilisation,
)
from tests.score.strategies import brute_force, cards, frame_for

BEST = {"months_late": 0, "utilisation": 0.1, "checking": "A13", "inquiries_6m": 0, "months_at_address": 40}


def reasons_of(**changes: object) -> list[str | None]:
    out = score_frame(one_card(), pd.DataFrame([{**BEST, **changes}]), reasons=4)
    return [out[f"reason_{j}"].iloc[0] for j in range(1, 6)]


def statement(char: Characteristic, value: object) -> str:
    """The consumer statement of ``value`` (through the batch path, as ``lucidscore score`` writes it)."""
    art = artifact([one_card().segments[0].model_copy(update={"characteristics": [char]})])
    row = pd.DataFrame({char.name: [value]})
    out = score_frame(art, row, reasons=1)
    text: str = out["reason_1"].iloc[0]
    return text


def declared(name: str, bins: list[Bin]) -> Characteristic:
    """A catalogue characteristic with hand-made bins."""
    return Characteristic(
        name=name, dtype="numeric", iv=0.1, coefficient=-1.0, bins=bins,
        **characteristic_fields(FEATURE_CATALOGUE[name]),
    )  # fmt: skip


def test_the_issues_example_in_words_a_consumer_uses() -> None:
    char = declared(
        "income_volatility_12m",
        [interval(None, 0.15, 30), interval(0.15, 0.35, 0), interval(0.35, None, -25), missing(-5)],
    )
    assert statement(char, 0.2821) == (
        "Your income varied by 28% from month to month over the last year; under 15% scores higher."
    )
    assert statement(char, math.nan) == (
        "Month-to-month variation of income in the last 12 months: not enough months of income reported; "
        "under 35% scores higher."
    )


def test_default_statement_still_states_the_value() -> None:
    assert (
        statement(late(), 2) == "Months late on most recent payment: 2 months; under 1 month scores higher."
    )
    assert statement(utilisation(), 0.95) == (
        "Share of credit limit in use: 95%; under 90% or not reported scores higher."
    )
    assert (
        statement(checking(), "A11")
        == "Checking account status: A11; A12, A13 or A14, or not reported scores higher."
    )
    assert statement(checking(), "A99") == (
        "Checking account status: not on file or not a recognised value; A12, or A13 or A14 scores higher."
    )
    # The card gives a missing count more points than 3 or more: the statement says so (advice none).
    assert statement(inquiries(), 4) == (
        "Number of inquiries in the last 6 months: 4; 2 or fewer, or not reported scores higher."
    )


def test_a_statement_never_points_against_the_advice_direction() -> None:
    # The card learned that higher balances score better; the declaration says lower: never say "owe more".
    char = declared(
        "total_credit_balance",
        [interval(None, 5000, -10), interval(5000, 12500, 0), interval(12500, None, 11), missing(-20)],
    )
    assert statement(char, 5050.4) == (
        "You owe 5,050 on your credit accounts. Other values score higher, but we do not advise increasing "
        "it to raise your score."
    )
    # The same card under advice "none" (a fact, not advice) names the range.
    neutral = char.model_copy(update={"advice": "none", "actionable": False})
    assert (
        statement(neutral, 5050.4) == "You owe 5,050 on your credit accounts; 12,500 or more scores higher."
    )


def test_merchant_statement_and_code_carry_no_personal_value() -> None:
    char = declared(
        "revolving_utilisation",
        [interval(None, 0.3, 20), interval(0.3, None, -10), missing(0)],
    )
    art = artifact([one_card().segments[0].model_copy(update={"characteristics": [char]})])
    [e] = explain_frame(art, pd.DataFrame({"revolving_utilisation": [0.5123]}))
    [r] = e.reasons
    assert (r.code, r.characteristic, r.points_lost) == ("FC01", "revolving_utilisation", 30)
    assert r.adverse_action == "Proportion of balances to credit limits is too high"
    assert r.text == (
        "You are using 51% of your revolving credit limits; under 30% or no revolving credit scores higher."
    )
    # An undeclared characteristic: code = column name, merchant statement = description.
    [e] = explain_frame(one_card(), pd.DataFrame([{**BEST, "months_late": 3}]))
    assert (e.reasons[0].code, e.reasons[0].adverse_action) == (
        "months_late",
        "Months late on most recent payment",
    )
    # A missing value: the reason is the lack of information, not what the declared statement claims.
    [e] = explain_frame(art, pd.DataFrame({"revolving_utilisation": [math.nan]}))
    assert e.reasons[0].adverse_action == "Insufficient information: share of revolving credit limits in use"


def test_machine_readable_columns_next_to_the_text() -> None:
    out = score_frame(one_card(), pd.DataFrame([{**BEST, "months_late": 3, "utilisation": 0.7}]), reasons=4)
    assert list(out.columns[4:12]) == [
        "reason_1", "reason_1_code", "reason_1_characteristic", "reason_1_points",
        "reason_2", "reason_2_code", "reason_2_characteristic", "reason_2_points",
    ]  # fmt: skip
    row = out.iloc[0]
    assert (row["reason_1_code"], row["reason_1_characteristic"], row["reason_1_points"]) == (
        "months_late", "months_late", 120
    )  # fmt: skip
    assert (row["reason_2_characteristic"], row["reason_2_points"]) == ("utilisation", 80)
    assert row["reason_3"] is None and pd.isna(row["reason_3_points"])


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
    assert got[1] is not None and got[1].startswith(
        "Checking account status: not on file or not a recognised value"
    )


def test_fifth_reason_only_for_inquiries_outside_the_top_four() -> None:
    worst = {"months_late": 3, "utilisation": 0.95, "checking": "A11", "months_at_address": 1}
    got = reasons_of(**worst, inquiries_6m=1)  # inquiries lose 5: fifth, after four bigger losses
    assert got[4] == "Number of inquiries in the last 6 months: 1; none scores higher."
    got = reasons_of(**worst, inquiries_6m=5)  # inquiries lose 50: inside the top four, no fifth
    assert got[4] is None
    assert any(g is not None and g.startswith("Number of inquiries") for g in got[:4])


def test_fewer_reasons_requested() -> None:
    out = score_frame(one_card(), pd.DataFrame([{**BEST, "months_late": 3, "utilisation": 0.7}]), reasons=1)
    assert [c for c in out.columns if c.startswith("reason")] == [
        f"reason_{j}{f}" for j in (1, 2) for f in ("", "_code", "_characteristic", "_points")
    ]
    assert out["reason_1"].iloc[0].startswith("Months late")
    assert out["reason_2"].iloc[0] is None


def test_best_bin_is_the_best_the_segment_allows() -> None:
    # 'thin' rows have n_accounts < 2; a segment-condition characteristic cannot "improve" by leaving it.
    art = two_cards()
    thin = art.segments[0]
    seg = thin.model_copy(
        update={
            "condition": thin.condition.model_copy(update={"column": "utilisation", "op": ">=", "value": 0.6})
        }
    )  # type: ignore[union-attr]
    art = artifact([seg, art.segments[1]], columns=art.input_columns)
    char = art.segments[0].characteristics[0]  # utilisation, in the segment of utilisation >= 0.6
    reach = bin_witnesses(art.segments, 0, char)
    assert [w is not None for w in reach] == [False, False, True, True, False]  # missing leaves it too
    row = pd.DataFrame([{**BEST, "n_accounts": 5, "utilisation": 0.95}])
    out = score_frame(art, row, reasons=4)
    assert out["segment"].iloc[0] == "thin"
    assert out["reason_1_characteristic"].iloc[0] == "utilisation" and out["reason_1_points"].iloc[0] == 50
    assert "from 60% to under 90% scores higher" in out["reason_1"].iloc[0]


def test_a_bin_no_training_row_fell_in_is_not_the_best() -> None:
    # inquiries are never missing in training: the missing bin's 60 points rest on no row.
    char = inquiries().model_copy(
        update={"bins": [*inquiries().bins[:3], missing(60).model_copy(update={"count": 0, "bad_count": 0})]}
    )
    assert statement(char, 4) == "Number of inquiries in the last 6 months: 4; 2 or fewer scores higher."
    art = artifact([one_card().segments[0].model_copy(update={"characteristics": [char]})])
    out = score_frame(art, pd.DataFrame({"inquiries_6m": [4.0, 0.0]}), reasons=1)
    assert out["reason_1_points"].tolist()[0] == 50 and pd.isna(out["reason_1_points"].iloc[1])


def test_reasons_kernel_scores_equal_plain_scores() -> None:
    compiled = CompiledScorecard.from_artifact(one_card())
    data = pd.DataFrame([BEST, {**BEST, "months_late": np.nan, "checking": "A11"}])
    batch = compiled.prepare(data)
    codes = compiled.score_with_reasons(batch, 4)
    assert codes.scores.tolist() == compiled.score(batch).tolist()
    assert codes.characteristic.shape == (2, 5)


def test_statement_pieces_join_the_value() -> None:
    pieces = bin_statements(late(), [object()] * 5)  # type: ignore[list-item]  # every bin reachable
    assert statement_text(pieces[1].parts, "2 months") == (
        "Months late on most recent payment: 2 months; under 1 month scores higher."
    )
    assert pieces[0].better == ""  # the best bin: nothing scores higher


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cards(), st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_reasons_are_faithful_to_a_brute_force(art: ScorecardArtifact, seed: int, k: int) -> None:
    """Each reason's points are exactly what changing that value alone (staying in the segment) can
    gain; reasons are the largest losses, largest first, ties to the first listed; a fifth only for
    recent inquiries outside the top k."""
    frame = frame_for(art, 400, seed)
    out = score_frame(art, frame, reasons=k)
    brute = brute_force(art, frame)
    names = {s: [c.name for c in seg.characteristics] for s, seg in enumerate(art.segments)}
    width = k + 1 if any(is_inquiry_characteristic(c) for s in art.segments for c in s.characteristics) else k
    for i in range(len(frame)):
        order = names[int(brute.segment[i])]
        lost = {n: int(brute.best[n][i] - brute.raw[i]) for n in order}
        picked = [out[f"reason_{j}_characteristic"].iloc[i] for j in range(1, width + 1)]
        points = [out[f"reason_{j}_points"].iloc[i] for j in range(1, width + 1)]
        principal = [(c, p) for c, p in zip(picked[:k], points[:k], strict=True) if c is not None]
        want = sorted((n for n in order if lost[n] > 0), key=lambda n: (-lost[n], order.index(n)))[:k]
        assert [c for c, _ in principal] == want
        assert all(int(p) == lost[c] and p >= 1 for c, p in principal)
        if width > k:
            extra = picked[k]
            inquiry = [n for n in order if "inquir" in n and lost[n] > 0 and n not in want]
            assert (extra is None) == (not inquiry)
            if extra is not None:
                assert extra == inquiry[0] and int(points[k]) == lost[extra]


def test_reference_bin_agrees_with_the_card_helpers() -> None:
    assert reference_bin(late(), 2.0).label == "1 to 2"
