"""CLI group ``shards``: a deployment split by consumer over several databases (a shard map).

``shards init MAP`` creates (SQLite) and migrates every database of the map and stamps each with its
index, the shard count and the map's fingerprint; ``shards status MAP`` shows each shard's stamp, its
consumers, its active model and whether its operator tables (merchants, analysts, API keys, redirect URIs,
catalogue versions) equal shard 0's, and the usernames claimed in shard 0's account directory whose account
was never made (with the commands that finish or release each); ``shards sync MAP`` copies shard 0's
operator tables to the shards that are behind. The sharded forms of the other commands take ``--shards
MAP``: ``ingest``, ``publish``, ``model register``, ``model activate``, ``audit verify``, ``admin``
(and ``admin release-claim``, which only a map has), ``catalogue``, ``merchant redirect-uri`` and
``serve``.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._shards import load_map, where

if TYPE_CHECKING:
    from lucidscore.service import UnfinishedClaims
    from lucidscore.store import ShardMap

shards_app = typer.Typer(
    help="A deployment split by consumer over several databases: initialise a shard map, show it.",
    no_args_is_help=True,
)

MapArgument = Annotated[
    str, typer.Argument(help="shard map: a TOML file listing the shards' database URLs in order")
]


def init(shard_map: MapArgument) -> None:
    """Create (SQLite) and migrate every database of the map and stamp it with its place in the map.
    Running it again changes nothing; a database stamped for another place or map is refused."""
    from lucidscore.store import migrate, open_database, stamp_shard

    smap = load_map(shard_map)
    _refuse_to_recreate_lost_shards(smap)
    table = Table(title=f"{smap.count} shard(s), map {smap.fingerprint[:12]}")
    for column in ("shard", "database", "stamp"):
        table.add_column(column)
    for shard in smap.shards:
        engine = open_database(shard.url, create=True)
        try:
            migrate(engine)
            new = stamp_shard(engine, smap.stamp(shard.index), where(shard))
        finally:
            engine.dispose()
        table.add_row(str(shard.index), shard.shown, "stamped" if new else "already stamped")
    Console(highlight=False).print(table)


def _refuse_to_recreate_lost_shards(smap: ShardMap) -> None:
    """Refuse (before creating anything) to create a missing SQLite shard while another shard of the map,
    stamped by it, holds consumers or accounts: the map is in use, so the database was moved or lost, and
    an empty one in its place would drop its consumers and their accounts without a word. A map whose
    stamped shards hold nothing (an init that stopped midway) is finished as before."""
    from sqlalchemy import inspect, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from lucidscore.errors import InputError
    from lucidscore.store import any_shard_stamp, make_engine

    def missing(url: str) -> bool:
        parsed = make_url(url)
        return parsed.drivername.startswith("sqlite") and not Path(parsed.database or "").exists()

    lost = [s for s in smap.shards if missing(s.url)]
    if not lost:
        return
    in_use: list[int] = []
    for shard in smap.shards:
        if shard in lost:
            continue
        engine = make_engine(shard.url)
        try:
            with engine.connect() as conn:
                if any_shard_stamp(conn) != smap.stamp(shard.index):
                    continue
                tables = set(inspect(conn).get_table_names())
                if any(
                    t in tables and conn.execute(text(f"SELECT 1 FROM {t} LIMIT 1")).first() is not None
                    for t in ("consumers_current", "users")
                ):
                    in_use.append(shard.index)
        except SQLAlchemyError:  # a shard that cannot be read is reported by the init itself
            continue
        finally:
            engine.dispose()
    if in_use:
        names = ", ".join(where(s) for s in lost)
        used = ", ".join(map(str, in_use))
        raise InputError(
            f"{names}: the database does not exist, but shard(s) {used} of this map are "
            "stamped by it and hold consumers or accounts: the map is in use, so this database was moved or "
            "lost. Restore it (from where it was moved, or a backup) and run the command again; creating it "
            "empty would lose its consumers and their accounts. nothing was created"
        )


CLAIMS_SHOWN = 20
EXIT_CLAIMS = 3  # status: the shards agree, but claims are left without an account (1: they disagree)


def status(
    shard_map: MapArgument,
    claims_check: Annotated[
        bool,
        typer.Option(
            "--claims/--no-claims",
            help="look for claims left without an account (reads only the listings of shard 0's account "
            "directory not yet confirmed, and confirms those whose account exists; BENCHMARKS.md)",
        ),
    ] = True,
) -> None:
    """Each shard's stamp (checked against the map), consumers, active model, and whether its operator
    tables equal shard 0's; then the usernames claimed in shard 0's account directory whose account does
    not exist in the shard the claim names, each with the commands that finish or release it (only the
    claims not yet confirmed are checked; those whose account exists are confirmed). Exit 1 when a stamp is
    wrong or operator tables differ (each listed), else 3 when claims are left without an account, else 0."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from lucidscore.service import Difference, active_model, claims_without_accounts, operator_differences
    from lucidscore.store import migrate, open_database, read_shard_stamp

    smap = load_map(shard_map)
    table = Table(title=f"{smap.count} shard(s), map {smap.fingerprint[:12]}")
    for column in ("shard", "database", "stamp", "consumers", "active model", "operator tables"):
        table.add_column(column)
    bad = 0
    engines = []
    differing: dict[int, list[Difference]] = {}
    try:
        for shard in smap.shards:
            engine = open_database(shard.url)
            engines.append(engine)
            migrate(engine)
            found = read_shard_stamp(engine)
            with engine.connect() as conn:
                consumers = conn.execute(text("SELECT count(*) FROM consumers_current")).scalar_one()
            with Session(engine) as session:
                model = active_model(session)
            if shard.index == 0:
                operators = "shard 0's"
            else:
                diffs = operator_differences(engines[0], engine)
                operators = "same as shard 0" if not diffs else f"DIFFER: {len(diffs)} row(s)"
                if diffs:
                    differing[shard.index] = diffs
            expected = smap.stamp(shard.index)
            ok = found == expected
            bad += not ok
            said = "ok" if ok else ("none" if found is None else f"WRONG: {found.describe()}")
            table.add_row(
                str(shard.index),
                shard.shown,
                said,
                f"{consumers:,}",
                model.model_id if model else "(none)",
                operators,
            )
        # with a stamp that disagrees, a claim's shard index may name another database: not checked
        claims = None if bad or not claims_check else claims_without_accounts(engines, CLAIMS_SHOWN)
    finally:
        for engine in engines:
            engine.dispose()
    console = Console(highlight=False, soft_wrap=True)
    console.print(table)
    for index, diffs in differing.items():
        fixable = all(d.fixable for d in diffs)
        console.print(
            f"shard {index}: operator tables differ from shard 0's"
            + (" (lucidscore shards sync MAP copies shard 0's):" if fixable else ":"),
            markup=False,
        )
        for d in diffs[:20]:
            console.print(f"  {d.describe()}" + ("" if d.fixable else " (cannot be copied)"), markup=False)
        if len(diffs) > 20:
            console.print(f"  and {len(diffs) - 20} more", markup=False)
    if claims is None:
        why = "while a stamp disagrees with the map" if bad else "(--no-claims)"
        console.print(f"claims left without an account: not checked {why}", markup=False)
    else:
        _print_claims(console, smap, claims)
    if bad or differing:
        raise typer.Exit(1)
    if claims is not None and claims.count:
        raise typer.Exit(EXIT_CLAIMS)


def _print_claims(console: Console, smap: ShardMap, claims: UnfinishedClaims) -> None:
    """The claims left without an account, each with the command that finishes it and the one that
    releases it (the first ``CLAIMS_SHOWN``)."""
    if not claims.count:
        console.print("claims left without an account: none", markup=False)
        return
    console.print(
        f"claims left without an account: {claims.count:,} (usernames claimed in shard 0's account directory "
        "whose account does not exist in the shard they name: a sharded admin create or import stopped "
        "between the claim and the account, or is still running; they sign nobody in, and no other account "
        "can take the name). Finish each with the command that made it, or release it:",
        markup=False,
    )
    m = shlex.quote(str(smap.path))
    for c in claims.shown:
        name = shlex.quote(c.username)
        release = f"lucidscore admin release-claim {name} --shards {m}"
        if c.consumer_id is not None and 0 < c.shard < smap.count:
            whose = f"consumer {c.consumer_id}, shard {c.shard}"
            finish = (
                f"finish: lucidscore admin create consumer {name} --consumer-id {shlex.quote(c.consumer_id)} "
                f"--shards {m}; or release: {release}"
            )
        else:
            named = f"shard {c.shard}" + ("" if 0 <= c.shard < smap.count else ": no such shard in the map")
            whose = (f"consumer {c.consumer_id}, " if c.consumer_id else "") + named
            finish = f"release: {release}"
        console.print(f"  {c.username} ({whose}): {finish}", markup=False)
    if claims.count > len(claims.shown):
        console.print(f"  and {claims.count - len(claims.shown):,} more", markup=False)


def sync(shard_map: MapArgument) -> None:
    """Copy shard 0's operator tables (merchants, analysts, API keys, redirect URIs, catalogue versions) to
    every shard that is behind; each shard's stamp is checked first, and a shard whose differences copying
    cannot repair is named and left unchanged."""
    from lucidscore.cli._operators import operator_shards

    with operator_shards(shard_map) as ops:
        repaired = set(ops.repaired)
        for shard in ops.smap.shards[1:]:
            said = "copied from shard 0" if shard.index in repaired else "already the same as shard 0"
            Console(highlight=False, soft_wrap=True).print(f"{where(shard)}: {said}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``shards`` command group to the app."""
    shards_app.command("init")(init)
    shards_app.command("status")(status)
    shards_app.command("sync")(sync)
    app.add_typer(shards_app, name="shards")
