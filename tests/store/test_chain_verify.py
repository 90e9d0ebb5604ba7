"""verify_audit_chains finds every deletion, edit, insertion and reordering made behind the service's back —
guards bypassed as someone with the database file or superuser rights would — at the first link it
breaks, on SQLite and PostgreSQL; a consistent rewrite of a whole chain is caught only by an anchor."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import Connection, Engine

from lucidscore.errors import InputError
from lucidscore.store import (
    ChainAnchor,
    ChainStatus,
    make_engine,
    parse_anchor,
    read_anchor_file,
    verify_audit_chains,
    write_anchor_file,
)
from lucidscore.store.service import AccessLog
from tests.fixtures.databases import migrated
from tests.store._chain_world import LINKS, behind_the_services_back, log_row, populate, rehash

FORGED = {
    "access_log": "result = 'approved (FORGED)', score = 999",
    "score_history": "score = 999",
    "dispute_events": "action = 'accepted'",
}


def _swap(conn: Connection, table: str, column: str, a: int, b: int) -> None:
    """Swap ``column`` between links a and b, through a free value (the column is unique)."""
    conn.execute(text(f"UPDATE {table} SET {column} = -1 WHERE chain_seq = {a}"))
    conn.execute(text(f"UPDATE {table} SET {column} = {a} WHERE chain_seq = {b}"))
    conn.execute(text(f"UPDATE {table} SET {column} = {b} WHERE {column} = -1"))


def _swap_ids(conn: Connection, table: str, a: int, b: int) -> None:
    conn.execute(text(f"UPDATE {table} SET id = -1 WHERE id = {a}"))
    conn.execute(text(f"UPDATE {table} SET id = {a} WHERE id = {b}"))
    conn.execute(text(f"UPDATE {table} SET id = {b} WHERE id = -1"))


def _copy(conn: Connection, table: str, link: int, new_id: str, new_link: str) -> None:
    """Insert a copy of ``link`` as row ``new_id`` at ``new_link`` (a dispute step number of its own, which
    is unique per dispute), then hash it well."""
    columns = [c["name"] for c in inspect(conn).get_columns(table) if c["name"] not in ("id", "chain_seq")]
    values = ["seq + 100" if c == "seq" else c for c in columns]
    conn.execute(
        text(
            f"INSERT INTO {table} (id, chain_seq, {', '.join(columns)}) "
            f"SELECT {new_id}, {new_link}, {', '.join(values)} FROM {table} WHERE chain_seq = {link}"
        )
    )


def _insert_in_the_middle(conn: Connection, table: str) -> None:
    """Make room at link 3 and put a copy of link 1 there, well hashed as link 3, with a fresh id."""
    conn.execute(text(f"UPDATE {table} SET chain_seq = -(chain_seq + 1) WHERE chain_seq >= 3"))
    conn.execute(text(f"UPDATE {table} SET chain_seq = -chain_seq WHERE chain_seq < 0"))
    _copy(conn, table, 1, f"(SELECT max(id) + 1 FROM {table})", "3")
    rehash(conn, table, 3, 3)


def _append_unseen(conn: Connection, table: str) -> None:
    """A well-hashed next link, but written with the triggers off: the head does not move."""
    _copy(conn, table, LINKS, "id + 100", "chain_seq + 1")
    rehash(conn, table, LINKS + 1)


Attack = Callable[[Connection, str], None]
# name -> (what the attacker does to the table, what verify must say: (row id, link) or None for the table)
ATTACKS: dict[str, tuple[Attack, str]] = {
    "delete a row": (
        lambda c, t: c.execute(text(f"DELETE FROM {t} WHERE chain_seq = 3")),
        r"row id 4 \(link 4\): link 3 is missing before it: rows were deleted",
    ),
    "delete two rows": (
        lambda c, t: c.execute(text(f"DELETE FROM {t} WHERE chain_seq IN (2, 3)")),
        r"row id 4 \(link 4\): links 2 to 3 are missing before it",
    ),
    "delete the last rows": (
        lambda c, t: c.execute(text(f"DELETE FROM {t} WHERE chain_seq > 4")),
        r": the chain ends at link 4 but its head is link 6: the last 2 rows were deleted",
    ),
    "empty the table": (
        lambda c, t: c.execute(
            text(f"TRUNCATE {t}" if c.dialect.name == "postgresql" else f"DELETE FROM {t}")
        ),
        r": the chain ends at link 0 but its head is link 6: the last 6 rows were deleted",
    ),
    "edit a row": (
        lambda c, t: c.execute(text(f"UPDATE {t} SET {FORGED[t]} WHERE chain_seq = 3")),
        r"row id 3 \(link 3\): was edited: its fields \(id included\) no longer give its row_hash",
    ),
    "edit a row and its hash": (
        lambda c, t: (c.execute(text(f"UPDATE {t} SET {FORGED[t]} WHERE chain_seq = 3")), rehash(c, t, 3, 3)),
        r"row id 4 \(link 4\): does not follow link 3",
    ),
    "swap two rows' places": (
        lambda c, t: _swap(c, t, "chain_seq", 3, 4),
        r"row id 4 \(link 3\): does not follow link 2",
    ),
    "swap two rows' ids": (
        lambda c, t: _swap_ids(c, t, 3, 4),
        r"row id 4 \(link 3\): was edited: its fields \(id included\)",
    ),
    "insert a row in the middle": (_insert_in_the_middle, r"row id 3 \(link 4\): does not follow link 3"),
    "append a row unseen": (
        _append_unseen,
        r": its head is link 6 but the chain goes on to link 7: rows were appended behind the chain's back",
    ),
    "delete the head": (
        lambda c, t: c.execute(text(f"DELETE FROM audit_chain_heads WHERE table_name = '{t}'")),
        r": its head is missing from audit_chain_heads",
    ),
}
TABLES = ("access_log", "score_history", "dispute_events")


@pytest.fixture
def chains(engine: Engine) -> Engine:
    populate(engine)
    assert [(s.table, s.ok, s.links) for s in verify_audit_chains(engine)] == [
        (t, True, LINKS) for t in sorted(TABLES)
    ]
    return engine


def _problems(engine: Engine, anchors: list[ChainAnchor] | None = None) -> dict[str, str | None]:
    return {s.table: None if s.ok else str(s.problem) for s in verify_audit_chains(engine, anchors or [])}


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.replace(" ", "-").replace("'", ""))
def test_verify_finds_each_tampering_at_its_first_broken_link(
    chains: Engine, attack: str, table: str
) -> None:
    do, expected = ATTACKS[attack]
    with behind_the_services_back(chains) as conn:
        do(conn, table)
    problems = _problems(chains)
    problem = problems.pop(table)
    assert problem is not None and re.fullmatch(rf"{table}( |){expected}.*", problem), problem
    assert problems == {t: None for t in TABLES if t != table}  # the other chains are untouched


def test_the_service_goes_on_after_rows_are_cut_and_the_gap_stays_visible(chains: Engine) -> None:
    """Appending continues from the head, not from what is left, so deleting the last rows never looks
    like history (and decisions are still logged)."""
    with behind_the_services_back(chains) as conn:
        conn.execute(text("DELETE FROM access_log WHERE chain_seq > 4"))
    with chains.begin() as conn:
        conn.execute(insert(AccessLog), log_row(20))
    problem = _problems(chains)["access_log"]
    assert problem is not None
    assert re.fullmatch(r"access_log row id \d+ \(link 7\): links 5 to 6 are missing before it: .*", problem)


def test_a_value_no_column_can_hold_is_named(tmp_path: Path) -> None:
    """SQLite stores any value in any column (PostgreSQL's types refuse such a value outright)."""
    engine = make_engine(migrated(f"sqlite:///{tmp_path / 'a.db'}"))
    populate(engine)
    with behind_the_services_back(engine) as conn:
        conn.execute(text("UPDATE access_log SET at = 'yesterday' WHERE chain_seq = 2"))
    assert _problems(engine)["access_log"] == (
        "access_log row id 2 (link 2): was edited: column at holds 'yesterday' is not a date-time"
    )
    engine.dispose()


def test_a_consistent_rewrite_passes_alone_and_is_caught_by_an_anchor(chains: Engine, tmp_path: Path) -> None:
    before = verify_audit_chains(chains)
    write_anchor_file(tmp_path / "anchor.json", before)
    with behind_the_services_back(
        chains
    ) as conn:  # forge link 3, recompute every hash after it, move the head
        conn.execute(text(f"UPDATE access_log SET {FORGED['access_log']} WHERE chain_seq = 3"))
        rehash(conn, "access_log", 3, move_head=True)
    assert _problems(chains)["access_log"] is None  # what a hash chain alone cannot see
    problem = _problems(chains, read_anchor_file(tmp_path / "anchor.json"))["access_log"]
    assert problem is not None
    assert re.fullmatch(
        r"access_log row id 6 \(link 6\): its hash [0-9a-f]{64} is not the anchored [0-9a-f]{64}: "
        r"the chain was rewritten since the anchor was taken",
        problem,
    )


def test_cutting_the_end_and_moving_the_head_back_is_caught_by_an_anchor(chains: Engine) -> None:
    anchors = [s.anchor for s in verify_audit_chains(chains)]
    with behind_the_services_back(chains) as conn:
        conn.execute(text("DELETE FROM access_log WHERE chain_seq > 4"))
        rehash(conn, "access_log", 5, move_head=True)
    assert _problems(chains)["access_log"] is None
    assert _problems(chains, anchors)["access_log"] == (
        "access_log: the anchored link 6 is missing: the chain ends at link 4 "
        "(rows were deleted, or the chain was rebuilt shorter)"
    )


def test_an_anchor_stays_valid_while_the_chain_grows(chains: Engine) -> None:
    anchors = [s.anchor for s in verify_audit_chains(chains)]
    with chains.begin() as conn:
        conn.execute(insert(AccessLog), [log_row(i) for i in range(10, 13)])
    statuses = verify_audit_chains(chains, anchors)
    assert [(s.table, s.ok, s.links) for s in statuses] == [
        ("access_log", True, LINKS + 3),
        ("dispute_events", True, LINKS),
        ("score_history", True, LINKS),
    ]


def test_anchor_input_is_checked(tmp_path: Path) -> None:
    digest = "ab" * 32
    assert parse_anchor(f"access_log:12:{digest}") == ChainAnchor("access_log", 12, digest)
    for bad in ("access_log:12", f"access_log:x:{digest}", "access_log:1:zz"):
        with pytest.raises(InputError, match=r"--expect-head .*: expected TABLE:N:HASH"):
            parse_anchor(bad)
    path = tmp_path / "a.json"
    with pytest.raises(InputError, match=rf"anchor file {re.escape(str(path))} does not exist"):
        read_anchor_file(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match=r"a.json: cannot be read as JSON"):
        read_anchor_file(path)
    path.write_text('{"format": "lucidscore-audit-anchor-v1", "heads": {"access_log": {"link": 3}}}')
    with pytest.raises(InputError, match=r"a.json: heads.access_log: expected"):
        read_anchor_file(path)
    write_anchor_file(path, [ChainStatus("access_log", 3, 3, digest, None)])
    assert read_anchor_file(path) == [ChainAnchor("access_log", 3, digest)]


def test_an_anchor_for_a_table_that_is_no_chain_is_refused(chains: Engine) -> None:
    with pytest.raises(InputError, match=r"anchor users:1:.*'users' is not an audit chain; expected one of"):
        verify_audit_chains(chains, [ChainAnchor("users", 1, "ab" * 32)])
