"""CLI group ``shards``: a deployment split by consumer over several databases (a shard map).

``shards init MAP`` creates (SQLite) and migrates every database of the map and stamps each with its
index, the shard count and the map's fingerprint; ``shards status MAP`` shows each shard's stamp, its
consumers and its active model. The sharded forms of the other commands take ``--shards MAP``:
``ingest``, ``publish``, ``model register``, ``model activate`` and ``audit verify``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._shards import load_map, where

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


def status(shard_map: MapArgument) -> None:
    """Each shard's stamp (checked against the map), consumers and active model."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from lucidscore.service import active_model
    from lucidscore.store import migrate, open_database, read_shard_stamp

    smap = load_map(shard_map)
    table = Table(title=f"{smap.count} shard(s), map {smap.fingerprint[:12]}")
    for column in ("shard", "database", "stamp", "consumers", "active model"):
        table.add_column(column)
    bad = 0
    for shard in smap.shards:
        engine = open_database(shard.url)
        try:
            migrate(engine)
            found = read_shard_stamp(engine)
            with engine.connect() as conn:
                consumers = conn.execute(text("SELECT count(*) FROM consumers_current")).scalar_one()
            with Session(engine) as session:
                model = active_model(session)
        finally:
            engine.dispose()
        expected = smap.stamp(shard.index)
        ok = found == expected
        bad += not ok
        said = "ok" if ok else ("none" if found is None else f"WRONG: {found.describe()}")
        table.add_row(
            str(shard.index), shard.shown, said, f"{consumers:,}", model.model_id if model else "(none)"
        )
    Console(highlight=False).print(table)
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``shards`` command group to the app."""
    shards_app.command("init")(init)
    shards_app.command("status")(status)
    app.add_typer(shards_app, name="shards")
