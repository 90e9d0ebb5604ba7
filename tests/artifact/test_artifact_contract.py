"""The model artifact: JSON round trip, content hash, and refusal of edited or truncated files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lucidscore.artifact import (
    Bin,
    Characteristic,
    Condition,
    ScorecardArtifact,
    ScoreProbability,
    Segment,
    load_artifact,
    parse_artifact,
)
from lucidscore.errors import ModelFileError, PolicyViolation
from tests.api._world import tiny_artifact


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


def _declared(name: str, **fields: object) -> Characteristic:
    return _char(name).model_copy(update=fields)


def test_a_file_written_before_declarations_loads_and_keeps_its_hash(tmp_path: Path) -> None:
    """Issue 10 added optional fields to each characteristic; a model file without them (every file written
    before) still loads, hashes as written and is written back byte for byte."""
    path = make_artifact().save(tmp_path / "m.json")
    text = path.read_text()
    for key in ("advice", "unit", "code", "statement", "adverse_action", "missing_means"):
        assert f'"{key}"' not in text  # left out at their defaults
    loaded = load_artifact(path)
    assert loaded.save(tmp_path / "again.json").read_text() == text
    char = loaded.segments[0].characteristics[0]
    assert (char.advice_direction, char.unit, char.reason_code) == ("none", "number", "late")
    assert char.adverse_action_text == "late description"


def test_declarations_round_trip_and_are_covered_by_the_hash(tmp_path: Path) -> None:
    char = _declared(
        "late", advice="lower", actionable=True, unit="months", code="L01",
        statement="You were {value} late; {better} scores higher.", adverse_action="Late payments",
        missing_means="no payments due",
    )  # fmt: skip
    art = make_artifact()
    segments = [s.model_copy(update={"characteristics": [char]}) for s in art.segments]
    path = art.model_copy(update={"segments": segments}).save(tmp_path / "m.json")
    loaded = load_artifact(path).segments[1].characteristics[0]
    assert (loaded.advice, loaded.unit, loaded.code, loaded.missing_means) == (
        "lower",
        "months",
        "L01",
        "no payments due",
    )
    data = json.loads(path.read_text())
    data["segments"][1]["characteristics"][0]["advice"] = "higher"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="was edited after training"):
        load_artifact(path)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"advice": "lower"}, r"actionable is False but advice is 'lower'"),
        ({"advice": "none", "actionable": True}, r"actionable is True but advice is 'none'"),
        ({"statement": "You: {amount}"}, r"statement uses \{amount\}"),
        ({"code": "has space"}, r"code 'has space' must be"),
        ({"unit": "euros"}, r"unit"),
    ],
)
def test_declaration_problems_are_named(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Characteristic.model_validate({**_char("late").model_dump(), **fields})


def test_two_characteristics_cannot_share_a_reason_code() -> None:
    art = make_artifact()
    thick = art.segments[1].model_copy(
        update={"characteristics": [_declared("late", code="X1"), _declared("other", code="X1")]}
    )
    with pytest.raises(ValueError, match=r"reason code 'X1' is declared for both 'late' and 'other'"):
        ScorecardArtifact.model_validate({**art.model_dump(), "segments": [art.segments[0], thick]})


def _leaves(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [path]


SIGNED = tiny_artifact().with_hash().model_dump(mode="json")
FIELDS = [p for p in _leaves(SIGNED) if p != ("content_hash",)]


@st.composite
def one_field_edited(draw: st.DrawFn) -> tuple[tuple[str | int, ...], dict[str, Any]]:
    """The model file with one field (any: points, bin edges, reason texts, advice direction, scaling…)
    given another value of its type, or of another type."""
    path = draw(st.sampled_from(FIELDS))
    data = copy.deepcopy(SIGNED)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    old = parent[path[-1]]
    new = draw(
        st.one_of(
            st.integers(-1000, 1000),
            st.floats(-1e6, 1e6, allow_nan=False),
            st.text(max_size=20),
            st.booleans(),
            st.none(),
        ).filter(lambda v: v != old)  # (0, 0.0 and False are one value: the content is unchanged)
    )
    parent[path[-1]] = new
    return path, data


@given(one_field_edited())
def test_a_model_file_edited_in_any_field_is_refused(
    case: tuple[tuple[str | int, ...], dict[str, Any]],
) -> None:
    """Forgery: whatever field of a finished model file is changed, and to whatever value, loading it is
    refused with one error naming the file (the hash, or the schema when the value is not even valid)."""
    field, data = case
    with pytest.raises((ModelFileError, PolicyViolation), match=r"^m\.json[: ]"):
        parse_artifact(json.dumps(data), "m.json")
    assert field != ("content_hash",)


@pytest.mark.parametrize(
    ("name", "what"), [("性别", "sex"), ("Âge", "age"), ("ѕех", "sex"), ("nEt_wOrTh_RaZa", "race")]
)
def test_a_rehashed_model_file_cannot_bring_in_a_protected_input_by_another_spelling(
    tmp_path: Path, name: str, what: str
) -> None:
    """A forger renames the card's input to a protected attribute in another script or spelling and
    recomputes the hash: the file is refused at load, as every door loads it (SPEC section 2)."""
    art = make_artifact()
    segments = [
        s.model_copy(
            update={"characteristics": [c.model_copy(update={"name": name}) for c in s.characteristics]}
        )
        for s in art.segments
    ]
    forged = art.model_copy(update={"segments": segments, "input_columns": [name, "n_accounts"]})
    path = forged.save(tmp_path / "m.json")
    with pytest.raises(
        PolicyViolation, match=rf"m\.json \(model sc-test\): .*column {name}: protected attribute \({what}"
    ):
        load_artifact(path)
