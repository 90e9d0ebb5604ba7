"""Interaction tables in the model file (issue 14, stage 1): validated on load, covered by the hash, left
out of files without them, and refused by every engine that does not score them yet."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Interaction, ScorecardArtifact, Segment, load_artifact
from lucidscore.errors import ModelFileError
from tests.artifact.test_artifact_contract import _char, make_artifact


def _with(inters: list[Interaction], chars: tuple[str, ...] = ("late", "util")) -> ScorecardArtifact:
    art = make_artifact()
    segments = [
        Segment.model_validate(
            {
                **s.model_dump(),
                "characteristics": [_char(n).model_dump() for n in chars],
                "interactions": [i.model_dump() for i in inters],
            }
        )
        for s in art.segments
    ]
    return art.model_copy(update={"segments": segments, "input_columns": [*chars, "n_accounts"]})


@st.composite
def _groups(draw: st.DrawFn, n_bins: int = 3) -> list[list[int]]:
    """An ordered partition of the bin positions 0..n_bins-1 into non-empty groups."""
    order = draw(st.permutations(list(range(n_bins))))
    cuts = sorted(draw(st.sets(st.integers(1, n_bins - 1), max_size=n_bins - 1)))
    bounds = [0, *cuts, n_bins]
    return [list(order[a:b]) for a, b in itertools.pairwise(bounds)]


@st.composite
def _interaction(draw: st.DrawFn) -> Interaction:
    first, second = draw(_groups()), draw(_groups())
    points = [[draw(st.integers(-60, 60)) for _ in second] for _ in first]
    return Interaction(first="late", second="util", first_groups=first, second_groups=second, points=points)


@settings(max_examples=30, deadline=None)
@given(inter=_interaction())
def test_interactions_round_trip_and_are_covered_by_the_hash(inter: Interaction) -> None:
    art = _with([inter]).with_hash()
    loaded = ScorecardArtifact.model_validate_json(art.canonical_json())
    assert loaded.segments[1].interactions == [inter]
    changed = [[p + 1 for p in row] for row in inter.points]
    other = _with([inter.model_copy(update={"points": changed})]).segments[1]
    edited = art.model_copy(update={"segments": [art.segments[0], other]})
    assert edited.compute_hash() != art.content_hash


def test_a_file_without_interactions_loads_and_keeps_its_hash(tmp_path: Path) -> None:
    path = make_artifact().save(tmp_path / "m.json")
    text = path.read_text()
    assert '"interactions"' not in text
    assert load_artifact(path).save(tmp_path / "again.json").read_text() == text


def test_an_edited_grid_is_refused_on_load(tmp_path: Path) -> None:
    inter = Interaction(
        first="late", second="util", first_groups=[[0], [1, 2]], second_groups=[[0, 1, 2]], points=[[5], [-5]]
    )
    path = _with([inter]).save(tmp_path / "m.json")
    data = json.loads(path.read_text())
    data["segments"][0]["interactions"][0]["points"][1][0] = 40
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="was edited after training"):
        load_artifact(path)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"second": "late"}, "two different characteristics"),
        ({"second": "income"}, "'income' is not a characteristic of the segment"),
        ({"first_groups": [[0], [1]]}, "first_groups must list each of the characteristic's 3 bin"),
        ({"second_groups": [[0, 1], [1, 2]]}, "second_groups must list each"),
        ({"first_groups": [[0, 1, 2], []], "points": [[1], [2]]}, "no empty group"),
        ({"points": [[1, 2]]}, r"points must be a 2 x 1 grid"),
    ],
)
def test_grid_problems_are_named(fields: dict[str, object], message: str) -> None:
    base = {"first": "late", "second": "util", "first_groups": [[0], [1, 2]], "second_groups": [[0, 1, 2]]}
    inter = {**base, "points": [[5], [-5]], **fields}
    with pytest.raises(ValueError, match=message):
        Segment.model_validate({**_with([]).segments[1].model_dump(), "interactions": [inter]})


def test_at_most_five_tables_per_segment() -> None:
    names = tuple(f"c{i}" for i in range(12))
    pairs = list(zip(names[::2], names[1::2], strict=True))
    inters = [
        Interaction(first=a, second=b, first_groups=[[0, 1, 2]], second_groups=[[0, 1, 2]], points=[[1]])
        for a, b in pairs
    ]
    _with(inters[:5], names)
    with pytest.raises(ValueError, match="6 interaction tables; at most 5"):
        _with(inters, names)


def test_a_characteristic_belongs_to_one_interaction_and_pairs_follow_the_segment_order() -> None:
    def grid(first: str, second: str) -> Interaction:
        return Interaction(
            first=first, second=second, first_groups=[[0, 1, 2]], second_groups=[[0, 1, 2]], points=[[1]]
        )

    names = ("a", "b", "c")
    _with([grid("a", "c")], names)
    with pytest.raises(ValueError, match="'b' is already in another interaction"):
        _with([grid("a", "b"), grid("b", "c")], names)
    with pytest.raises(ValueError, match="first must be listed before second"):
        _with([grid("c", "a")], names)
