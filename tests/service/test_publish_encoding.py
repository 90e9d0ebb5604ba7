"""Issue 15, publish throughput: a publish encodes each row's reasons and explanation once (for the content
digest, reused by the chain writer) and takes the reasons from the explanations. Nothing stored may change:
every row read back hashes, by the unchanged ``link_hash``, to its stored ``row_hash``, its digest is the one
the digest's original formula gives, and the scores equal those of the path that computes the reasons on
their own."""

from __future__ import annotations

import doctest
import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

import lucidscore.service._history as history_module
from lucidscore.artifact import load_artifact
from lucidscore.score import score_consumers
from lucidscore.service import activate_model, consumer_features, publish_month, register_model, score_digest
from lucidscore.store import GENESIS_HASH, canonical_fields, link_hash, make_engine, verify_audit_chains
from lucidscore.store.service import ScoreRecord
from tests.fixtures.bureau import END, BureauFiles

SHOWN = ("score", "tier", "probability", "segment", "reasons", "explanation")


def original_digest(row: Any) -> str:
    """``score_digest`` as it was written before the encoding was shared (revision 0006's formula)."""

    def plain(value: Any) -> Any:
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value + 0.0 if isinstance(value, float) else value

    body = {name: plain(row.get(name)) for name in SHOWN}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_history_examples_hold() -> None:
    assert doctest.testmod(history_module).failed == 0


WORDS = st.text(st.characters(exclude_categories=("Cs",)), max_size=10)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=12,
)


@given(
    reasons=st.lists(st.dictionaries(WORDS, VALUES, max_size=4), max_size=4),
    explanation=st.none() | st.dictionaries(WORDS, VALUES, max_size=5),
    share=st.booleans(),
    as_text=st.booleans(),
    probability=st.floats(allow_nan=False, allow_infinity=False),
    score=st.integers(350, 950),
    tier=WORDS,
)
def test_the_digest_is_the_original_formulas(
    reasons: list[dict[str, Any]],
    explanation: dict[str, Any] | None,
    share: bool,
    as_text: bool,
    probability: float,
    score: int,
    tier: str,
) -> None:
    if explanation is not None and share:
        explanation["reasons"] = reasons  # as score_consumers gives them: one list, in both places
    row: dict[str, Any] = {
        "score": score,
        "tier": tier,
        "probability": probability,
        "segment": "thin",
        "reasons": reasons,
        "explanation": explanation,
    }
    if as_text:  # as SQLite hands JSON columns back
        row |= {
            "reasons": json.dumps(reasons),
            "explanation": None if explanation is None else json.dumps(explanation),
        }
    assert score_digest(row) == original_digest(row)


def test_a_digest_of_a_value_json_cannot_hold_is_refused_as_before() -> None:
    row = {"score": 600, "tier": "fair", "probability": 0.5, "segment": "s", "explanation": None}
    for reasons in ([{"points_lost": math.nan}], [{"points_lost": math.inf}]):
        for digest in (score_digest, original_digest):
            try:
                digest(row | {"reasons": reasons})
            except ValueError as exc:
                assert "Out of range float" in str(exc)
            else:
                raise AssertionError(f"{digest.__name__} accepted {reasons}")


def test_a_published_month_stores_what_the_unchanged_formats_give(
    bureau_url: str, bureau_files: BureauFiles
) -> None:
    engine = make_engine(bureau_url)
    with Session(engine) as s:
        model = register_model(s, load_artifact(bureau_files.model))
        activate_model(s, model)
        s.commit()
    started = datetime.now(UTC)
    report = publish_month(bureau_url, END, chunk_consumers=300)  # several chunks, so several transactions
    assert report.new == report.consumers > 0

    table = ScoreRecord.__table__
    with engine.connect() as conn:
        stored = [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.chain_seq))]
        head = conn.execute(
            text("SELECT last_seq, last_hash FROM audit_chain_heads WHERE table_name = 'score_history'")
        ).one()
        raw = (
            dict(
                conn.execute(
                    text("SELECT id, reasons || '|' || coalesce(explanation, 'null') FROM score_history")
                ).all()
            )
            if conn.dialect.name == "sqlite"
            else {}
        )
    assert len(stored) == report.consumers
    prev = GENESIS_HASH
    for row in stored:
        assert row["prev_hash"] == prev
        assert row["row_hash"] == link_hash(table.name, prev, canonical_fields(table, row))
        assert row["content_digest"] == original_digest(row)
        assert row["scored_at"].replace(tzinfo=UTC) >= started.replace(microsecond=0)
        prev = row["row_hash"]
    assert tuple(head) == (len(stored), prev)
    assert [s.problem for s in verify_audit_chains(engine) if not s.ok] == []
    # SQLite keeps the JSON text as SQLAlchemy's serializer (json.dumps) writes it: that form is unchanged.
    for row in stored:
        if raw:
            assert raw[row["id"]] == f"{json.dumps(row['reasons'])}|{json.dumps(row['explanation'])}"

    # The path that computes the reasons apart from the explanations gives the same rows, so the same digests.
    artifact = load_artifact(bureau_files.model)
    frame = consumer_features(bureau_url, END)
    ids = frame["consumer_id"].to_list()
    apart = {r["consumer_id"]: r for r in score_consumers(artifact, frame, END, explain_ids=ids)}
    together = {r["consumer_id"]: r for r in score_consumers(artifact, frame, END)}
    assert apart == together
    assert {r["consumer_id"]: r["content_digest"] for r in stored} == {
        cid: original_digest(r) for cid, r in apart.items()
    }
    for row in together.values():
        assert row["reasons"] == row["explanation"]["reasons"]
    engine.dispose()
