"""`train --test-size` keeps its held-out rows next to the model, and `evaluate` says how many of the rows
it is given trained the model and labels its figures held-out or in-sample (issue 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from lucidscore.artifact import load_artifact
from lucidscore.cli.main import app
from lucidscore.policy import FEATURE_META_KEY, FeatureMeta
from tests.evaluate.factory import shared_data
from tests.model._sim import credit_table

runner = CliRunner(env={"COLUMNS": "200"})
FAST = ["--no-segment-search", "--no-shape-search"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("heldout")
    data = d / "credit.csv"
    credit_table(4000, seed=11).rename_axis("row_id").reset_index().to_csv(data, index=False)
    model = d / "card.json"
    result = runner.invoke(
        app,
        ["train", str(data), "--target", "bad", "--exclude", "row_id", "--test-size", "0.3",
         "--out", str(model), *FAST],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"dir": d, "data": data, "model": model, "output": result.output}


def _evaluate(model: Path, data: Path, report: Path) -> tuple[str, dict[str, object]]:
    result = runner.invoke(
        app, ["evaluate", str(model), str(data), "--report", str(report), "--resamples", "20"]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output, json.loads(report.with_suffix(".json").read_text("utf-8"))


def test_train_writes_the_held_out_rows_next_to_the_model_and_says_so(trained: dict[str, object]) -> None:
    model, out = Path(str(trained["model"])), str(trained["output"])
    heldout = model.with_name("card.heldout.parquet")
    rows = pd.read_parquet(heldout)
    data = pd.read_csv(Path(str(trained["data"])))
    assert list(rows.columns) == list(data.columns) and len(rows) == 1200  # every column, 30%
    art = load_artifact(model)
    assert art.training["split"]["heldout_file"] == "card.heldout.parquet"
    assert art.fingerprint is not None and art.fingerprint.rows == 2800
    assert f"held-out rows (1,200, every column) written to {heldout}" in out.replace("\n", " ")


def test_train_warns_of_every_undeclared_characteristic(trained: dict[str, object]) -> None:
    art = load_artifact(Path(str(trained["model"])))
    out = " ".join(str(trained["output"]).split())
    assert art.undeclared
    assert f"warning: {len(art.undeclared)} characteristic(s) are undeclared" in out
    assert ", ".join(art.undeclared) in out
    assert "the service will not register, activate or publish scores with this model" in out


def test_declared_features_train_a_model_without_the_warning(tmp_path: Path) -> None:
    """Parquet written with each column's declaration (as `lucidscore features` writes it)."""
    frame = credit_table(3000, seed=12)
    meta = [
        FeatureMeta(name, "credit_history", f"What {name} means, in plain words").to_dict()
        for name in frame.columns
        if name != "bad"
    ]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), FEATURE_META_KEY: json.dumps(meta)}
    )
    pq.write_table(table, tmp_path / "f.parquet")
    result = runner.invoke(
        app,
        ["train", str(tmp_path / "f.parquet"), "--target", "bad", "--out", str(tmp_path / "m.json"), *FAST],
    )
    assert result.exit_code == 0, result.output
    art = load_artifact(tmp_path / "m.json")
    assert art.undeclared == [] and "undeclared" not in result.output
    chars = [c for s in art.segments for c in s.characteristics]
    assert chars and all(
        c.declared and c.description == f"What {c.name} means, in plain words" for c in chars
    )


def test_evaluate_on_the_training_file_says_it_is_mostly_in_sample(
    trained: dict[str, object], tmp_path: Path
) -> None:
    out, report = _evaluate(Path(str(trained["model"])), Path(str(trained["data"])), tmp_path / "all.html")
    rows = report["training_rows"]
    assert rows["label"] == "in-sample" and report["discrimination"]["label"] == "in-sample"
    assert rows["low"] <= 2800 <= rows["high"] and rows["rows"] == 4000
    assert re.search(r"About 2,[78]\d\d of the 4,000 rows of \S+credit.csv \(70\.\d%; 95% interval", out)
    assert "the figures on them are in-sample, and optimistic" in out
    assert "card.heldout.parquet" in out  # where the held-out rows are
    assert re.search(r"^AUC \(in-sample\) 0\.\d{4}", out, re.M)
    page = (tmp_path / "all.html").read_text("utf-8")
    assert "AUC (in-sample)" in page and "Metrics (in-sample)" in page and "(test)" not in page
    assert report["model_card"]["metrics"]["label"] == "in-sample"
    assert rows["statement"] in report["model_card"]["limitations"]


def test_evaluate_on_the_held_out_rows_says_they_are_held_out(
    trained: dict[str, object], tmp_path: Path
) -> None:
    heldout = Path(str(trained["model"])).with_name("card.heldout.parquet")
    out, report = _evaluate(Path(str(trained["model"])), heldout, tmp_path / "held.html")
    rows = report["training_rows"]
    assert rows["label"] == "held-out" and rows["high"] < 12  # under 1% of 1,200 rows
    assert re.search(r"^AUC \(held-out\) 0\.\d{4}", out, re.M)
    page = (tmp_path / "held.html").read_text("utf-8")
    assert "AUC (held-out)" in page and "in-sample" not in page.split('id="training-rows"')[1][:400]
    # The held-out figures are the ones train printed for its test split.
    art = load_artifact(Path(str(trained["model"])))
    assert report["discrimination"]["evaluated"]["auc"] == pytest.approx(art.training["metrics"]["test_auc"])


def test_train_refuses_to_write_the_held_out_rows_over_its_data(tmp_path: Path) -> None:
    data = tmp_path / "m.heldout.parquet"
    credit_table(500).to_parquet(data, index=False)
    result = runner.invoke(
        app, ["train", str(data), "--target", "bad", "--test-size", "0.3", "--out", str(tmp_path / "m.json")]
    )
    assert result.exit_code != 0
    assert "the held-out rows would be written to" in str(result.exception)
    assert len(pd.read_parquet(data)) == 500


@pytest.mark.slow
def test_taiwan_whole_file_is_70_percent_in_sample_and_the_held_out_file_none(tmp_path: Path) -> None:
    """The README's steps: train with --test-size 0.3, then evaluate on the whole file and on the
    held-out rows."""
    taiwan = shared_data("taiwan_default.csv")
    model = tmp_path / "model.json"
    result = runner.invoke(
        app,
        ["train", str(taiwan), "--target", "default", "--audit-columns", "SEX,EDUCATION,MARRIAGE,AGE",
         "--test-size", "0.3", "--seed", "0", "--out", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out, whole = _evaluate(model, taiwan, tmp_path / "whole.html")
    share = whole["training_rows"]["share"]
    assert whole["training_rows"]["label"] == "in-sample" and 0.69 < share < 0.71
    assert "AUC (in-sample)" in out
    out, held = _evaluate(model, tmp_path / "model.heldout.parquet", tmp_path / "held.html")
    assert held["training_rows"]["label"] == "held-out" and held["training_rows"]["share"] < 0.01
    assert "AUC (held-out)" in out
    assert held["discrimination"]["evaluated"]["auc"] < whole["discrimination"]["evaluated"]["auc"]
