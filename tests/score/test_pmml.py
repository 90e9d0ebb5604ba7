"""PMML 4.4 export: an independent evaluator (JPMML) gives lucidscore's scores and top-4 reason codes.

The document's shape and refusals are checked without Java; everything else runs the exported PMML in
JPMML (tests/fixtures/jpmml.py) and compares it with lucidscore's engine, on hand-built cards with
Hypothesis-generated cells, and on 100,000 rows for a segmented card trained on a synthetic population
and for a card trained on Taiwan. Models with interaction grids (issue 14) are compared with the reference
rule (``reference_scores``, ``reference_reasons``: a pair is one reason unit) on Hypothesis cards with
grids, hand-made grids on ``two_cards`` and a Taiwan card with a grid added.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lucidscore.artifact import (
    Characteristic,
    Condition,
    Interaction,
    ScorecardArtifact,
    Segment,
    best_reachable_points,
    load_artifact,
    parse_numbers,
    reason_units,
    reference_reasons,
    reference_scores,
    segment_of_rows,
)
from lucidscore.cli.main import app
from lucidscore.errors import InputError
from lucidscore.score import reason_code, score_frame, to_pmml
from lucidscore.score._pmml import BASELINE_BELOW_BEST
from tests.fixtures.jpmml import PMML_44_NAMESPACE, Jpmml, package_jars
from tests.fixtures.taiwan import TAIWAN_AUDIT
from tests.score.cards import (
    artifact,
    categorical,
    categories,
    checking,
    interval,
    late,
    missing,
    numeric,
    one_card,
    special,
    tenure,
    two_cards,
    utilisation,
)
from tests.score.strategies import frame_for
from tests.score.test_local import applicants
from tests.score.test_sql import paired_cards, two_cards_with_grids

NS = {"p": "http://www.dmg.org/PMML-4_4"}
OUTPUTS = ["score", "tier", "probability", "segment", "reason_1", "reason_2", "reason_3", "reason_4"]
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


# -- what lucidscore's engine says ----------------------------------------------------------------------


def with_codes(art: ScorecardArtifact) -> ScorecardArtifact:
    """``art`` with a declared stable code per characteristic ("C01", ...), unlike its column name."""
    names = list(dict.fromkeys(c.name for s in art.segments for c in s.characteristics))
    code = {name: f"C{i + 1:02d}" for i, name in enumerate(names)}
    segments = [
        s.model_copy(
            update={
                "characteristics": [c.model_copy(update={"code": code[c.name]}) for c in s.characteristics]
            }
        )
        for s in art.segments
    ]
    return art.model_copy(update={"segments": segments})


def lucidscore_outputs(art: ScorecardArtifact, frame: pd.DataFrame, k: int = 4) -> pd.DataFrame:
    """score_frame's score, tier, probability and segment, and its first k reasons' codes
    (``reason_N_code``: issue 10's stable codes, ranked by points lost against the best reachable bin)."""
    scored = score_frame(art, frame, reasons=k)
    out = pd.DataFrame(
        {
            "score": scored["score"].astype(np.int64),
            "tier": scored["tier"].astype(object),
            "probability": scored["probability"],
            "segment": scored["segment"].astype(object),
        },
        index=frame.index,
    )
    for j in range(1, k + 1):
        out[f"reason_{j}"] = scored[f"reason_{j}_code"].astype(object)
    return out


def assert_same_outputs(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """JPMML's outputs equal lucidscore's, row for row; the first differing row is named."""
    errors = got["errors"].dropna()
    assert errors.empty, f"JPMML refused {len(errors)} row(s), the first: {errors.iloc[0]}"
    for column in want.columns:
        a = got[column].to_numpy(dtype=object)
        b = want[column].to_numpy(dtype=object)
        if column == "probability":
            same = np.isclose(a.astype(float), b.astype(float), rtol=1e-12, atol=0)
        else:
            a, b = np.where(pd.isna(a), None, a), np.where(pd.isna(b), None, b)
            same = np.array([x == y for x, y in zip(a, b, strict=True)])
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            row = got.index[i]
            raise AssertionError(
                f"{column} differs on {int((~same).sum())} row(s); first at row {row}: "
                f"JPMML {a[i]!r}, lucidscore {b[i]!r}\nJPMML: {got.loc[row].to_dict()}\n"
                f"lucidscore: {want.loc[row].to_dict()}"
            )


# -- the document, without Java -------------------------------------------------------------------------


def _tree(art: ScorecardArtifact) -> ET.Element:
    return ET.fromstring(to_pmml(art))


def _attributes(card: ET.Element, name: str) -> list[ET.Element]:
    char = card.find(f".//p:Characteristic[@name='{name}']", NS)
    assert char is not None
    return char.findall("p:Attribute", NS)


def test_document_is_a_segmented_scorecard_with_reason_codes() -> None:
    art = two_cards()
    root = _tree(art)
    assert root.tag == "{http://www.dmg.org/PMML-4_4}PMML" and root.get("version") == "4.4"
    segmentation = root.find("p:MiningModel/p:Segmentation", NS)
    assert segmentation is not None and segmentation.get("multipleModelMethod") == "selectFirst"
    segments = segmentation.findall("p:Segment", NS)
    assert [s.get("id") for s in segments] == ["thin", "thick"]
    # The first segment's predicate reads every numeric input (always true), then its condition.
    first = segments[0].find("p:CompoundPredicate", NS)
    assert first is not None and first.get("booleanOperator") == "and"
    *reads, condition = list(first)
    assert [r.find("p:SimplePredicate", NS).get("field") for r in reads] == art.numeric_columns  # type: ignore[union-attr]
    assert (condition.get("field"), condition.get("operator"), condition.get("value")) == (
        "n_accounts",
        "lessThan",
        "2",
    )
    assert segments[1].find("p:True", NS) is not None
    for segment, seg in zip(segments, art.segments, strict=True):
        card = segment.find("p:Scorecard", NS)
        assert card is not None
        assert card.get("initialScore") == str(seg.base_points)
        assert (card.get("useReasonCodes"), card.get("reasonCodeAlgorithm"), card.get("baselineMethod")) == (
            "true",
            "pointsBelow",
            "other",
        )
        target = card.find("p:Targets/p:Target", NS)
        assert target is not None and (target.get("min"), target.get("max")) == ("350", "950")
        chars = card.findall("p:Characteristics/p:Characteristic", NS)
        assert [c.get("name") for c in chars] == [c.name for c in seg.characteristics]
        for el, char in zip(chars, seg.characteristics, strict=True):
            assert el.get("reasonCode") == reason_code(char) == char.reason_code
            best = best_reachable_points(art.segments, art.segments.index(seg), char)
            assert float(el.get("baselineScore", "")) == best - BASELINE_BELOW_BEST
            points = [int(a.get("partialScore", "")) for a in el.findall("p:Attribute", NS)]
            assert sorted(set(points)) == sorted({b.points for b in char.bins})
    outputs = root.findall("p:MiningModel/p:Output/p:OutputField", NS)
    assert [o.get("name") for o in outputs] == ["score", "tier", "probability", "segment", *OUTPUTS[4:]]
    assert [o.get("rank") for o in outputs if o.get("feature") == "reasonCode"] == ["1", "2", "3", "4"]


def test_attributes_follow_the_rule_missing_then_specials_then_intervals_or_categories() -> None:
    card = _tree(one_card()).find(".//p:Scorecard", NS)
    assert card is not None
    # late(): missing 30, special -8 -> 40, then [.., 1) 120, [1, 3) 60, [3, ..) 0
    late_attrs = _attributes(card, "months_late")
    assert [a.get("partialScore") for a in late_attrs] == ["30", "40", "120", "60", "0"]
    assert late_attrs[0].find("p:SimplePredicate", NS).get("operator") == "isMissing"  # type: ignore[union-attr]
    middle = late_attrs[3].find("p:CompoundPredicate", NS)
    assert middle is not None and [
        (p.get("operator"), p.get("value")) for p in middle.findall("p:SimplePredicate", NS)
    ] == [("greaterOrEqual", "1"), ("lessThan", "3")]
    # checking(): missing 20 (through the trimmed-text field), the groups, then anything else -> missing
    attrs = _attributes(card, "checking")
    assert [a.get("partialScore") for a in attrs] == ["20", "10", "30", "80", "20"]
    assert attrs[0].find("p:SimplePredicate", NS).get("field") == "checking (text)"  # type: ignore[union-attr]
    assert attrs[-1].find("p:True", NS) is not None
    array = attrs[3].find("p:SimpleSetPredicate/p:Array", NS)
    assert array is not None and array.text == '"A13" "A14"'


def test_the_document_is_the_same_for_the_same_model(tmp_path: Path) -> None:
    art = two_cards()
    assert to_pmml(load_artifact(art.save(tmp_path / "model.json"))) == to_pmml(art)
    assert "sha256:" in to_pmml(art) and to_pmml(art, reasons=0).count('feature="reasonCode"') == 0


def _segment(characteristics: list[Characteristic], condition: Condition | None = None) -> Segment:
    name = "default" if condition is None else f"when {condition.column} {condition.op}"
    return Segment(
        name=name,
        condition=condition,
        intercept=0.0,
        base_points=300,
        characteristics=characteristics,
        n_train=10,
        bad_rate=0.1,
    )


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        (
            [_segment([checking()], Condition(column="months_late", op="==", value="A")), _segment([late()])],
            r"column months_late is read both as a number and as text by this model",
        ),
        (
            [_segment([late()], Condition(column="checking", op="<", value="A12")), _segment([checking()])],
            r"segment condition on checking: < between texts has no PMML predicate; expected ==, != or in",
        ),
        (
            [
                _segment([late()], Condition(column="months_late", op=">", value=1)).model_copy(
                    update={"name": "default"}
                ),
                _segment([late()]),
            ],
            r"two segments are named 'default'; PMML needs each segment's own id",
        ),
        (
            [_segment([late(), late()])],
            r"segment default: characteristics months_late and months_late share the reason code "
            r"'months_late'; PMML adds up the points of a shared code",
        ),
        (
            [_segment([late().model_copy(update={"name": "score"})])],
            r"column score has the name of a field the PMML export writes \(the outputs score, tier",
        ),
        (
            [_segment([categorical("c", "Bell", [categories(["a\x07"], 1), missing(0)])])],
            r"a category of c holds the character '\\x07', which XML cannot hold",
        ),
    ],
)
def test_models_pmml_cannot_say_are_refused_with_the_reason(segments: list[Segment], message: str) -> None:
    with pytest.raises(InputError, match=message):
        to_pmml(artifact(segments))


def test_the_module_examples_run() -> None:
    import doctest

    import lucidscore.score._pmml as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2 and result.failed == 0


def test_reasons_must_not_be_negative() -> None:
    with pytest.raises(InputError, match=r"parameter reasons: -1; expected 0 or more"):
        to_pmml(two_cards(), reasons=-1)


# -- in JPMML ---------------------------------------------------------------------------------------------


@pytest.mark.pmml
def test_the_evaluator_runs_from_the_wheel_and_the_document_meets_the_pmml_44_schema(jpmml: Jpmml) -> None:
    from importlib.metadata import files

    from jpype import JClass

    java_class_path = str(JClass("java.lang.System").getProperty("java.class.path"))
    class_path = {Path(p).resolve() for p in java_class_path.split(os.pathsep) if p}
    # Every jar the JVM runs came in a wheel pip installed (jpmml_evaluator's, JPype1's own support jar).
    installed = {
        Path(str(f.locate())).resolve() for dist in ("jpmml_evaluator", "JPype1") for f in files(dist) or []
    }
    assert class_path and class_path <= installed, class_path - installed
    assert {p.resolve() for p in package_jars()} <= class_path
    assert PMML_44_NAMESPACE in jpmml.schema_text()
    for art in (two_cards(), _rich_card()):
        doc = to_pmml(art)
        assert " x-" not in doc  # none of JPMML's vendor extensions: the DMG schema's elements only
        jpmml.validate(doc)
    with pytest.raises(AssertionError, match=r"breaks the PMML 4\.4 schema"):
        jpmml.validate(to_pmml(two_cards()).replace('baselineMethod="other"', 'baselineMethod="best"'))


def _rich_card() -> ScorecardArtifact:
    """Five segments (text conditions in and !=, numeric ones < and in, the default), a categorical with
    numeric categories and a special value, and numeric characteristics with special values and edges."""
    grade = categorical(
        "grade",
        "Grade of the account",
        [
            categories(["1", "2.0"], 30),
            categories(["A", "a b", 'say "hi"'], 50),
            special(-1, 5),
            missing(0),
        ],
    )
    segments = [
        _segment([grade, tenure()], Condition(column="checking", op="in", value=["A14"])),
        _segment([utilisation(), tenure()], Condition(column="n_accounts", op="<", value=2)),
        _segment([late(), grade], Condition(column="months_at_address", op="in", value=[0.0, 12.0])),
        _segment([utilisation(), late()], Condition(column="checking", op="!=", value="A12")),
        _segment([late(), utilisation(), checking(), grade, tenure()]),
    ]
    return artifact(segments)


NUMERIC = ["months_late", "utilisation", "months_at_address", "n_accounts"]
edges = st.sampled_from([-8.0, 0.0, 1.0, 2.0, 3.0, 0.3, 0.6, 0.9, 12.0, 36.0])  # specials and bin edges
finite = st.one_of(edges, edges, st.floats(-20, 100))
numeric_cells = st.one_of(
    finite,
    finite,
    finite,
    st.just(math.nan),
    finite.map(lambda x: f" {x!r} "),  # numeric text
    st.sampled_from(["", None]),  # missing
    st.sampled_from(["  ", "n/a", "ten", "12,5", "--"]),  # refused: not numbers (spaces: see docs/scoring.md)
)
grade_cells = st.sampled_from(
    [1, 1.0, "1", 2, 2.0, "2", "2.0", "A", " A ", "a b", 'say "hi"', -1, -1.0, "-1", 3.5, "zz", "", " ", None]
)
checking_cells = st.sampled_from(["A11", " A12", "A13", " A14 ", "A14", "B1", "", None, 1.0])
rows = st.fixed_dictionaries(
    {**{c: numeric_cells for c in NUMERIC}, "grade": grade_cells, "checking": checking_cells}
)


def _refused_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows PMML refuses: text that is not a number (as lucidscore), or only spaces (lucidscore: missing)."""
    out = np.zeros(len(frame), dtype=bool)
    for column in NUMERIC:
        out |= parse_numbers(frame[column])[1]
        out |= frame[column].map(lambda v: isinstance(v, str) and v != "" and not v.strip()).to_numpy(bool)
    return out


@pytest.mark.pmml
def test_every_cell_reads_as_in_lucidscore(jpmml: Jpmml) -> None:
    art = _rich_card()
    evaluator = jpmml.evaluator(to_pmml(art))

    @settings(max_examples=60, deadline=None)
    @given(st.lists(rows, min_size=1, max_size=30))
    def check(data: list[dict[str, object]]) -> None:
        frame = pd.DataFrame(data).astype(object)
        got = evaluator.evaluateAll(frame).set_axis(frame.index)
        refused = _refused_rows(frame)
        errors = got["errors"] if "errors" in got else pd.Series(None, index=frame.index)
        assert errors.notna().to_numpy().tolist() == refused.tolist()
        assert all("cannot accept" in e for e in errors.dropna())  # returnInvalid: a ValueCheckException
        clean = frame.loc[~refused]
        if len(clean):
            assert_same_outputs(got.loc[~refused].assign(errors=None), lucidscore_outputs(art, clean))

    check()


@pytest.mark.pmml
def test_documented_differences_from_the_python_engines(jpmml: Jpmml) -> None:
    """What docs/scoring.md lists under "PMML": each as it happens."""
    art = _rich_card()
    base = {"months_late": 0.0, "utilisation": 0.1, "months_at_address": 40.0, "n_accounts": 3.0}
    frame = pd.DataFrame(
        [
            {**base, "grade": "1.0", "checking": "A12"},  # text '1.0' of the category '1'
            {**base, "grade": "A", "checking": "A12", "n_accounts": "  "},  # a number field of spaces
            {**base, "grade": 1e7, "checking": "A12"},  # a large number as a category
        ],
        dtype=object,
    )
    got = jpmml.evaluate(to_pmml(art), frame)
    lucid = score_frame(art, frame.assign(n_accounts=[3.0, "  ", 3.0]))
    grade_1 = 30
    missing_grade = 0
    # '1.0' as text: PMML sees what an evaluator writes for the number 1.0, and matches category '1'.
    assert got.loc[0, "score"] - lucid.loc[0, "score"] == grade_1 - missing_grade
    # Spaces only in a number field: lucidscore reads missing, PMML refuses the row (returnInvalid).
    assert lucid.loc[1, "segment"] == "default" and "cannot accept invalid value" in got.loc[1, "errors"]
    # 1e7 reaches a string field as '1.0E7': neither engine knows it, both score the missing bin.
    assert got.loc[2, "score"] == lucid.loc[2, "score"]


@pytest.mark.pmml
def test_ties_go_to_the_characteristic_listed_first_in_both(jpmml: Jpmml) -> None:
    """Equal points lost rank in characteristic order: lucidscore's strict '>' over the characteristics in
    order, JPMML's stable sort of its reason-code map (kept in document order)."""

    def lose(name: str) -> Characteristic:
        return numeric(
            name, f"{name} of the applicant", [interval(None, 1, 50), interval(1, None, 20), missing(0)]
        )

    frame = pd.DataFrame({"a": [5.0, 5.0, 0.0], "b": [5.0, 0.0, 5.0], "c": [5.0, 5.0, 5.0]})
    for order in (["a", "b", "c"], ["c", "a", "b"], ["b", "c", "a"]):
        art = artifact([_segment([lose(name) for name in order])])
        got = jpmml.evaluate(to_pmml(art), frame)
        want = lucidscore_outputs(art, frame)
        assert_same_outputs(got, want)
        assert got.loc[0, ["reason_1", "reason_2", "reason_3"]].tolist() == order  # all lost 30: order
        assert got.loc[0, "reason_4"] is None
    best = pd.DataFrame({"a": [0.0], "b": [0.0], "c": [0.0]})  # nothing lost: no reason code at all
    assert jpmml.evaluate(to_pmml(art), best).loc[0, OUTPUTS[4:]].isna().all()


@pytest.mark.pmml
def test_two_cards_score_alike_on_applicants_with_specials_edges_text_and_blanks(jpmml: Jpmml) -> None:
    """Scores, tiers, segments and reason codes alike; the codes are the declared stable codes (issue 10),
    so a PMML engine's ``reason_N`` equals lucidscore's ``reason_N_code``."""
    art = with_codes(two_cards())
    rng = np.random.default_rng(9)
    data = applicants(5000, seed=9).astype(object)
    n = len(data)

    def some(share: float) -> np.ndarray:
        return rng.random(n) < share

    data.loc[some(0.1), "months_late"] = -8.0  # the special value wins over the interval holding it
    for column, values in {
        "utilisation": [0.3, 0.6, 0.9],
        "months_at_address": [12, 36],
        "n_accounts": [2],
    }.items():
        hit = some(0.1)
        data.loc[hit, column] = rng.choice(values, int(hit.sum()))
    data.loc[some(0.05), "utilisation"] = " 0.45 "  # numeric text
    data.loc[some(0.05), "inquiries_6m"] = ""  # blank: missing
    data.loc[some(0.05), "checking"] = " A13 "  # trimmed
    data.loc[some(0.05), "checking"] = "  "  # blank: missing
    got, want = jpmml.evaluate(to_pmml(art), data), lucidscore_outputs(art, data)
    assert_same_outputs(got, want)
    codes = set(want["reason_1"].dropna())
    assert codes and codes <= {f"C{i:02d}" for i in range(1, 10)}  # declared codes, not column names


# -- realistic models: Taiwan's card on 100,000 rows, a segmented synthetic card on 40,000 consumers -------


@pytest.fixture(scope="module")
def synthetic_card(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScorecardArtifact, pd.DataFrame]:
    """A thin/thick-file card trained on 40,000 synthetic consumers, and their features to score (the
    100,000 rows the evaluator must score alike are Taiwan's, below; here the segment split, the
    synthetic catalogue's characteristics and its text columns)."""
    from lucidscore.features import FEATURE_CATALOGUE, compute_features
    from lucidscore.model import train_scorecard
    from lucidscore.synth import generate_population

    root = tmp_path_factory.mktemp("synth")
    summary = generate_population(40_000, 11, root / "data")
    frame = compute_features(root / "data", summary.observation_date).to_pandas()
    art = train_scorecard(
        frame.drop(columns=["consumer_id"]),
        "bad",
        test_size=0.3,
        seed=0,
        segment_rule=Condition(column="thin_file", op="==", value=1.0),
        feature_meta=dict(FEATURE_CATALOGUE),
    )
    return art, frame.drop(columns=["bad"])


@pytest.mark.pmml
@pytest.mark.slow
def test_segmented_synthetic_card_on_40000_consumers(
    jpmml: Jpmml, synthetic_card: tuple[ScorecardArtifact, pd.DataFrame]
) -> None:
    art, frame = synthetic_card
    assert len(frame) == 40_000 and len(art.segments) == 2 and art.segments[0].condition is not None
    doc = to_pmml(art)
    jpmml.validate(doc)
    got = jpmml.evaluate(doc, frame)
    want = lucidscore_outputs(art, frame)
    assert_same_outputs(got, want)
    assert want["segment"].nunique() == 2 and want["reason_4"].notna().mean() > 0.5


def _taiwan_rows(frame: pd.DataFrame, art: ScorecardArtifact, n: int = 100_000) -> pd.DataFrame:
    """Every Taiwan row, then noisy copies up to ``n`` rows: 1% of each column's standard deviation of
    Gaussian noise, 10% of cells set exactly on one of the model's bin edges, 2% missing."""
    rng = np.random.default_rng(0)
    extra = frame.sample(n - len(frame), replace=True, random_state=0).reset_index(drop=True)
    edges: dict[str, list[float]] = {}
    for seg in art.segments:
        if seg.condition is not None and not isinstance(seg.condition.value, (str, list)):
            edges.setdefault(seg.condition.column, []).append(float(seg.condition.value))
        for char in seg.characteristics:
            edges.setdefault(char.name, []).extend(b.lower for b in char.bins if b.lower is not None)
    for column in extra.columns:
        values = extra[column].to_numpy(dtype=float, copy=True)
        values += rng.normal(0, 0.01 * float(frame[column].std()), len(values))
        if edges.get(column):
            on_edge = rng.random(len(values)) < 0.10
            values[on_edge] = rng.choice(edges[column], int(on_edge.sum()))
        values[rng.random(len(values)) < 0.02] = np.nan
        extra[column] = values
    return pd.concat([frame, extra], ignore_index=True)


@pytest.mark.pmml
@pytest.mark.slow
def test_taiwan_card_on_100000_rows_through_the_cli_export(
    jpmml: Jpmml, tmp_path: Path, taiwan_frame: pd.DataFrame, taiwan_card: ScorecardArtifact
) -> None:
    # taiwan_card: train_scorecard(taiwan, "default", test_size=0.3, seed=0, audit_columns=audit), one fit
    # per session (tests/fixtures/taiwan.py)
    taiwan = taiwan_frame
    audit = TAIWAN_AUDIT
    model = taiwan_card.save(tmp_path / "model.json")
    out = tmp_path / "model.pmml"
    result = CliRunner().invoke(app, ["export", str(model), "--format", "pmml", "--out", str(out)])
    assert result.exit_code == 0, result.output
    art = load_artifact(model)
    rows = _taiwan_rows(taiwan.drop(columns=["default", *audit]), art)
    assert len(rows) == 100_000
    doc = out.read_text("utf-8")
    jpmml.validate(doc)
    want = lucidscore_outputs(art, rows)
    assert_same_outputs(jpmml.evaluate(doc, rows), want)
    assert want["score"].nunique() > 100 and want["reason_1"].nunique() > 3


# -- interaction grids (issue 14) ------------------------------------------------------------------------


def reference_outputs(art: ScorecardArtifact, frame: pd.DataFrame, k: int = 4) -> pd.DataFrame:
    """What the reference rule says (``lucidscore.artifact``): scores with the grids' cells, and the top k
    reason codes by reason units (a pair: one code '<first>+<second>'); PMML has no fifth reason."""
    scores = reference_scores(art.segments, frame)
    names = np.array([s.name for s in art.segments], dtype=object)
    reasons = reference_reasons(art.segments, frame, k)
    out = pd.DataFrame(
        {
            "score": scores,
            "tier": art.scaling.tier_of(scores),
            "probability": art.scaling.probability_from_score(scores),
            "segment": names[segment_of_rows(art.segments, frame)],
        },
        index=frame.index,
    )
    for j in range(k):
        out[f"reason_{j + 1}"] = [r[j][0] if j < len(r[:k]) else None for r in reasons]
    return out


def test_a_pair_is_one_characteristic_of_joint_points_where_its_first_is_listed() -> None:
    art = two_cards_with_grids()
    root = _tree(art)
    for segment, (s, seg) in zip(root.iter(f"{{{NS['p']}}}Segment"), enumerate(art.segments), strict=True):
        chars = segment.findall("p:Scorecard/p:Characteristics/p:Characteristic", NS)
        units = reason_units(art.segments, s)
        assert [c.get("reasonCode") for c in chars] == [u.code for u in units]
        for el, unit in zip(chars, units, strict=True):
            assert float(el.get("baselineScore", "")) == unit.best - BASELINE_BELOW_BEST
            points = [int(a.get("partialScore", "")) for a in el.findall("p:Attribute", NS)]
            assert set(points) == set(unit.points.ravel().tolist())
            if unit.interaction is not None:
                first, second = (seg.characteristics[m] for m in unit.members)
                assert el.get("name") == f"{first.name} x {second.name}"
                assert unit.code == f"{first.reason_code}+{second.reason_code}"
                ands = [a.find("p:CompoundPredicate", NS) for a in el.findall("p:Attribute", NS)]
                assert any(p is not None and p.get("booleanOperator") == "and" for p in ands)
    thick = [c.get("reasonCode") for c in root.iterfind(".//p:Segment[@id='thick']//p:Characteristic", NS)]
    # months_late+utilisation stands where months_late is listed; utilisation and inquiries_6m are no
    # characteristics of their own
    assert thick == ["months_late+utilisation", "checking+inquiries_6m", "months_at_address"]
    assert "interaction grid" in to_pmml(art) and "interaction grid" not in to_pmml(two_cards())


@pytest.mark.pmml
def test_jpmml_scores_and_reasons_equal_the_reference_with_grids(jpmml: Jpmml) -> None:
    """JPMML's scores, tiers, segments and top-4 reason codes equal the reference rule's (reason units)
    on Hypothesis cards with interaction grids; the documents meet the PMML 4.4 schema."""
    jpmml.validate(to_pmml(two_cards_with_grids()))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(art=paired_cards, seed=st.integers(0, 2**16))
    def check(art: ScorecardArtifact, seed: int) -> None:
        frame = frame_for(art, 60, seed)
        doc = to_pmml(art)
        assert_same_outputs(jpmml.evaluate(doc, frame), reference_outputs(art, frame))

    check()


@pytest.mark.pmml
def test_jpmml_equals_the_reference_on_two_cards_with_grids(jpmml: Jpmml) -> None:
    art = with_codes(two_cards_with_grids())
    data = applicants(3000, seed=4).astype(object)
    data.loc[::7, "months_late"] = -8.0
    data.loc[::11, "checking"] = None
    got, want = jpmml.evaluate(to_pmml(art), data), reference_outputs(art, data)
    assert_same_outputs(got, want)
    pairs = {u.code for s in range(2) for u in reason_units(art.segments, s) if u.interaction is not None}
    assert len(pairs) == 3 and pairs <= set(got[OUTPUTS[4:]].stack().dropna())  # every pair gives reasons


@pytest.mark.pmml
@pytest.mark.slow
def test_taiwan_card_with_a_grid_added_on_40000_rows(
    jpmml: Jpmml, taiwan_frame: pd.DataFrame, taiwan_card: ScorecardArtifact
) -> None:
    """A card trained on Taiwan, a grid added on its first two characteristics: JPMML equals the
    reference rule's scores and reason units on every Taiwan row and noisy copies (edges, missing)."""
    taiwan = taiwan_frame
    audit = TAIWAN_AUDIT
    trained = taiwan_card  # train_scorecard(taiwan, "default", test_size=0.3, seed=0, audit_columns=audit)
    rng = np.random.default_rng(14)
    segments = []
    for seg in trained.segments:
        first, second = seg.characteristics[:2]
        a, b = len(first.bins), len(second.bins)
        grid = Interaction(
            first=first.name,
            second=second.name,
            first_groups=[list(range(0, a, 2)), list(range(1, a, 2))],
            second_groups=[
                g for g in (list(range(0, b, 3)), list(range(1, b, 3)), list(range(2, b, 3))) if g
            ],
            points=rng.integers(-40, 41, (2, min(b, 3))).tolist(),
        )
        segments.append(seg.model_copy(update={"interactions": [grid]}))
    art = trained.model_copy(update={"segments": segments}).with_hash()
    rows = _taiwan_rows(taiwan.drop(columns=["default", *audit]), art, n=40_000)
    doc = to_pmml(art)
    jpmml.validate(doc)
    want = reference_outputs(art, rows)
    assert_same_outputs(jpmml.evaluate(doc, rows), want)
    pair = segments[-1].interactions[0]
    code = f"{segments[-1].characteristics[0].reason_code}+{segments[-1].characteristics[1].reason_code}"
    assert pair.first in code and (want["reason_1"] == code).any()
