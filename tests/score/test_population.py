"""Reasons and recourse over the demo's population: 20,000 synthetic consumers (``lucidscore.synth``, seed 7,
as ``lucidscore demo`` generates them), their features at six month ends (120,000 rows,
``lucidscore.features``) and the segmented scorecard trained as the demo trains it, with the feature
catalogue's declarations.

- Faithful reasons, on every one of the 120,000 rows (for the demo's card, and for the same card trained
  without declarations, whose points are refined): changing only a reason's characteristic — or, for
  the pair of an interaction grid, its two characteristics — to values of its best reachable bins raises
  the score before the clip by exactly ``reason_N_points``; at most four principal reasons, ranked by
  points lost, and a fifth only for recent inquiries.
- Safe recourse, over the whole current population (``tests.score.recourse_audit``): every step moves in
  its characteristic's declared direction (never into or out of missing, never a characteristic declared
  ``none``, never more debt, credit or use of a limit); applying one step, or the whole plan, and
  rescoring gives exactly the points and score claimed, the thin-file card's grid cells included; and no
  plan lands in a grid cell that pays for a step against a declaration.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lucidscore.artifact import Condition, ScorecardArtifact, raw_points, reason_units, segment_of_rows
from lucidscore.features import FEATURE_CATALOGUE, compute_features
from lucidscore.model import train_scorecard
from lucidscore.score import CompiledScorecard, explain_frame, score_frame
from lucidscore.synth import generate_population
from tests.score.recourse_audit import audit_recourse

pytestmark = pytest.mark.slow

CONSUMERS = 20_000
SEED = 7  # lucidscore demo's default seed: this is the demo population
MONTHS = 6


def _month_ends(end: date, months: int) -> list[date]:
    out = [end]
    while len(out) < months:
        out.append(out[-1].replace(day=1) - timedelta(days=1))
    return out[::-1]


class Population:
    def __init__(self, directory: Path) -> None:
        summary = generate_population(CONSUMERS, SEED, directory / "data")
        train = compute_features(directory / "data", summary.observation_date).to_pandas()
        rows = len(train)

        def card(declared: bool) -> ScorecardArtifact:
            return train_scorecard(
                train.drop(columns=["consumer_id"]),
                "bad",
                test_size=0.3,
                seed=SEED,
                segment_rule=Condition(column="thin_file", op="==", value=1.0),
                feature_meta=dict(FEATURE_CATALOGUE) if declared else None,
                min_segment_rows=min(1000, max(100, rows // 10)),
                min_segment_bads=min(50, max(10, rows // 100)),
            )

        self.artifact = card(declared=True)
        # The same card without the catalogue's declarations: every characteristic may be refined.
        self.undeclared = card(declared=False)
        months = [
            compute_features(directory / "data", d).to_pandas() for d in _month_ends(summary.end, MONTHS)
        ]
        self.current = months[-1].drop(columns=["consumer_id"])
        self.all_months = pd.concat(months, ignore_index=True).drop(columns=["consumer_id"])


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Population:
    return Population(tmp_path_factory.mktemp("population"))


def test_every_reason_is_faithful_on_120000_rows(population: Population) -> None:
    assert len(population.all_months) >= 100_000
    assert _faithful_reasons(population.artifact, population.all_months) > 300_000  # most rows: 4+


def test_every_reason_of_a_refined_card_is_faithful_on_120000_rows(population: Population) -> None:
    """The same population's card without declarations: its characteristics are refined (issue 14), so
    points need not follow each bin's own risk order; every reason must still be exact."""
    art, frame = population.undeclared, population.all_months
    assert any("refined on their pre-bins" in n for n in art.training["notes"])
    assert not any(c.declared for s in art.segments for c in s.characteristics)
    assert _faithful_reasons(art, frame) > 300_000


def _faithful_reasons(art: ScorecardArtifact, frame: pd.DataFrame) -> int:
    """Check every reason of every row (module docstring); the number of reasons checked."""
    out = score_frame(art, frame, reasons=4)
    compiled = CompiledScorecard.from_artifact(art)
    before = raw_points(art.segments, frame)
    segment = segment_of_rows(art.segments, frame)
    assert (np.clip(before, 350, 950) == out["score"].to_numpy()).all()
    units = [
        {"+".join(seg.characteristics[m].name for m in u.members): u for u in reason_units(art.segments, s)}
        for s, seg in enumerate(art.segments)
    ]
    checked = 0
    for j in range(1, 6):
        names = out[f"reason_{j}_characteristic"].to_numpy(dtype=object)
        points = out[f"reason_{j}_points"]
        has = points.notna().to_numpy()
        assert (names[has] != None).all() and (points[has] >= 1).all()  # noqa: E711
        changed = frame.copy()
        for (s, name), rows in pd.Series(np.flatnonzero(has)).groupby([segment[has], names[has]]):
            chars = art.segments[s].characteristics
            unit = units[s][name]
            # The unit's best attainable bins (a pair: the best pair of bins, joint points).
            masked = np.where(unit.attainable, unit.points, np.iinfo(np.int64).min)
            best = np.unravel_index(int(np.argmax(masked)), masked.shape)
            for m, b in zip(unit.members, best, strict=True):
                witness = compiled.witnesses[int(compiled.tables.seg_start[s]) + m][int(b)]
                assert witness is not None
                changed.loc[rows.to_numpy(), chars[m].name] = witness.low
        after = raw_points(art.segments, changed)
        assert (segment_of_rows(art.segments, changed) == segment).all()  # the best bin keeps the segment
        assert ((after - before)[has] == points[has].to_numpy(dtype=np.int64)).all()
        checked += int(has.sum())
        if j > 1:  # ranked by points lost (the fifth, recent inquiries, may lose less)
            prev = out[f"reason_{j - 1}_points"]
            if j <= 4:
                both = has & prev.notna().to_numpy()
                assert (prev[both] >= points[both]).all()
    fifth = out["reason_5_characteristic"].dropna()
    assert all({"inquiries_6m", "inquiries_12m"} & set(name.split("+")) for name in set(fifth))
    return checked


def test_recourse_over_the_whole_population_is_safe_and_reaches_its_score(population: Population) -> None:
    """The audit of ``tests.score.recourse_audit`` over every consumer of the current month: every step in
    its declared direction (never more debt, credit or applications), every claimed point rescored by the
    reference rule (each step alone, and the whole plan; the grid's cells included), and no plan landing
    in a grid cell that pays for a step against a declaration."""
    art, frame = population.artifact, population.current
    grids = [(s.name, i.first, i.second) for s in art.segments for i in s.interactions]
    # Since refinement may double max_bins and grid axes have 5 groups (2026-12-06), the demo's cards keep
    # no grid; the audit of plans through grid cells is then covered by tests/score/test_recourse_audit.py.
    explained = explain_frame(art, frame)
    audit = audit_recourse(art, frame, explained)
    assert audit.violations == []
    assert audit.plans > len(frame) // 4 and audit.steps > len(frame) // 4  # recourse is not vacuous here
    if grids:
        assert audit.pair_plans > 100 and audit.grid_counted > 100  # plans that move a member of a grid
    # The batch columns say the same as the explanations.
    stated = np.asarray([e.recourse.new_score or -1 for e in explained])
    out = score_frame(art, frame, reasons=0, recourse=True)
    assert (out["recourse_score"].fillna(-1).to_numpy() == stated).all()
