"""The model artifact: JSON round trip, content hash, and refusal of edited or truncated files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lucidscore.artifact import (
    Bin,
    Characteristic,
    Condition,
    ScorecardArtifact,
    ScoreProbability,
    Segment,
    load_artifact,
)
from lucidscore.errors import ModelFileError


def _char(name: str) -> Characteristic:
    return Characteristic(
        name=name,
        family="credit_history",
        dtype="numeric",
        description=f"{name} description",
        iv=0.3,
        coefficient=-0.9,
        bins=[
            Bin(kind="interval", upper=1.0, label="< 1", count=60, bad_count=5, woe=0.8, points=30),
            Bin(kind="interval", lower=1.0, label=">= 1", count=40, bad_count=15, woe=-0.7, points=-10),
            Bin(kind="missing", label="missing", count=0, bad_count=0, woe=0.0, points=0),
        ],
    )


def make_artifact() -> ScorecardArtifact:
    thin = Segment(
        name="thin",
        condition=Condition(column="n_accounts", op="<", value=2),
        intercept=-1.0,
        base_points=560,
        characteristics=[_char("late")],
        n_train=100,
        bad_rate=0.2,
    )
    thick = thin.model_copy(update={"name": "thick", "condition": None, "base_points": 600})
    return ScorecardArtifact(
        model_id="sc-test",
        target="bad",
        input_columns=["late", "n_accounts"],
        segments=[thin, thick],
        score_probability=[ScoreProbability(score=600, probability=0.09)],
    )


def test_round_trip_keeps_content_and_hash(tmp_path: Path) -> None:
    art = make_artifact()
    loaded = load_artifact(art.save(tmp_path / "m.json"))
    assert loaded.content_hash.startswith("sha256:")
    assert loaded.canonical_json() == art.canonical_json()
    assert loaded == art.with_hash()


def test_edited_file_is_refused(tmp_path: Path) -> None:
    path = make_artifact().save(tmp_path / "m.json")
    data = json.loads(path.read_text())
    data["segments"][1]["base_points"] = 700
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="was edited after training"):
        load_artifact(path)


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = make_artifact().save(tmp_path / "m.json")
    path.write_text(path.read_text()[:200])
    with pytest.raises(ModelFileError, match=r"not valid JSON .*truncated or edited"):
        load_artifact(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": 99}, "schema_version is 99"),
        ({"kind": "other"}, "not a lucidscore model"),
        ({"segments": []}, "needs at least one segment"),
        ({"target": 5}, "field target: Input should be a valid string"),
    ],
)
def test_schema_problems_are_named(tmp_path: Path, change: dict[str, object], message: str) -> None:
    path = make_artifact().save(tmp_path / "m.json")
    data = json.loads(path.read_text())
    data.update(change)
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match=message):
        load_artifact(path)


def test_default_segment_must_be_last() -> None:
    art = make_artifact()
    with pytest.raises(ValueError, match="exactly one default segment"):
        ScorecardArtifact.model_validate({**art.model_dump(), "segments": list(reversed(art.segments))})


def test_every_characteristic_has_one_missing_bin() -> None:
    bins = _char("x").bins[:2]
    with pytest.raises(ValueError, match="exactly one missing bin"):
        Characteristic(
            name="x",
            family="credit_history",
            dtype="numeric",
            description="x",
            iv=0,
            coefficient=0,
            bins=bins,
        )
