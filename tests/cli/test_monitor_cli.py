"""`lucidscore monitor`: a shifted characteristic is flagged; drift.html and drift.json are written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app
from lucidscore.errors import InputError, ModelFileError
from tests.evaluate.factory import make_artifact, make_frame
from tests.evaluate.test_report_interactions import _with_grids

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("monitor")
    model = make_artifact(make_frame(3000, seed=0)).save(d / "model.json")
    make_frame(3000, seed=1).to_parquet(d / "jan.parquet", index=False)
    make_frame(3000, seed=2).to_csv(d / "feb.csv", index=False)
    make_frame(3000, seed=3, utilisation_shift=0.35).to_parquet(d / "jun.parquet", index=False)
    return {"model": model, "jan": d / "jan.parquet", "feb": d / "feb.csv", "jun": d / "jun.parquet"}


def test_shifted_characteristic_is_flagged(files: dict[str, Path], tmp_path: Path) -> None:
    report = tmp_path / "drift.html"
    result = runner.invoke(
        app,
        [
            "monitor",
            str(files["model"]),
            "--baseline",
            str(files["jan"]),
            "--current",
            str(files["jun"]),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    drift = json.loads((tmp_path / "drift.json").read_text("utf-8"))
    assert drift["kind"] == "lucidscore.drift"
    assert drift["flagged"] == ["utilisation"]
    by_name = {c["characteristic"]: c for c in drift["characteristics"]}
    assert by_name["utilisation"]["flag"] == "shifted"
    assert by_name["utilisation"]["csi"] >= 0.25
    assert by_name["months_late"]["flag"] == "stable"
    assert drift["score"]["psi"] > 0.1
    assert "utilisation (all): CSI" in result.output and "(shifted)" in result.output
    html = report.read_text("utf-8")
    assert 'id="plot-csi"' in html and 'id="plot-score-shift"' in html


def test_same_population_is_stable(files: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "monitor",
            str(files["model"]),
            "--baseline",
            str(files["jan"]),
            "--current",
            str(files["feb"]),
            "--report",
            str(tmp_path / "d.html"),
            "--json",
            str(tmp_path / "d.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    drift = json.loads((tmp_path / "d.json").read_text("utf-8"))
    assert drift["flagged"] == []
    assert drift["score"]["flag"] == "stable"
    assert "no characteristic reached CSI 0.1" in result.output


def test_missing_input_column_and_bad_model_are_clear_errors(files: dict[str, Path], tmp_path: Path) -> None:
    lacking = tmp_path / "lacking.csv"
    make_frame(100).drop(columns=["utilisation"]).to_csv(lacking, index=False)
    result = runner.invoke(
        app, ["monitor", str(files["model"]), "--baseline", str(files["jan"]), "--current", str(lacking)]
    )
    assert result.exit_code != 0
    with pytest.raises(InputError, match=r"lacking.csv: missing model input column\(s\) utilisation"):
        raise result.exception  # type: ignore[misc]
    result = runner.invoke(
        app,
        ["monitor", str(tmp_path / "nope.json"), "--baseline", str(files["jan"]), "--current", str(lacking)],
    )
    with pytest.raises(ModelFileError, match=r"nope.json: no such model file"):
        raise result.exception  # type: ignore[misc]


def test_a_grid_whose_characteristics_move_together_is_printed(
    files: dict[str, Path], tmp_path: Path
) -> None:
    # The same rows with utilisation and months_late paired anew (high with high): neither column's
    # distribution changes, the grid's cells do.
    model = _with_grids(make_artifact(make_frame(3000, seed=0))).save(tmp_path / "grids.json")
    jan = pd.read_parquet(files["jan"])
    jun = jan.copy()
    by_utilisation = np.argsort(jun["utilisation"].fillna(-1.0).to_numpy(), kind="stable")
    jun.loc[jun.index[by_utilisation], "months_late"] = np.sort(jun["months_late"].to_numpy())
    jun.to_parquet(tmp_path / "jun.parquet", index=False)
    args = ["monitor", str(model), "--baseline", str(files["jan"]), "--report", str(tmp_path / "d.html")]
    result = runner.invoke(app, [*args, "--current", str(tmp_path / "jun.parquet")])
    assert result.exit_code == 0, result.output
    assert "no characteristic reached CSI 0.1" in result.output
    assert "utilisation x months_late (all): grid PSI " in result.output and "(shifted)" in result.output
    drift = json.loads((tmp_path / "d.json").read_text("utf-8"))
    assert drift["flagged"] == [] and drift["interactions"][0]["flag"] == "shifted"
    result = runner.invoke(app, [*args, "--current", str(files["feb"])])
    assert "no interaction grid reached PSI 0.1" in result.output
