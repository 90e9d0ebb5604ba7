"""``load_kernels`` (what ``lucidscore train`` runs on a second thread while it reads the table) loads every
version of the compiled kernels that a fit then calls, and changes no result."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lucidscore.model import Scorecard, load_kernels

# In a fresh process: the kernels' versions after load_kernels, then after fits of a table with a float,
# an integer and a text column (from a DataFrame and from Parquet-like read-only columns alike).
PROBE = textwrap.dedent(
    """
    import json, sys
    import numpy as np, pandas as pd
    from numba.core.registry import CPUDispatcher
    from lucidscore.model import _dp, _newton, _refine, _selection
    from lucidscore.model import load_kernels

    def versions():
        return {
            f"{m.__name__}.{n}": sorted(str(s) for s in getattr(m, n).signatures)
            for m in (_dp, _newton, _refine, _selection)
            for n in dir(m)
            if isinstance(getattr(m, n), CPUDispatcher)
        }

    load_kernels()
    warmed = versions()
    linalg_loaded = "scipy.linalg" in sys.modules
    from lucidscore.model import Scorecard  # scikit-learn's face: imports scipy.linalg itself
    rng = np.random.default_rng(0)
    n = 5000
    frame = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.integers(0, 9, n), "c": rng.choice(["x", "y", "z"], n)}
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-(frame["a"] + 0.3 * frame["b"] - 2)))).astype(int)
    Scorecard().fit(frame, y)
    Scorecard(special_values=[-1.0], monotonic_trend="auto_monotone").fit(frame.replace({"b": {0: -1}}), y)
    import numba.np.arraymath, numba.np.linalg
    try:
        numba.np.linalg.ensure_blas()  # the check load_kernels answered without importing scipy.linalg
        blas = True
    except ImportError:
        blas = False
    print(json.dumps({"warmed": warmed, "fitted": versions(), "linalg_loaded": linalg_loaded,
                      "have_blas": numba.np.arraymath._HAVE_BLAS, "blas": blas}))
    """
)


@pytest.fixture(scope="module")
def probed() -> dict[str, Any]:
    """What PROBE printed: one fresh process, read by the two tests below (each only reads it)."""
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out.splitlines()[-1]))


def test_load_kernels_loads_every_kernel_version_a_fit_calls(probed: dict[str, Any]) -> None:
    seen = probed
    called = {name: got for name, got in seen["fitted"].items() if got}
    assert {
        "lucidscore.model._dp.prebin_counts",
        "lucidscore.model._newton._blocks",
        "lucidscore.model._selection.woe_moments",
    } <= set(called)
    for name, got in called.items():
        new = sorted(set(got) - set(seen["warmed"].get(name, [])))
        assert not new, f"{name}: a fit called {new}, which load_kernels does not load; add it there"


def test_load_kernels_spares_numba_the_scipy_linalg_import_with_the_same_answer(
    probed: dict[str, Any],
) -> None:
    seen = probed
    assert not seen["linalg_loaded"]
    assert seen["have_blas"] is seen["blas"] is True


def test_a_fit_after_load_kernels_is_the_same_fit() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 5, n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(frame["a"].to_numpy() - 1.5)))).astype(int)
    first = Scorecard().fit(frame, y).artifact_
    load_kernels()
    again = Scorecard().fit(frame, y).artifact_
    assert first.segments == again.segments and first.fingerprint == again.fingerprint


LEAN = textwrap.dedent(
    """
    import json, sys
    import lucidscore.model
    from lucidscore.model import ScorecardParams, load_kernels  # train's options and its warm-up: no numba
    before = "numba" in sys.modules
    load_kernels(lean=True)
    loaded = {m: m in sys.modules for m in ("numba", "yaml", "cffi", "pycparser")}
    import numba.core.config, numba.core.typing.cffi_utils
    import yaml  # blocked only while numba loaded: importable again
    print(json.dumps({"before": before, "loaded": loaded, "colours": numba.core.config.COLOR_SCHEME,
                      "cffi": numba.core.typing.cffi_utils.SUPPORTED, "yaml": yaml.__name__}))
    """
)


def _lean(cwd: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", LEAN], capture_output=True, text=True, check=True, cwd=cwd
    ).stdout
    return dict(json.loads(out.splitlines()[-1]))


def test_lean_kernels_load_numba_without_yaml_and_cffi_but_read_a_numba_config(tmp_path: Path) -> None:
    """``lucidscore train`` builds its options from ScorecardParams without numba, then loads numba on its
    second thread, lean: without PyYAML (no configuration file to read) and cffi."""
    seen = _lean(tmp_path)
    assert seen["before"] is False
    assert seen["loaded"] == {"numba": True, "yaml": False, "cffi": False, "pycparser": False}
    assert seen["cffi"] is False and seen["yaml"] == "yaml"
    # With a .numba_config.yaml in the working directory numba still reads it (with PyYAML).
    (tmp_path / ".numba_config.yaml").write_text("color_scheme: light_bg\n")  # changes no compiled code
    configured = _lean(tmp_path)
    assert configured["loaded"] == {"numba": True, "yaml": True, "cffi": False, "pycparser": False}
    assert configured["colours"] == "light_bg" and seen["colours"] != "light_bg"


def test_lean_kernels_fit_the_same_model() -> None:
    code = textwrap.dedent(
        """
        import sys
        import numpy as np, pandas as pd
        from lucidscore.model import load_kernels
        if sys.argv[1] == "lean":
            load_kernels(lean=True)
        from lucidscore.model import Scorecard
        rng = np.random.default_rng(3)
        frame = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.integers(0, 5, 3000)})
        y = (rng.random(3000) < 1 / (1 + np.exp(-(frame["a"].to_numpy() - 1.5)))).astype(int)
        art = Scorecard().fit(frame, y).artifact_
        print(art.model_copy(update={"created_at": None, "model_id": ""}).canonical_json())
        """
    )
    got = [
        subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, check=True).stdout
        for how in ("lean", "plain")
    ]
    assert got[0] == got[1] and got[0].startswith("{")
