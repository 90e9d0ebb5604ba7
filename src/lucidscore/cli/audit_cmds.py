"""CLI command ``audit verify``: check the hash chains of the access log, score history and dispute trail.

Prints one line per chain — ``TABLE ok N links head TABLE:N:HASH`` (the head, ready for ``--expect-head``)
or ``TABLE BROKEN`` and the first broken or missing link — and exits 1 when any chain is broken (2 for a
database it cannot open).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from lucidscore.cli._shards import load_map, open_shard, refuse_both, require_db
from lucidscore.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from lucidscore.store import ChainStatus

audit_app = typer.Typer(
    help="Tamper-evident audit trails: verify the hash chains of the audit tables.", no_args_is_help=True
)


def _fail(what: str) -> None:
    """Say on stderr that chains are broken (``what``: how many, of how many) and exit 1."""
    Console(stderr=True, emoji=False).print(
        f"[bold red]audit:[/] {what}; the first broken or missing link of each is shown above",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(1)


def open_database(url: str) -> Engine:
    """An engine on an existing database (``store.open_database``, one line per mistake); never creates a
    SQLite file: verifying a new, empty database would prove nothing."""
    from lucidscore.store import open_database as open_existing

    if url.strip().lower() in ("sqlite://", "sqlite:///:memory:"):
        raise InputError(f"--db {url}: expected a database file, sqlite:///path/to/file.db")
    return open_existing(url, create=False)


def _line(status: ChainStatus) -> str:
    if status.problem is None:
        return f"{status.table:<16} ok      {status.links:>9,} links  head {status.anchor}"
    return f"{status.table:<16} BROKEN  {status.problem}"


def verify(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option(help="database URL: sqlite:///file.db or postgresql://... (or --shards MAP)")
    ] = None,
    anchor: Annotated[
        Path | None,
        typer.Option(
            help="anchor file from an earlier --save-anchor: each recorded head must still be there"
        ),
    ] = None,
    expect_head: Annotated[
        list[str] | None,
        typer.Option(
            "--expect-head",
            help="TABLE:N:HASH (a head an earlier run printed) that must still be in its chain; repeatable",
        ),
    ] = None,
    save_anchor: Annotated[
        Path | None,
        typer.Option(help="when every chain verifies, write their heads to this file (keep it elsewhere)"),
    ] = None,
    shards: Annotated[
        str | None,
        typer.Option(help="shard map (TOML): verify every shard's chains (each shard has its own), not --db"),
    ] = None,
) -> None:
    """Verify every audit chain link by link; print each chain's head; exit 1 at a broken or missing link."""
    from lucidscore.store import parse_anchor, read_anchor_file, verify_audit_chains, write_anchor_file

    if shards is not None:
        refuse_both(ctx)
        if anchor is not None or expect_head or save_anchor is not None:
            raise InputError(
                "--shards: --anchor, --expect-head and --save-anchor name one database's heads; "
                "verify a shard with --db to use them"
            )
        _verify_shards(shards)
        return
    db = require_db(db)

    anchors = [parse_anchor(text) for text in expect_head or ()]
    if anchor is not None:
        anchors += read_anchor_file(anchor)
    if save_anchor is not None and not save_anchor.parent.is_dir():
        raise InputError(f"--save-anchor {save_anchor}: folder {save_anchor.parent} does not exist")
    engine = open_database(db)
    try:
        statuses = verify_audit_chains(engine, anchors)
    finally:
        engine.dispose()
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    for status in statuses:
        console.print(_line(status), markup=False)
    broken = [s for s in statuses if not s.ok]
    if broken:
        _fail(f"{len(broken)} of {len(statuses)} audit chains broken")
    if save_anchor is not None:
        write_anchor_file(save_anchor, statuses)
        console.print(f"heads written to {save_anchor}", markup=False)


def _verify_shards(shard_map: str) -> None:
    """Every shard's chains: its stamp first, then each chain, one line per chain prefixed by the shard."""
    from lucidscore.store import verify_audit_chains

    smap = load_map(shard_map)
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    broken = total = 0
    for shard in smap.shards:
        engine = open_shard(shard, smap.stamp(shard.index))
        try:
            statuses = verify_audit_chains(engine, [])
        finally:
            engine.dispose()
        console.print(f"shard {shard.index} ({shard.shown})", markup=False)
        for status in statuses:
            console.print("  " + _line(status), markup=False)
        total += len(statuses)
        broken += sum(not s.ok for s in statuses)
    if broken:
        _fail(f"{broken} of {total} audit chains broken over {smap.count} shard(s)")


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command group to the app."""
    audit_app.command()(verify)
    app.add_typer(audit_app, name="audit")
