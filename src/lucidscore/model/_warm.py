"""Load the fit's compiled kernels before the fit needs them, e.g. on a second thread while the table is read.

The first call of a numba kernel in a process costs about a third of a second even when its machine code
is cached on disk (numba sets up its compiler and type registries, which imports part of SciPy), and each
kernel's first call with a new argument type loads that version from the cache. ``lucidscore train``
runs ``load_kernels`` on another thread while it reads the table, which mostly waits on Parquet decoding
outside the GIL, so that this time is spent while the other core reads, not before the fit starts.

The calls below use the argument types the fit uses (a test fits a table afterwards and checks that no
kernel gained a version), so nothing here compiles anything new. Nothing depends on this having run.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lucidscore.model import _dp, _newton, _refine


def _readonly(values: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    """As a column taken out of a pandas table arrives (pandas hands out read-only views of its data)."""
    values.flags.writeable = False
    return values


def load_kernels() -> None:
    """Call every kernel of a fit once on a few values, with the fit's argument types."""
    rows = np.arange(2, dtype=np.int64)
    y = np.array([0, 1], dtype=np.int8)
    edges, specials = np.array([0.5]), np.array([-1.0])
    for column in (np.array([0.0, 1.0]), np.array([0, 1], dtype=np.int64)):  # float and integer columns
        x = _readonly(column)
        _dp.column_facts(x, rows, True)
        _dp.prebin_counts(x, rows, True, y, edges, specials)
    counts = np.array([1.0, 1.0])
    _dp.optimal_cuts(counts, counts, 2.0, 2.0, 1.0, 2, _dp.PEAK, 1.0)
    codes = np.zeros((2, 1), dtype=np.int16)
    first = np.zeros(1, dtype=np.int64)
    _newton._pass(codes, first, first, np.zeros(1), y, np.ones(2), np.zeros(2), 1, 0, 2, True)
    _refine.boost_cells(
        codes, np.array([0, 1], dtype=np.int64), np.array([1], dtype=np.int64), y, np.zeros(2),
        np.array([False, True]), 0.1, 2.0, 1, 1, 1,
    )  # fmt: skip
