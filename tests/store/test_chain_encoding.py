"""Issue 15, publish throughput: a row's JSON columns may reach the chain writer already in canonical JSON
(``ENCODED_JSON``) and are then spliced into the hashed text instead of being encoded again. Properties:
the spliced text is the canonical text ``json.dumps`` gives for any JSON payload (text in any script,
surrogates, NaN and infinities, nested lists and objects, null), and rows written with encoded texts carry
the row hashes that the unchanged ``link_hash`` computes from the rows read back."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from lucidscore.store import (
    ENCODED_JSON,
    GENESIS_HASH,
    canonical_fields,
    canonical_json,
    canonical_object,
    link_hash,
    verify_audit_chains,
)
from lucidscore.store._chain import link_hash_encoded
from lucidscore.store.service import ScoreRecord


def reference(value: Any, allow_nan: bool = True) -> str:
    """The canonical form as ``link_hash`` has always written it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan)


ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # surrogates too
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


def json_values(text: st.SearchStrategy[str], floats: st.SearchStrategy[float]) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | floats | text
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=20,
    )


ANY_JSON = json_values(ANY_TEXT, ANY_FLOAT)


@settings(max_examples=400, deadline=None)
@given(fields=st.dictionaries(ANY_TEXT, ANY_JSON, max_size=8), data=st.data())
def test_spliced_text_is_the_canonical_text(fields: dict[str, Any], data: st.DataObject) -> None:
    chosen = data.draw(st.sets(st.sampled_from(sorted(fields))) if fields else st.just(set()))
    encoded = {key: canonical_json(fields[key]) for key in chosen}
    assert canonical_json(fields) == reference(fields)
    assert canonical_object(fields, encoded) == reference(fields)
    prev = data.draw(st.text("0123456789abcdef", min_size=64, max_size=64))
    assert link_hash_encoded("score_history", prev, fields, encoded) == link_hash(
        "score_history", prev, fields
    )
    # Without NaN and infinities allowed: the same text, or the same refusal.
    finite = all(math.isfinite(v) for v in _floats(fields))
    if finite:
        strict = {key: canonical_json(fields[key], allow_nan=False) for key in chosen}
        assert canonical_object(fields, strict, allow_nan=False) == reference(fields, allow_nan=False)
    else:
        with pytest.raises(ValueError, match="Out of range float"):
            reference(fields, allow_nan=False)
        with pytest.raises(ValueError, match="Out of range float"):
            canonical_object(fields, {}, allow_nan=False)


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


@given(fields=st.dictionaries(st.integers(), ANY_JSON, min_size=1, max_size=4))
def test_a_mapping_with_keys_that_are_not_text_is_encoded_whole(fields: dict[int, Any]) -> None:
    key = next(iter(fields))
    encoded = {key: canonical_json(fields[key])}
    assert canonical_object(fields, encoded) == reference(fields)  # type: ignore[arg-type]


# What PostgreSQL stores too: no NUL, no lone surrogate, finite numbers.
STORABLE_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
STORABLE_JSON = json_values(STORABLE_TEXT, st.floats(allow_nan=False, allow_infinity=False))
AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def _score(i: int, reasons: Any, explanation: Any) -> dict[str, Any]:
    return {
        "consumer_id": f"C{i}",
        "model_id": "sc-1",
        "as_of": date(2026, 6, 30),
        "score": 600 + i,
        "tier": "fair",
        "probability": 0.25,
        "segment": "thin",
        "reasons": reasons,
        "explanation": explanation,
        "scored_at": AT,
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payloads=st.lists(
        st.tuples(
            st.lists(STORABLE_JSON, max_size=4), st.none() | st.dictionaries(STORABLE_TEXT, STORABLE_JSON)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_rows_written_with_encoded_json_carry_the_hashes_of_their_stored_form(
    engine: Engine, payloads: list[tuple[list[Any], dict[str, Any] | None]]
) -> None:
    rows = []
    for i, (reasons, explanation) in enumerate(payloads):
        row = _score(i, reasons, explanation)
        texts = {"reasons": canonical_json(reasons)}
        if explanation is not None:
            texts["explanation"] = canonical_json(explanation)
        rows.append(row | {ENCODED_JSON: texts})
    # A value not stored as given (a tuple becomes a list) is hashed from its stored form, whatever text
    # came with it.
    rows.append(_score(len(rows), ("a", 1), None) | {ENCODED_JSON: {"reasons": '["not","this"]'}})
    with engine.connect() as conn:
        before = conn.execute(select(ScoreRecord.chain_seq).order_by(ScoreRecord.chain_seq.desc())).first()
    start = 0 if before is None else before[0]
    with engine.begin() as conn:
        conn.execute(insert(ScoreRecord), rows)
    table = ScoreRecord.__table__
    with engine.connect() as conn:
        stored = conn.execute(
            select(table).where(table.c.chain_seq > start).order_by(table.c.chain_seq)
        ).all()
        prev = (
            GENESIS_HASH
            if start == 0
            else conn.execute(select(table.c.row_hash).where(table.c.chain_seq == start)).scalar_one()
        )
    assert len(stored) == len(rows)
    for row in stored:
        values = row._mapping
        assert values["prev_hash"] == prev
        assert values["row_hash"] == link_hash(table.name, prev, canonical_fields(table, values))
        prev = values["row_hash"]
    assert stored[-1]._mapping["reasons"] == ["a", 1]
    assert [s.problem for s in verify_audit_chains(engine) if not s.ok] == []


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes", date(2026, 1, 1)])
def test_a_value_json_cannot_hold_is_refused_as_json_dumps_refuses_it(value: object) -> None:
    with pytest.raises(TypeError, match=f"Object of type {type(value).__name__} is not JSON serializable"):
        reference({"a": [value]})
    with pytest.raises(TypeError, match=f"Object of type {type(value).__name__} is not JSON serializable"):
        canonical_json({"a": [value]})
