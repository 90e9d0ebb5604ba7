"""Check every audit chain link by link, and against anchors kept outside the database.

For each chained table the rows are read in chain order from one snapshot (PostgreSQL: REPEATABLE READ;
SQLite: one read transaction), so a service appending meanwhile never makes a good chain look broken.
Each row must be the next link (``chain_seq`` one more than the last, no gaps, no repeats), follow the
previous link (``prev_hash``), have a larger id than the row before it, and hash to its ``row_hash``
(``lucidscore.store._chain``); the chain must end where ``audit_chain_heads`` says. The first failure
of each table is reported with the row id, the link and what is wrong.

A consistent rewrite of a whole chain (every hash recomputed, the head moved) passes these checks:
only a head recorded elsewhere before the rewrite — an anchor — shows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, inspect, text
from sqlalchemy.engine import Connection, Engine

from lucidscore.errors import InputError, utf8_text
from lucidscore.store._chain import (
    CHAIN_FORMAT,
    CHAIN_SEQ,
    GENESIS_HASH,
    HEADS_TABLE,
    PREV_HASH,
    ROW_HASH,
    UnreadableValue,
    canonical_value,
    chained_tables,
    column_kind,
    covered_columns,
    id_column,
    link_hash,
)

ANCHOR_FORMAT = "lucidscore-audit-anchor-v1"
_FETCH = 10_000


@dataclass(frozen=True)
class ChainAnchor:
    """A link recorded outside the database: ``table``'s link ``link`` had hash ``hash``."""

    table: str
    link: int
    hash: str

    def __str__(self) -> str:
        return f"{self.table}:{self.link}:{self.hash}"


@dataclass(frozen=True)
class ChainProblem:
    """The first thing wrong with a chain: where (row id and link, when a row is to blame) and what."""

    table: str
    row_id: int | None
    link: int | None
    what: str

    def __str__(self) -> str:
        if self.row_id is None:
            return f"{self.table}: {self.what}"
        link = "no link" if self.link is None else f"link {self.link}"
        return f"{self.table} row id {self.row_id} ({link}): {self.what}"


@dataclass(frozen=True)
class ChainStatus:
    """One table's chain as verified: how many links, its head, and its first problem (None: intact)."""

    table: str
    links: int
    head_link: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def anchor(self) -> ChainAnchor:
        """The chain's head, to record somewhere the database's administrators cannot write."""
        return ChainAnchor(self.table, self.head_link, self.head_hash)


def verify_audit_chains(engine: Engine, anchors: Iterable[ChainAnchor] = ()) -> list[ChainStatus]:
    """Verify every audit chain of the (migrated) database behind ``engine``, one status per table.

    ``anchors`` are links recorded earlier (``ChainStatus.anchor``, ``read_anchor_file``): each must still
    be in its chain with the same hash. Raises ``InputError`` for a database without audit chains or an
    anchor naming a table that is not one.
    """
    tables = chained_tables()
    by_table: dict[str, dict[int, str]] = {t.name: {} for t in tables}
    for anchor in anchors:
        if anchor.table not in by_table:
            raise InputError(
                f"anchor {anchor}: {anchor.table!r} is not an audit chain; "
                f"expected one of {', '.join(by_table)}"
            )
        by_table[anchor.table][anchor.link] = anchor.hash
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if not conn.dialect.has_table(conn, HEADS_TABLE):
                raise InputError(
                    f"{_where(engine)} has no audit chains ({HEADS_TABLE} is missing): it is not a "
                    "lucidscore database, or one from before audit chains; migrate it first "
                    "(lucidscore serve and lucidscore ingest do), which chains the rows already there"
                )
            return [_verify_table(conn, table, by_table[table.name]) for table in tables]


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _rows(conn: Connection, table: Table, names: Sequence[str]) -> Iterator[Any]:
    """The table's rows in chain order, as the database stores them (JSON as text), in bounded batches."""
    quote = conn.dialect.identifier_preparer.quote
    kinds = {c.name: column_kind(c) for c in table.columns if c.name in names}
    as_text = conn.dialect.name == "postgresql"
    select = ", ".join(f"{quote(n)}::text" if as_text and kinds.get(n) == "json" else quote(n) for n in names)
    sql = (
        f"SELECT {select} FROM {quote(table.name)} "
        f"ORDER BY {quote(CHAIN_SEQ)} NULLS FIRST, {quote(id_column(table).name)}"
    )
    result = conn.exec_driver_sql(sql, execution_options={"stream_results": True, "yield_per": _FETCH})
    for batch in result.partitions(_FETCH):
        yield from batch


def _verify_table(conn: Connection, table: Table, anchors: dict[int, str]) -> ChainStatus:
    name = table.name
    # A column a later revision added is missing from a database not migrated yet; every row there holds
    # NULL in it, which a row's hash leaves out, so the hash is checked exactly without it.
    present = {c["name"] for c in inspect(conn).get_columns(name)}
    covered = [(c.name, column_kind(c)) for c in covered_columns(table) if c.name in present]
    pk = id_column(table).name
    names = [n for n, _ in covered] + [PREV_HASH, ROW_HASH]
    at = {n: i for i, n in enumerate(names)}
    head = conn.execute(
        text(f"SELECT last_seq, last_hash FROM {HEADS_TABLE} WHERE table_name = :t"), {"t": name}
    ).first()
    expected, prev, last_id = 1, GENESIS_HASH, None
    problem: ChainProblem | None = None

    for row in _rows(conn, table, names):
        seq, row_id = row[at[CHAIN_SEQ]], row[at[pk]]
        what = _link_problem(seq, row_id, row[at[PREV_HASH]], expected, prev, last_id)
        fields: dict[str, Any] = {}
        for column, kind in covered if what is None else ():
            try:
                value = canonical_value(kind, row[at[column]])
            except UnreadableValue as exc:
                what = f"was edited: column {column} holds {exc}"
                break
            if value is not None:
                fields[column] = value
        if what is None and link_hash(name, prev, fields) != row[at[ROW_HASH]]:
            what = "was edited: its fields (id included) no longer give its row_hash"
        if what is None and seq in anchors and anchors[seq] != row[at[ROW_HASH]]:
            what = (
                f"its hash {row[at[ROW_HASH]]} is not the anchored {anchors[seq]}: "
                "the chain was rewritten since the anchor was taken"
            )
        if what is not None:
            problem = ChainProblem(name, row_id, seq, what)
            break
        expected, prev, last_id = expected + 1, row[at[ROW_HASH]], row_id
    links = expected - 1
    if problem is None:
        problem = _end_problem(name, head, links, prev, anchors)
    return ChainStatus(name, links, links, prev, problem)


def _link_problem(
    seq: int | None, row_id: int, prev_hash: str, expected: int, prev: str, last_id: int | None
) -> str | None:
    """What is wrong with the row's place in the chain, or None."""
    if seq is None:
        return "has no chain link: it was inserted behind the chain's back"
    if seq < expected:
        return f"repeats link {seq}: a row was inserted into the chain"
    if seq > expected:
        gap = f"link {expected} is" if seq == expected + 1 else f"links {expected} to {seq - 1} are"
        return f"{gap} missing before it: rows were deleted"
    if prev_hash != prev:
        return (
            f"does not follow link {seq - 1}: its prev_hash is not that link's row_hash "
            "(a row before it was removed, inserted, reordered or edited with its hash)"
        )
    if last_id is not None and row_id <= last_id:
        return f"comes after row id {last_id} in the chain but has a smaller id: rows were reordered"
    return None


def _end_problem(
    name: str, head: Any, links: int, last_hash: str, anchors: dict[int, str]
) -> ChainProblem | None:
    beyond = sorted(link for link in anchors if link > links)
    if beyond:
        return ChainProblem(
            name,
            None,
            beyond[0],
            f"the anchored link {beyond[0]} is missing: the chain ends at link {links} "
            "(rows were deleted, or the chain was rebuilt shorter)",
        )
    if head is None:
        return ChainProblem(name, None, None, f"its head is missing from {HEADS_TABLE}: it was deleted")
    if head.last_seq > links:
        cut = head.last_seq - links
        return ChainProblem(
            name,
            None,
            links + 1,
            f"the chain ends at link {links} but its head is link {head.last_seq}: "
            f"the last {cut} row{'s were' if cut > 1 else ' was'} deleted",
        )
    if head.last_seq < links:
        return ChainProblem(
            name,
            None,
            head.last_seq,
            f"its head is link {head.last_seq} but the chain goes on to link {links}: "
            "rows were appended behind the chain's back, or the head was moved back",
        )
    if head.last_hash != last_hash:
        return ChainProblem(
            name,
            None,
            links,
            f"its head's hash is not link {links}'s: the head or the last row was rewritten",
        )
    return None


def parse_anchor(text_: str) -> ChainAnchor:
    """``TABLE:N:HASH`` (as printed by ``lucidscore audit verify``) as an anchor."""
    parts = text_.strip().split(":")
    if len(parts) != 3 or not parts[1].isdigit() or not _is_hash(parts[2]):
        raise InputError(f"--expect-head {text_!r}: expected TABLE:N:HASH, e.g. access_log:1204:9f86d0…")
    return ChainAnchor(parts[0], int(parts[1]), parts[2])


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def write_anchor_file(path: Path, statuses: Sequence[ChainStatus]) -> None:
    """Record each chain's head in ``path`` (JSON) for a later ``read_anchor_file``."""
    heads = {s.table: {"link": s.head_link, "hash": s.head_hash} for s in statuses}
    doc = {"format": ANCHOR_FORMAT, "chain_format": CHAIN_FORMAT, "taken_at": datetime.now(UTC).isoformat()}
    path.write_text(json.dumps(doc | {"heads": heads}, indent=1) + "\n", "utf-8")


def read_anchor_file(path: Path) -> list[ChainAnchor]:
    """The anchors recorded in ``path`` by ``write_anchor_file``; ``InputError`` naming what is wrong."""
    try:
        doc = json.loads(utf8_text(path, "an anchor file (JSON)"))
    except FileNotFoundError:
        raise InputError(f"anchor file {path} does not exist") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"anchor file {path}: cannot be read as JSON ({exc})") from None
    if (
        not isinstance(doc, dict)
        or doc.get("format") != ANCHOR_FORMAT
        or not isinstance(doc.get("heads"), dict)
    ):
        raise InputError(
            f"anchor file {path}: not a lucidscore anchor file (expected format {ANCHOR_FORMAT!r})"
        )
    anchors = []
    for table, head in doc["heads"].items():
        link = head.get("link") if isinstance(head, dict) else None
        digest = head.get("hash") if isinstance(head, dict) else None
        if isinstance(link, bool) or not isinstance(link, int) or link < 0 or not _is_hash(digest):
            raise InputError(
                f'anchor file {path}: heads.{table}: expected {{"link": N, "hash": 64 hex digits}}'
            )
        if link > 0:  # an empty chain anchors nothing
            anchors.append(ChainAnchor(str(table), link, str(digest)))
    return anchors
