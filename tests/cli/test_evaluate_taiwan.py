"""End to end on the public Taiwan data: `lucidscore train`, then `lucidscore evaluate` with an audit."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app
from tests.evaluate.factory import shared_data

runner = CliRunner()


@pytest.mark.slow
def test_train_then_evaluate_with_audit_file_joined_by_key(tmp_path: Path) -> None:
    frame = pd.read_csv(shared_data("taiwan_default.csv")).rename_axis("row_id").reset_index()
    train = frame.groupby("default", group_keys=False).sample(frac=0.2, random_state=0)
    test = frame.drop(train.index).groupby("default", group_keys=False).sample(frac=0.1, random_state=1)
    train.to_parquet(tmp_path / "train.parquet", index=False)
    # The evaluated table carries no protected attribute; they come from a separate audit file.
    test.drop(columns=["SEX", "EDUCATION", "MARRIAGE", "AGE"]).to_parquet(
        tmp_path / "test.parquet", index=False
    )
    frame[["row_id", "SEX", "EDUCATION", "MARRIAGE", "AGE"]].to_csv(tmp_path / "audit.csv", index=False)

    result = runner.invoke(
        app,
        [
            "train",
            str(tmp_path / "train.parquet"),
            "--target",
            "default",
            "--exclude",
            "row_id",
            "--audit-columns",
            "SEX,EDUCATION,MARRIAGE,AGE",
            "--out",
            str(tmp_path / "model.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "model.json").read_text("utf-8"))
    assert not {"SEX", "MARRIAGE", "AGE", "row_id"} & set(model["input_columns"])

    report = tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "evaluate",
            str(tmp_path / "model.json"),
            str(tmp_path / "test.parquet"),
            "--target",
            "default",
            "--audit",
            str(tmp_path / "audit.csv"),
            "--audit-key",
            "row_id",
            "--audit-columns",
            "SEX,MARRIAGE,AGE",
            "--cutoff",
            "600",
            "--train",
            str(tmp_path / "train.parquet"),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, (result.output, result.exception)
    data = json.loads(report.with_suffix(".json").read_text("utf-8"))
    disc = data["discrimination"]
    assert 0.70 < disc["evaluated"]["auc"] < 0.85
    assert disc["evaluated"]["ci"]["auc"][0] < disc["evaluated"]["auc"] < disc["evaluated"]["ci"]["auc"][1]
    assert abs(disc["train"]["auc"] - disc["evaluated"]["auc"]) < 0.05
    # The test sample shares no row with the training sample: its figures are held-out, found so from the
    # model's fingerprint although the audit columns come from another file.
    assert data["training_rows"]["label"] == disc["label"] == "held-out"
    assert "AUC (held-out)" in result.output
    assert data["data"]["rows"] == len(test)
    fairness = data["fairness"]["attributes"]
    assert list(fairness) == ["SEX", "MARRIAGE", "AGE"]
    assert [g["group"] for g in fairness["AGE"]["groups"]] == ["<25", "25–34", "35–44", "45–54", "55+"]
    assert [g["group"] for g in fairness["SEX"]["groups"]] == ["1", "2"]
    assert sum(g["rows"] for g in fairness["SEX"]["groups"]) == len(test)  # every row found its audit row
    assert fairness["AGE"]["four_fifths_flagged"]  # the young are approved far less often at 600
    assert {p["attribute"] for p in data["proxies"]} == {"SEX", "MARRIAGE", "AGE"}
    assert len(data["proxies"]) == 3 * len(data["characteristics"])
    assert data["model_card"]["metrics"]["auc"] == disc["evaluated"]["auc"]
    assert "AGE" in " ".join(data["model_card"]["fairness_findings"])
