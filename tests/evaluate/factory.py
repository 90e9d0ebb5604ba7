"""A small synthetic population and a scorecard artifact built by hand from it, for evaluate tests.

The artifact follows the contract in ``model/_artifact.py`` (bins with counts, WOE and integer points),
so the evaluate layer can be tested without the trained model of the scorecard engine.
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lucidscore.artifact import (
    Bin,
    Characteristic,
    Condition,
    Scaling,
    ScorecardArtifact,
    ScoreProbability,
    Segment,
)
from lucidscore.evaluate import bin_index
from tests.fixtures.taiwan import TaiwanSample


def make_frame(n: int = 4000, seed: int = 0, utilisation_shift: float = 0.0) -> pd.DataFrame:
    """Rows with three model inputs, two audit columns (SEX, AGE), an id and a 0/1 ``default``."""
    rng = np.random.default_rng(seed)
    age = rng.integers(19, 75, n)
    utilisation = rng.beta(2, 3, n) * 1.2 + utilisation_shift
    utilisation[rng.random(n) < 0.05] = np.nan
    months_late = np.clip(rng.poisson(0.6, n), 0, 6).astype(float)
    months_late[rng.random(n) < 0.03] = -1.0  # bureau code: no history
    own_p = np.clip((age - 19) / 60, 0.05, 0.9)  # older people own more often: housing proxies AGE
    housing = np.where(rng.random(n) < own_p, "own", np.where(rng.random(n) < 0.8, "rent", "free"))
    sex = rng.choice([1, 2], n)
    logit = -2.6 + 1.8 * np.nan_to_num(utilisation, nan=0.5) + 0.55 * np.clip(months_late, 0, None)
    logit += 0.5 * (housing == "rent")
    default = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "utilisation": utilisation,
            "months_late": months_late,
            "housing": housing,
            "SEX": sex,
            "AGE": age,
            "default": default,
        }
    )


def _interval_bins(edges: list[float]) -> list[dict[str, Any]]:
    bounds: list[float | None] = [None, *edges, None]
    out = []
    for lo, hi in itertools.pairwise(bounds):
        label = f"< {hi}" if lo is None else (f">= {lo}" if hi is None else f"{lo} to {hi}")
        out.append({"kind": "interval", "lower": lo, "upper": hi, "label": label})
    return out


SPECS: dict[str, dict[str, Any]] = {
    "utilisation": {
        "family": "fulfilment_capacity",
        "dtype": "numeric",
        "description": "Share of credit limits in use",
        "bins": _interval_bins([0.2, 0.4, 0.6, 0.8]),
    },
    "months_late": {
        "family": "credit_history",
        "dtype": "numeric",
        "description": "Months late on the most recent payment",
        "special_values": [-1.0],
        "bins": [
            *_interval_bins([1.0, 2.0, 3.0]),
            {"kind": "special", "special_value": -1.0, "label": "code -1"},
        ],
    },
    "housing": {
        "family": "stability_identity",
        "dtype": "categorical",
        "description": "Housing status",
        "bins": [
            {"kind": "categories", "categories": ["own"], "label": "own"},
            {"kind": "categories", "categories": ["rent", "free"], "label": "rent, free"},
        ],
    },
}


def _characteristic(name: str, frame: pd.DataFrame, scaling: Scaling) -> Characteristic:
    spec = SPECS[name]
    raw = [*spec["bins"], {"kind": "missing", "label": "missing"}]
    stub = Characteristic(
        name=name,
        family=spec["family"],
        dtype=spec["dtype"],
        description=spec["description"],
        special_values=spec.get("special_values", []),
        iv=0.0,
        coefficient=1.0,
        bins=[Bin(**b, count=0, bad_count=0, woe=0.0, points=0) for b in raw],
    )
    idx = bin_index(stub, frame[name])
    y = frame["default"].to_numpy()
    counts = np.bincount(idx, minlength=len(raw))
    bads = np.bincount(idx, weights=y, minlength=len(raw)).astype(int)
    goods = counts - bads
    g_share = (goods + 0.5) / (goods.sum() + 0.5)
    b_share = (bads + 0.5) / (bads.sum() + 0.5)
    woe = np.log(g_share / b_share)
    iv = float(((g_share - b_share) * woe).sum())
    bins = [
        Bin(
            **b,
            count=int(counts[i]),
            bad_count=int(bads[i]),
            woe=float(woe[i]),
            points=round(scaling.factor * woe[i]),
        )
        for i, b in enumerate(raw)
    ]
    return stub.model_copy(update={"bins": bins, "iv": iv})


def make_artifact(frame: pd.DataFrame | None = None, *, segmented: bool = False) -> ScorecardArtifact:
    """A scorecard on utilisation, months_late and housing, its points fitted by WOE (naive Bayes)."""
    frame = make_frame() if frame is None else frame
    scaling = Scaling()
    bad_rate = float(frame["default"].mean())
    chars = [_characteristic(n, frame, scaling) for n in SPECS]
    base = round(scaling.offset + scaling.factor * math.log((1 - bad_rate) / bad_rate))
    default = Segment(
        name="all" if not segmented else "thick",
        intercept=0.0,
        base_points=base,
        characteristics=chars,
        n_train=len(frame),
        bad_rate=bad_rate,
    )
    segments = [default]
    if segmented:
        thin = Segment(
            name="thin",
            condition=Condition(column="months_late", op="==", value=-1.0),
            intercept=0.0,
            base_points=base - 20,
            characteristics=[chars[0], chars[2]],
            n_train=0,
            bad_rate=bad_rate,
        )
        segments = [thin, default]
    table = [
        ScoreProbability(score=s, probability=float(scaling.probability_from_score(s)))
        for s in range(350, 951, 50)
    ]
    return ScorecardArtifact(
        model_id="sc-test-0001",
        target="default",
        input_columns=list(SPECS),
        audit_columns=["SEX", "AGE"],
        scaling=scaling,
        segments=segments,
        score_probability=table,
        training={"rows": len(frame), "bad_rate": bad_rate, "source": "tests.evaluate.factory"},
    ).with_hash()


DATA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def shared_data(name: str) -> Path:
    """A public data set from ../shared/data; skipped when absent, except on CI where it must exist."""
    path = DATA_DIR / name
    if not path.is_file():
        message = f"{path} not found: the public data sets live in ../shared/data next to the repository"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def taiwan_model_and_test(tmp_path: Path, sample: TaiwanSample) -> tuple[Path, pd.DataFrame]:
    """The real scorecard trained on a stratified 20% of taiwan_default.csv (the session's ``taiwan_sample``
    fixture), saved into ``tmp_path``; and a 10% test sample of the other rows.

    The test sample keeps the original row number in ``row_id`` so a separate audit file can be joined.
    """
    rest = sample.frame.drop(sample.train.index)
    test = rest.groupby("default", group_keys=False).sample(frac=0.1, random_state=1)
    path = sample.card.save(tmp_path / "model.json")
    return path, test.reset_index(drop=True)


def json_value(report: dict[str, Any], key: str) -> Any:
    """The value at a "/"-separated path of a report dict (list positions as numbers)."""
    node: Any = report
    for part in key.split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def assert_figure_matches(report: dict[str, Any], key: str, text: str, digits: int, pct: bool) -> None:
    """A figure shown in the page equals report.json at ``key`` to the digits shown."""
    value = json_value(report, key)
    assert value is not None, key
    shown = float(text.rstrip("%"))
    expected = float(value) * (100 if pct else 1)
    assert text.endswith("%") == pct, (key, text)
    assert abs(shown - expected) <= 0.5 * 10**-digits + 1e-9, (key, text, value)
