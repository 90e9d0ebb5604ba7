"""The chain format (v1) is a contract with every row already stored: it must not drift."""

from __future__ import annotations

import doctest
import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

import lucidscore.store._chain as chain_module
from lucidscore.store import GENESIS_HASH, UnreadableValue, canonical_fields, chained_tables, link_hash


def test_docstring_examples() -> None:
    result = doctest.testmod(chain_module)
    assert result.attempted > 0 and result.failed == 0


def test_the_hash_is_sha256_of_the_documented_text() -> None:
    """docs/service.md states the format; this spells it out once, independently of the code."""
    fields = {"id": 7, "chain_seq": 3, "result": "declined", "score": 577, "note": "é"}
    text = (
        "lucidscore-audit-chain-v1\naccess_log\n" + "ab" * 32 + "\n"
        '{"chain_seq":3,"id":7,"note":"é","result":"declined","score":577}'
    )
    assert link_hash("access_log", "ab" * 32, fields) == hashlib.sha256(text.encode()).hexdigest()


def _table(name: str) -> object:
    return next(t for t in chained_tables() if t.name == name)


def test_a_row_and_its_stored_form_have_one_canonical_form() -> None:
    table = _table("score_history")
    written = {
        "id": 1,
        "chain_seq": 1,
        "consumer_id": "C1",
        "as_of": date(2026, 4, 30),
        "probability": 0.1,
        "reasons": [{"text": "x"}],
        "explanation": None,
        "scored_at": datetime(2026, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))),
    }
    as_sqlite_returns = written | {
        "as_of": "2026-04-30",
        "reasons": '[{"text": "x"}]',
        "explanation": "null",
        "scored_at": "2026-05-01 08:00:00.000000",
    }
    as_postgresql_returns = written | {"scored_at": datetime(2026, 5, 1, 8, 0, tzinfo=UTC)}
    expected = {
        "id": 1,
        "chain_seq": 1,
        "consumer_id": "C1",
        "as_of": "2026-04-30",
        "probability": 0.1,
        "reasons": [{"text": "x"}],
        "scored_at": "2026-05-01T08:00:00.000000",
    }
    for row in (written, as_sqlite_returns, as_postgresql_returns):
        assert canonical_fields(table, row) == expected  # type: ignore[arg-type]
    assert link_hash("score_history", GENESIS_HASH, expected) != link_hash(
        "access_log", GENESIS_HASH, expected
    )  # a row cannot be moved to another chain


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("score", "577", r"column score holds '577' is not an integer"),
        ("score", True, r"column score holds True is not an integer"),
        ("probability", float("inf"), r"column probability holds inf is not a finite number"),
        ("as_of", "30/04/2026", r"column as_of holds '30/04/2026' is not a date"),
        ("scored_at", 1714550400, r"column scored_at holds 1714550400 is not a date-time"),
        ("reasons", "[unclosed", r"column reasons holds '\[unclosed' is not JSON"),
        ("tier", b"good", r"column tier holds b'good' is not text"),
    ],
)
def test_a_stored_value_of_the_wrong_type_is_named(column: str, value: object, message: str) -> None:
    with pytest.raises(UnreadableValue, match=message):
        canonical_fields(_table("score_history"), {"id": 1, column: value})  # type: ignore[arg-type]
