"""One rule for reading cells, bad ones included, in every engine: the reference in lucidscore.artifact, the
compiled kernel, the estimator's predict_proba and the SQL export (Spark: tests/score/test_spark.py).

Numbers may arrive as numbers or as text (' 2.5'); blank text is missing; text that is not a number in a
numeric characteristic or numeric segment condition makes the row unscoreable: the Python engines refuse
the batch naming that row, the SQL gives it NULL.
"""

from __future__ import annotations

import math
import re
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.artifact import ScorecardArtifact, nested_cell_error, parse_numbers, reference_scores
from lucidscore.errors import InputError
from lucidscore.model import Scorecard
from lucidscore.score import score_frame, to_sql
from tests.model._sim import credit_table
from tests.score.cards import two_cards

NUMERIC = ["months_late", "utilisation", "inquiries_6m", "months_at_address", "n_accounts"]

finite = st.one_of(st.sampled_from([0.0, 1.0, 3.0, -8.0, 2.5, 0.3, 0.9, 12.0, 36.0]), st.floats(-20, 100))
cells = st.one_of(
    finite,
    st.just(math.nan),
    finite.map(lambda x: f" {x!r} "),  # numeric text
    st.sampled_from(["", "  ", None]),  # missing
    st.sampled_from(["n/a", "ten", "12,5", "--"]),  # not numbers
)
rows = st.fixed_dictionaries(
    {**{c: cells for c in NUMERIC}, "checking": st.sampled_from(["A11", " A12", "A13", "B1", "", None, 1.0])}
)


def _junk_rows(frame: pd.DataFrame, art: ScorecardArtifact) -> np.ndarray:
    """Rows the rule cannot score: a non-number in a column the row's engine reads as a number."""
    out = np.zeros(len(frame), dtype=bool)
    for column in NUMERIC:
        out |= parse_numbers(frame[column])[1]
    return out


def _sqlite(art: ScorecardArtifact, frame: pd.DataFrame) -> pd.DataFrame:
    """The SQL export on a table whose numeric characteristics are REAL columns (text stays text in them)."""
    with sqlite3.connect(":memory:") as con:
        columns = ", ".join(f'"{c}" REAL' if c in NUMERIC else f'"{c}" TEXT' for c in frame.columns)
        con.execute(f"CREATE TABLE input ({columns})")
        cells = [
            [None if isinstance(v, float) and math.isnan(v) else v for v in row]
            for row in frame.itertuples(False)
        ]
        con.executemany(f"INSERT INTO input VALUES ({', '.join('?' * frame.shape[1])})", cells)
        return pd.read_sql_query(to_sql(art, table="input", dialect="sqlite"), con)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=30))
def test_every_engine_reads_every_cell_the_same_way(data: list[dict[str, object]]) -> None:
    art = two_cards()
    frame = pd.DataFrame(data).astype(object)
    junk = _junk_rows(frame, art)
    sql = _sqlite(art, frame)
    # Rows the rule cannot score get no score in SQL; the other rows get the reference's scores.
    assert sql["score"].isna().to_numpy().tolist() == junk.tolist()
    clean = frame.loc[~junk].reset_index(drop=True)
    if len(clean):
        want = reference_scores(art.segments, clean)
        assert score_frame(art, clean)["score"].tolist() == want.tolist()
        assert sql.loc[~junk, "score"].astype(int).tolist() == want.tolist()
    if junk.any():
        first = int(np.flatnonzero(junk)[0]) + 1
        with pytest.raises(InputError, match=rf"row {first}: found") as by_reference:
            reference_scores(art.segments, frame)
        with pytest.raises(InputError) as by_kernel:
            score_frame(art, frame)
        assert by_kernel.value.message == by_reference.value.message


def test_the_estimator_reads_junk_as_every_engine_does() -> None:
    """predict_proba and score_table go through the same engine: same probabilities, same refusal."""
    table = credit_table(3000, seed=5)
    X, y = table.drop(columns=["bad"]), table["bad"]
    card = Scorecard(segment_search=False).fit(X, y)
    probabilities = card.predict_proba(X)[:, 1]
    assert np.array_equal(probabilities, card.score_table(X)["probability"].to_numpy())
    assert np.array_equal(
        probabilities,
        card.artifact_.scaling.probability_from_score(reference_scores(card.artifact_.segments, X)),
    )
    bad = X.astype({"months_late": object})
    bad.loc[41, "months_late"] = "n/a"
    messages = set()
    for call in (card.predict_proba, card.score_table, card.predict, card.explain):
        with pytest.raises(InputError, match=re.escape("column months_late row 42: found 'n/a'")) as caught:
            call(bad)
        messages.add(caught.value.message)
    assert len(messages) == 1


_SCALARS = st.one_of(
    st.none(), st.text(max_size=5), st.floats(allow_nan=True), st.integers(-5, 5), st.booleans()
)
_NESTED = st.one_of(
    st.lists(st.integers(0, 3), max_size=3),
    st.tuples(st.integers(0, 3)),
    st.dictionaries(st.text(max_size=2), st.integers(0, 3), max_size=2),
    st.frozensets(st.integers(0, 3), max_size=2).map(set),
    st.lists(st.floats(0, 1), max_size=3).map(np.array),
)


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(_SCALARS, min_size=1, max_size=40), nested=_NESTED, where=st.floats(0.0, 1.0))
def test_a_nested_cell_anywhere_is_named_and_scalars_never_are(
    cells: list[object], nested: object, where: float
) -> None:
    """Text, numbers, booleans and missing values in any mix pass (whatever pandas infers for the
    column); a list, tuple, mapping, set or array at any row is named by that row (the first one)."""
    assert nested_cell_error(pd.Series(cells, dtype=object), "c") is None
    at = min(int(where * len(cells)), len(cells) - 1)
    planted = [*cells[:at], nested, *cells[at + 1 :]]
    error = nested_cell_error(pd.Series(planted, dtype=object), "c")
    assert error is not None
    assert str(error).startswith(f"column c row {at + 1}: value ")


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=" \t\n\r\x1c\x85\xa0\u2000\u2028\u3000+-.0123456789eEinfINFtyaN", max_size=9))
def test_the_number_patterns_read_text_as_parse_numbers_does(text: str) -> None:
    """``NUMBER_PATTERN`` after stripping ``SPACE_PATTERN`` (the rule's patterns, for Spark's ``rlike``):
    a number exactly where ``parse_numbers`` reads one."""
    from lucidscore.artifact import NUMBER_PATTERN, SPACE_PATTERN

    stripped = re.sub(f"^{SPACE_PATTERN}+|{SPACE_PATTERN}+$", "", text)
    matched = re.search(f"^({NUMBER_PATTERN})$", stripped) is not None
    numbers, junk = parse_numbers(pd.Series([text], dtype=object))
    assert matched == (not junk[0] and not np.isnan(numbers[0]))
    assert (stripped == "") == (not junk[0] and np.isnan(numbers[0]))  # missing: empty once stripped
