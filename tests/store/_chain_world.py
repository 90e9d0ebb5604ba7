"""Audit rows written the three ways the service writes them, and an attacker's way around the guards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from lucidscore.store import canonical_fields, chained_tables, link_hash
from lucidscore.store.service import AccessLog, Dispute, DisputeEvent, ScoreRecord, User

LINKS = 6
START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def add_people(engine: Engine) -> None:
    """Merchants (users 1 and 2) and consumers' disputes (1 and 2) for the rows to refer to."""
    with Session(engine) as s:
        for name in ("shop", "store"):
            s.add(User(username=name, role="merchant", display_name=name.title(), password_hash="x"))
        s.flush()
        for key in ("A1", "A2"):
            s.add(Dispute(consumer_id="C1", record_table="accounts", record_key=key, reason="closed in 2020"))
        s.commit()


def log_row(i: int) -> dict[str, Any]:
    declined = i % 2 == 0
    return {
        "consumer_id": f"C{i}",
        "merchant_id": 1,
        "purpose": "premium",
        "at": START + timedelta(minutes=i),
        "result": "declined" if declined else "refused: expired",
        "score": 577 if declined else None,
        "model_id": "sc-1" if declined else None,
    }


def score_row(i: int) -> dict[str, Any]:
    return {
        "consumer_id": f"C{i}",
        "model_id": "sc-1",
        "as_of": date(2026, 4, 30),
        "score": 560 + i,
        "tier": "fair",
        "probability": 0.1 + i / 100,
        "segment": "thin",
        "reasons": [{"text": "Few accounts", "points_lost": 12.5}],
        "explanation": None if i % 2 else {"families": {"credit_history": 40}, "recourse": []},
    }


def populate(engine: Engine, links: int = LINKS) -> None:
    """``links`` rows in each audit table, written as the service writes them."""
    add_people(engine)
    for i in range(links):  # the decision endpoint: a Core insert, one commit per row
        with engine.begin() as conn:
            conn.execute(insert(AccessLog), log_row(i))
    with Session(engine) as s:  # scoring everyone: one ORM bulk insert
        s.execute(insert(ScoreRecord), [score_row(i) for i in range(links)])
        s.commit()
    with Session(engine) as s:  # a dispute's trail: ORM objects flushed one by one
        for i in range(links):
            s.add(DisputeEvent(dispute_id=1, seq=i + 1, actor_id=1, action="opened", detail={"step": i}))
            s.flush()
        s.commit()


def chain(name: str) -> Table:
    return next(t for t in chained_tables() if t.name == name)


@contextmanager
def behind_the_services_back(engine: Engine) -> Iterator[Connection]:
    """A transaction with every guard out of the way, as someone with the database file (SQLite: drop the
    triggers, put them back after) or superuser rights (PostgreSQL: replica mode fires no trigger) has."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).all()
            for name, _ in triggers:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            yield conn
            for _, sql in triggers:
                conn.exec_driver_sql(sql)
        else:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            yield conn


def rehash(conn: Connection, name: str, first: int, last: int | None = None, move_head: bool = False) -> None:
    """Recompute prev_hash and row_hash of links ``first``..``last`` (all after it when None), as an
    attacker who knows the (public) format does, and optionally move the head to the new last link."""
    table = chain(name)
    rows = conn.execute(select(table).where(table.c.chain_seq >= first - 1).order_by(table.c.chain_seq)).all()
    prev = rows[0].row_hash if first > 1 else None
    for row in rows if first == 1 else rows[1:]:
        if last is not None and row.chain_seq > last:
            break
        before = prev if prev is not None else "0" * 64
        new = link_hash(name, before, canonical_fields(table, row._mapping))
        conn.execute(
            text(f"UPDATE {name} SET prev_hash = :p, row_hash = :h WHERE id = :i"),
            {"p": before, "h": new, "i": row.id},
        )
        prev = new
    if move_head:
        top = conn.execute(text(f"SELECT max(chain_seq) FROM {name}")).scalar_one()
        conn.execute(
            text("UPDATE audit_chain_heads SET last_seq = :s, last_hash = :h WHERE table_name = :t"),
            {"s": top, "h": prev, "t": name},
        )
