"""The reason rule with interactions, in the reference implementation every engine is tested against: a
pair of an interaction is one reason unit whose points lost are exactly what changing its two values (and
nothing else) can win back while the row stays in its segment; without interactions the reference reasons
are the kernel's."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import (
    ScorecardArtifact,
    bin_index,
    raw_points,
    reason_units,
    reference_reasons,
    segment_of_rows,
)
from lucidscore.score import score_frame
from tests.score.strategies import candidate_values, cards, frame_for, with_interactions


@st.composite
def paired_cards(draw: st.DrawFn) -> ScorecardArtifact:
    return draw(with_interactions(draw(cards(max_characteristics=4))))


def _changed(frame: pd.DataFrame, values: dict[str, object]) -> pd.DataFrame:
    out = frame.copy()
    for name, value in values.items():
        out[name] = pd.Series([value] * len(frame), dtype=frame[name].dtype)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards(), seed=st.integers(0, 2**16))
def test_each_units_points_lost_are_what_changing_its_values_alone_wins_back(
    art: ScorecardArtifact, seed: int
) -> None:
    frame = frame_for(art, 25, seed)
    raw = raw_points(art.segments, frame)
    seg = segment_of_rows(art.segments, frame)
    for s, segment in enumerate(art.segments):
        rows = seg == s
        if not rows.any():
            continue
        at = [bin_index(c, frame[c.name]) for c in segment.characteristics]
        for unit in reason_units(art.segments, s):
            names = [segment.characteristics[m].name for m in unit.members]
            lost = unit.best - unit.points[tuple(at[m] for m in unit.members)]
            best = np.full(len(frame), np.iinfo(np.int64).min)
            for combo in itertools.product(*(candidate_values(art, n) for n in names)):
                changed = _changed(frame, dict(zip(names, combo, strict=True)))
                stays = segment_of_rows(art.segments, changed) == seg
                best = np.where(stays, np.maximum(best, raw_points(art.segments, changed)), best)
            np.testing.assert_array_equal((best - raw)[rows], lost[rows], err_msg=f"unit {unit.code}")
            if unit.interaction is not None:
                assert unit.code == "+".join(segment.characteristics[m].reason_code for m in unit.members)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=cards(), seed=st.integers(0, 2**16))
def test_without_interactions_the_reference_reasons_are_the_kernels(
    art: ScorecardArtifact, seed: int
) -> None:
    frame = frame_for(art, 60, seed)
    out = score_frame(art, frame, reasons=3)
    expected = reference_reasons(art.segments, frame, k=3)
    for i, reasons in enumerate(expected):
        got = [
            (out[f"reason_{j}_code"].iloc[i], int(out[f"reason_{j}_points"].iloc[i]))
            for j in range(1, 5)
            if f"reason_{j}_code" in out and isinstance(out[f"reason_{j}_code"].iloc[i], str)
        ]
        assert got == reasons, f"row {i}"
