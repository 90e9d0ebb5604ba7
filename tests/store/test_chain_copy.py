"""Issue 15: score_history written by one COPY per batch on PostgreSQL (``insert_chained``), its links
checked by the database once per statement (revision ``0011_score_history_copy``).

The rows stored are those of the INSERT path byte for byte; the database, not only the client, refuses a
forged, out-of-order or gapped link whichever way it comes (COPY or INSERT); an error in the middle of a
batch leaves nothing written; awkward text round-trips; NUL is refused before anything is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, event, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lucidscore.store import (
    AuditChainError,
    current_revision,
    head_revision,
    insert_chained,
    make_engine,
    migrate,
    verify_audit_chains,
)
from lucidscore.store._chain_writer import _lock_head, link_rows
from lucidscore.store._migrate import _config
from lucidscore.store.service import ScoreRecord
from tests.fixtures.databases import migrated
from tests.store._chain_world import score_row

TABLE = ScoreRecord.__table__
assert isinstance(TABLE, Table)
# Every column but the time of scoring and the two hashes that cover it, JSON columns as their stored text.
COMPARED = (
    "id, chain_seq, consumer_id, model_id, as_of, score, tier, probability, segment, "
    "CAST(reasons AS TEXT), CAST(explanation AS TEXT), publication_id, supersedes_id, content_digest"
)


def _links(engine: Engine) -> dict[str, int]:
    statuses = verify_audit_chains(engine)
    assert [str(s.problem) for s in statuses if not s.ok] == []
    return {s.table: s.links for s in statuses}


def _stored(engine: Engine, columns: str = COMPARED) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT {columns} FROM score_history ORDER BY id"))]


def _head(engine: Engine) -> tuple[Any, ...]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text("SELECT last_seq, last_hash FROM audit_chain_heads WHERE table_name = 'score_history'")
            ).one()
        )


def _rows(start: int, n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        score_row(i) | {"publication_id": 1, "content_digest": f"{i:064x}"} | extra
        for i in range(start, start + n)
    ]


@pytest.fixture
def pg_engine(postgres_server: Any, _migrated_postgres: str) -> Iterator[Engine]:
    """A PostgreSQL database at the newest revision (a copy of the migrated one)."""
    engine = make_engine(postgres_server.create_database(template=_migrated_postgres))
    migrate(engine)  # reads the copy's revision and returns
    yield engine
    engine.dispose()


def test_copy_and_insert_store_the_same_rows(engine: Engine, request: pytest.FixtureRequest) -> None:
    """On PostgreSQL the COPY path stores what the INSERT path stores, byte for byte (JSON text too); on
    SQLite insert_chained is the INSERT path. Given the time of scoring, even the hashes are equal."""
    if engine.dialect.name == "postgresql":
        reference = make_engine(request.getfixturevalue("postgres_server").create_database())
    else:
        reference = make_engine(str(engine.url).replace("lucid.db", "reference.db"))
    migrate(reference)
    awkward = {"reasons": [{"text": 'tab\there "quoted" \\ back\nslash é 😀', "points_lost": -0.0}]}
    at = datetime(2026, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)
    batches = [
        _rows(0, 5, scored_at=at),  # with the time of scoring given, every column is equal, hashes included
        [r | awkward for r in _rows(5, 3, scored_at=at)],
        _rows(8, 7),  # scored now: all but scored_at and the hashes over it
        [r | awkward for r in _rows(15, 3)],
    ]
    for number, batch in enumerate(batches):
        with engine.begin() as conn:
            returned = insert_chained(conn, TABLE, batch)
        # what it returns is what was stored: ids and links
        links = _stored(engine, "id, chain_seq, prev_hash, row_hash")[-len(batch) :]
        assert [(r["id"], r["chain_seq"], r["prev_hash"], r["row_hash"]) for r in returned] == links
        with reference.begin() as conn:
            conn.execute(insert(ScoreRecord), batch)
        if number == 1:
            assert _stored(engine, "*") == _stored(reference, "*")
    assert len(_stored(engine)) == 18
    assert _stored(engine) == _stored(reference)
    assert _head(engine)[0] == _head(reference)[0] == 18
    assert _links(engine) == _links(reference)
    reference.dispose()


@pytest.mark.postgres
def test_the_copy_path_is_the_one_used_on_postgresql(pg_engine: Engine) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(pg_engine, "before_cursor_execute", seen)
    try:
        with pg_engine.begin() as conn:
            stored = insert_chained(conn, TABLE, _rows(0, 50))
    finally:
        event.remove(pg_engine, "before_cursor_execute", seen)
    assert statements and not any("INSERT" in s.upper() for s in statements)  # (the COPY is psycopg's)
    assert [r["chain_seq"] for r in stored] == list(range(1, 51))
    assert _links(pg_engine)["score_history"] == 50
    with pg_engine.connect() as conn:  # the head moved at commit, and the transaction's mark is gone
        assert conn.execute(text("SELECT count(*) FROM audit_chain_pending")).scalar_one() == 0
    assert _head(pg_engine) == (50, stored[-1]["row_hash"])


def _as_sent(row: dict[str, Any]) -> dict[str, Any]:
    """A linked row's values as a tool outside the store sends them (JSON as text)."""
    return {k: json.dumps(v) if k in ("reasons", "explanation") else v for k, v in row.items()}


def _insert_raw(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """``rows`` by one multi-row INSERT statement of our own (not through the chain writer)."""
    names = list(rows[0])
    values = ", ".join("(" + ", ".join(f":{k}_{i}" for k in names) + ")" for i in range(len(rows)))
    params = {f"{k}_{i}": v for i, row in enumerate(rows) for k, v in _as_sent(row).items()}
    conn.execute(text(f"INSERT INTO score_history ({', '.join(names)}) VALUES {values}"), params)


def _copy_raw(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """``rows`` (ids and links set) by a COPY of our own, as another tool would send them."""
    names = list(rows[0])
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY score_history ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            sent = _as_sent(row)
            copy.write_row([sent[k] for k in names])


def _linked(conn: Connection, start: int, n: int) -> list[dict[str, Any]]:
    """``n`` rows linked correctly after the chain's current end, as the writer links them (not sent)."""
    seq, prev, ids = _lock_head(conn, TABLE, n)
    rows = _rows(start, n, scored_at=datetime(2026, 5, 1, tzinfo=UTC))
    link_rows(TABLE, rows, seq, prev, ids)
    return rows


def _forged(what: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [dict(r) for r in rows]
    if what == "a forged previous hash in the middle":
        rows[2]["prev_hash"] = "f" * 64
    elif what == "two links swapped":
        rows[1], rows[2] = rows[2], rows[1]
        rows[1]["chain_seq"], rows[2]["chain_seq"] = rows[2]["chain_seq"], rows[1]["chain_seq"]
    elif what == "a gap":
        rows = rows[:2] + rows[3:]
    elif what == "not after the chain's end":
        rows = rows[1:]
    elif what == "a first link that forgets the chain":
        rows[0]["prev_hash"] = "0" * 64
    elif what == "ids falling along the chain":
        rows[1]["id"], rows[2]["id"] = rows[2]["id"], rows[1]["id"]
    elif what == "an id below the stored ones":
        rows[0]["id"] = 1
    elif what == "a row hash that is no hash":
        rows[3]["row_hash"] = "not a hash"
    return rows


FORGERIES = [
    "a forged previous hash in the middle",
    "two links swapped",
    "a gap",
    "not after the chain's end",
    "a first link that forgets the chain",
    "ids falling along the chain",
    "an id below the stored ones",
    "a row hash that is no hash",
]


@pytest.mark.postgres
@pytest.mark.parametrize("what", FORGERIES)
@pytest.mark.parametrize("how", ["copy", "insert"])
def test_the_database_refuses_a_forged_or_out_of_order_batch(pg_engine: Engine, what: str, how: str) -> None:
    """A batch sent behind the writer's back — by COPY or by one multi-row INSERT — is refused whole by the
    database when any of its links is wrong; the same batch linked correctly is taken."""
    with pg_engine.begin() as conn:
        insert_chained(conn, TABLE, _rows(0, 3))
    head = _head(pg_engine)
    refused = r"score_history (audit chain|is append-only): INSERT refused|duplicate key"
    with pytest.raises((DBAPIError, psycopg.Error), match=refused), pg_engine.begin() as conn:
        rows = _forged(what, _linked(conn, 10, 5))
        (_copy_raw if how == "copy" else _insert_raw)(conn, rows)
    assert _links(pg_engine)["score_history"] == 3
    assert _head(pg_engine) == head
    with pg_engine.begin() as conn:  # the same rows, linked as the writer links them
        _copy_raw(conn, _linked(conn, 10, 5))
    assert _links(pg_engine)["score_history"] == 8


@pytest.mark.postgres
def test_rows_appended_past_a_link_stored_further_on_are_refused(pg_engine: Engine) -> None:
    """A statement whose rows do not end the chain (a row with a later link is stored) is refused."""
    with pg_engine.begin() as conn:
        insert_chained(conn, TABLE, _rows(0, 2))
    with (
        pytest.raises(psycopg.Error, match=r"score_history audit chain: INSERT refused"),
        pg_engine.begin() as conn,
    ):
        rows = _linked(conn, 10, 3)
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # (the owner's power)
        _copy_raw(conn, rows[2:])  # link 5 stored without a check
        conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
        _copy_raw(conn, rows[:2])  # links 3 and 4: right, but the chain already goes on to 5
    assert _links(pg_engine)["score_history"] == 2


@pytest.mark.parametrize("bad_row", [0, 3, 6])
def test_an_error_in_the_middle_of_a_batch_leaves_nothing_written(engine: Engine, bad_row: int) -> None:
    """A value the database refuses (text longer than its column) in row 1, 4 or 7 of a batch: nothing of
    the batch is stored, the chain and its head are as before, and the next batch continues them."""
    with engine.begin() as conn:
        insert_chained(conn, TABLE, _rows(0, 4))
    head = _head(engine)
    batch = _rows(10, 7)
    batch[bad_row]["tier"] = "x" * 41  # String(40)
    if engine.dialect.name == "sqlite":  # SQLite does not check lengths: a type the chain refuses instead
        batch[bad_row]["tier"] = 7
    with pytest.raises((DBAPIError, AuditChainError)), engine.begin() as conn:
        insert_chained(conn, TABLE, batch)
    assert _links(engine)["score_history"] == 4
    assert _head(engine) == head
    with engine.begin() as conn:
        insert_chained(conn, TABLE, _rows(10, 7))
    assert _links(engine)["score_history"] == 11


@pytest.mark.postgres
def test_text_with_nul_is_refused_before_anything_is_sent(pg_engine: Engine) -> None:
    batch = _rows(0, 5)
    batch[3]["segment"] = "thin\x00file"
    nul = r"score_history\.segment: row 4 of 5 \(id \d+\) holds a NUL character \(\\x00\), which PostgreSQL"
    with pytest.raises(AuditChainError, match=nul), pg_engine.begin() as conn:
        insert_chained(conn, TABLE, batch)
    assert _links(pg_engine)["score_history"] == 0


@pytest.mark.postgres
def test_an_error_mid_publish_chunk_in_record_scores_writes_nothing(pg_engine: Engine) -> None:
    from lucidscore.service import record_scores

    batch = [
        {k: v for k, v in r.items() if k not in ("publication_id", "content_digest")} for r in _rows(0, 6)
    ]
    batch[4]["consumer_id"] = "C" * 65  # String(64)
    with pytest.raises(DBAPIError, match=r"value too long"), pg_engine.begin() as conn:
        record_scores(conn, batch)
    assert _links(pg_engine)["score_history"] == 0
    batch[4]["consumer_id"] = "C4"
    with pg_engine.begin() as conn:
        assert record_scores(conn, batch).new == 6
    with pg_engine.begin() as conn:  # publishing the same again writes nothing
        assert record_scores(conn, batch).unchanged == 6
    assert _links(pg_engine)["score_history"] == 6


# Text a database keeps, made awkward for COPY's text format: its escapes, separators, end marker and NULL.
_awkward = st.lists(
    st.sampled_from(
        ["\t", "\n", "\r", "\\", "\\N", "\\.", "\\\n", '"', "'", ",", "|", "é", "😀", "\u2028", "\x7f", "a"]
    )
    | st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
).map("".join)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _awkward,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_awkward, inner, max_size=3),
    max_leaves=8,
)
_score_rows = st.fixed_dictionaries(
    {
        "consumer_id": _awkward.filter(lambda s: len(s) <= 64),
        "model_id": _awkward.filter(lambda s: len(s) <= 80),
        "as_of": st.dates(date(1900, 1, 1), date(2200, 1, 1)),
        "score": st.integers(-(2**31), 2**31 - 1),
        "tier": _awkward.filter(lambda s: len(s) <= 40),
        "probability": st.floats(allow_nan=False, allow_infinity=False),
        "segment": _awkward.filter(lambda s: len(s) <= 80),
        "reasons": st.lists(_json, max_size=3),
        "explanation": st.none() | st.dictionaries(_awkward, _json, max_size=3),
        "content_digest": st.none() | _awkward.filter(lambda s: len(s) <= 64),
    }
)


@pytest.fixture(scope="module")
def pg_module_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated(postgres_url))  # a copy of the migrated database
    yield engine
    engine.dispose()


@pytest.mark.postgres
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_score_rows, min_size=1, max_size=5))
def test_awkward_rows_round_trip_through_copy(pg_module_engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Whatever text and JSON a row holds (tabs, newlines, backslashes, COPY's \\N and \\., quotes, any
    Unicode), what is read back equals what was given, the JSON text is SQLAlchemy's, and the chain holds."""
    engine = pg_module_engine
    with engine.begin() as conn:
        stored = insert_chained(conn, TABLE, rows)
    ids = [r["id"] for r in stored]
    with Session(engine) as s:
        back = {r.id: r for r in s.scalars(select(ScoreRecord).where(ScoreRecord.id.in_(ids)))}
    for sent, row in zip(rows, stored, strict=True):
        record = back[row["id"]]
        for key in ("consumer_id", "model_id", "as_of", "score", "tier", "segment", "content_digest"):
            assert getattr(record, key) == sent[key], key
        assert record.probability == sent["probability"]
        assert record.reasons == sent["reasons"] and record.explanation == sent["explanation"]
    with engine.connect() as conn:
        texts = dict(
            conn.execute(
                text("SELECT id, CAST(reasons AS TEXT) FROM score_history WHERE id = ANY(:ids)"), {"ids": ids}
            ).all()
        )
    assert [texts[i] for i in ids] == [json.dumps(r["reasons"]) for r in rows]
    _links(engine)


def _downgrade(engine: Engine, target: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def test_0011_downgrades_and_upgrades_with_rows_on_either_side(engine: Engine) -> None:
    """Rows written before 0011 (row triggers) and after it (statement check) form one chain; downgraded,
    the row triggers are back and still refuse a forged link; upgraded again, COPY works."""
    _downgrade(engine, "0010_dispute_accept_claim")
    with engine.begin() as conn:
        conn.execute(insert(ScoreRecord), _rows(0, 3))
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.begin() as conn:
        insert_chained(conn, TABLE, _rows(3, 4))
    _downgrade(engine, "0010_dispute_accept_claim")
    with engine.begin() as conn:
        conn.execute(insert(ScoreRecord), _rows(7, 2))
    with (
        pytest.raises(DBAPIError, match=r"score_history audit chain: INSERT refused"),
        engine.begin() as conn,
    ):
        _insert_raw(conn, [_linked(conn, 20, 1)[0] | {"prev_hash": "e" * 64}])
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert not conn.execute(text("SELECT to_regclass('audit_chain_pending')")).scalar()
    migrate(engine)
    with engine.begin() as conn:
        insert_chained(conn, TABLE, _rows(9, 3))
    assert _links(engine)["score_history"] == 12
    assert _head(engine)[0] == 12


@pytest.mark.postgres
def test_many_insert_statements_in_one_transaction_move_the_head_once(pg_engine: Engine) -> None:
    """The executemany path (one INSERT per row, as ORM bulk inserts send them) is still chained and
    checked; the head moves at commit, and the marks are gone."""
    with Session(pg_engine) as s:
        s.execute(insert(ScoreRecord), _rows(0, 40))
        assert s.connection().execute(text("SELECT count(*) FROM audit_chain_pending")).scalar_one() == 1
        assert _head(pg_engine)[0] == 0  # (another connection: not yet committed)
        s.commit()
    assert _links(pg_engine)["score_history"] == 40
    assert _head(pg_engine)[0] == 40
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_chain_pending")).scalar_one() == 0
