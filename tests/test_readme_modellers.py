"""The README's section for risk modellers runs as written (issue 12), in a fresh clone-like folder of its
own: it reads only ../shared/data and what it writes itself, and no later section reads what it wrote, so
it runs beside tests/test_readme.py (the set-up and the later sections) instead of before them on the same
worker. How the blocks are run: tests/_readme.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._readme import MODELLERS, run_section, sandbox


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a bound against a hang, not a speed goal
def test_the_risk_modellers_section_runs_as_written(tmp_path: Path) -> None:
    project, env = sandbox(tmp_path)
    ran = run_section(MODELLERS, project, env)
    assert ran >= 7  # train, score, two exports, evaluate, lda; the Python snippet
