"""One service over a deployment split by consumer (shards): which database a request reads and writes.

The app holds every shard's engine (``ShardEngines``; one database is a map of one). A request's session
(``deps.Db``) starts on shard 0 and is pointed at the shard of the consumer the request is about
(``use_shard``) before it reads anything of theirs:

* a sign-in: the shard shard 0's account directory lists the username in (``to_account_shard``);
* a signed-in consumer: the shard holding their session (``deps.optional_auth`` finds the token);
* a merchant decision, an OAuth token or revocation: the shard holding the consent (or code) presented,
  which is its consumer's shard;
* an analyst: shard 0 for models; the dispute queue merges every shard's (``merged_disputes``, in the
  order one database gives: oldest first); one dispute: the shard its id names (``split_id``).

Merchants, analysts, API keys, redirect URIs and catalogue versions are the same in every shard (the
operator commands write them so), so whichever shard a request is on authenticates them alike.

A sharded service marks each session token, consent token and authorization code it issues with the
shard that keeps it (``issuing_shard``; ``service.shard_mark``), and a request presenting one goes straight
to that shard (``to_secrets_shard``): no lookup in the others. The mark only says where to look: the token
is still found by its digest there or not at all, so a changed mark finds nothing, like any unknown token.
A token without a mark (issued by one database or before marks) is looked for shard by shard (``locate``).

Dispute ids are per database, so a sharded service shows each dispute as ``local id * shards + shard``
(``public_id``): unique across the deployment, and the database's own id when there is one shard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lucidscore import service
from lucidscore.errors import InputError
from lucidscore.store import check_shard_stamp
from lucidscore.store.service import Dispute

if TYPE_CHECKING:
    from lucidscore.policy import BenefitCatalogue
    from lucidscore.service import Rescorer

T = TypeVar("T")
log = logging.getLogger("lucidscore.api")


@dataclass(frozen=True)
class ShardEngines:
    """Every shard's engine and rescorer, in map order (one of each for a single database)."""

    engines: tuple[Engine, ...]
    rescorers: tuple[Rescorer | None, ...]

    def __post_init__(self) -> None:
        if not self.engines or len(self.engines) != len(self.rescorers):
            raise ValueError("ShardEngines: one rescorer (or None) for each of one or more engines")

    @property
    def count(self) -> int:
        return len(self.engines)

    @property
    def sharded(self) -> bool:
        return len(self.engines) > 1

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()


def shard_in(db: Session) -> int:
    """The shard the request's session is on."""
    shard: int = db.info.get("shard", 0)
    return shard


def use_shard(db: Session, shards: ShardEngines, index: int) -> None:
    """Point the request's session at shard ``index``. Its transaction is ended first (committed: what
    precedes a switch is a lookup or finished work) and its objects forgotten (ids repeat across shards);
    objects already loaded stay readable."""
    if shard_in(db) == index:
        return
    if db.in_transaction():
        db.commit()
    db.expunge_all()
    db.bind = shards.engines[index]
    db.info["shard"] = index


def locate(db: Session, shards: ShardEngines, probe: Callable[[Session], bool]) -> int | None:
    """The first shard where ``probe`` holds, the session left on it; None (the session on shard 0) when
    none does. One database: no probe, shard 0."""
    if not shards.sharded:
        return 0
    for index in range(shards.count):
        use_shard(db, shards, index)
        if probe(db):
            return index
    use_shard(db, shards, 0)
    return None


def to_secrets_shard(
    db: Session, shards: ShardEngines, secret: str, probe: Callable[[Session], bool]
) -> None:
    """Point the request's session at the shard keeping ``secret`` (a session or consent token, an
    authorization code): the shard its mark names, without looking anywhere; for a secret with no mark,
    or one naming no shard of this map, the first shard where ``probe`` holds (``locate``; shard 0 when
    none does). One database: nothing to do. Whether the secret exists is for the caller's lookup to say."""
    if not shards.sharded:
        return
    named = service.token_shard(secret)
    if named is not None and named < shards.count:
        use_shard(db, shards, named)
    else:
        locate(db, shards, probe)


def to_account_shard(db: Session, shards: ShardEngines, username: str) -> int | None:
    """Point the request's session at the shard holding ``username``'s account, as shard 0's account
    directory lists it (one indexed read there, none in the other shards); leave it on shard 0 when the
    directory lists no such account. The shard, or None. Whether the account exists is for the caller's
    lookup to say: a listing whose account was never made (a claim left by a command that stopped) finds
    nothing there, like an unknown username."""
    use_shard(db, shards, 0)
    index = service.account_shard(db, username)
    if index is None or not 0 <= index < shards.count:
        return None
    use_shard(db, shards, index)
    return index


def issuing_shard(db: Session) -> int | None:
    """The shard mark of a secret issued now: the session's shard in a service over several shards; None
    (no mark, as before marks) for one database."""
    count: int = db.info.get("count", 1)
    return shard_in(db) if count > 1 else None


def public_id(db: Session, local: int) -> int:
    """The id a dispute of the session's shard is shown by (``local`` when there is one shard)."""
    count: int = db.info.get("count", 1)
    return local * count + shard_in(db)


def split_id(public: int, count: int) -> tuple[int, int]:
    """(shard, the database's id) of a dispute's public id; the id 0 (no such dispute) when it names none."""
    return public % count, public // count


def merged_disputes(
    db: Session,
    shards: ShardEngines,
    build: Callable[[Session, Dispute], T],
    *,
    status: str | None,
    limit: int | None,
    offset: int,
) -> list[T]:
    """The dispute queue of every shard as one database orders it (oldest first), paged by ``limit`` and
    ``offset``; each dispute built (``build``) on its own shard."""
    if not shards.sharded:
        return [build(db, d) for d in service.disputes_of(db, status=status, limit=limit, offset=offset)]
    keys: list[tuple[Any, int, int, int]] = []  # (created, public id, shard, id)
    window = None if limit is None else offset + limit
    for index in range(shards.count):
        use_shard(db, shards, index)
        query = select(Dispute.created_at, Dispute.id).order_by(Dispute.created_at, Dispute.id).limit(window)
        if status is not None:
            query = query.where(Dispute.status == status)
        for created, local in db.execute(query):
            keys.append((service.aware(created), local * shards.count + index, index, local))
    keys.sort()
    chosen = keys[offset:window]
    built: dict[int, T] = {}
    for index in range(shards.count):
        mine = [k for k in chosen if k[2] == index]
        if not mine:
            continue
        use_shard(db, shards, index)
        rows = {d.id: d for d in db.scalars(select(Dispute).where(Dispute.id.in_([k[3] for k in mine])))}
        for k in mine:
            built[k[1]] = build(db, rows[k[3]])
    return [built[k[1]] for k in chosen]


def find_dispute(db: Session, shards: ShardEngines, public: int) -> Dispute | None:
    """The dispute a public id names, the session left on its shard; None when there is none."""
    index, local = split_id(public, shards.count)
    if local < 1:
        return None
    use_shard(db, shards, index)
    return db.get(Dispute, local)


def merged_distribution(
    db: Session, shards: ShardEngines, model_id: str, read: Callable[[Session, str], dict[str, Any]]
) -> dict[str, Any]:
    """The score distribution of every shard's consumers as one (histograms and tier counts added)."""
    parts: list[dict[str, Any]] = []
    for index in range(shards.count):
        use_shard(db, shards, index)
        parts.append(read(db, model_id))
    use_shard(db, shards, 0)
    out = dict(parts[0])
    out["consumers"] = sum(p["consumers"] for p in parts)
    out["counts"] = [sum(c) for c in zip(*(p["counts"] for p in parts), strict=True)]
    out["tiers"] = {
        t: sum(p["tiers"].get(t, 0) for p in parts) for t in _tier_order([p["tiers"] for p in parts])
    }
    return out


def _tier_order(each: Sequence[dict[str, int]]) -> list[str]:
    """Tiers from the lowest scores up, as each shard lists those it has (tiers are score ranges, so
    every shard lists them in the same order)."""
    order: list[str] = []
    for tiers in sorted(each, key=len, reverse=True):
        for i, tier in enumerate(tiers):
            if tier not in order:
                before = list(tiers)[:i]
                at = max((order.index(t) + 1 for t in before if t in order), default=0)
                order.insert(at, tier)
    return order


def shard_engines(
    map_path: Path | str,
    *,
    pool_size: int,
    pool_timeout: float,
    seed: BenefitCatalogue,
    seed_source: str,
    rescorer: Callable[[str], Rescorer] | None = None,
) -> ShardEngines:
    """Open every shard of the map at ``map_path`` for the service, each checked first: its stamp must be
    the map's (``ShardMismatch`` naming the shard and its URL otherwise) and its operator tables shard 0's.

    Shard 0 gets the first catalogue version (``seed``) when it has none; a shard that is only behind shard
    0's operator tables (a command that failed there) is brought up to them, and said so in the log; one
    whose differences copying cannot repair is refused (``InputError`` naming it). Accounts a shard lists
    in its own account directory (made there without the map, or before revision 0013) are moved into
    shard 0's (``service.gather_directory``; ``Conflict`` when a username names accounts of two shards).
    ``rescorer(url)``: each shard's rescorer.
    """
    from lucidscore.store import DatabaseMissing, migrate, open_database, read_shard_map

    smap = read_shard_map(map_path)
    opened: list[Engine] = []
    try:
        for shard in smap.shards:
            where = f"shard {shard.index} ({shard.shown})"
            try:
                engine = open_database(shard.url, pool_size=pool_size, pool_timeout=pool_timeout)
            except DatabaseMissing as exc:
                raise InputError(
                    f"{where}: {exc.message}; if the map was never initialised, run lucidscore shards init "
                    "MAP; if it was, this database was moved or lost: restore it"
                ) from None
            except InputError as exc:  # a folder that does not exist, a server that does not answer
                raise InputError(f"{where}: {exc.message}") from None
            opened.append(engine)
            migrate(engine)
            check_shard_stamp(engine, smap.stamp(shard.index), where)
        with Session(opened[0]) as session:
            service.ensure_catalogue(session, seed, source=seed_source)
        for shard, engine in zip(smap.shards[1:], opened[1:], strict=True):
            where = f"shard {shard.index} ({shard.shown})"
            diffs = service.operator_differences(opened[0], engine)
            bad = [d for d in diffs if not d.fixable]
            if bad:
                raise InputError(
                    f"{where}: its operator tables (merchants, analysts, API keys, redirect URIs, catalogue "
                    "versions) differ from shard 0's in ways copying cannot repair: "
                    + "; ".join(d.describe() for d in bad[:5])
                    + "; see lucidscore shards status MAP"
                )
            if diffs:
                service.copy_operator_tables(opened[0], engine)
                log.info(  # the first start copies the catalogue version it seeded; later, a failed command's
                    "%s was behind shard 0's operator tables; copied: %s",
                    where,
                    "; ".join(d.describe() for d in diffs[:5]),
                )
            gathered = service.gather_directory(opened[0], engine, shard.index, where)
            if gathered:
                log.info("%s: %d account(s) listed in shard 0's account directory", where, len(gathered))
    except BaseException:
        for engine in opened:
            engine.dispose()
        raise
    rescorers = tuple(rescorer(s.url) if rescorer else None for s in smap.shards)
    return ShardEngines(tuple(opened), rescorers)
