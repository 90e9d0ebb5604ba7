"""Spark aggregates the same pre-bin edges and cell counts as the local engine (issue 15)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from lucidscore.model import BinningOptions, bin_numeric
from lucidscore.model._binning import SAMPLE_ROWS, prebin_edges
from lucidscore.model._dp import prebin_counts
from lucidscore.model.spark import bin_numeric_spark, prebin_statistics
from tests.fixtures.spark import SPARK_MARKS

pytestmark = SPARK_MARKS


def column(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.round(rng.lognormal(3.0, 1.2, n), int(rng.integers(0, 3)))
    x[rng.random(n) < 0.25] = 0.0  # a point mass
    x[rng.random(n) < 0.05] = -1.0  # a declared special value
    x[rng.random(n) < 0.07] = np.nan
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(np.nan_to_num(x) / 40.0 - 1.0)))).astype(np.int8)
    return x, y


@pytest.mark.parametrize(("seed", "n", "prebins"), [(0, 3000, 30), (1, 800, 10), (2, 5000, 50), (3, 40, 30)])
def test_prebin_statistics_equal_local(spark: Any, seed: int, n: int, prebins: int) -> None:
    assert n <= SAMPLE_ROWS
    x, y = column(seed, n)
    specials = np.array([-1.0])
    plain = x[~np.isnan(x) & ~np.isin(x, specials)]
    edges = prebin_edges(plain, prebins)
    _, rows, bads = prebin_counts(x, np.empty(0, dtype=np.int64), False, y, edges, specials)
    frame = spark.createDataFrame(pd.DataFrame({"x": x, "bad": y.astype(np.int64)}))
    got = prebin_statistics(frame, "x", "bad", prebins, (-1.0,))
    assert got.edges.tolist() == edges.tolist()
    assert got.rows.tolist() == rows.astype(np.int64).tolist()
    assert got.bads.tolist() == bads.astype(np.int64).tolist()
    assert int(got.rows.sum()) == n


@pytest.mark.parametrize(("seed", "n"), [(4, 3000), (5, 1200)])
def test_bins_from_spark_statistics_equal_local(spark: Any, seed: int, n: int) -> None:
    x, y = column(seed, n)
    opts = BinningOptions(special_values=(-1.0,))
    local = bin_numeric("x", x, y, opts)
    frame = spark.createDataFrame(pd.DataFrame({"x": x, "bad": y.astype(np.int64)}))
    got = bin_numeric_spark(frame, "x", "bad", opts)
    assert [b.__dict__ for b in got.bins] == [b.__dict__ for b in local.bins]
    assert (got.iv, got.trend, got.special_values) == (local.iv, local.trend, local.special_values)
