"""A bag of a small card (``_card.bag_card``) is fitted from what the card read once (``card_columns``:
the card's rows, numeric value ranks, text columns' category texts) and built unchecked; the bag's card
must be the one fitted from the table on the same rows, value for value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Characteristic, bin_index, bin_index_of_texts, category_codes
from lucidscore.errors import InputError
from lucidscore.model._bag import bootstrap
from lucidscore.model._binning import category_codes_of
from lucidscore.model._card import _bin_column, card_columns, fit_card, model_columns
from lucidscore.model._frame import column_kind
from lucidscore.model._params import ScorecardParams


def table(n: int, seed: int, zeros: bool, text_dtype: str) -> pd.DataFrame:
    """Numeric columns with missing values, a declared special value, ties and (``zeros``) both 0.0 and
    -0.0; an integer column; a text column with missing values; a target that depends on them."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3, 1, n).round(rng.integers(0, 3))
    amount[rng.random(n) < 0.1] = np.nan
    late = rng.poisson(0.7, n).astype(float)
    late[rng.random(n) < 0.08] = -8.0
    if zeros:
        late[rng.random(n) < 0.1] = -0.0
        late[:2] = [-0.0, 0.0]
    count = rng.integers(0, 9, n)
    housing = pd.Series(rng.choice(["rent", "own", "free", "other"], n, p=[0.4, 0.4, 0.15, 0.05]))
    housing[rng.random(n) < 0.05] = None
    logit = -1.2 + 0.6 * np.nan_to_num(late) + 0.2 * count - 0.01 * np.nan_to_num(amount)
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "amount": amount,
            "late": late,
            "count": count,
            "housing": housing.astype(text_dtype),
            "bad": bad,
        }
    )


@settings(max_examples=15)
@given(
    n=st.integers(40, 400),
    seed=st.integers(0, 10_000),
    bag=st.integers(0, 99),
    segment=st.booleans(),
    zeros=st.booleans(),
    text_dtype=st.sampled_from(["object", "string"]),
)
def test_a_bag_from_the_card_columns_is_the_bag_from_the_table(
    n: int, seed: int, bag: int, segment: bool, zeros: bool, text_dtype: str
) -> None:
    frame = table(n, seed, zeros, text_dtype)
    y_all = frame.pop("bad").to_numpy(dtype=np.int8)
    kinds = {c: column_kind(frame[c], c) for c in frame.columns}
    columns = model_columns(frame, kinds)
    rows = np.flatnonzero(np.arange(n) % 3 != 0) if segment else None
    y = y_all if rows is None else y_all[rows]
    pos = bootstrap(y.size, bag)
    p = ScorecardParams(special_values=(-8.0,), refine=False, min_bin_share=0.05)
    own, known = card_columns(columns, kinds, rows)
    assert {"amount", "count", "housing"} <= set(known)  # the shared paths are the ones under test
    assert ("late" in known) != zeros  # 0.0 and -0.0 in a column: binned from its values, as before
    at = pos if rows is None else rows[pos]
    try:
        want, want_notes, want_raw = fit_card("s", None, columns, y[pos], kinds, p, rows=at)
    except InputError as exc:
        want_error = str(exc)
    else:
        want_error = ""
    try:
        got, got_notes, got_raw = fit_card(
            "s", None, own, y[pos], kinds, p, rows=pos, ranks=known, checked=False
        )
    except InputError as exc:
        assert str(exc) == want_error
        return
    assert not want_error
    assert got_notes == want_notes
    assert got_raw.tolist() == want_raw.tolist()
    assert got.base_points == want.base_points
    assert [Characteristic.model_validate(c.model_dump()) for c in got.characteristics] == (
        want.characteristics
    )


@settings(max_examples=60)
@given(
    seed=st.integers(0, 10_000),
    text_dtype=st.sampled_from(["object", "string"]),
    bagged=st.booleans(),
)
def test_bins_of_texts_read_once_are_bin_index(seed: int, text_dtype: str, bagged: bool) -> None:
    """The card's categorical bins, bagged (under 2,000 rows, refinement on: the average of bootstrap
    cards, ~0.5 s a card) or plain (refinement off, ~15 ms)."""
    frame = table(200, seed, False, text_dtype)
    y = frame.pop("bad").to_numpy(dtype=np.int8)
    kinds = {c: column_kind(frame[c], c) for c in frame.columns}
    params = ScorecardParams(iv_threshold=0.0, refine=bagged)
    seg, _, _ = fit_card("s", None, model_columns(frame, kinds), y, kinds, params)
    for ch in seg.characteristics:
        if ch.dtype == "categorical":
            values = frame[ch.name]
            assert bin_index_of_texts(ch, *category_codes(values)).tolist() == bin_index(ch, values).tolist()


@settings(max_examples=200)
@given(
    data=st.data(),
    picks=st.lists(st.integers(0, 59), min_size=1, max_size=80),
    bads=st.lists(st.booleans(), min_size=80, max_size=80),
)
def test_a_text_column_binned_from_its_codes_is_binned_from_its_texts(
    data: st.DataObject, picks: list[int], bads: list[bool]
) -> None:
    """A bag's text column, binned from the card's ``CategoryCodes`` (a count per category), gives what
    the column's texts on those rows give: the same skip (all missing, constant) or the same bins, row
    codes and WOE — also where the rows hold a single category, missing values only, or categories in an
    order a sort of a subset could see otherwise ("Own" before "own", "10" before "2")."""
    words = ["rent", "own", "Own", "free", "é", "10", "2"]
    alphabet = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=4, unique=True))
    texts = data.draw(st.lists(st.sampled_from([None, *alphabet]), min_size=1, max_size=60))
    column = np.asarray(texts, dtype=object)
    rows = np.sort(np.asarray([p % len(texts) for p in picks], dtype=np.int64))
    y = np.asarray(bads[: rows.size], dtype=np.int8)
    assume(0 < y.sum() < y.size)  # a card, and so a bag, is fitted on rows of both classes
    params = ScorecardParams(min_bin_share=0.01)
    from_texts = _bin_column("c", pd.Series(column[rows]), "categorical", y, params, None)
    from_codes = _bin_column("c", column, "categorical", y, params, rows, category_codes_of(column))
    if isinstance(from_texts, str):
        assert from_codes == from_texts
        return
    assert not isinstance(from_codes, str), from_codes
    assert from_codes.bins == from_texts.bins  # kinds, labels, categories, counts, WOE
    assert from_codes.codes.tolist() == from_texts.codes.tolist()
    assert from_codes.iv == from_texts.iv
