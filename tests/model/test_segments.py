"""``--segment-by`` on a column whose every value gets a card of its own (a 0/1 flag like ``thin_file``):
no default card that scores nobody, the artifact contract holds, and every row scores, including values
never seen in training and missing values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lucidscore.artifact import load_artifact, reference_scores
from lucidscore.cli.main import app
from lucidscore.model import Scorecard, train_scorecard
from tests.model._sim import credit_table

runner = CliRunner(env={"COLUMNS": "200"})


def _with_flag(n: int = 6000) -> pd.DataFrame:
    table = credit_table(n)
    table["thin_file"] = (np.random.default_rng(1).random(n) < 0.4).astype(np.int8)
    return table


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return _with_flag()


@pytest.mark.parametrize(
    ("as_type", "thin", "thick"),
    [
        (lambda f: f, "thin_file==1", "thin_file==0"),
        (lambda f: f.astype(bool), "thin_file==1", "thin_file==0"),
        (lambda f: np.where(f == 1, "thin", "thick"), "thin_file==thin", "thin_file==thick"),
    ],
    ids=["int8", "bool", "text"],
)
def test_every_value_with_a_card_leaves_no_empty_default(
    table: pd.DataFrame, as_type: object, thin: str, thick: str, tmp_path: Path
) -> None:
    X = table.drop(columns=["bad"]).assign(thin_file=as_type(table["thin_file"]))  # type: ignore[operator]
    card = Scorecard(segment_by="thin_file").fit(X, table["bad"])
    segs = card.artifact_.segments
    # The largest value's card is the default; the other value keeps its condition.
    assert [s.name for s in segs] == [thin, f"{thick} (default)"]
    assert segs[0].condition is not None and segs[-1].condition is None
    assert segs[0].n_train == int((table["thin_file"] == 1).sum())
    assert segs[-1].n_train == int((table["thin_file"] == 0).sum())
    assert sum(s.n_train for s in segs) == len(table)
    assert all("train_auc" in s.metrics for s in segs)  # every card scores training rows
    assert any("every training row has a card of its own value" in n for n in card.notes_)
    out = card.score_table(X)
    assert out["segment"].value_counts().to_dict() == {s.name: s.n_train for s in segs}
    loaded = load_artifact(card.artifact_.save(tmp_path / "model.json"))
    assert (reference_scores(loaded.segments, X) == out["score"].to_numpy()).all()


def test_unseen_and_missing_values_score_on_the_default_card(table: pd.DataFrame) -> None:
    X = table.drop(columns=["bad"])
    card = Scorecard(segment_by="thin_file").fit(X, table["bad"])
    default = card.artifact_.segments[-1]
    thick = X[X["thin_file"] == 0].head(20).reset_index(drop=True)
    odd = pd.concat([thick.assign(thin_file=7.0), thick.assign(thin_file=np.nan)], ignore_index=True)
    out = card.score_table(odd, reasons=2)
    assert (out["segment"] == default.name).all()
    expected = card.score_table(thick)["score"].to_numpy()
    assert (out["score"].to_numpy() == np.concatenate([expected, expected])).all()
    assert (out["score"].to_numpy() == reference_scores(card.artifact_.segments, odd)).all()
    assert len(card.explain(odd)) == len(odd)


def test_train_scorecard_with_a_test_split(table: pd.DataFrame) -> None:
    art = train_scorecard(table, "bad", segment_by="thin_file", test_size=0.3, seed=2)
    assert [s.condition is None for s in art.segments] == [False, True]
    assert all({"train_auc", "test_auc"} <= s.metrics.keys() for s in art.segments)
    assert sum(s.n_train for s in art.segments) == art.training["split"]["train_rows"]


def test_train_and_score_cli_with_segment_by(table: pd.DataFrame, tmp_path: Path) -> None:
    data, model, scores = tmp_path / "train.parquet", tmp_path / "model.json", tmp_path / "scores.parquet"
    table.to_parquet(data)
    result = runner.invoke(
        app,
        ["train", str(data), "--target", "bad", "--segment-by", "thin_file", "--test-size", "0.3",
         "--out", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    art = load_artifact(model)
    assert [s.name for s in art.segments] == ["thin_file==1", "thin_file==0 (default)"]
    assert "segment thin_file==0 (default)" in result.output
    new = table.head(30).drop(columns=["bad"]).assign(thin_file=[0, 1, 5] * 10)
    new.loc[[0, 1], "thin_file"] = np.nan
    new.to_parquet(tmp_path / "new.parquet")
    result = runner.invoke(app, ["score", str(model), str(tmp_path / "new.parquet"), "--out", str(scores)])
    assert result.exit_code == 0, result.output
    out = pd.read_parquet(scores)
    assert len(out) == 30 and out["score"].between(350, 950).all()
    expected = np.where(new["thin_file"] == 1, "thin_file==1", "thin_file==0 (default)")
    assert (out["segment"].to_numpy() == expected).all()
    assert out["segment"].value_counts()["thin_file==0 (default)"] == 21  # 0, unseen 5 and missing
