"""The WOE correlation the selection filter reads (``_selection.woe_correlation``), summed in a compiled
kernel (``woe_moments``) instead of a BLAS product: Pearson's r of the rows' WOE, on every row or on the
evenly strided sample above ``SAMPLE_ROWS``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lucidscore.model import _selection
from lucidscore.model._selection import woe_correlation


def _expected(tables: list[np.ndarray], codes: list[np.ndarray]) -> np.ndarray:
    """numpy's correlation of the rows' WOE."""
    return np.atleast_2d(np.corrcoef(np.vstack([t[c] for t, c in zip(tables, codes, strict=True)])))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 6),
    n=st.integers(2, 400),
    bins=st.integers(2, 9),
)
def test_woe_correlation_is_pearsons_r_of_the_rows_woe(seed: int, k: int, n: int, bins: int) -> None:
    rng = np.random.default_rng(seed)
    codes = [rng.integers(0, bins, n).astype(np.int16) for _ in range(k)]
    if k > 1 and seed % 3 == 0:  # a near-copy and a mirror image, as correlated columns are
        codes[1] = codes[0].copy()
    assume(all(np.unique(c).size > 1 for c in codes))  # each WOE varies (bins' WOE are distinct)
    tables = [rng.normal(size=bins) for _ in range(k)]
    got = woe_correlation([f"c{j}" for j in range(k)], tables, codes)
    assert list(got.index) == list(got.columns) == [f"c{j}" for j in range(k)]
    np.testing.assert_allclose(got.to_numpy(), _expected(tables, codes), atol=1e-9)


@pytest.mark.parametrize("n", [10, 11, 19])
def test_woe_correlation_reads_every_kth_row_above_its_sample_size(
    n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_selection, "SAMPLE_ROWS", 5)
    rng = np.random.default_rng(n)
    codes = [np.resize(np.arange(4, dtype=np.int16), n)[rng.permutation(n)] for _ in range(3)]
    tables = [rng.normal(size=4) for _ in range(3)]
    step = -(-n // 5)
    got = woe_correlation(["a", "b", "c"], tables, codes).to_numpy()
    np.testing.assert_allclose(got, _expected(tables, [c[::step] for c in codes]), atol=1e-9)
