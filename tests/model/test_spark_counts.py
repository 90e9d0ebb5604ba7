"""The driver-side half of Spark training, without Spark: counted rows give the local engine's inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.model._binning import BinningOptions, bin_categorical, bin_categorical_from_counts
from lucidscore.model._card import compress_rows
from lucidscore.model._spark_train import _compress


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 400),
    bins=st.lists(st.integers(1, 7), min_size=1, max_size=4),
)
def test_counted_tuples_compress_as_the_rows_do(seed: int, n: int, bins: list[int]) -> None:
    """Tuples counted in any order (as a Spark groupBy returns them) re-key to exactly the rows, order
    and weights of ``compress_rows`` on the rows: the Newton fit then takes the same path."""
    rng = np.random.default_rng(seed)
    codes = [rng.integers(0, b, n).astype(np.int16) for b in bins]
    y = rng.integers(0, 2, n).astype(np.int8)
    want = compress_rows(codes, y)
    frame = pd.DataFrame({f"k{j}": c for j, c in enumerate(codes)} | {"y": y})
    counted = (
        frame.groupby(list(frame.columns)).size().reset_index(name="n").sample(frac=1.0, random_state=seed)
    )
    got = _compress(
        counted[[f"k{j}" for j in range(len(codes))]].to_numpy(dtype=np.int16),
        counted["y"].to_numpy(dtype=np.int8),
        counted["n"].to_numpy(dtype=np.float64),
    )
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(20, 600), k=st.integers(1, 40))
def test_categorical_bins_from_counts_equal_rows(seed: int, n: int, k: int) -> None:
    """Binning a categorical column from its (shuffled, then sorted) category counts gives the rows'
    binning, and each row's code through the per-category map."""
    rng = np.random.default_rng(seed)
    x = rng.choice([f"c{i}" for i in range(k)] + [None], n).astype(object)  # type: ignore[list-item]
    y = (rng.random(n) < 0.3).astype(np.int8)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    opts = BinningOptions(n_prebins=8)
    want = bin_categorical("c", x, y, opts)
    present = np.array([v is not None for v in x])
    counts = (
        pd.DataFrame({"v": x[present].astype(str), "y": y[present]}).groupby("v")["y"].agg(["size", "sum"])
    )
    cats = np.array(sorted(counts.index), dtype=np.str_)
    col, code_of = bin_categorical_from_counts(
        "c",
        cats,
        counts.loc[cats, "size"].to_numpy(dtype=np.float64),
        counts.loc[cats, "sum"].to_numpy(dtype=np.float64),
        int((~present).sum()),
        int(y[~present].sum()),
        opts,
    )
    assert col.bins == want.bins and col.iv == want.iv
    lookup = dict(zip(cats.tolist(), code_of.tolist(), strict=True))
    assert [0 if v is None else lookup[v] for v in x] == want.codes.tolist()
