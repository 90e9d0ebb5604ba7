"""Render a typed report as one self-contained HTML page (plotly.js inlined once, no network), and write
it next to its JSON twin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from lucidscore.evaluate import _plots
from lucidscore.evaluate._report_types import DriftReport, EvaluationReport, Report, report_json
from lucidscore.paths import temporary_sibling


def lookup(report: dict[str, Any], key: str) -> Any:
    """The value at a "/"-separated path (list positions as numbers) in the report's JSON."""
    node: Any = report
    for part in key.split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def fmt(value: Any, digits: int = 4, pct: bool = False) -> str:
    """How a key figure is shown: fixed decimals, as a percentage when ``pct``; '–' for none."""
    if value is None:
        return "–"
    if digits == 0:
        return f"{round(float(value)):d}"
    return f"{float(value) * 100:.{digits}f}%" if pct else f"{float(value):.{digits}f}"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("lucidscore.evaluate", "_templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    js: str = get_plotlyjs()
    return js.replace("</script>", "<\\/script>")


def _render(template: str, report: Report, plots: dict[str, Any]) -> str:
    """The page from the typed report (``r``); key figures (``fig``) are looked up in its JSON form, the
    very data report.json holds, so a figure shown always equals the file."""
    env = _environment()
    data = report.model_dump(mode="json")
    env.globals.update(fmt=fmt, lookup=lambda key: lookup(data, key))
    return env.get_template(template).render(r=report, plots=plots, plotly_js=_plotly_js())


def render_report(report: EvaluationReport) -> str:
    """The evaluation report as HTML."""
    disc = report.discrimination
    stability = report.stability
    curves = disc.curves.model_dump()
    plots: dict[str, Any] = {
        "roc": _plots.div(_plots.roc(curves, disc.evaluated.auc), "plot-roc"),
        "ks": _plots.div(_plots.ks(curves, disc.evaluated.ks), "plot-ks"),
        "calibration": _plots.div(
            _plots.calibration([b.model_dump() for b in report.calibration.bands]), "plot-calibration"
        ),
        "distribution": _plots.div(
            _plots.distribution([b.model_dump() for b in report.distribution.bands]), "plot-distribution"
        ),
        "csi": _plots.div(_plots.csi([c.model_dump() for c in stability.characteristics]), "plot-csi"),
        "interactions": [
            _plots.div(_plots.interaction(g.model_dump()), f"plot-interaction-{i}")
            for i, g in enumerate(report.interactions)
        ],
        "grid_shift": [
            _plots.div(_plots.grid_shift(g.model_dump()), f"plot-grid-shift-{i}")
            for i, g in enumerate(stability.interactions)
        ],
        "score_shift": "",
        "approval": {
            col: _plots.div(_plots.approval(col, entry.model_dump()), f"plot-approval-{i}")
            for i, (col, entry) in enumerate(report.fairness.attributes.items())
        },
    }
    if stability.score is not None:
        plots["score_shift"] = _plots.div(
            _plots.score_shift(stability.score.model_dump()), "plot-score-shift"
        )
    return _render("evaluation.html", report, plots)


def render_drift(report: DriftReport) -> str:
    """The drift (monitoring) report as HTML."""
    plots = {
        "score_shift": _plots.div(_plots.score_shift(report.score.model_dump()), "plot-score-shift"),
        "csi": _plots.div(_plots.csi([c.model_dump() for c in report.characteristics]), "plot-csi"),
        "interactions": [
            _plots.div(_plots.grid_shift(g.model_dump()), f"plot-grid-shift-{i}")
            for i, g in enumerate(report.interactions)
        ],
    }
    return _render("drift.html", report, plots)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


def write_report(
    report: Report, html_path: str | Path, json_path: str | Path | None = None
) -> tuple[Path, Path]:
    """Write the HTML page and its JSON twin (default: same name, .json); returns both paths."""
    html = Path(html_path)
    js = Path(json_path) if json_path is not None else html.with_suffix(".json")
    page = render_drift(report) if isinstance(report, DriftReport) else render_report(report)
    _atomic_write(js, report_json(report))
    _atomic_write(html, page)
    return html, js
