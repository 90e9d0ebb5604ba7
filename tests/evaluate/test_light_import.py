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


def test_the_lda_search_fits_its_candidates_without_scikit_learn() -> None:
    """Each worker process of ``lucidscore lda --jobs N`` fits every candidate on every fold: through
    ``model.fit_artifact``, the fit ``Scorecard.fit`` runs, without importing scikit-learn in each worker."""
    code = (
        "import sys, json\n"
        "import numpy as np\n"
        "from lucidscore.evaluate._lda_search import _Fitter\n"
        "from tests.model._sim import credit_table\n"
        "t = credit_table(600, seed=4)\n"
        "rows = np.arange(len(t))\n"
        "fitter = _Fitter(t.drop(columns=['bad']), t['bad'], [(rows[rows % 2 == 0], rows[rows % 2 == 1])])\n"
        "scores, used = fitter.oof_scores({'segment_search': False, 'max_bins': 4})\n"
        "print(json.dumps(['sklearn' in sys.modules, int((scores[1::2] > 0).sum()), used]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported, scored, used = json.loads(out.stdout)
    assert not imported
    assert scored == 300 and used  # every held-out row scored by a card that uses characteristics


def test_fit_artifact_is_the_estimators_fit() -> None:
    from lucidscore.model import Scorecard, fit_artifact
    from tests.model._sim import credit_table

    table = credit_table(800, seed=5)
    x, y = table.drop(columns=["bad"]), table["bad"]
    params = {"segment_search": False, "max_bins": 5, "special_values": [-1.0]}
    ours = json.loads(fit_artifact(x, y, **params).model_dump_json())
    theirs = json.loads(Scorecard(**params).fit(x, y).artifact_.model_dump_json())
    for fitted in (ours, theirs):
        fitted.pop("created_at")
        fitted.pop("model_id")
    assert ours == theirs
