"""Plotly figures for the evaluation and drift reports, built from the report dict only."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from lucidscore.evaluate._stability import MONITOR_AT, SHIFTED_AT

LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "height": 360,
    "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
    "legend": {"orientation": "h", "y": -0.2},
}


def _fig(title: str, **layout: Any) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **{**LAYOUT, **layout})
    return fig


def roc(curves: dict[str, list[float]], auc: float) -> go.Figure:
    fig = _fig(
        f"ROC curve (AUC {auc:.4f})",
        xaxis_title="share of goods declined",
        yaxis_title="share of bads declined",
    )
    fig.add_scatter(x=curves["fpr"], y=curves["tpr"], mode="lines", name="model")
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="random", line={"dash": "dot", "color": "grey"})
    return fig


def ks(curves: dict[str, list[float]], ks_value: float) -> go.Figure:
    fig = _fig(
        f"KS plot (KS {ks_value:.4f})",
        xaxis_title="score cutoff (declined at or below)",
        yaxis_title="cumulative share",
    )
    x = curves["score"][1:]
    fig.add_scatter(x=x, y=curves["tpr"][1:], mode="lines", name="bads")
    fig.add_scatter(x=x, y=curves["fpr"][1:], mode="lines", name="goods")
    return fig


def calibration(bands: list[dict[str, Any]]) -> go.Figure:
    rows = [b for b in bands if b["rows"]]
    fig = _fig(
        "Predicted vs observed bad rate per score band", xaxis_title="score band", yaxis_title="bad rate"
    )
    fig.add_bar(x=[b["band"] for b in rows], y=[b["observed_bad_rate"] for b in rows], name="observed")
    fig.add_scatter(
        x=[b["band"] for b in rows],
        y=[b["predicted_bad_rate"] for b in rows],
        mode="lines+markers",
        name="predicted",
    )
    return fig


def distribution(bands: list[dict[str, Any]]) -> go.Figure:
    fig = _fig(
        "Population share and bad rate per score band",
        xaxis_title="score band",
        yaxis={"title": "share of rows", "tickformat": ".0%", "rangemode": "tozero"},
        yaxis2={
            "title": "bad rate",
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
            "range": [0, 1],
            "showgrid": False,
        },
    )
    fig.add_bar(x=[b["band"] for b in bands], y=[b["share"] for b in bands], name="population share")
    fig.add_scatter(
        x=[b["band"] for b in bands],
        y=[b["observed_bad_rate"] for b in bands],
        mode="lines+markers",
        name="bad rate",
        yaxis="y2",
    )
    return fig


def _threshold_lines(fig: go.Figure) -> None:
    fig.add_hline(y=MONITOR_AT, line={"dash": "dash", "color": "orange"}, annotation_text="0.1 monitor")
    fig.add_hline(y=SHIFTED_AT, line={"dash": "dash", "color": "red"}, annotation_text="0.25 shifted")


def csi(characteristics: list[dict[str, Any]]) -> go.Figure:
    fig = _fig("Characteristic stability index (CSI)", yaxis_title="CSI")
    names = [f"{c['characteristic']} ({c['segment']})" for c in characteristics]
    colors = {"stable": "#2a9d8f", "monitor": "#e9c46a", "shifted": "#e76f51"}
    fig.add_bar(
        x=names,
        y=[c["csi"] for c in characteristics],
        marker_color=[colors[c["flag"]] for c in characteristics],
        name="CSI",
    )
    _threshold_lines(fig)
    return fig


def score_shift(score: dict[str, Any]) -> go.Figure:
    fig = _fig(
        f"Score distribution, baseline vs current (PSI {score['psi']:.4f})",
        yaxis={"title": "share", "tickformat": ".0%"},
    )
    bands = score["bands"]
    fig.add_bar(x=[b["band"] for b in bands], y=[b["baseline_share"] for b in bands], name="baseline")
    fig.add_bar(x=[b["band"] for b in bands], y=[b["current_share"] for b in bands], name="current")
    return fig


def approval(attribute: str, entry: dict[str, Any]) -> go.Figure:
    groups = entry["groups"]
    fig = _fig(
        f"{attribute}: approval rate at cutoff {entry['cutoff']}",
        yaxis={"title": "approval rate", "tickformat": ".0%", "range": [0, 1]},
    )
    colors = ["#e76f51" if g["four_fifths_flag"] else "#264653" for g in groups]
    fig.add_bar(
        x=[g["group"] for g in groups],
        y=[g["approval_rate"] for g in groups],
        marker_color=colors,
        name="approval rate",
    )
    ref = max((g["approval_rate"] for g in groups if g["group"] == entry["reference_group"]), default=None)
    if ref:
        fig.add_hline(
            y=0.8 * ref, line={"dash": "dash", "color": "red"}, annotation_text="four fifths of reference"
        )
    return fig


def interaction(grid: dict[str, Any]) -> go.Figure:
    """An interaction grid as a heat map of its points (first's groups down, second's across), each cell
    showing its points, with its rows and bad rate (evaluated, and in training when known) on hover."""

    def evidence(n: int, rate: float | None) -> str:
        return f"{n:,} rows, bad rate " + ("–" if rate is None else f"{rate:.1%}")

    hover = [
        [evidence(n, r) for n, r in zip(row_n, row_r, strict=True)]
        for row_n, row_r in zip(grid["rows"], grid["bad_rate"], strict=True)
    ]
    for i, row_n in enumerate(grid["train_rows"]):
        for j, n in enumerate(row_n):
            hover[i][j] += f"<br>in training: {evidence(n, grid['train_bad_rate'][i][j])}"
    fig = _fig(
        f"{grid['first']} × {grid['second']} ({grid['segment']}): points added",
        xaxis={"title": grid["second"], "type": "category"},
        yaxis={"title": grid["first"], "type": "category", "autorange": "reversed"},
        height=max(300, 120 + 60 * len(grid["first_labels"])),
    )
    fig.add_heatmap(
        z=grid["points"],
        x=grid["second_labels"],
        y=grid["first_labels"],
        text=hover,
        texttemplate="%{z}",
        hovertemplate="%{y} × %{x}<br>%{z} points<br>%{text}<extra></extra>",
        colorscale="RdBu",
        zmid=0,
        colorbar={"title": "points"},
    )
    return fig


def grid_shift(grid: dict[str, Any]) -> go.Figure:
    """An interaction grid's drift as a heat map of the change in each cell's share of the segment's rows
    (current - baseline, percentage points; first's groups down, second's across), with both shares, the
    rows, the cell's points and its points shift on hover."""
    base, cur = grid["baseline_share"], grid["current_share"]
    change = [
        [100.0 * (c - b) for b, c in zip(rb, rc, strict=True)] for rb, rc in zip(base, cur, strict=True)
    ]
    hover = [
        [
            f"baseline {base[i][j]:.1%} ({grid['baseline_rows'][i][j]:,} rows), current {cur[i][j]:.1%} "
            f"({grid['current_rows'][i][j]:,} rows)<br>{grid['points'][i][j]} points, "
            f"shift {grid['cell_points_shift'][i][j]:+.2f}"
            for j in range(len(grid["second_labels"]))
        ]
        for i in range(len(grid["first_labels"]))
    ]
    for i, row in enumerate(grid["training_share"]):
        for j, share in enumerate(row):
            hover[i][j] += f"<br>in training {share:.1%}"
    top = max((abs(v) for row in change for v in row), default=0.0) or 1.0
    fig = _fig(
        f"{grid['first']} × {grid['second']} ({grid['segment']}): change in share of rows, "
        f"PSI {grid['psi']:.4f} ({grid['flag']})",
        xaxis={"title": grid["second"], "type": "category"},
        yaxis={"title": grid["first"], "type": "category", "autorange": "reversed"},
        height=max(300, 120 + 60 * len(grid["first_labels"])),
    )
    fig.add_heatmap(
        z=change,
        x=grid["second_labels"],
        y=grid["first_labels"],
        text=hover,
        texttemplate="%{z:+.1f} pp",
        hovertemplate="%{y} × %{x}<br>%{z:+.1f} percentage points<br>%{text}<extra></extra>",
        colorscale="RdBu",
        reversescale=True,
        zmin=-top,
        zmax=top,
        colorbar={"title": "pp"},
    )
    return fig


def div(fig: go.Figure, div_id: str) -> str:
    """The figure as an HTML fragment; plotly.js itself is inlined once by the page template."""
    html: str = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )
    return html


def frontier(report: dict[str, Any]) -> go.Figure:
    """AUC against the worst group's adverse impact ratio for every candidate of an LDA search: the
    Pareto frontier joined, the base configuration and the alternative marked, the AUC budget shaded."""
    ok = [c for c in report["candidates"] if c["status"] == "ok"]
    fig = _fig(
        "Candidates: AUC against the worst group's adverse impact ratio",
        xaxis_title="AUC (cross-validated)",
        yaxis_title="worst adverse impact ratio",
        height=460,
    )
    fig.add_vrect(
        x0=report["auc_floor"],
        x1=max(c["auc"] for c in ok),
        fillcolor="#2a9d8f",
        opacity=0.08,
        line_width=0,
        annotation_text="within the AUC budget",
        annotation_position="top left",
    )
    for name, group, marker in (
        ("candidate", [c for c in ok if c["rate_held"]], {"color": "#9aa5ad", "size": 8}),
        (
            "cannot hold the approval rate",
            [c for c in ok if not c["rate_held"]],
            {"color": "#9aa5ad", "size": 8, "symbol": "circle-open"},
        ),
    ):
        fig.add_scatter(
            x=[c["auc"] for c in group],
            y=[c["worst_air"] for c in group],
            mode="markers",
            name=name,
            marker=marker,
            text=[f"{c['id']}: {c['label']} (approves {c['approval_rate']:.2%})" for c in group],
            hovertemplate="%{text}<br>AUC %{x:.4f}, worst ratio %{y:.3f}<extra></extra>",
        )
    front = sorted((c for c in ok if c["pareto"]), key=lambda c: c["auc"])
    fig.add_scatter(
        x=[c["auc"] for c in front],
        y=[c["worst_air"] for c in front],
        mode="lines+markers",
        name="Pareto frontier",
        line={"color": "#264653", "shape": "hv"},
        marker={"color": "#264653", "size": 9},
        text=[f"{c['id']}: {c['label']}" for c in front],
        hovertemplate="%{text}<br>AUC %{x:.4f}, worst ratio %{y:.3f}<extra></extra>",
    )
    base = report["base"]
    fig.add_scatter(
        x=[base["auc"]],
        y=[base["worst_air"]],
        mode="markers",
        name="base configuration",
        marker={"color": "#e76f51", "size": 14, "symbol": "diamond"},
    )
    chosen = report["choice"]["candidate"]
    for c in ok:
        if c["id"] == chosen:
            fig.add_scatter(
                x=[c["auc"]],
                y=[c["worst_air"]],
                mode="markers",
                name="alternative",
                marker={"color": "#2a9d8f", "size": 18, "symbol": "star"},
            )
    fig.add_hline(y=0.8, line={"dash": "dot", "color": "red"}, annotation_text="four fifths")
    return fig
