"""Every engine from make_engine chains the rows inserted into the audit tables: the three ways the service
inserts (Core, ORM bulk, ORM flush), from many threads at once, whatever the values; the database refuses
rows that are not the next link, and a head that moves back."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lucidscore.store import (
    GENESIS_HASH,
    AuditChainError,
    chained_tables,
    insert_chained,
    make_engine,
    migrate,
    verify_audit_chains,
)
from lucidscore.store.service import AccessLog, DisputeEvent, ScoreRecord, User
from tests.store._chain_world import (
    add_people,
    behind_the_services_back,
    chain,
    log_row,
    populate,
    score_row,
)


def _all_ok(engine: Engine) -> dict[str, int]:
    statuses = verify_audit_chains(engine)
    assert [str(s.problem) for s in statuses if not s.ok] == []
    return {s.table: s.links for s in statuses}


def test_rows_written_the_services_three_ways_form_chains(engine: Engine) -> None:
    populate(engine)
    assert _all_ok(engine) == {"access_log": 6, "dispute_events": 6, "score_history": 6}
    for table in chained_tables():
        with engine.connect() as conn:
            rows = conn.execute(
                select(table.c.id, table.c.chain_seq, table.c.prev_hash, table.c.row_hash).order_by(
                    table.c.chain_seq
                )
            ).all()
            head = conn.execute(
                text("SELECT last_seq, last_hash FROM audit_chain_heads WHERE table_name = :t"),
                {"t": table.name},
            ).one()
        assert [r.chain_seq for r in rows] == [1, 2, 3, 4, 5, 6]
        assert [r.prev_hash for r in rows] == [GENESIS_HASH] + [r.row_hash for r in rows[:-1]]
        assert [r.id for r in rows] == sorted(r.id for r in rows)
        assert tuple(head) == (6, rows[-1].row_hash)


def test_orm_objects_read_back_what_was_stored(engine: Engine) -> None:
    add_people(engine)
    with Session(engine) as s:
        event = DisputeEvent(dispute_id=1, seq=1, actor_id=1, action="opened", detail={"reason": "é"})
        s.add(event)
        s.flush()
        flushed = (event.id, event.chain_seq, event.prev_hash, event.row_hash, event.at, event.detail)
        s.commit()
    with Session(engine) as s:
        stored = s.get(DisputeEvent, 1)
        assert stored is not None
        assert flushed == (1, 1, GENESIS_HASH, stored.row_hash, stored.at, {"reason": "é"})


def test_a_date_time_in_another_zone_is_stored_as_the_same_instant(engine: Engine) -> None:
    """SQLite drops the zone and keeps the wall time: the chain stores UTC, so the instant survives."""
    add_people(engine)
    moment = datetime(2026, 5, 1, 23, 30, 0, 250, tzinfo=timezone(timedelta(hours=-7)))
    with engine.begin() as conn:
        conn.execute(insert(AccessLog), log_row(1) | {"at": moment})
    with Session(engine) as s:
        at = s.scalars(select(AccessLog.at)).one()
    assert (at if at.tzinfo else at.replace(tzinfo=UTC)) == moment
    _all_ok(engine)


def test_values_json_or_numpy_would_change_are_hashed_as_stored(engine: Engine) -> None:
    """Tuples come back as lists, integer keys as text, numpy numbers as plain ones."""
    import numpy as np

    add_people(engine)
    odd = score_row(1) | {
        "reasons": ({"text": "a", "points": np.float64(2.5)},),
        "explanation": {1: "one", "nested": (1, 2)},
        "score": np.int64(612),
        "probability": np.float32(0.25),
    }
    with Session(engine) as s:
        s.execute(insert(ScoreRecord), [odd])
        s.commit()
    assert _all_ok(engine)["score_history"] == 1
    with Session(engine) as s:
        stored = s.scalars(select(ScoreRecord)).one()
        assert (stored.reasons, stored.explanation, stored.score) == (
            [{"text": "a", "points": 2.5}],
            {"1": "one", "nested": [1, 2]},
            612,
        )


def test_concurrent_writers_append_one_after_another(engine: Engine) -> None:
    """Decisions log from many threads at once and scores arrive in bulk meanwhile: one valid chain each."""
    add_people(engine)
    threads, each = 8, 15
    start = threading.Barrier(threads)

    def decisions(worker: int) -> None:
        start.wait()
        for i in range(each):
            with engine.begin() as conn:
                conn.execute(insert(AccessLog), log_row(worker * 100 + i))

    def scoring(worker: int) -> None:
        start.wait()
        for i in range(3):
            with Session(engine) as s:
                s.execute(insert(ScoreRecord), [score_row(worker * 100 + i * 10 + j) for j in range(5)])
                s.commit()

    with ThreadPoolExecutor(threads) as pool:
        jobs = [pool.submit(decisions if w % 2 else scoring, w) for w in range(threads)]
        for job in jobs:
            job.result()
    assert _all_ok(engine) == {"access_log": 4 * each, "dispute_events": 0, "score_history": 4 * 3 * 5}


def test_the_chain_refuses_what_it_cannot_hash(engine: Engine) -> None:
    add_people(engine)
    wrong_type = r"access_log\.at: expected a date-time, got str '2026-05-01'"
    with pytest.raises(AuditChainError, match=wrong_type), engine.begin() as conn:
        conn.execute(insert(AccessLog), log_row(1) | {"at": "2026-05-01"})
    with (
        pytest.raises(
            AuditChainError, match=r"access_log: chain_seq, row_hash are written by the audit chain"
        ),
        engine.begin() as conn,
    ):
        conn.execute(insert(AccessLog), log_row(1) | {"chain_seq": 7, "row_hash": "x"})
    with (
        pytest.raises(
            AuditChainError, match=r"access_log is an audit chain: insert plain values as parameters"
        ),
        engine.begin() as conn,
    ):
        conn.execute(insert(AccessLog).values(**log_row(1)))
    not_finite = r"score_history\.probability: expected a finite number"
    with pytest.raises(AuditChainError, match=not_finite), engine.begin() as conn:
        conn.execute(insert(ScoreRecord), score_row(1) | {"probability": float("nan")})
    assert _all_ok(engine) == {"access_log": 0, "dispute_events": 0, "score_history": 0}


def _raw_insert(columns: dict[str, Any], table: str = "access_log") -> str:
    names = ", ".join(columns)
    values = ", ".join(f":{c}" for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({values})"


def test_the_database_refuses_a_row_that_is_not_the_next_link(engine: Engine) -> None:
    """Another tool, or SQL typed by hand, cannot add to a chain without linking the row properly."""
    populate(engine, links=2)
    with engine.connect() as conn:
        head = conn.execute(
            text("SELECT last_hash FROM audit_chain_heads WHERE table_name = 'access_log'")
        ).one()
    row = log_row(5) | {"at": datetime(2026, 5, 1, tzinfo=UTC)}
    link = {"id": 10, "chain_seq": 3, "prev_hash": head[0], "row_hash": "a" * 64}
    refused = r"access_log audit chain: INSERT refused"
    # PostgreSQL checks NOT NULL and unique keys before its statement-level chain trigger runs.
    either = rf"{refused}|violates not-null|duplicate key"
    wrong = {
        "no link at all": (row | {"id": 10}, either),
        "the link of an existing row": (row | link | {"chain_seq": 2}, either),
        "a link further on": (row | link | {"chain_seq": 4}, refused),
        "the wrong previous hash": (row | link | {"prev_hash": "b" * 64}, refused),
        "a row hash that is no hash": (row | link | {"row_hash": "not a hash"}, refused),
        "an id below the last one": (row | link | {"id": 1}, r"append-only: INSERT refused|duplicate key"),
    }
    for what, (values, message) in wrong.items():
        with pytest.raises(DBAPIError, match=message), engine.begin() as conn:
            conn.execute(text(_raw_insert(values)), values)
        assert _all_ok(engine)["access_log"] == 2, what


def test_a_chain_head_only_moves_forward_and_is_never_deleted(engine: Engine) -> None:
    populate(engine, links=3)
    attempts = [
        "UPDATE audit_chain_heads SET last_seq = 1 WHERE table_name = 'access_log'",
        "UPDATE audit_chain_heads SET last_hash = 'x' WHERE table_name = 'access_log'",
        "DELETE FROM audit_chain_heads",
        "TRUNCATE audit_chain_heads"
        if engine.dialect.name == "postgresql"
        else "DELETE FROM audit_chain_heads",
    ]
    for sql in attempts:
        with pytest.raises(DBAPIError, match=r"audit_chain_heads"), engine.begin() as conn:
            conn.execute(text(sql))
    if engine.dialect.name == "sqlite":  # REPLACE would delete the head without a DELETE trigger
        with (
            pytest.raises(DBAPIError, match=r"audit_chain_heads keeps every chain's head"),
            engine.begin() as conn,
        ):
            conn.execute(
                text("INSERT OR REPLACE INTO audit_chain_heads VALUES ('access_log', 0, :h)"), {"h": "0" * 64}
            )
    assert _all_ok(engine) == {"access_log": 3, "dispute_events": 3, "score_history": 3}


# Values the service could store: any text a database keeps (no NUL, no lone surrogate), any instant in any
# zone, JSON of any shape.
_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
_moment = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.none()
    | st.just(UTC)
    | st.builds(timezone, st.integers(-23 * 60, 23 * 60).map(lambda m: timedelta(minutes=m))),
)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_int32 = st.integers(-(2**31), 2**31 - 1)
_score_rows = st.fixed_dictionaries(
    {
        "consumer_id": _text,
        "model_id": _text,
        "as_of": st.dates(date(1900, 1, 1), date(2200, 1, 1)),
        "score": _int32,
        "tier": _text,
        "probability": st.floats(allow_nan=False, allow_infinity=False),
        "segment": _text,
        "reasons": st.lists(_json, max_size=3),
        "explanation": st.none() | st.dictionaries(_text, _json, max_size=3),
        "scored_at": _moment,
    }
)
_log_rows = st.fixed_dictionaries(
    {
        "consumer_id": _text,
        "merchant_id": st.just(1),
        "purpose": _text,
        "at": _moment,
        "result": _text,
        "score": st.none() | _int32,
        "model_id": st.none() | _text,
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scores=st.lists(_score_rows, min_size=1, max_size=4), logs=st.lists(_log_rows, max_size=3))
def test_whatever_the_service_stores_verifies(
    engine: Engine, scores: list[dict[str, Any]], logs: list[dict[str, Any]]
) -> None:
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(User)).scalar_one() == 0:
            add_people(engine)
    with Session(engine) as s:
        s.execute(insert(ScoreRecord), scores)
        s.commit()
    for row in logs:
        with engine.begin() as conn:
            conn.execute(insert(AccessLog), row)
    _all_ok(engine)


@pytest.fixture(scope="module")
def sqlite_chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('chain') / 'a.db'}")
    migrate(engine)
    populate(engine, links=5)
    yield engine
    engine.dispose()


def _changed(value: Any, salt: int) -> Any:
    """A different value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1000 + salt
    if isinstance(value, float):
        return value + 0.5 + salt
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1 + salt)
    if isinstance(value, date):
        return value + timedelta(days=1 + salt)
    if isinstance(value, str):
        return value + "·" * (1 + salt)
    return [value, salt]  # JSON


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_edit_of_any_column_of_any_row_is_found_at_that_row(
    sqlite_chains: Engine, data: st.DataObject
) -> None:
    engine = sqlite_chains
    table = data.draw(st.sampled_from(chained_tables()), label="table")
    columns = [c for c in table.columns if c.name not in ("chain_seq", "prev_hash", "row_hash")]
    column = data.draw(st.sampled_from(columns), label="column").name
    link = data.draw(st.integers(1, 5), label="link")
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.chain_seq == link)).one()._mapping
    old = row[column]
    if table.c[column].foreign_keys:  # another user or dispute: the one that exists besides it
        new = 3 - old
    else:
        new = _changed(old, data.draw(st.integers(0, 3), label="salt")) if old is not None else 1
    with behind_the_services_back(engine) as conn:
        conn.execute(
            text(f"UPDATE {table.name} SET {column} = :v WHERE chain_seq = {link}").bindparams(
                bindparam("v", new, type_=table.c[column].type)
            )
        )
    try:
        problem = {s.table: s.problem for s in verify_audit_chains(engine)}[table.name]
        assert problem is not None
        assert problem.link == link
        assert problem.row_id == (new if column == "id" else row["id"])
    finally:
        with behind_the_services_back(engine) as conn:
            key = "id" if column == "id" else "chain_seq"
            where = new if column == "id" else link
            conn.execute(
                text(f"UPDATE {table.name} SET {column} = :v WHERE {key} = {where}").bindparams(
                    bindparam("v", old, type_=table.c[column].type)
                )
            )
    _all_ok(engine)


@pytest.mark.postgres
def test_a_service_role_with_the_documented_grants_appends_and_can_do_nothing_else(
    postgres_server: Any,
) -> None:
    """docs/service.md: run the service as a role that may only read and append the audit tables."""
    owner_url = postgres_server.create_database()
    owner = make_engine(owner_url)
    migrate(owner)
    populate(owner, links=2)
    role = "svc_" + uuid.uuid4().hex[:8]
    with owner.begin() as conn:
        for sql in (
            f"CREATE ROLE {role} LOGIN",
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            "REVOKE UPDATE, DELETE, TRUNCATE ON access_log, score_history, dispute_events, "
            f"audit_chain_heads FROM {role}",
            f"REVOKE ALL ON audit_chain_pending FROM {role}",
        ):
            conn.exec_driver_sql(sql)
    service = make_engine(owner_url.replace(f"//{postgres_server.user}@", f"//{role}@"))
    migrate(service)  # what serve does at start: on a database at head, only a read
    with service.begin() as conn:
        conn.execute(insert(AccessLog), log_row(7))
    with Session(service) as s:
        s.execute(insert(ScoreRecord), [score_row(7), score_row(8)])
        s.commit()
    with service.begin() as conn:  # a publish's way: one COPY
        insert_chained(conn, chain("score_history"), [score_row(9), score_row(10)])
    assert _all_ok(service) == {"access_log": 3, "dispute_events": 2, "score_history": 6}
    for sql in (
        "TRUNCATE access_log",
        "UPDATE score_history SET score = 999",
        "DELETE FROM dispute_events",
        "UPDATE audit_chain_heads SET last_seq = 0",
        "INSERT INTO audit_chain_pending VALUES ('score_history', 1)",
        "ALTER TABLE access_log DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
    ):
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), service.begin() as conn:
            conn.exec_driver_sql(sql)
    assert _all_ok(service) == {"access_log": 3, "dispute_events": 2, "score_history": 6}
    service.dispose()
    owner.dispose()
