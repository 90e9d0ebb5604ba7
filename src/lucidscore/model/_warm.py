"""Load the fit's compiled kernels before the fit needs them, e.g. on a second thread while the table is read.

The first call of a numba kernel in a process costs about a third of a second even when its machine code
is cached on disk (numba sets up its compiler and type registries, and imports ``scipy.linalg`` to see
whether BLAS is there: more than half of it, spared below), and each kernel's first call with a new
argument type loads that version from the cache. ``lucidscore train``
runs ``load_kernels`` on another thread while it reads the table, which mostly waits on Parquet decoding
outside the GIL, so that this time is spent while the other core reads, not before the fit starts.

The calls below use the argument types the fit uses (a test fits a table afterwards and checks that no
kernel gained a version), so nothing here compiles anything new. Nothing depends on this having run.

Importing this module does not load numba: ``load_kernels`` does, so that a caller can run the import too
on its second thread (``lucidscore train`` does, about a quarter of a second of CPU) and so that
``load_kernels(lean=True)`` can load numba without the parts only other programs use.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lucidscore.numbaenv import lean_numba, numba_without_scipy_linalg

Column = npt.NDArray[np.float64] | npt.NDArray[np.int64]


def _readonly(values: Column) -> Column:
    """As a column taken out of a pandas table arrives (pandas hands out read-only views of its data)."""
    values.flags.writeable = False
    return values


def load_kernels(*, lean: bool = False) -> None:
    """Call every kernel of a fit once on a few values, with the fit's argument types. With ``lean``, for a
    process that uses numba only for lucidscore's kernels, numba loads without PyYAML and cffi
    (``numbaenv.lean_numba``)."""
    if lean:
        lean_numba()
    from lucidscore.model import _dp, _newton, _refine, _selection

    numba_without_scipy_linalg()
    rows = np.arange(2, dtype=np.int64)
    y = np.array([0, 1], dtype=np.int8)
    edges, specials = np.array([0.5]), np.array([-1.0])
    columns: tuple[Column, ...] = (np.array([0.0, 1.0]), np.array([0, 1], dtype=np.int64))
    for column in columns:  # a float and an integer column
        x = _readonly(column)
        _dp.column_facts(x, rows, True)
        _dp.prebin_counts(x, rows, True, y, edges, specials)
    counts = np.array([1.0, 1.0])
    _dp.optimal_cuts(counts, counts, 2.0, 2.0, 1.0, 2, _dp.PEAK, 1.0)
    _dp.prebin_cut_points(np.array([0.0, 1.0]), np.array([1, 1], dtype=np.int64), np.array([0.5]), 2)
    codes = np.zeros((2, 1), dtype=np.int16)
    first = np.zeros(1, dtype=np.int64)
    bounds = np.array([[0, 2]], dtype=np.int64)
    _newton._blocks(codes, first, first, np.zeros(1), y, np.ones(2), np.zeros(2), 1, bounds, True)
    _newton._blocks_summed(codes, first, first, np.zeros(1), y, np.ones(2), np.zeros(2), 1, bounds, True)
    _newton.distinct_keys(np.array([3, 1], dtype=np.int64))
    _selection.woe_moments(codes, first, np.zeros(1))
    _refine.boost_cells(
        codes, np.array([0, 1], dtype=np.int64), np.array([1], dtype=np.int64), y, np.zeros(2),
        np.array([False, True]), 0.1, 2.0, 1, 1, 1,
    )  # fmt: skip
    _refine.piecewise_groups(np.array([0.0, 1.0, 2.0]), np.ones(3), 2)  # > groups: compiled cuts
