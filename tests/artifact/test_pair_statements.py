"""What a pair reason's consumer statement says scores higher is true (issue 14): on Hypothesis cards with
random grids, for every cell of every pair that a row can be in, each value range the statement names —
the first member alone, the second alone, or both together — rescored by the reference rule keeps the row
in its segment, moves its values only in their declared directions and raises its points by the cell's
joint gain; and the statement names something whenever an allowed single change would score higher."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import (
    Characteristic,
    ScorecardArtifact,
    Witness,
    attainable_bins,
    pair_better,
    pair_statements,
    raw_points,
    reason_units,
    segment_of_rows,
)
from tests.score.strategies import cards, frame_for, with_interactions


def _value(witness: Witness | None) -> object:
    assert witness is not None  # only attainable bins are looked at
    return witness.low


def _direction_kept(char: Characteristic, before: object, after: object) -> bool:
    """A move from value ``before`` to ``after`` is in the declared direction (or the value is a state)."""
    advice = char.advice_direction
    if advice == "none" or char.dtype != "numeric":
        return True
    b, a = float(before), float(after)  # type: ignore[arg-type]
    special = set(char.special_values)
    if math.isnan(a) or a in special:  # to a state: not a move along the line
        return True
    if math.isnan(b) or b in special:  # from none of it, any value is more of it
        return advice == "higher"
    return a < b if advice == "lower" else a > b


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=cards().flatmap(with_interactions), seed=st.integers(0, 2**16))
def test_what_a_pair_statement_says_scores_higher_does(art: ScorecardArtifact, seed: int) -> None:
    base = frame_for(art, 30, seed)
    segments = segment_of_rows(art.segments, base)
    for s, segment in enumerate(art.segments):
        rows = base[segments == s]
        if rows.empty:
            continue
        row = rows.iloc[[0]].reset_index(drop=True)
        chars = segment.characteristics
        for unit in reason_units(art.segments, s):
            if unit.interaction is None:
                continue
            first, second = (chars[m] for m in unit.members)
            wa, wb = attainable_bins(art.segments, s, first), attainable_bins(art.segments, s, second)
            reach = ({i for i, w in enumerate(wa) if w}, {j for j, w in enumerate(wb) if w})
            joint = unit.points.tolist()
            texts = pair_statements(first, second, joint, wa, wb)
            for a in reach[0]:
                for b in reach[1]:
                    here = {first.name: _value(wa[a]), second.name: _value(wb[b])}
                    better = pair_better(first, second, joint, reach, (a, b))
                    moves = [({first.name: _value(wa[x])}, (x, b)) for x in better.first]
                    moves += [({second.name: _value(wb[y])}, (a, y)) for y in better.second]
                    if better.both is not None:
                        x, y = better.both
                        moves.append(({first.name: _value(wa[x]), second.name: _value(wb[y])}, (x, y)))
                    for change, (x, y) in moves:
                        before, after = _with(row, here), _with(row, {**here, **change})
                        assert segment_of_rows(art.segments, after)[0] == s
                        gain = raw_points(art.segments, after)[0] - raw_points(art.segments, before)[0]
                        assert gain == joint[x][y] - joint[a][b] > 0
                        for name, value in change.items():
                            char = first if name == first.name else second
                            assert _direction_kept(char, here[name], value), (name, here[name], value)
                    single = [
                        x
                        for x in reach[0]
                        if joint[x][b] > joint[a][b]
                        and _direction_kept(first, here[first.name], _value(wa[x]))
                    ]
                    if single:
                        assert better.first or better.second, (a, b, single)
                    named = bool(better.first or better.second or better.both)
                    assert texts[a][b].endswith("scores higher.") == named


def _with(row: pd.DataFrame, values: dict[str, object]) -> pd.DataFrame:
    out = row.copy()
    for name, value in values.items():
        out[name] = pd.Series([value], dtype=object if isinstance(value, str) else np.float64)
    return out
