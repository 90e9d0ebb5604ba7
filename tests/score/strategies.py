"""Hypothesis-built scorecards and frames for the reason and recourse properties, plus a brute force that
answers the same questions with the plain reference rule only (``lucidscore.artifact``).

Cards have numeric characteristics (integer edges, a special value, a missing bin, each with an advice
direction) and categorical ones, and often a second segment whose condition is on one of the
characteristics, so that changing a value can move a row to the other segment (which reasons and recourse
must not do).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from lucidscore.artifact import (
    Bin,
    Characteristic,
    Condition,
    Interaction,
    ScorecardArtifact,
    ScoreProbability,
    Segment,
    bin_index,
    raw_points,
    segment_of_rows,
)
from lucidscore.policy import Advice

SPECIAL = -8.0
CATEGORIES = ["A", "B", "C", "D"]


def _numeric(draw: st.DrawFn, name: str, edges: list[int], advice: Advice) -> Characteristic:
    points = st.integers(-60, 60)
    bounds = [None, *edges, None]
    values = [draw(points) for _ in bounds[1:]]
    if advice != "none" and draw(st.sampled_from([True, True, False])):  # usually the card agrees
        values.sort(reverse=advice == "lower")
    bins = [
        Bin(kind="interval", lower=lo, upper=hi, label=f"{lo} to {hi}", count=10, bad_count=1, woe=0.0,
            points=p)
        for lo, hi, p in zip(bounds[:-1], bounds[1:], values, strict=True)
    ]  # fmt: skip
    bins.append(Bin(kind="missing", label="missing", count=5, bad_count=1, woe=0.0, points=draw(points)))
    bins.append(
        Bin(kind="special", special_value=SPECIAL, label="code -8", count=5, bad_count=1, woe=0.0,
            points=draw(points))
    )  # fmt: skip
    return Characteristic(
        name=name,
        family="credit_history",
        dtype="numeric",
        description=f"{name} description",
        actionable=advice != "none",
        advice=advice,
        unit="count",
        special_values=[SPECIAL],
        iv=0.1,
        coefficient=-1.0,
        bins=bins,
    )


def _categorical(draw: st.DrawFn, name: str) -> Characteristic:
    groups: dict[int, list[str]] = {}
    for cat in CATEGORIES:
        groups.setdefault(draw(st.integers(0, 2)), []).append(cat)
    points = st.integers(-60, 60)
    bins = [
        Bin(kind="categories", categories=cats, label="/".join(cats), count=10, bad_count=1, woe=0.0,
            points=draw(points))
        for cats in groups.values()
    ]  # fmt: skip
    bins.append(Bin(kind="missing", label="missing", count=5, bad_count=1, woe=0.0, points=draw(points)))
    return Characteristic(
        name=name,
        family="fulfilment_capacity",
        dtype="categorical",
        description=f"{name} description",
        iv=0.1,
        coefficient=-1.0,
        bins=bins,
    )


@dataclass(frozen=True)
class Layout:
    """Which characteristics a card has: their names, kinds, edges and advice (shared by its segments)."""

    names: list[str]
    kinds: list[str]
    edges: list[list[int]]
    advice: list[Advice]


@st.composite
def layouts(draw: st.DrawFn, max_characteristics: int = 5, min_edges: int = 0) -> Layout:
    n = draw(st.integers(1, max_characteristics))
    kinds = [draw(st.sampled_from(["numeric", "numeric", "numeric", "categorical"])) for _ in range(n)]
    kinds[0] = "numeric"  # the segment condition reads the first column
    names = [f"c{i}" for i in range(n)]
    if n > 1 and draw(st.booleans()):
        names[n - 1] = "inquiries_recent"  # may give the extra (fifth) reason
    edges = [sorted(draw(st.sets(st.integers(-2, 12), min_size=min_edges, max_size=4))) for _ in range(n)]
    advice: list[Advice] = [
        draw(st.sampled_from(["lower", "higher", "none"])) if k == "numeric" else "none" for k in kinds
    ]
    return Layout(names, kinds, edges, advice)


@st.composite
def cards(draw: st.DrawFn, max_characteristics: int = 5, min_edges: int = 0) -> ScorecardArtifact:
    """A card of one or two segments; a second segment's condition is on the first characteristic. Each
    numeric characteristic has at least ``min_edges`` interval edges (recourse needs bins to move to)."""
    layout = draw(layouts(max_characteristics, min_edges))

    def characteristics() -> list[Characteristic]:
        return [
            _numeric(draw, name, edges, advice) if kind == "numeric" else _categorical(draw, name)
            for name, kind, edges, advice in zip(
                layout.names, layout.kinds, layout.edges, layout.advice, strict=True
            )
        ]

    default = Segment(
        name="default",
        intercept=0.0,
        base_points=draw(st.integers(480, 640)),  # around the tier edges, where recourse has work
        characteristics=characteristics(),
        n_train=100,
        bad_rate=0.1,
    )
    segments = [default]
    if draw(st.sampled_from([False, True, True])):
        op = draw(st.sampled_from(["<", ">=", "==", "!=", "<=", ">"]))
        condition = Condition(column=layout.names[0], op=op, value=float(draw(st.integers(-1, 10))))
        first = Segment(
            name="first",
            condition=condition,
            intercept=0.0,
            base_points=draw(st.integers(480, 640)),
            characteristics=characteristics()[: draw(st.integers(1, len(layout.names)))],
            n_train=100,
            bad_rate=0.1,
        )
        segments = [first, default]
    table = [ScoreProbability(score=s, probability=0.5) for s in range(350, 951, 50)]
    return ScorecardArtifact(
        model_id="sc-hypothesis",
        target="bad",
        input_columns=layout.names,
        segments=segments,
        score_probability=table,
    ).with_hash()


@st.composite
def _grid(draw: st.DrawFn, first: Characteristic, second: Characteristic) -> Interaction:
    def groups(char: Characteristic) -> list[list[int]]:
        order = draw(st.permutations(list(range(len(char.bins)))))
        cuts = sorted(draw(st.sets(st.integers(1, len(char.bins) - 1), max_size=2)))
        bounds = [0, *cuts, len(char.bins)]
        return [list(order[a:b]) for a, b in itertools.pairwise(bounds)]

    rows, cols = groups(first), groups(second)
    points = [[draw(st.integers(-40, 40)) for _ in cols] for _ in rows]
    return Interaction(
        first=first.name, second=second.name, first_groups=rows, second_groups=cols, points=points
    )


@st.composite
def with_interactions(draw: st.DrawFn, art: ScorecardArtifact) -> ScorecardArtifact:
    """``art`` with interaction grids in its segments: disjoint pairs, each first listed before its second
    (the rule of ``lucidscore.artifact.Interaction``), random groups of bins and random cell points."""
    segments = []
    for seg in art.segments:
        free = list(range(len(seg.characteristics)))
        inters: list[Interaction] = []
        while len(free) >= 2 and draw(st.booleans()):
            i, j = sorted(draw(st.lists(st.sampled_from(free), min_size=2, max_size=2, unique=True)))
            free = [f for f in free if f not in (i, j)]
            inters.append(draw(_grid(seg.characteristics[i], seg.characteristics[j])))
        segments.append(seg.model_copy(update={"interactions": inters}))
    return art.model_copy(update={"segments": segments}).with_hash()


def frame_for(art: ScorecardArtifact, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows that reach every kind of bin: whole and fractional numbers, the special value, missing,
    known and unseen categories."""
    rng = np.random.default_rng(seed)
    out: dict[str, object] = {}
    for char in art.segments[-1].characteristics:
        if char.dtype == "numeric":
            x = rng.integers(-4, 15, n).astype(float)
            x[rng.random(n) < 0.2] += 0.5
            x[rng.random(n) < 0.08] = np.nan
            x[rng.random(n) < 0.05] = SPECIAL
            out[char.name] = x
        else:
            cats = np.asarray([*CATEGORIES, "Z"], dtype=object)[rng.integers(0, 5, n)]
            cats[rng.random(n) < 0.08] = None
            out[char.name] = cats
    return pd.DataFrame(out)


def candidate_values(art: ScorecardArtifact, name: str) -> list[object]:
    """Values that reach every piece of every bin of column ``name`` (in every segment), for brute force:
    edges, points just inside them, condition thresholds and neighbours, missing, special, categories."""
    chars = [c for s in art.segments for c in s.characteristics if c.name == name]
    if chars[0].dtype == "categorical":
        return [*CATEGORIES, "Z", None]
    points: set[float] = {SPECIAL}
    for char in chars:
        for b in char.bins:
            for edge in (b.lower, b.upper):
                if edge is not None:
                    points |= {edge, edge - 0.5, edge - 1.0, edge + 0.5, float(np.nextafter(edge, -math.inf))}
    for seg in art.segments:
        cond = seg.condition
        if cond is not None and cond.column == name:
            t = float(cond.value)  # type: ignore[arg-type]
            points |= {t, t - 0.5, t + 0.5, t - 1, t + 1}
    points |= {min(points) - 5, max(points) + 5}
    return [math.nan, *sorted(points)]


@dataclass(frozen=True)
class Brute:
    """For each row and characteristic (by name): the most raw points changing that value alone can give
    while the row stays in its segment, next to the row's raw points now."""

    raw: np.ndarray
    segment: np.ndarray
    best: dict[str, np.ndarray]


def brute_force(art: ScorecardArtifact, frame: pd.DataFrame) -> Brute:
    raw = raw_points(art.segments, frame)
    seg = segment_of_rows(art.segments, frame)
    best: dict[str, np.ndarray] = {}
    for name in art.input_columns:
        top = np.full(len(frame), np.iinfo(np.int64).min)
        for value in candidate_values(art, name):
            changed = frame.copy()
            changed[name] = pd.Series([value] * len(frame), dtype=frame[name].dtype)
            stays = segment_of_rows(art.segments, changed) == seg
            top = np.where(stays, np.maximum(top, raw_points(art.segments, changed)), top)
        best[name] = top
    return Brute(raw, seg, best)


def bins_of(art: ScorecardArtifact, frame: pd.DataFrame, segment: int, name: str) -> np.ndarray:
    """Each row's bin index in characteristic ``name`` of ``segment`` (by the reference rule)."""
    char = next(c for c in art.segments[segment].characteristics if c.name == name)
    return bin_index(char, frame[name])
