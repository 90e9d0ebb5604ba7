"""Plotly charts for the pages, as HTML fragments with no script in them: each is a ``div`` holding its
figure as JSON in ``data-figure``, drawn by ``/static/charts.js`` (the pages' Content-Security-Policy
allows no inline script). plotly.js itself is served locally (no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from lucidscore.artifact import DEFAULT_TIERS, MAX_SCORE, MIN_SCORE

if TYPE_CHECKING:
    from lucidscore.api._views import Step

_TIER_COLOURS = ("#d9534f", "#f0ad4e", "#f7dc6f", "#82c99a", "#2e8b57")


def _html(fig: go.Figure, div_id: str, kind: str = "plot-wide") -> str:
    fig.update_layout(margin={"l": 40, "r": 20, "t": 40, "b": 40}, paper_bgcolor="white", font={"size": 13})
    figure = escape(fig.to_json(), quote=True)
    return f'<div class="plot {kind}" id="{div_id}" data-figure="{figure}"></div>'


def gauge(score: int, tier: str) -> str:
    """A 350-950 gauge with the tier bands."""
    mins = [t.min_score for t in DEFAULT_TIERS] + [MAX_SCORE]
    steps = [
        {"range": [mins[i], mins[i + 1]], "color": _TIER_COLOURS[i % len(_TIER_COLOURS)]}
        for i in range(len(DEFAULT_TIERS))
    ]
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=score,
            title={"text": tier.capitalize()},
            gauge={
                "axis": {"range": [MIN_SCORE, MAX_SCORE]},
                "bar": {"color": "#1f3b57", "thickness": 0.3},
                "steps": steps,
            },
        )
    )
    fig.update_layout(height=240, autosize=True)  # as wide as its card (a phone too), at most 380 px (CSS)
    return _html(fig, "score-gauge", kind="plot-gauge")


def history(points: Sequence[tuple[date, int]]) -> str:
    """Score over time."""
    fig = go.Figure(
        go.Scatter(
            x=[p[0].isoformat() for p in points],
            y=[p[1] for p in points],
            mode="lines+markers",
            line={"color": "#1f3b57"},
        )
    )
    fig.update_layout(height=260, yaxis={"range": [MIN_SCORE, MAX_SCORE], "title": "score"})
    return _html(fig, "score-history")


def distribution(edges: Sequence[int], counts: Sequence[int]) -> str:
    """Histogram of the population's scores."""
    centres = [(edges[i] + edges[i + 1]) / 2 for i in range(len(counts))]
    fig = go.Figure(
        go.Bar(x=centres, y=list(counts), width=(edges[1] - edges[0]) * 0.9, marker_color="#1f3b57")
    )
    fig.update_layout(
        height=320, xaxis={"title": "score", "range": [MIN_SCORE, MAX_SCORE]}, yaxis={"title": "consumers"}
    )
    return _html(fig, "score-distribution")


def waterfall(steps: Sequence[Step]) -> str:
    """How the score is built: base points, each family's and each interaction's points (up or down), the
    score."""
    from lucidscore.api._views import MOVES  # the kinds of step that move the total (no import cycle)

    measure = [
        "absolute" if s.kind == "base" else "total" if s.kind == "total" else "relative" for s in steps
    ]
    fig = go.Figure(
        go.Waterfall(
            x=[s.label for s in steps],
            y=[s.points if s.kind != "total" else 0 for s in steps],
            measure=measure,
            text=[f"{s.points:+d}" if s.kind in MOVES else str(s.points) for s in steps],
            textposition="outside",
            increasing={"marker": {"color": "#2e8b57"}},
            decreasing={"marker": {"color": "#c0392b"}},
            totals={"marker": {"color": "#1f3b57"}},
            connector={"line": {"color": "#9aa5b1"}},
        )
    )
    moves = [v for s in steps if s.kind in MOVES for v in (s.start, s.end)]
    low = min([*moves, *(s.end for s in steps if s.kind == "base")])
    high = max(max(s.start, s.end) for s in steps)
    fig.update_layout(
        height=320, showlegend=False, yaxis={"title": "points", "range": [max(0, low - 60), high + 40]}
    )
    return _html(fig, "score-waterfall")
