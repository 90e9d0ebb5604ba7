"""Issue 15, publish throughput: the scores a publish stores are built as plain dicts, not as one pydantic
object per reason, change, recourse and explanation. Property, on Hypothesis-built cards and frames that
reach every kind of bin: each dict is exactly what validating it into its model and dumping that again
gives (the same keys in the same order, the same types, so the same stored JSON text and digest), and
scoring everyone gives the rows that computing the reasons apart from the explanations gives."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Explanation, Reason, ScorecardArtifact
from lucidscore.score import CompiledScorecard, explain_frame, score_consumers
from lucidscore.score._explain import explanation_dicts, reason_dicts
from tests.score.strategies import cards, frame_for, with_interactions

# Cards with and without interaction grids (a pair reason, and an explanation's grid points).
any_cards = st.one_of(cards(), cards().flatmap(with_interactions))

AS_OF = date(2026, 6, 30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=any_cards, n=st.integers(1, 40), seed=st.integers(0, 2**16), max_changes=st.integers(1, 3))
def test_the_dicts_are_what_their_models_dump(
    art: ScorecardArtifact, n: int, seed: int, max_changes: int
) -> None:
    frame = frame_for(art, n, seed)
    compiled = CompiledScorecard.from_artifact(art)
    batch = compiled.prepare(frame)
    explained = explanation_dicts(compiled, batch, max_changes)
    assert len(explained) == n
    for e in explained:
        assert json.dumps(e) == json.dumps(Explanation.model_validate(e).model_dump(mode="json"))
    assert [Explanation.model_validate(e) for e in explained] == explain_frame(art, frame, max_changes)
    for row in reason_dicts(compiled, batch, compiled.score_with_reasons(batch)):
        for r in row:
            assert json.dumps(r) == json.dumps(Reason.model_validate(r).model_dump(mode="json"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=any_cards, n=st.integers(0, 30), seed=st.integers(0, 2**16))
def test_scoring_everyone_gives_the_rows_of_explaining_each(
    art: ScorecardArtifact, n: int, seed: int
) -> None:
    frame = frame_for(art, n, seed)
    frame.insert(0, "consumer_id", [f"C{i:04d}" for i in range(n)])
    everyone = score_consumers(art, frame, AS_OF)
    each = score_consumers(art, frame, AS_OF, explain_ids=frame["consumer_id"].tolist())
    assert json.dumps(everyone, default=str) == json.dumps(each, default=str)
    nobody = score_consumers(art, frame, AS_OF, explain_ids=())
    assert [r["explanation"] for r in nobody] == [None] * n
    assert json.dumps([r["reasons"] for r in nobody]) == json.dumps([r["reasons"] for r in everyone])
    for row in everyone:
        assert row["explanation"]["row"] == 0
        assert row["reasons"] == row["explanation"]["reasons"]
