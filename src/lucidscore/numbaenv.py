"""How lucidscore loads numba, shared by the fit's kernels (``model._warm``) and the scoring kernel
(``score._kernel``): numba's first compiled call imports ``scipy.linalg`` only to learn whether BLAS is
there (about a third of a second, half of numba's set-up), which no lucidscore kernel uses
(``numba_without_scipy_linalg``, safe in any process); and, for a process that uses numba only for
lucidscore's kernels (``lucidscore train``), numba without PyYAML and cffi (``lean_numba``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_SWAP = threading.Lock()


def numba_without_scipy_linalg() -> None:
    """Numba's first compiled call imports ``numba.np.arraymath``, whose import asks whether BLAS is
    available by importing ``scipy.linalg`` (``numba.np.linalg.ensure_blas``): about 0.2–0.3 s of CPU,
    most of numba's set-up. lucidscore's kernels (the fit's and the scorer's) call no BLAS, and the answer
    is yes whenever SciPy is installed (a pinned dependency), so arraymath is imported here with that
    check answered without the import. Anything that does call BLAS in a numba kernel later still goes
    through the real check (only the answer arraymath keeps, ``_HAVE_BLAS``, is given). Does nothing once
    arraymath is loaded, without SciPy, or if numba no longer has that check."""
    if "numba.np.arraymath" in sys.modules or importlib.util.find_spec("scipy") is None:
        return
    import numba.np.linalg as linalg

    with _SWAP:  # two threads at once: neither keeps the other's stand-in as the real check
        check = getattr(linalg, "ensure_blas", None)
        if check is None or "numba.np.arraymath" in sys.modules:
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


def lean_numba() -> None:
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
