"""The compiled kernel scores interaction grids and ranks reasons by reason units exactly as the reference
rule does (``lucidscore.artifact.reference_scores`` / ``reference_reasons``), on Hypothesis cards with
random grids; cards without grids score as before (the rest of ``tests/score``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import (
    MAX_PRINCIPAL_REASONS,
    ScorecardArtifact,
    raw_points,
    reference_reasons,
    reference_scores,
)
from lucidscore.score import CompiledScorecard, explain_frame, score_file, score_frame
from lucidscore.score._columns import lookups
from tests.score.strategies import cards, frame_for, with_interactions


@st.composite
def paired_cards(draw: st.DrawFn) -> ScorecardArtifact:
    return draw(with_interactions(draw(cards())))


def _reasons(codes_row: list[object], points_row: list[object]) -> list[tuple[str, int]]:
    return [(str(c), int(p)) for c, p in zip(codes_row, points_row, strict=True) if isinstance(c, str)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards(), seed=st.integers(0, 2**16), n=st.sampled_from([1, 7, 300, 2049 + 17]))
def test_kernel_scores_equal_the_reference_with_grids(art: ScorecardArtifact, seed: int, n: int) -> None:
    frame = frame_for(art, n, seed)
    compiled = CompiledScorecard.from_artifact(art)
    batch = compiled.prepare(frame)
    expected = reference_scores(art.segments, frame)
    np.testing.assert_array_equal(compiled.score(batch), expected)
    np.testing.assert_array_equal(compiled.score_with_reasons(batch, 2).scores, expected)
    bins = compiled.bins(batch)
    raw = (
        compiled.tables.seg_base[batch.segment]
        + compiled.points(batch).sum(axis=1)
        + compiled.interaction_points(bins, batch.segment).sum(axis=1)
    )
    np.testing.assert_array_equal(raw, raw_points(art.segments, frame))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards(), seed=st.integers(0, 2**16), k=st.integers(1, 4))
def test_kernel_reasons_equal_the_reference_reasons_with_grids(
    art: ScorecardArtifact, seed: int, k: int
) -> None:
    frame = frame_for(art, 80, seed)
    out = score_frame(art, frame, reasons=k)
    expected = reference_reasons(art.segments, frame, k=k)
    width = sum(1 for c in out.columns if c.endswith("_code"))
    for i, reasons in enumerate(expected):
        got = _reasons(
            [out[f"reason_{j}_code"].iloc[i] for j in range(1, width + 1)],
            [out[f"reason_{j}_points"].iloc[i] for j in range(1, width + 1)],
        )
        assert got == reasons, f"row {i}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards(), seed=st.integers(0, 2**16))
def test_explanations_add_up_to_the_score_and_name_pairs_by_their_units(
    art: ScorecardArtifact, seed: int
) -> None:
    """The waterfall (base points, family points, each grid's points) sums to the unclipped score and,
    clipped, to the score; a pair's reason is its unit's code and points lost (``reference_reasons``),
    names both columns, and its statements name both characteristics (the consumer's with both values)."""
    frame = frame_for(art, 40, seed)
    explanations = explain_frame(art, frame, reasons=MAX_PRINCIPAL_REASONS)
    raw = raw_points(art.segments, frame)
    expected = reference_reasons(art.segments, frame)
    for i, e in enumerate(explanations):
        segment = next(s for s in art.segments if s.name == e.segment)
        parts = (
            e.base_points + sum(v for v in e.families.values() if v) + sum(g.points for g in e.interactions)
        )
        assert parts == e.unclipped == raw[i]
        assert e.score == min(max(parts, 350), 950)
        assert [(g.first, g.second) for g in e.interactions] == [
            (g.first, g.second) for g in segment.interactions
        ]
        assert [(r.code, r.points_lost) for r in e.reasons] == expected[i]
        descriptions = {c.name: c.description for c in segment.characteristics}
        for r in e.reasons:
            if "+" not in r.code:
                continue
            first, second = r.characteristic.split("+")
            assert (first, second) in [(g.first, g.second) for g in segment.interactions]
            text, merchant = r.text.lower(), r.adverse_action.lower()
            assert descriptions[first] in text
            assert descriptions[second] in text and "together with" in text
            assert descriptions[first] in merchant and descriptions[second] in merchant


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards(), seed=st.integers(0, 2**16), k=st.integers(0, 4))
def test_kernel_reason_slots_equal_the_reference_reasons_for_every_k(
    art: ScorecardArtifact, seed: int, k: int
) -> None:
    """The kernel's own output (``ReasonCodes``), k = 0 included (then only the recent-inquiries slot)."""
    frame = frame_for(art, 60, seed)
    compiled = CompiledScorecard.from_artifact(art)
    codes = compiled.score_with_reasons(compiled.prepare(frame), k)
    look = lookups(compiled)
    units = np.stack(
        [look.unit_keys(codes.characteristic[:, j], codes.second_bin[:, j]) for j in range(k + 1)], 1
    )
    expected = reference_reasons(art.segments, frame, k=k)
    for i, reasons in enumerate(expected):
        got = [
            (look.codes[look.code_of[u]], int(codes.points_lost[i, j]))
            for j, u in enumerate(units[i])
            if u >= 0
        ]
        assert got == reasons, f"row {i}"
        assert (codes.points_lost[i][units[i] < 0] == 0).all()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards(), seed=st.integers(0, 2**16))
def test_the_local_batch_engine_scores_grids_chunk_by_chunk(art: ScorecardArtifact, seed: int) -> None:
    """``score_file`` (CSV read in small blocks, so in several chunks) writes the reference's scores and
    reasons for a model with grids."""
    frame = frame_for(art, 3000, seed)
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "d.csv", Path(tmp) / "s.parquet"
        frame.to_csv(data, index=False)
        score_file(
            Path(tmp) / "unused.json", data, out, reasons=2, progress=False, artifact=art, chunk_bytes=1 << 14
        )
        scored = pd.read_parquet(out)
    np.testing.assert_array_equal(scored["score"], reference_scores(art.segments, frame))
    expected = reference_reasons(art.segments, frame, k=2)
    width = sum(1 for c in scored.columns if c.endswith("_code"))
    for i, reasons in enumerate(expected):
        row = scored.iloc[i]
        got = _reasons(
            [row[f"reason_{j}_code"] for j in range(1, width + 1)],
            [row[f"reason_{j}_points"] for j in range(1, width + 1)],
        )
        assert got == reasons, f"row {i}"
