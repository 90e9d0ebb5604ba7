"""SQL export: the SELECT gives exactly the kernel's scores and segments in the database, and the
reference rule's scores for models with interaction grids (issue 14)."""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import (
    Interaction,
    ScorecardArtifact,
    raw_points,
    reference_reasons,
    reference_scores,
)
from lucidscore.errors import InputError
from lucidscore.score import score_frame, to_sql
from lucidscore.score._sql import Dialect
from tests.score.cards import artifact, categorical, categories, missing, special, two_cards
from tests.score.strategies import cards, frame_for, with_interactions
from tests.score.test_local import applicants

EDGES = pd.DataFrame(
    {
        "months_late": [0, 1, 0.999, 3, np.nan, -8, -7, 2.999, 1e9],
        "utilisation": [0.3, 0.6, 0.9, 0.2999, np.nan, -1.0, 0.6, 5.0, 0.0],
        "checking": ["A11", "A12", "A13", "A14", None, "A99", "", "A11", "A13"],
        "inquiries_6m": [0, 1, 3, np.nan, 2, 0, 7, 1, 0],
        "months_at_address": [12, 36, 11.999, 35.5, np.nan, 0, 1000, 12, 36],
        "n_accounts": [0, 1, 2, np.nan, 5, 1.999, 2, -1, 3],
    }
)


def sqlite_scores(art: ScorecardArtifact, data: pd.DataFrame, reasons: int = 0) -> pd.DataFrame:
    with sqlite3.connect(":memory:") as con:
        data.to_sql("input", con, index=False)
        return pd.read_sql_query(to_sql(art, table="input", dialect="sqlite", reasons=reasons), con)


def edges_and_applicants() -> pd.DataFrame:
    """The edge rows and 400 applicants (``tests/score/test_local.py``)."""
    return pd.concat(
        [EDGES, applicants(400, seed=2).drop(columns=["applicant", "colour"])], ignore_index=True
    )


def reasons_of(scored: pd.DataFrame) -> list[list[tuple[str, int]]]:
    """Each row's (reason_j_code, reason_j_points) in order, as ``reference_reasons`` gives them."""
    width = sum(1 for c in scored.columns if c.startswith("reason_") and c.endswith("_code"))
    rows = scored.astype(object).to_dict("records")
    return [
        [(r[f"reason_{j}_code"], int(r[f"reason_{j}_points"])) for j in range(1, width + 1)
         if pd.notna(r[f"reason_{j}_code"])]
        for r in rows
    ]  # fmt: skip


def test_sqlite_matches_kernel_on_edges() -> None:
    art = two_cards()
    got = sqlite_scores(art, EDGES)
    want = score_frame(art, EDGES)
    assert got["score"].tolist() == want["score"].tolist()
    assert got["segment"].tolist() == want["segment"].astype(str).tolist()
    assert got["tier"].tolist() == want["tier"].astype(str).tolist()
    assert got["probability"].tolist() == want["probability"].tolist()  # the same doubles, exactly
    assert got["probability"].dtype == np.float64


def test_sql_probability_for_every_score_and_scaling() -> None:
    from lucidscore.artifact import MAX_SCORE, MIN_SCORE, Scaling

    art = two_cards().model_copy(update={"scaling": Scaling(base_score=500, base_odds=3.0, pdo=25)})
    data = pd.DataFrame({"score": np.arange(MIN_SCORE, MAX_SCORE + 1)})
    lookup = to_sql(art).split("AS tier,")[1].split(" AS probability")[0].strip()
    with sqlite3.connect(":memory:") as con:
        data.to_sql("s", con, index=False)
        got = pd.read_sql_query(f"SELECT {lookup} AS p FROM s", con)["p"].to_numpy()
    assert (got == art.scaling.probability_from_score(data["score"])).all()


def test_sqlite_categories_as_text_for_integer_and_real_columns() -> None:
    char = categorical(
        "grade", "Grade", [categories(["1", "2"], 10), categories(["3"], 40), missing(0), special(-9, 5)]
    )
    seg = two_cards().segments[-1].model_copy(update={"characteristics": [char], "base_points": 400})
    art = artifact([seg])
    for column in ([1, 3, 7, -9], [1.0, 3.0, np.nan, -9.0], ["1", "3", "", "-9"]):
        data = pd.DataFrame({"grade": column})
        assert sqlite_scores(art, data)["score"].tolist() == score_frame(art, data)["score"].tolist()


def test_sql_is_one_statement_with_a_case_per_characteristic() -> None:
    sql = to_sql(two_cards(), table="applicants")
    assert sql.count("CASE\n        WHEN") == 2 + 5
    assert 'FROM "applicants" AS t' in sql
    assert sql.rstrip().endswith("FROM lucid_scored")
    assert ";" not in sql


def test_spark_dialect_quotes_with_backticks() -> None:
    sql = to_sql(two_cards(), dialect="spark")
    assert "`months_late`" in sql and "CAST(`checking` AS STRING)" in sql


def with_category(text: str) -> ScorecardArtifact:
    """``two_cards`` with ``text`` among the checking account's categories (beside A11)."""
    data = two_cards().model_dump(mode="json")
    for segment in data["segments"]:
        for ch in segment["characteristics"]:
            if ch["name"] == "checking":
                ch["bins"][0]["categories"].append(text)
    return ScorecardArtifact.model_validate(data).with_hash()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "spark"])
def test_a_category_holding_nul_is_refused_not_written(dialect: Dialect) -> None:
    """Training keeps ``"A\\x00"`` as a category of its own (texts are compared whole); SQL text cannot
    hold the NUL (PostgreSQL refuses it, a SQLite client reads the statement only up to it: Python's
    sqlite3 said "embedded null character"), so the export says so instead of writing it."""
    with pytest.raises(InputError) as refused:
        to_sql(with_category("A\x00"), dialect=dialect)
    assert refused.value.message == (
        "the text 'A\\x00' holds a NUL character (0x00), which SQL text cannot hold; the model cannot be "
        "exported to SQL"
    )


def test_a_category_holding_another_control_character_scores_as_the_kernel() -> None:
    art = with_category("A\x01")
    data = applicants(30, seed=4)
    data.loc[[0, 5], "checking"] = "A\x01"
    assert sqlite_scores(art, data)["score"].tolist() == score_frame(art, data)["score"].tolist()


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(InputError, match="SQL dialect 'oracle' is not supported; expected one of sqlite"):
        to_sql(two_cards(), dialect="oracle")  # type: ignore[arg-type]


rows = st.fixed_dictionaries(
    {
        "months_late": st.one_of(
            st.sampled_from([0.0, 1.0, 3.0, -8.0, 2.5]), st.floats(-20, 20), st.just(math.nan)
        ),
        "utilisation": st.one_of(st.floats(-1, 2), st.just(math.nan)),
        "checking": st.sampled_from(["A11", "A12", "A13", "A14", "B1", None]),
        "inquiries_6m": st.sampled_from([0.0, 1.0, 2.0, 3.0, math.nan]),
        "months_at_address": st.one_of(st.floats(0, 100), st.just(math.nan)),
        "n_accounts": st.sampled_from([0.0, 1.0, 2.0, 3.0, math.nan]),
    }
)


@settings(max_examples=40, deadline=None)
@given(st.lists(rows, min_size=1, max_size=25))
def test_sqlite_matches_kernel_everywhere(data: list[dict[str, object]]) -> None:
    art = two_cards()
    frame = pd.DataFrame(data)
    assert sqlite_scores(art, frame)["score"].tolist() == score_frame(art, frame)["score"].tolist()


def test_sql_reasons_equal_the_kernels_without_grids() -> None:
    """Reasons without grids: the kernel's reason_j_code and reason_j_points (its 5th: recent inquiries)."""
    art = two_cards()
    data = edges_and_applicants()
    got = sqlite_scores(art, data, reasons=3)
    want = score_frame(art, data, reasons=3)
    assert [c for c in got.columns if c.startswith("reason_")] == [
        f"reason_{j}_{part}" for j in range(1, 5) for part in ("code", "points")
    ]
    assert reasons_of(got) == reasons_of(want)
    assert got["reason_4_code"].notna().any() and got["reason_3_code"].notna().any()


def test_no_reason_columns_unless_asked() -> None:
    assert "reason_" not in to_sql(two_cards()) and "lucid_rank" not in to_sql(two_cards_with_grids())
    with pytest.raises(InputError, match=r"parameter reasons: -1; expected 0 or more"):
        to_sql(two_cards(), reasons=-1)


@pytest.mark.postgres
def test_postgresql_matches_kernel(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    art = two_cards()
    grids = two_cards_with_grids()
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as con:
            EDGES.to_sql("input", con, index=False)
            got = pd.read_sql_query(text(to_sql(art, dialect="postgresql")), con)
            with_grids = pd.read_sql_query(text(to_sql(grids, dialect="postgresql", reasons=4)), con)
    finally:
        engine.dispose()
    want = score_frame(art, EDGES)
    assert got["score"].tolist() == want["score"].tolist()
    assert got["probability"].tolist() == want["probability"].tolist()
    assert with_grids["score"].tolist() == reference_scores(grids.segments, EDGES).tolist()
    assert reasons_of(with_grids) == reference_reasons(grids.segments, EDGES, 4)


# -- interaction grids (issue 14) --------------------------------------------------------------------------


def two_cards_with_grids() -> ScorecardArtifact:
    """``two_cards`` with grids: thin gets utilisation x months_at_address; thick gets months_late x
    utilisation and checking x inquiries_6m (bins grouped out of order, missing and special bins in
    groups of their own or with others)."""
    art = two_cards()
    thin, thick = art.segments
    thin_grid = Interaction(
        first="utilisation",
        second="months_at_address",
        first_groups=[[0, 1], [2, 3], [4]],
        second_groups=[[0], [1, 2, 3]],
        points=[[-30, 5], [12, -7], [0, 25]],
    )
    late_util = Interaction(
        first="months_late",
        second="utilisation",
        first_groups=[[2, 4], [0], [1, 3]],  # bins: [..1), [1, 3), [3, ..), missing, special -8
        second_groups=[[3, 0], [1, 2, 4]],
        points=[[-40, 10], [15, 0], [-5, 33]],
    )
    checking_inquiries = Interaction(
        first="checking",
        second="inquiries_6m",
        first_groups=[[0, 3], [1, 2]],
        second_groups=[[0], [1], [2, 3]],
        points=[[8, -12, 20], [-25, 3, 0]],
    )
    segments = [
        thin.model_copy(update={"interactions": [thin_grid]}),
        thick.model_copy(update={"interactions": [late_util, checking_inquiries]}),
    ]
    return art.model_copy(update={"segments": segments}).with_hash()


def test_sqlite_scores_grid_cells_as_the_reference_rule_on_edges() -> None:
    art = two_cards_with_grids()
    got = sqlite_scores(art, EDGES)
    want = reference_scores(art.segments, EDGES)
    without = reference_scores(two_cards().segments, EDGES)
    assert (want != without).any()  # the grids change these rows' scores
    assert got["score"].tolist() == want.tolist()
    assert got["raw_points"].tolist() == raw_points(art.segments, EDGES).tolist()
    assert got["probability"].tolist() == art.scaling.probability_from_score(want).tolist()
    data = edges_and_applicants()
    data.loc[::5, "months_late"] = -8.0
    reasons = reasons_of(sqlite_scores(art, data, reasons=4))
    assert reasons == reference_reasons(art.segments, data, 4)
    assert {"months_late+utilisation", "checking+inquiries_6m", "utilisation+months_at_address"} <= {
        code for r in reasons for code, _ in r
    }  # every pair gives reasons


def test_sql_has_one_case_per_grid_and_says_so() -> None:
    art = two_cards_with_grids()
    sql = to_sql(art)
    assert "+ grid points of each interaction's cell" in sql.splitlines()[1]
    assert sql.count("END) * ") == 3  # a CASE per grid: (first's group) * width + (second's group)
    assert "grid points" not in to_sql(two_cards())


def has_grids(art: ScorecardArtifact) -> bool:
    return any(s.interactions for s in art.segments)


#: Hypothesis cards (``tests/score/strategies.py``) with at least one interaction grid.
paired_cards = cards().flatmap(with_interactions).filter(has_grids)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards, seed=st.integers(0, 2**16), k=st.integers(1, 4))
def test_sqlite_equals_the_reference_on_cards_with_grids(art: ScorecardArtifact, seed: int, k: int) -> None:
    """Scores and reasons (by reason units: a pair is one, its code '<first>+<second>')."""
    frame = frame_for(art, 40, seed)
    got = sqlite_scores(art, frame, reasons=k)
    assert got["score"].tolist() == reference_scores(art.segments, frame).tolist()
    assert reasons_of(got) == reference_reasons(art.segments, frame, k)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=cards(), seed=st.integers(0, 2**16), k=st.integers(1, 4))
def test_sqlite_reasons_equal_the_reference_without_grids(art: ScorecardArtifact, seed: int, k: int) -> None:
    frame = frame_for(art, 40, seed)
    assert reasons_of(sqlite_scores(art, frame, reasons=k)) == reference_reasons(art.segments, frame, k)


@pytest.mark.postgres
def test_postgresql_equals_the_reference_on_cards_with_grids(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(art=paired_cards, seed=st.integers(0, 2**16))
    def check(art: ScorecardArtifact, seed: int) -> None:
        frame = frame_for(art, 40, seed)
        with engine.begin() as con:
            frame.to_sql("paired", con, index=False, if_exists="replace")
            got = pd.read_sql_query(text(to_sql(art, table="paired", dialect="postgresql", reasons=4)), con)
        assert got["score"].tolist() == reference_scores(art.segments, frame).tolist()
        assert reasons_of(got) == reference_reasons(art.segments, frame, 4)

    try:
        check()
    finally:
        engine.dispose()
