"""Training on Apache Spark (issue 15): ``train_spark`` (``lucidscore train --engine spark``) fits the local
engine's model file from statistics aggregated in Spark (``_spark_train``); below, the binning
statistics of one numeric column.

A numeric column's pre-bin edges and per-cell good/bad counts are aggregated in Spark as exact
per-distinct-value counts (one ``groupBy``), brought to the driver (a column has few distinct values
next to its rows) and turned into edges and cells by the same functions as the local engine
(``prebin_edges_from_counts``, ``cells_from_value_counts``), so the optimal-binning DP downstream sees
the same inputs. The local engine takes edges from an evenly strided sample of at most ``SAMPLE_ROWS``
rows; at or below that size the statistics are identical, above it Spark's edges come from every row.
pyspark is imported only inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lucidscore.model._binning import (
    BinnedColumn,
    BinningOptions,
    bin_numeric_from_cells,
    cells_from_value_counts,
    prebin_edges_from_counts,
)
from lucidscore.model._spark_train import fit_card_spark, train_spark

__all__ = [
    "PrebinStatistics",
    "bin_numeric_spark",
    "fit_card_spark",
    "prebin_statistics",
    "train_spark",
    "value_counts",
]


@dataclass(frozen=True)
class PrebinStatistics:
    """Edges of pre-bins 2..K and row/bad counts per cell (0 missing, 1..S special, S+1.. pre-bins)."""

    edges: npt.NDArray[np.float64]
    rows: npt.NDArray[np.int64]
    bads: npt.NDArray[np.int64]


def value_counts(
    frame: Any, column: str, target: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Distinct values of ``column`` in a Spark DataFrame (null and NaN both as NaN, first), with their
    row and bad (``target`` == 1) counts, aggregated in Spark."""
    from pyspark.sql import functions as F

    value = F.col(column).cast("double")
    missing = value.isNull() | F.isnan(value)
    grouped = (
        frame.select(F.when(missing, F.lit(None)).otherwise(value).alias("v"), F.col(target).alias("y"))
        .groupBy("v")
        .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("y").cast("long")).alias("b"))
        .toPandas()
    )
    values = grouped["v"].astype("float64").to_numpy()
    order = np.argsort(values, kind="stable")  # NaN (missing) sorts last; harmless for cells
    return (
        values[order],
        grouped["n"].astype("int64").to_numpy()[order],
        grouped["b"].fillna(0).astype("int64").to_numpy()[order],
    )


def prebin_statistics(
    frame: Any, column: str, target: str, n_prebins: int, special_values: tuple[float, ...] = ()
) -> PrebinStatistics:
    """The pre-bin edges and cell counts of one numeric column, as the local engine computes them."""
    values, rows, bads = value_counts(frame, column, target)
    specials = np.array(sorted(set(special_values)), dtype=np.float64)
    plain = ~np.isnan(values) & ~np.isin(values, specials)
    edges = prebin_edges_from_counts(values[plain], rows[plain], n_prebins)
    cell_rows, cell_bads = cells_from_value_counts(values, rows, bads, edges, specials)
    return PrebinStatistics(edges, cell_rows, cell_bads)


def bin_numeric_spark(frame: Any, column: str, target: str, opts: BinningOptions) -> BinnedColumn:
    """A numeric column binned from statistics aggregated in Spark, through the local engine's
    ``bin_numeric_from_cells`` (the same DP): the local ``bin_numeric``'s bins, WOE and IV (without row
    codes) whenever the pre-bin statistics agree (see the module docstring)."""
    stats = prebin_statistics(frame, column, target, opts.n_prebins, tuple(opts.special_values))
    col, _ = bin_numeric_from_cells(column, stats.edges, stats.rows, stats.bads, opts)
    return col
