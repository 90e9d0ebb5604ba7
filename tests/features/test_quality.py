"""A scorecard trained on the features of the synthetic population lands where real scorecards do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lucidscore.features import compute_features, write_features
from lucidscore.model import train_scorecard
from lucidscore.tabular import read_table


@pytest.mark.slow
def test_scorecard_test_auc_is_between_070_and_085(tmp_path: Path) -> None:
    from lucidscore.synth import generate_population

    data = generate_population(20_000, seed=7, out_dir=tmp_path / "data")
    path = write_features(compute_features(data.out_dir, date(2025, 6, 30)), tmp_path / "features.parquet")
    frame = read_table(path).drop(columns=["consumer_id"])
    artifact = train_scorecard(frame, "bad", test_size=0.3, seed=0)
    auc = artifact.training["metrics"]["test_auc"]
    assert 0.70 <= auc <= 0.85, auc
