"""The typed report holds every section; the HTML is self-contained and shows the same numbers as the JSON,
which reads back validated."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from lucidscore.errors import InputError
from lucidscore.evaluate import (
    DriftReport,
    EvaluationReport,
    Table,
    align_audit,
    drift_report,
    evaluation_report,
    iv_strength,
    read_report,
    write_report,
)
from tests.evaluate.factory import assert_figure_matches, make_artifact, make_frame

SECTIONS = [
    "discrimination",
    "calibration",
    "distribution",
    "characteristics",
    "stability",
    "fairness",
    "proxies",
    "model-card",
]


class _Figures(HTMLParser):
    """Collect (data-key, text, digits, pct) of every key figure and the ids of sections."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[tuple[str, str, int, bool]] = []
        self.sections: list[str] = []
        self.scripts_with_src: list[str] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "span" and a.get("class") == "fig":
            self._open = a
        if tag == "section":
            self.sections.append(a.get("id", ""))
        if tag == "script" and "src" in a:
            self.scripts_with_src.append(a["src"])

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            a = self._open
            self.figures.append(
                (a["data-key"], data.strip(), int(a["data-digits"]), a.get("data-pct") == "1")
            )
            self._open = None


@pytest.fixture(scope="module")
def report() -> EvaluationReport:
    train = make_frame(4000, seed=0)
    test = make_frame(3000, seed=1)
    art = make_artifact(train)
    groups, how = align_audit(test, None, ["SEX", "AGE"], model_inputs=art.input_columns)
    return evaluation_report(
        art,
        Table(test, "test.parquet", groups),
        cutoff=540,
        train=Table(train, "train.parquet"),
        baseline=Table(make_frame(3000, seed=2), "baseline.parquet"),
        audit_join=how,
        n_resamples=200,
    )


def test_every_section_is_filled(report: EvaluationReport) -> None:
    disc = report.discrimination
    assert 0.6 < disc.evaluated.auc < 0.75
    assert disc.train is not None and disc.train.rows == 4000
    low, high = disc.evaluated.ci["auc"]
    assert low is not None and high is not None and low < disc.evaluated.auc < high
    assert sum(b.rows for b in report.calibration.bands) == 3000
    assert len(report.calibration.score_probability) == 13
    assert [t.group for t in report.distribution.tiers] == [
        "poor",
        "fair",
        "good",
        "very good",
        "excellent",
    ]
    assert {c.name for c in report.characteristics} == {"utilisation", "months_late", "housing"}
    assert report.stability.score is not None and report.stability.score.flag == "stable"
    assert set(report.fairness.attributes) == {"SEX", "AGE"}
    assert [g.group for g in report.fairness.attributes["AGE"].groups] == [
        "<25",
        "25–34",
        "35–44",
        "45–54",
        "55+",
    ]
    assert len(report.proxies) == 6
    joint = {j.attribute: j for j in report.proxy_combinations}
    assert set(joint) == {"SEX", "AGE"} and joint["SEX"].strength == "weak"
    assert joint["AGE"].auc > joint["SEX"].auc  # housing was generated from age
    card = report.model_card
    assert card.metrics.auc == disc.evaluated.auc
    assert any("Protected attributes" in x for x in card.out_of_scope)
    assert len(card.fairness_findings) >= 2
    # Every characteristic, with what it means, in the model card.
    assert {(c.name, c.description) for c in card.characteristics} == {
        ("utilisation", "Share of credit limits in use"),
        ("months_late", "Months late on the most recent payment"),
        ("housing", "Housing status"),
    }


def test_report_json_is_strict_json_and_reads_back_equal(report: EvaluationReport, tmp_path: Path) -> None:
    _, json_path = write_report(report, tmp_path / "r.html")
    text = json_path.read_text("utf-8")
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in report.json"))
    assert read_report(json_path) == report


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (  # a renamed figure: the old name is missing, the new one unknown
            lambda d: d["discrimination"]["evaluated"].__setitem__(
                "area", d["discrimination"]["evaluated"].pop("auc")
            ),
            r"field discrimination.evaluated.auc: Field required; field discrimination.evaluated.area: "
            r"Extra inputs are not permitted",
        ),
        (  # a section under its old name
            lambda d: d["discrimination"].__setitem__("test", d["discrimination"].pop("evaluated")),
            r"field discrimination.evaluated: Field required",
        ),
        (
            lambda d: d["fairness"].__setitem__("cutoff", "six hundred"),
            r"field fairness.cutoff: Input should be",
        ),
        (lambda d: d.__setitem__("version", 1), r"version is 1; this lucidscore reads report version 2"),
        (lambda d: d.__setitem__("kind", "other"), r"field kind is 'other'"),
    ],
)
def test_a_renamed_or_wrong_field_fails_loudly(
    report: EvaluationReport, tmp_path: Path, edit: Any, message: str
) -> None:
    _, json_path = write_report(report, tmp_path / "r.html")
    data = json.loads(json_path.read_text("utf-8"))
    edit(data)
    json_path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(InputError, match=rf"^{re.escape(str(json_path))}: {message}"):
        read_report(json_path)


def test_the_page_is_rendered_from_the_typed_report(report: EvaluationReport, tmp_path: Path) -> None:
    """A field the template reads but the report lacks fails the render instead of an empty section."""
    from lucidscore.evaluate import render_report

    broken = report.model_copy(update={"model_card": report.model_card.model_copy()})
    object.__delattr__(broken.model_card, "limitations")  # as if the field had been renamed
    with pytest.raises(Exception, match="limitations"):
        render_report(broken)
    assert "Validated on 3000 rows of test.parquet" in render_report(report)


def test_html_is_self_contained_and_matches_json(report: EvaluationReport, tmp_path: Path) -> None:
    html_path, json_path = write_report(report, tmp_path / "out" / "report.html")
    assert json_path == tmp_path / "out" / "report.json"
    saved = json.loads(json_path.read_text("utf-8"))
    html = html_path.read_text("utf-8")
    parser = _Figures()
    parser.feed(html)
    assert parser.sections == SECTIONS
    assert parser.scripts_with_src == []  # plotly.js is inlined, nothing is fetched
    page = re.sub(r"<script>.*?</script>", "", html, count=1, flags=re.S)  # drop the inlined plotly.js
    assert not re.search(r"""(src|href)=["']https?://""", page)
    assert html.count("plotly.js v") == 1  # the bundle is inlined exactly once
    assert html.count("Plotly.newPlot") >= 6
    assert len(parser.figures) > 100
    for key, text, digits, pct in parser.figures:
        assert_figure_matches(saved, key, text, digits, pct)


def test_drift_report_flags_shift_and_renders(tmp_path: Path) -> None:
    art = make_artifact(make_frame(4000, seed=0))
    out = drift_report(
        art,
        Table(make_frame(3000, seed=1), "jan.parquet"),
        Table(make_frame(3000, seed=2, utilisation_shift=0.35), "jun.parquet"),
    )
    assert isinstance(out, DriftReport) and out.flagged == ["utilisation"]
    html_path, json_path = write_report(out, tmp_path / "drift.html")
    parser = _Figures()
    parser.feed(html_path.read_text("utf-8"))
    assert parser.sections == ["score", "characteristics"]
    saved = json.loads(json_path.read_text("utf-8"))
    for key, text, digits, pct in parser.figures:
        assert_figure_matches(saved, key, text, digits, pct)
    assert read_report(json_path) == out


def test_target_and_cutoff_are_checked() -> None:
    art = make_artifact(make_frame(1000))
    frame = make_frame(500, seed=1)
    with pytest.raises(
        InputError, match=r"^parameter target: t.csv has no column 'bad'; columns are: id,"
    ) as info:
        evaluation_report(art, Table(frame, "t.csv"), target="bad")
    assert info.value.parameter == "target"
    with pytest.raises(InputError, match=r"^parameter cutoff: 349 is outside the score range 350-950"):
        evaluation_report(art, Table(frame, "t.csv"), cutoff=349)
    frame.loc[3, "default"] = 2
    with pytest.raises(
        InputError,
        match=r"^parameter bad_value: t.csv row 4: column default is '2'; expected 0 \(good\) or 1 \(bad\)",
    ):
        evaluation_report(art, Table(frame, "t.csv"))
    with pytest.raises(
        InputError, match=r"t.csv: missing model input column\(s\) housing; model sc-test-0001 reads"
    ):
        evaluation_report(art, Table(make_frame(100).drop(columns=["housing"]), "t.csv"))


@pytest.mark.parametrize(
    ("iv", "label"),
    [
        (0.01, "not predictive"),
        (0.05, "weak"),
        (0.2, "medium"),
        (0.4, "strong"),
        (0.7, "very strong (check for leakage)"),
    ],
)
def test_iv_strength_labels(iv: float, label: str) -> None:
    assert iv_strength(iv) == label


def test_single_class_target_is_refused() -> None:
    art = make_artifact(make_frame(1000))
    frame = make_frame(300, seed=1).assign(default=0)
    with pytest.raises(
        InputError,
        match=r"t.csv: column default holds only good rows \(300\); expected both good and bad rows",
    ):
        evaluation_report(art, Table(frame, "t.csv"))


def test_segmented_model_report_renders(tmp_path: Path) -> None:
    art = make_artifact(make_frame(3000), segmented=True)
    test = make_frame(2000, seed=1)
    groups, _how = align_audit(test, None, ["SEX"], model_inputs=art.input_columns)
    out = evaluation_report(
        art, Table(test, "t", groups), baseline=Table(make_frame(2000, seed=2), "b"), n_resamples=20
    )
    segments = {(c.segment, c.characteristic) for c in out.stability.characteristics}
    assert ("thin", "utilisation") in segments and ("thick", "months_late") in segments
    assert ("thin", "months_late") not in segments
    assert {p.characteristic for p in out.proxies} == {"utilisation", "months_late", "housing"}
    html, _ = write_report(out, tmp_path / "seg.html")
    parser = _Figures()
    parser.feed(html.read_text("utf-8"))
    assert parser.sections == SECTIONS


def test_nobody_approved_gives_no_ratio_rather_than_a_crash(tmp_path: Path) -> None:
    art = make_artifact(make_frame(1000))
    test = make_frame(500, seed=1)
    groups, _how = align_audit(test, None, ["SEX"], model_inputs=art.input_columns)
    out = evaluation_report(art, Table(test, "t", groups), cutoff=950, n_resamples=20)
    sex = out.fairness.attributes["SEX"]
    assert out.fairness.approval_rate == 0.0
    assert sex.min_adverse_impact_ratio is None and sex.four_fifths_flagged == []
    html, _ = write_report(out, tmp_path / "none.html")
    assert "fairness" in html.read_text("utf-8")


def test_train_table_is_the_default_baseline() -> None:
    train = make_frame(2000, seed=0)
    art = make_artifact(train)
    out = evaluation_report(
        art, Table(make_frame(1000, seed=1), "t"), train=Table(train, "train.csv"), n_resamples=10
    )
    assert out.stability.baseline == "train.csv"
    assert out.stability.score is not None and out.stability.score.baseline_rows == 2000


def test_audit_values_are_escaped_in_the_page(tmp_path: Path) -> None:
    art = make_artifact(make_frame(1000))
    test = make_frame(600, seed=1)
    test["SEX"] = test["SEX"].map({1: "<b>one</b>", 2: "two"})
    groups, _ = align_audit(test, None, ["SEX"], model_inputs=art.input_columns)
    out = evaluation_report(art, Table(test, "t", groups), n_resamples=10)
    html = write_report(out, tmp_path / "e.html")[0].read_text("utf-8")
    assert "<b>one</b>" not in html
    assert "&lt;b&gt;one&lt;/b&gt;" in html


def test_bad_value_names_the_bad_class() -> None:
    art = make_artifact(make_frame(2000))
    frame = make_frame(1000, seed=1)
    plain = evaluation_report(art, Table(frame, "t"), n_resamples=10)
    coded = frame.assign(default=frame["default"].map({1: "bad", 0: "good"}))
    named = evaluation_report(art, Table(coded, "t"), bad_value="bad", n_resamples=10)
    assert named.discrimination.evaluated.auc == plain.discrimination.evaluated.auc
    assert named.data.bad_value == "bad"
    flipped = frame.assign(default=1 - frame["default"])  # German-style: 1 = good, 0 = bad
    zero = evaluation_report(art, Table(flipped, "t"), bad_value=0, n_resamples=10)
    assert zero.discrimination.evaluated.auc == pytest.approx(plain.discrimination.evaluated.auc)
    coded.loc[7, "default"] = "unknown"
    with pytest.raises(
        InputError, match=r"t row 8: column default is 'unknown'; expected bad \(bad\) or good"
    ):
        evaluation_report(art, Table(coded, "t"), bad_value="bad")
    with pytest.raises(
        InputError,
        match=r"t row 1: column default is 'good'; expected 0 \(good\) or 1 \(bad\), or name the value that",
    ):
        evaluation_report(art, Table(coded, "t"))


def test_bad_value_defaults_to_the_models() -> None:
    art = make_artifact(make_frame(2000))
    art = art.model_copy(update={"training": {**art.training, "params": {"bad_value": "0"}}})
    frame = make_frame(1000, seed=1)
    flipped = frame.assign(default=1 - frame["default"])
    out = evaluation_report(art, Table(flipped, "t"), n_resamples=10)
    plain = evaluation_report(make_artifact(make_frame(2000)), Table(frame, "t"), n_resamples=10)
    assert out.discrimination.evaluated.auc == pytest.approx(plain.discrimination.evaluated.auc)
    assert out.data.bad_value == "0"
