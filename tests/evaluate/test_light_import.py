"""``lucidscore monitor`` (a drift report) reads the evaluate package but never fits a model: scikit-learn
(about 2 CPU-s to import) and SciPy's sparse and stats modules load only where a fit or the joint proxy
screen needs them."""

from __future__ import annotations

import json
import subprocess
import sys


def test_the_evaluate_package_loads_without_scikit_learn() -> None:
    code = (
        "import sys, json\n"
        "import lucidscore.evaluate as e\n"
        "assert callable(e.drift_report) and callable(e.lda_search) and callable(e.joint_proxy_table)\n"
        "heavy = ('sklearn', 'scipy.sparse', 'scipy.stats')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
