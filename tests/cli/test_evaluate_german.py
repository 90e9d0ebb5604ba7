"""German credit (1 = good, 0 = bad): `evaluate` takes the bad value the model was trained with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app
from lucidscore.tabular import read_table
from tests.evaluate.factory import shared_data

runner = CliRunner()
AUDIT = "PERSONAL_STATUS_AND_SEX,AGE,FOREIGN"


@pytest.mark.slow
def test_train_with_bad_value_then_evaluate_without_repeating_it(tmp_path: Path) -> None:
    frame = read_table(shared_data("german_credit.data"))
    train = frame.groupby("CLASSIFICATION", group_keys=False).sample(frac=0.7, random_state=0)
    train.to_csv(tmp_path / "train.csv", index=False)
    frame.drop(train.index).to_csv(tmp_path / "test.csv", index=False)
    result = runner.invoke(
        app,
        [
            "train",
            str(tmp_path / "train.csv"),
            "--target",
            "CLASSIFICATION",
            "--bad-value",
            "0",
            "--audit-columns",
            AUDIT,
            "--out",
            str(tmp_path / "model.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        [
            "evaluate",
            str(tmp_path / "model.json"),
            str(tmp_path / "test.csv"),
            "--audit-columns",
            AUDIT,
            "--cutoff",
            "550",
            "--resamples",
            "100",
            "--report",
            str(tmp_path / "german.html"),
        ],
    )
    assert result.exit_code == 0, (result.output, result.exception)
    data = json.loads((tmp_path / "german.json").read_text("utf-8"))
    assert float(data["data"]["bad_value"]) == 0.0
    assert data["data"]["bad_rate"] == pytest.approx(0.3, abs=0.01)  # 300 of 1,000 are bad
    assert 0.7 < data["discrimination"]["evaluated"]["auc"] < 0.9
    groups = {a: [g["group"] for g in e["groups"]] for a, e in data["fairness"]["attributes"].items()}
    assert groups["FOREIGN"] == ["A201", "A202"]
    assert groups["AGE"] == ["<25", "25–34", "35–44", "45–54", "55+"]
    assert set(groups["PERSONAL_STATUS_AND_SEX"]) <= {"A91", "A92", "A93", "A94", "A95"}
