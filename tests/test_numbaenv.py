"""``lucidscore.numbaenv``: a process that scores never imports SciPy's linalg for numba's BLAS check (a
third of a second of every ``score``, ``publish`` and ``serve`` process), and numba still gives the same
scores and still finds BLAS when other code asks for it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCORE_ONCE = textwrap.dedent(
    """
    import json, sys
    from tests.evaluate.factory import make_artifact, make_frame
    from lucidscore.score import score_frame
    frame = make_frame()
    scored = score_frame(make_artifact(), frame.drop(columns=["default"]), reasons=2)
    linalg_after_scoring = "scipy.linalg" in sys.modules
    import numba.np.linalg as nl, numba.np.arraymath as am
    nl.ensure_blas()  # the real check, for code that does call BLAS: finds it (imports scipy.linalg)
    print(json.dumps({"linalg": linalg_after_scoring, "blas": bool(am._HAVE_BLAS),
                      "scores": scored["score"].tolist()[:50], "rows": len(scored)}))
    """
)


def test_scoring_loads_no_scipy_linalg_and_blas_is_still_found() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCORE_ONCE], capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen["linalg"] is False
    assert seen["blas"] is True
    assert seen["rows"] > 0

    from lucidscore.score import score_frame
    from tests.evaluate.factory import make_artifact, make_frame

    frame = make_frame()  # the scores this process gives
    assert (
        seen["scores"] == score_frame(make_artifact(), frame.drop(columns=["default"]))["score"].tolist()[:50]
    )
