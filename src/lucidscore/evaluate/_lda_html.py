"""Render an LDA report dict as one self-contained HTML page (plotly.js inlined, no network), and write
it next to its JSON twin, by the conventions of the evaluation report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lucidscore.evaluate import _plots
from lucidscore.evaluate._report_html import _atomic_write, _environment, _plotly_js, fmt, lookup


def render_lda(report: dict[str, Any]) -> str:
    """The LDA report as HTML."""
    env = _environment()
    env.globals.update(fmt=fmt, lookup=lambda key: lookup(report, key))
    plots = {"frontier": _plots.div(_plots.frontier(report), "plot-frontier")}
    position = {c["id"]: i for i, c in enumerate(report["candidates"])}
    return env.get_template("lda.html").render(r=report, plots=plots, pos=position, plotly_js=_plotly_js())


def write_lda_report(
    report: dict[str, Any], html_path: str | Path, json_path: str | Path | None = None
) -> tuple[Path, Path]:
    """Write the HTML page and its JSON twin (default: same name, .json); returns both paths."""
    html = Path(html_path)
    js = Path(json_path) if json_path is not None else html.with_suffix(".json")
    page = render_lda(report)
    _atomic_write(js, json.dumps(report, indent=1, allow_nan=False) + "\n")
    _atomic_write(html, page)
    return html, js
