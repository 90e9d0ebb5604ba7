"""The operator tables of a deployment split by consumer (shards), kept the same in every shard.

Merchants and analysts (their ``users`` rows), merchants' API keys (hashes only) and OAuth redirect URIs,
and the benefit catalogue's versions are written to shard 0 and copied, row for row and id for id, to every
other shard: any shard can then authenticate a merchant or an analyst, record the catalogue version of a
decision, and name the merchant of a consent by the same id. Consumer accounts are not operator rows: each
lives in its consumer's shard only, with an id above every operator id of the moment (``UserIds``), so a
later operator id (``next_user_id``: above every shard's ids) is free in every shard.

``operator_differences`` lists how a shard's operator rows differ from shard 0's; ``copy_operator_tables``
makes them equal in one transaction of the target shard, or changes nothing and raises ``Conflict`` when a
difference cannot be repaired by copying (an id or username held by another account, a catalogue version
with other content, a key or account that shard 0 does not have).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, event, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from lucidscore.service._errors import Conflict
from lucidscore.store.service import ApiKey, CatalogueVersion, OAuthRedirectUri, User, WebSession

OPERATOR_ROLES = ("merchant", "analyst")


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class Difference:
    """One operator row of a shard that differs from shard 0's: ``fixable`` when copying repairs it."""

    table: str
    key: int
    what: str
    fixable: bool

    def describe(self) -> str:
        return f"{self.table} {self.key}: {self.what}"


@dataclass(frozen=True)
class _Kind:
    model: Any
    key: str
    label: str  # the column naming a row in messages
    mutable: bool  # rows may change (revocations, rotations): copied over; else they must stay equal
    replace: bool  # rows shard 0 no longer has are deleted (redirect URIs are removed by their command)


_KINDS = (
    _Kind(User, "id", "username", mutable=True, replace=False),
    _Kind(ApiKey, "id", "prefix", mutable=True, replace=False),
    _Kind(OAuthRedirectUri, "id", "uri", mutable=False, replace=True),
    _Kind(CatalogueVersion, "version", "version", mutable=False, replace=False),
)


def _value(v: Any) -> Any:
    """Values compared and copied alike on SQLite (naive datetimes, stored as UTC) and PostgreSQL."""
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return v


def _rows(conn: Connection, kind: _Kind) -> dict[int, dict[str, Any]]:
    table = _table(kind.model)
    query = select(table)
    if kind.model is User:
        query = query.where(table.c.role.in_(OPERATOR_ROLES))
    out: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query.order_by(table.c[kind.key])).mappings():
        out[int(row[kind.key])] = {k: _value(v) for k, v in row.items()}
    return out


def _name(kind: _Kind, row: dict[str, Any]) -> str:
    if kind.model is User:
        return f"{row['role']} {row['username']!r}"
    return f"{kind.label} {row[kind.label]!r}"


def _plan(source: Connection, target: Connection) -> list[tuple[_Kind, Difference, dict[str, Any] | None]]:
    """Every difference of ``target``'s operator rows from ``source``'s, with the source row to copy."""
    out: list[tuple[_Kind, Difference, dict[str, Any] | None]] = []
    for kind in _KINDS:
        name = _table(kind.model).name
        theirs, ours = _rows(source, kind), _rows(target, kind)
        for key, row in theirs.items():
            mine = ours.get(key)
            if mine == row:
                continue
            if mine is None:
                clash = _held_elsewhere(target, kind, key, row)
                if clash:
                    out.append(
                        (
                            kind,
                            Difference(name, key, f"{_name(kind, row)} cannot be copied: {clash}", False),
                            None,
                        )
                    )
                else:
                    out.append((kind, Difference(name, key, f"missing {_name(kind, row)}", True), row))
                continue
            changed = sorted(c for c in row if row[c] != mine.get(c))
            same_identity = all(row[c] == mine[c] for c in _identity_columns(kind))
            if kind.replace:
                out.append((kind, Difference(name, key, f"differs in {', '.join(changed)}", True), row))
            elif kind.mutable and same_identity:
                out.append(
                    (
                        kind,
                        Difference(name, key, f"{_name(kind, row)} differs in {', '.join(changed)}", True),
                        row,
                    )
                )
            else:
                differs = ", ".join(changed)
                what = f"is {_name(kind, mine)} here, {_name(kind, row)} in shard 0 (differs in {differs})"
                out.append((kind, Difference(name, key, what, False), None))
        for key, mine in ours.items():
            if key not in theirs:
                if kind.replace:
                    out.append(
                        (kind, Difference(name, key, f"{_name(kind, mine)} is not in shard 0", True), None)
                    )
                else:
                    what = f"{_name(kind, mine)} is not in shard 0"
                    out.append((kind, Difference(name, key, what, False), None))
    return out


def _identity_columns(kind: _Kind) -> tuple[str, ...]:
    if kind.model is User:
        return ("username", "role", "consumer_id")
    if kind.model is ApiKey:
        return ("merchant_id", "prefix", "key_hash")
    return ()


def _held_elsewhere(target: Connection, kind: _Kind, key: int, row: dict[str, Any]) -> str | None:
    """Why ``row`` cannot be inserted into ``target`` (its id or a unique value held by another row)."""
    table = _table(kind.model)
    other = target.execute(select(table).where(table.c[kind.key] == key)).mappings().first()
    if other is not None:
        return f"id {key} is {_name(kind, dict(other))} here"
    if kind.model is User:
        taken = target.execute(
            select(table.c.id, table.c.role).where(table.c.username == row["username"])
        ).first()
        if taken is not None:
            return f"username {row['username']!r} is account {taken.id} ({taken.role}) here"
    if kind.model is ApiKey:
        taken = target.execute(select(table.c.id).where(table.c.prefix == row["prefix"])).first()
        if taken is not None:
            return f"prefix {row['prefix']!r} is key {taken.id} here"
    return None


def operator_differences(source: Engine, target: Engine) -> list[Difference]:
    """How ``target``'s operator rows differ from ``source``'s (shard 0's); empty when they are equal."""
    with source.connect() as s, target.connect() as t:
        return [d for _, d, _ in _plan(s, t)]


def copy_operator_tables(source: Engine, target: Engine) -> list[Difference]:
    """Make ``target``'s operator rows equal to ``source``'s, in one transaction of ``target``; the
    differences repaired. ``Conflict`` (nothing changed) when one cannot be repaired by copying."""
    with source.connect() as s, target.begin() as t:
        plan = _plan(s, t)
        bad = [d for _, d, _ in plan if not d.fixable]
        if bad:
            raise Conflict(
                f"{len(bad)} operator row(s) cannot be repaired by copying from shard 0: "
                + "; ".join(d.describe() for d in bad[:5])
            )
        ended: set[int] = set()
        for kind, diff, row in plan:
            table = _table(kind.model)
            column = table.c[kind.key]
            if row is None:  # a row shard 0 no longer has (redirect URIs only)
                t.execute(delete(table).where(column == diff.key))
            elif diff.what.startswith("missing"):
                t.execute(insert(table), [row])
            elif kind.replace:
                t.execute(delete(table).where(column == diff.key))
                t.execute(insert(table), [row])
            else:
                t.execute(update(table).where(column == diff.key).values(**row))
                if kind.model is User:
                    ended.add(diff.key)  # a new password or a revocation ends the account's sessions
        if ended:
            t.execute(delete(_table(WebSession)).where(_table(WebSession).c.user_id.in_(sorted(ended))))
        if plan:
            bump_sequences(t)
        return [d for _, d, _ in plan]


def bump_sequences(conn: Connection) -> None:
    """PostgreSQL: move the id sequences of the operator tables past their largest id (rows copied with
    their ids do not advance them). SQLite takes the largest id plus one by itself."""
    if conn.dialect.name != "postgresql":
        return
    for model in (User, ApiKey, OAuthRedirectUri):
        name = _table(model).name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), m) "
                f"FROM (SELECT max(id) AS m FROM {name}) AS t WHERE m IS NOT NULL"
            )
        )


def next_user_id(engines: Iterable[Engine]) -> int:
    """An account id free in every shard: above the largest of any shard (consumer accounts included)."""
    top = 0
    for engine in engines:
        with engine.connect() as conn:
            top = max(top, int(conn.execute(select(func.max(User.id))).scalar_one() or 0))
    return top + 1


class UserIds:
    """Give each account the sessions it is attached to create an id from ``first`` on
    (``next_user_id``), in creation order, instead of each database's next id: an operator account then
    has the same id in every shard, and no two accounts of the deployment share one."""

    def __init__(self, first: int) -> None:
        self.next = first

    def attach(self, session: Session) -> None:
        event.listen(session, "before_flush", self._assign)

    def _assign(self, session: Session, *_: object) -> None:
        for obj in session.new:
            if isinstance(obj, User) and obj.id is None:
                obj.id = self.next
                self.next += 1
