"""End to end on the public data sets: A1's train_scorecard -> model file -> every scoring path agrees."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lucidscore.artifact import Characteristic, ScorecardArtifact, load_artifact
from lucidscore.cli.main import app
from lucidscore.model import train_scorecard
from lucidscore.score import explain_frame, score_file, score_frame, to_sql

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SETS = {
    "german": (
        "german_credit.data",
        "CLASSIFICATION",
        ["PERSONAL_STATUS_AND_SEX", "AGE", "FOREIGN"],
        {"bad_value": 0},
    ),
    "taiwan": ("taiwan_default.csv", "default", ["SEX", "EDUCATION", "MARRIAGE", "AGE"], {}),
}


def read(name: str) -> pd.DataFrame:
    path = DATA / SETS[name][0]
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is required on CI (see ../shared/data/README.md)")
        pytest.skip(f"{path} not found: the public data sets live in ../shared/data next to the repository")
    return pd.read_csv(path, sep=r"\s+" if path.suffix == ".data" else ",")


@pytest.fixture(scope="module", params=list(SETS))
def trained(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, pd.DataFrame]:
    name = request.param
    frame = read(name)
    _, target, audit, extra = SETS[name]
    art = train_scorecard(frame, target, test_size=0.3, seed=0, audit_columns=audit, **extra)
    path = art.save(tmp_path_factory.mktemp(name) / "model.json")
    return name, path, frame


def test_file_engine_sql_and_frame_agree(trained: tuple[str, Path, pd.DataFrame], tmp_path: Path) -> None:
    name, model, frame = trained
    art = load_artifact(model)
    direct = score_frame(art, frame, reasons=4)
    assert direct["score"].between(350, 950).all() and direct["score"].nunique() > 20
    data = tmp_path / "data.parquet"
    frame.to_parquet(data)
    summary = score_file(model, data, tmp_path / "scores.parquet", reasons=4, progress=False)
    scored = pd.read_parquet(tmp_path / "scores.parquet")
    assert scored["score"].tolist() == direct["score"].tolist()
    assert scored["reason_1"].astype(object).fillna("").tolist() == direct["reason_1"].fillna("").tolist()
    assert set(SETS[name][2]) <= set(summary.extra_columns)  # audit columns are not read by the model
    # The command, on the original file (CSV, or space separated for the German data).
    out = tmp_path / "cli.parquet"
    args = [
        "score",
        str(model),
        str(DATA / SETS[name][0]),
        "--reasons",
        "4",
        "--out",
        str(out),
        "--no-progress",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{len(frame):,} rows scored (local)" in result.output
    assert pd.read_parquet(out)["score"].tolist() == direct["score"].tolist()
    with sqlite3.connect(":memory:") as con:
        frame.to_sql("input", con, index=False)
        sql = pd.read_sql_query(to_sql(art), con)
    assert sql["score"].tolist() == direct["score"].tolist()


def test_reasons_name_real_characteristics(trained: tuple[str, Path, pd.DataFrame]) -> None:
    _, model, frame = trained
    art = load_artifact(model)
    names = {c.description for s in art.segments for c in s.characteristics}
    first = score_frame(art, frame.head(200), reasons=4)["reason_1"].dropna()
    assert len(first) > 0
    assert all(text.split(":")[0] in names for text in first)


def _advised(art: ScorecardArtifact) -> ScorecardArtifact:
    """Every numeric characteristic advised the way its card scores better (lowest vs highest interval)."""

    def direction(c: Characteristic) -> str:
        intervals = sorted(
            (b for b in c.bins if b.kind == "interval"), key=lambda b: -np.inf if b.lower is None else b.lower
        )
        if c.dtype != "numeric" or intervals[0].points == intervals[-1].points:
            return "none"
        return "lower" if intervals[0].points > intervals[-1].points else "higher"

    segs = [
        s.model_copy(
            update={
                "characteristics": [
                    c.model_copy(update={"advice": direction(c), "actionable": direction(c) != "none"})
                    for c in s.characteristics
                ]
            }
        )
        for s in art.segments
    ]
    return art.model_copy(update={"segments": segs})


def test_recourse_on_a_trained_model_rescores_as_claimed(trained: tuple[str, Path, pd.DataFrame]) -> None:
    _, model, frame = trained
    art = _advised(load_artifact(model))
    rows = frame.head(100).reset_index(drop=True)
    checked = 0
    for e in explain_frame(art, rows):
        if not e.recourse.changes:
            continue
        changed = rows.iloc[[e.row]].copy()
        for change in e.recourse.changes:
            now = float(changed[change.characteristic].iloc[0])
            assert change.to_value is not None
            assert (change.to_value < now) if change.direction == "lower" else (change.to_value > now)
            changed[change.characteristic] = changed[change.characteristic].astype(object)
            changed.iloc[0, changed.columns.get_loc(change.characteristic)] = change.to_value
        rescored = int(score_frame(art, changed)["score"].iloc[0])
        assert rescored == e.recourse.new_score
        assert e.recourse.target_score is not None and rescored >= e.recourse.target_score
        checked += 1
    assert checked > 5
