"""The Scorecard estimator and train_scorecard: fitting, scoring rule, segments, sklearn conventions."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from lucidscore.artifact import Condition, Scaling, ScorecardArtifact, load_artifact, reference_scores
from lucidscore.errors import InputError, PolicyViolation
from lucidscore.model import Scorecard, train_scorecard
from lucidscore.policy import FeatureMeta
from tests.model._sim import credit_table

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _data_or_skip(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is required under CI")
        pytest.skip(f"{path} not found: the public data sets live in ../shared/data")
    return path


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return credit_table()


@pytest.fixture(scope="module")
def fitted(table: pd.DataFrame) -> Scorecard:
    return Scorecard(special_values=[-8]).fit(table.drop(columns=["bad"]), table["bad"])


def test_fit_produces_sign_safe_integer_points(table: pd.DataFrame) -> None:
    # The card before refinement (a refined characteristic follows its effect given the others, which
    # may run against its own risk order: tests/model/test_refine.py).
    unrefined = Scorecard(special_values=[-8], refine=False).fit(table.drop(columns=["bad"]), table["bad"])
    art = unrefined.artifact_
    seg = art.segments[0]
    assert seg.characteristics[0].name == "months_late"  # the strongest first
    assert all(c.coefficient < 0 for c in seg.characteristics)
    for ch in seg.characteristics:
        interval = [b for b in ch.bins if b.kind != "missing" and b.count > 0]
        # higher WOE (safer) never earns fewer points
        by_woe = sorted(interval, key=lambda b: b.woe)
        assert [b.points for b in by_woe] == sorted(b.points for b in by_woe)
    tenure = next(c for c in seg.characteristics if c.name == "tenure_months")
    assert [b.special_value for b in tenure.bins if b.kind == "special"] == [-8.0]
    assert art.input_columns == [
        c for c in ["months_late", "utilisation", "tenure_months", "housing"] if c in art.input_columns
    ]


def test_scores_follow_the_scoring_rule_and_the_kernel(fitted: Scorecard, table: pd.DataFrame) -> None:
    X = table.drop(columns=["bad"])
    out = fitted.score_table(X)
    ref = reference_scores(fitted.artifact_.segments, X)
    assert (out["score"].to_numpy() == ref).all()
    assert out["score"].between(350, 950).all()
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(proba[:, 1], fitted.artifact_.scaling.probability_from_score(ref))
    assert set(fitted.predict(X)) <= {0, 1}


def test_explain_gives_one_explanation_per_row(fitted: Scorecard, table: pd.DataFrame) -> None:
    X = table.drop(columns=["bad"]).head(5)
    out = fitted.explain(X)
    assert len(out) == 5
    assert [e.score for e in out] == fitted.score_table(X)["score"].tolist()


def test_transform_gives_bin_woe(fitted: Scorecard, table: pd.DataFrame) -> None:
    X = table.drop(columns=["bad"])
    array = fitted.transform(X)
    assert isinstance(array, np.ndarray) and array.dtype == np.float64
    woe = copy.deepcopy(fitted).set_output(transform="pandas").transform(X)
    names = [c.name for c in fitted.artifact_.segments[0].characteristics]
    assert sorted(woe.columns) == sorted(names) and list(woe.columns) == list(fitted.get_feature_names_out())
    assert np.array_equal(woe.to_numpy(), array, equal_nan=True)
    late = next(c for c in fitted.artifact_.segments[0].characteristics if c.name == "months_late")
    assert set(np.round(woe["months_late"].unique(), 9)) <= {round(b.woe, 9) for b in late.bins}


def test_save_load_round_trip_gives_identical_scores(
    fitted: Scorecard, table: pd.DataFrame, tmp_path: Path
) -> None:
    path = fitted.artifact_.save(tmp_path / "model.json")
    loaded = load_artifact(path)
    X = table.drop(columns=["bad"])
    assert (reference_scores(loaded.segments, X) == reference_scores(fitted.artifact_.segments, X)).all()


def test_fit_is_deterministic(table: pd.DataFrame) -> None:
    X, y = table.drop(columns=["bad"]), table["bad"]
    a = Scorecard().fit(X, y).artifact_
    b = Scorecard().fit(X, y).artifact_
    assert a.model_dump(exclude={"created_at"}) == b.model_dump(exclude={"created_at"})


def test_sklearn_conventions(table: pd.DataFrame) -> None:
    card = Scorecard(max_bins=5, scaling=Scaling(pdo=20))
    assert card.get_params()["max_bins"] == 5
    twin = clone(card)
    assert twin.get_params() == card.get_params() and not hasattr(twin, "artifact_")
    with pytest.raises(InputError, match="not fitted yet"):
        card.predict_proba(table)
    card.fit(table.drop(columns=["bad"]), table["bad"])
    assert list(card.feature_names_in_) == [c for c in table.columns if c != "bad"]
    assert card.n_features_in_ == 5
    with pytest.raises(InputError, match=r"lacks column\(s\) the model needs: months_late"):
        card.score_table(table.drop(columns=["months_late"]))


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"min_bin_share": 0.7}, "min_bin_share", r"^parameter min_bin_share: .*less than 0.5"),
        ({"max_bins": 1}, "max_bins", r"^parameter max_bins: .*greater than or equal to 2"),
        ({"monotonic_trend": "wiggly"}, "monotonic_trend", r"^parameter monotonic_trend"),
        (
            {"segment_by": "housing", "segment_rule": Condition(column="n_credit_accounts", op="<", value=2)},
            None,
            "^parameters: give segment_by or segment_rule, not both$",
        ),
        (
            {"audit_columns": ["nope"]},
            "audit_columns",
            r"^parameter audit_columns: column\(s\) nope not in the data",
        ),
    ],
)
def test_bad_parameters_are_named(
    table: pd.DataFrame, params: dict[str, object], parameter: str | None, message: str
) -> None:
    """The library names the parameter (a Python caller has no flags); the CLI turns it into its flag."""
    with pytest.raises(InputError, match=message) as caught:
        Scorecard(**params).fit(table.drop(columns=["bad"]), table["bad"])  # type: ignore[arg-type]
    assert caught.value.parameter == parameter
    assert "--" not in caught.value.message
    if parameter is not None:
        flag = "--" + parameter.replace("_", "-")
        assert caught.value.for_flag(flag).startswith(flag + ":")


def test_policy_guard_runs_at_fit(table: pd.DataFrame) -> None:
    X = table.drop(columns=["bad"]).assign(gender=1, friends_score=3)
    with pytest.raises(
        PolicyViolation, match=r"column gender: protected attribute \(sex\).*column friends_score"
    ):
        Scorecard().fit(X, table["bad"])
    card = Scorecard(audit_columns=["gender", "friends_score"]).fit(X, table["bad"])
    assert card.artifact_.audit_columns == ["gender", "friends_score"]
    assert "gender" not in card.artifact_.input_columns


def test_target_inside_X_is_never_an_input(table: pd.DataFrame) -> None:
    card = Scorecard().fit(table, table["bad"])
    assert "bad" not in card.artifact_.input_columns


def test_feature_meta_sets_family_and_text(table: pd.DataFrame) -> None:
    meta = {
        "months_late": FeatureMeta(
            "months_late",
            "credit_history",
            "Months late on payments",
            advice="lower",
            unit="months",
            code="L1",
        )
    }
    card = Scorecard(feature_meta=meta).fit(table.drop(columns=["bad"]), table["bad"])
    chars = {c.name: c for c in card.artifact_.segments[0].characteristics}
    late = chars["months_late"]
    assert late.description == "Months late on payments" and late.actionable
    assert (late.advice, late.unit, late.reason_code) == ("lower", "months", "L1")
    assert (chars["utilisation"].advice, chars["utilisation"].reason_code) == ("none", "utilisation")
    assert chars["utilisation"].family == "fulfilment_capacity"  # inferred from the name
    assert chars["tenure_months"].family == "stability_identity"


def test_segment_rule_gives_two_cards(table: pd.DataFrame) -> None:
    rule = Condition(column="n_credit_accounts", op="<", value=2)
    card = Scorecard(segment_rule=rule, min_segment_rows=300).fit(table.drop(columns=["bad"]), table["bad"])
    segs = card.artifact_.segments
    assert [s.name for s in segs] == ["n_credit_accounts<2", "default"]
    assert segs[0].condition == rule and segs[1].condition is None
    assert segs[0].n_train == int((table["n_credit_accounts"] < 2).sum())
    out = card.score_table(table.drop(columns=["bad"]))
    assert (
        out["segment"].to_numpy() == np.where(table["n_credit_accounts"] < 2, segs[0].name, "default")
    ).all()


def test_segment_by_column_with_small_values_pooled(table: pd.DataFrame) -> None:
    card = Scorecard(segment_by="housing", min_segment_rows=1000).fit(
        table.drop(columns=["bad"]), table["bad"]
    )
    names = [s.name for s in card.artifact_.segments]
    assert names == ["housing==own", "housing==rent", "default"]
    assert any("housing=free" in n for n in card.notes_)
    assert all("housing" not in [c.name for c in s.characteristics] for s in card.artifact_.segments)


def test_skips_all_missing_and_constant_columns_with_notes(table: pd.DataFrame) -> None:
    X = table.drop(columns=["bad"]).assign(empty=np.nan, same=7.0)
    card = Scorecard().fit(X, table["bad"])
    assert any("empty: all values missing; skipped" in n for n in card.notes_)
    assert any("same: constant (7 on every row); skipped" in n for n in card.notes_)
    with pytest.raises(InputError, match=r"segment default: no usable column \(empty: all values missing"):
        Scorecard().fit(pd.DataFrame({"empty": [np.nan] * 4}), pd.Series([0, 1, 0, 1]))


def test_junk_in_numeric_column_is_reported(table: pd.DataFrame) -> None:
    X = table.drop(columns=["bad"]).assign(months_late=table["months_late"].astype(object))
    X.loc[17, "months_late"] = "n/a?"
    with pytest.raises(InputError, match=r"column months_late row 18: value 'n/a\?' is not a number"):
        Scorecard().fit(X, table["bad"])


# A decimal comma, as spreadsheets in many languages write numbers, or a thousands separator.
COMMA_NUMBERS = ["0,13", " -1.234,5", "7,0", "1,234", "12,345.5"]
POINT_NUMBERS = ["12", "3.5", "-4", "0"]
WORDS = ["own", "a,b", "1,2,3", "n/a"]  # not numbers by either reading


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(st.sampled_from([*COMMA_NUMBERS, *POINT_NUMBERS, *WORDS, None]), min_size=1, max_size=40)
)
def test_numbers_written_with_a_comma_are_refused_naming_the_first(cells: list[str | None]) -> None:
    """The rules before hold: all numbers is numeric, mostly numbers with some words (or commas) refused
    naming the first; then a text column whose values are numbers once decimal commas are read as points
    or as thousands separators (at least ``NUMERIC_SHARE`` of them) is refused, naming the first, instead
    of being binned as
    hundreds of categories of one amount; the rest is categorical."""
    from lucidscore.model._frame import NUMERIC_SHARE, column_kind

    present = [c for c in cells if c is not None]
    commas = [k for k, c in enumerate(cells) if c in COMMA_NUMBERS]
    points = sum(c in POINT_NUMBERS for c in present)
    values = pd.Series(cells, dtype=object)
    if present and points == len(present):
        assert column_kind(values, "amount") == "numeric"
    elif present and points >= NUMERIC_SHARE * len(present):  # a word or a comma among numbers
        first = next(c for c in cells if c is not None and c not in POINT_NUMBERS)
        with pytest.raises(InputError, match=f"value {re.escape(repr(first))} is not a number"):
            column_kind(values, "amount")
    elif commas and points + len(commas) >= NUMERIC_SHARE * len(present):
        with pytest.raises(InputError) as refused:
            column_kind(values, "amount")
        first = cells[commas[0]]
        assert refused.value.message.startswith(
            f"column amount row {commas[0] + 1}: value {first!r} is a number written with a comma"
        )
    elif present:
        assert column_kind(values, "amount") == "categorical"


DATES = ["2024-01-05", "2024-01-05 09:30:00", " 05/01/2024", "5.1.24", "2024-01-05T09:30:00Z"]


@settings(max_examples=150, deadline=None)
@given(cells=st.lists(st.sampled_from([*DATES, *POINT_NUMBERS, *WORDS, None]), min_size=1, max_size=40))
def test_a_column_of_dates_is_refused_naming_the_first(cells: list[str | None]) -> None:
    """A text column whose values are at least ``NUMERIC_SHARE`` dates is refused, naming the first,
    instead of being binned with each day a category (that later applicants never match); mostly
    numbers keeps the "not a number" refusal, a few dates among words stay categories."""
    from lucidscore.model._frame import NUMERIC_SHARE, column_kind

    present = [c for c in cells if c is not None]
    dates = [k for k, c in enumerate(cells) if c in DATES]
    points = sum(c in POINT_NUMBERS for c in present)
    values = pd.Series(cells, dtype=object)
    if not present or points == len(present):
        return
    if points >= NUMERIC_SHARE * len(present):
        with pytest.raises(InputError, match="is not a number"):
            column_kind(values, "applied")
    elif len(dates) >= NUMERIC_SHARE * len(present):
        with pytest.raises(InputError) as refused:
            column_kind(values, "applied")
        first = str(cells[dates[0]]).strip()
        assert refused.value.message.startswith(
            f"column applied row {dates[0] + 1}: value {first!r} is a date ({len(dates)} of {len(present)} "
        )
    else:
        assert column_kind(values, "applied") == "categorical"


@pytest.mark.parametrize("kind", ["datetime64", "date objects", "midday"])
def test_a_date_or_time_stamp_column_is_refused(kind: str) -> None:
    """A Parquet date or timestamp column (pandas' datetime64, or ``datetime.date`` objects) too."""
    import datetime

    from lucidscore.model._frame import column_kind

    days = pd.Series(pd.date_range("2024-01-01", periods=30, freq="D"))
    values = {
        "datetime64": days,
        "date objects": pd.Series([d.date() for d in days], dtype=object),
        "midday": days + pd.Timedelta(hours=12),
    }[kind]
    shown = {"midday": "2024-01-01 12:00:00"}.get(kind, "2024-01-01")
    assert isinstance(values.iloc[0], pd.Timestamp | datetime.date)
    with pytest.raises(InputError, match=rf"^column applied row 1: value '{shown}' is a date \(30 of 30 "):
        column_kind(values, "applied")


@pytest.mark.parametrize(
    ("y", "bad_value", "message"),
    [
        ([0, 1, 2] * 10, None, r"target t: found 3 classes 0, 1, 2; expected two classes, bad and good"),
        (
            ["good", "bad"] * 15,
            None,
            r"^parameter bad_value: target t has values 'bad', 'good', not numbers; say",
        ),
        (
            ["good", "bad"] * 15,
            "awful",
            r"^parameter bad_value: 'awful' is not one of the values of target t",
        ),
    ],
)
def test_target_errors(y: list[object], bad_value: str | None, message: str) -> None:
    X = pd.DataFrame({"x": np.arange(len(y), dtype=float)})
    with pytest.raises(InputError, match=message):
        Scorecard(bad_value=bad_value).fit(X, pd.Series(y, name="t"))


def test_train_scorecard_records_test_metrics(table: pd.DataFrame) -> None:
    art = train_scorecard(table, "bad", test_size=0.3, seed=1, special_values=[-8])
    m = art.training["metrics"]
    assert 0.6 < m["test_auc"] < 1 and m["test_gini"] == pytest.approx(2 * m["test_auc"] - 1)
    assert 0 < m["test_ks"] < 1
    assert art.segments[-1].metrics["test_auc"] == pytest.approx(m["test_auc"])
    assert art.training["split"]["test_rows"] == 900 and art.training["seed"] == 1
    assert [r.score for r in art.score_probability][:2] == [350, 360]
    with pytest.raises(InputError, match=r"target column 'nope' not found; the columns are months_late"):
        train_scorecard(table, "nope")


@pytest.mark.slow
def test_public_data_sets_reach_their_anchors(taiwan_card: ScorecardArtifact) -> None:
    # taiwan_card: train_scorecard(taiwan, "default", audit_columns=[SEX, EDUCATION, MARRIAGE, AGE],
    # test_size=0.3, seed=0), one fit per session shared with tests/score/test_pmml.py
    art = taiwan_card
    assert art.training["metrics"]["test_auc"] > 0.75
    german = pd.read_csv(_data_or_skip("german_credit.data"), sep=r"\s+")
    art = train_scorecard(
        german,
        "CLASSIFICATION",
        bad_value=0,
        audit_columns=["PERSONAL_STATUS_AND_SEX", "AGE", "FOREIGN"],
        test_size=0.3,
    )
    assert art.training["metrics"]["test_auc"] > 0.78


def test_defaults_agree_across_estimator_parameters_and_binning() -> None:
    # n_prebins 30 was chosen by cross-validation inside training parts (benchmarks/bench_fit.py --only
    # tune); the estimator, its parameter model and the binning options must carry the same defaults.
    from lucidscore.model._binning import BinningOptions
    from lucidscore.model._params import ScorecardParams

    params, opts = ScorecardParams(), BinningOptions()
    est = Scorecard().get_params()
    assert est["n_prebins"] == params.n_prebins == opts.n_prebins == 30
    assert est["min_bin_share"] == params.min_bin_share == opts.min_bin_share == 0.05
    assert est["max_bins"] == params.max_bins == opts.max_bins == 8


def test_integer_points_cost_almost_no_discrimination(table: pd.DataFrame) -> None:
    """The integer card against the unrounded WOE regression it rounds: the card before refinement and
    bagging (docs/model.md 7b, 7c), whose points are exactly ``round(-factor * beta * WOE)`` (a refined or
    bagged card's points no longer follow the regression's log-odds: on this table the bagged and refined
    card's training AUC is 0.0034 above the regression's)."""
    from sklearn.metrics import roc_auc_score

    x = table.drop(columns=["bad"])
    fitted = Scorecard(special_values=[-8], refine=False).fit(x, table["bad"])
    seg = fitted.artifact_.segments[0]
    woe = pd.DataFrame(fitted.transform(x), columns=fitted.get_feature_names_out())
    woe = woe[[c.name for c in seg.characteristics]].to_numpy()
    log_odds_bad = seg.intercept + woe @ np.array([c.coefficient for c in seg.characteristics])
    scores = fitted.score_table(x)["score"].to_numpy()
    unrounded = roc_auc_score(table["bad"], log_odds_bad)
    rounded = roc_auc_score(table["bad"], -scores)
    assert unrounded > 0.6
    assert abs(unrounded - rounded) < 0.002
