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

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

Column = npt.NDArray[np.float64] | npt.NDArray[np.int64]


def _readonly(values: Column) -> Column:
    """As a column taken out of a pandas table arrives (pandas hands out read-only views of its data)."""
    values.flags.writeable = False
    return values


def _numba_without_scipy_linalg() -> None:
    """Numba's first compiled call imports ``numba.np.arraymath``, whose import asks whether BLAS is
    available by importing ``scipy.linalg`` (``numba.np.linalg.ensure_blas``): about 0.2 s of CPU, most of
    numba's set-up. The fit's kernels call no BLAS, and the answer is yes whenever SciPy is installed (a
    pinned dependency), so arraymath is imported here with that check answered without the import.
    Anything that does call BLAS in a numba kernel later still goes through the real check (only the
    answer arraymath keeps, ``_HAVE_BLAS``, is given). Does nothing once arraymath is loaded, without
    SciPy, or if numba no longer has that check."""
    if "numba.np.arraymath" in sys.modules or importlib.util.find_spec("scipy") is None:
        return
    import numba.np.linalg as linalg

    check = getattr(linalg, "ensure_blas", None)
    if check is None:
        return
    linalg.ensure_blas = lambda: None
    try:
        import numba.np.arraymath  # noqa: F401 - imported now, with the check answered
    finally:
        linalg.ensure_blas = check


@contextmanager
def _not_installed(*names: str) -> Iterator[None]:
    """Inside, importing one of these modules (those not loaded yet) fails as if it were not installed."""
    blocked = [name for name in names if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # Python's own "import fails" marker
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def _lean_numba() -> None:
    """Load numba without two imports it makes for other programs, about 0.1 s of CPU: PyYAML, which it
    imports at start to read a ``.numba_config.yaml`` in the working directory (blocked only when there is
    none, so a configuration file is still read), and cffi with its C parser, which its type system imports
    to type cffi functions passed to compiled code (the fit passes only NumPy arrays; numba then reports
    cffi as unsupported in this process). For a process that uses numba only for lucidscore's kernels,
    as ``lucidscore train``; does nothing once numba is loaded."""
    if "numba" in sys.modules:
        return
    skip = ["cffi"] if os.path.isfile(".numba_config.yaml") else ["cffi", "yaml"]
    with _not_installed(*skip):
        import numba.core.typing.cffi_utils  # noqa: F401 - imported now, without cffi


def load_kernels(*, lean: bool = False) -> None:
    """Call every kernel of a fit once on a few values, with the fit's argument types. With ``lean``, for a
    process that uses numba only for lucidscore's kernels, numba loads without PyYAML and cffi
    (``_lean_numba``)."""
    if lean:
        _lean_numba()
    from lucidscore.model import _dp, _newton, _refine, _selection

    _numba_without_scipy_linalg()
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
