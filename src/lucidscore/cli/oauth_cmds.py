"""CLI commands ``merchant redirect-uri add|list|remove``: the redirection URIs a merchant registers for
OAuth 2.0 (issue 12). ``/oauth/authorize`` sends a consumer back only to one of these, compared exactly.

    lucidscore merchant redirect-uri add shop_x https://shop-x.example/lucidscore/callback --db sqlite:///x.db

With ``--shards MAP`` instead of ``--db``, the URIs are written to every shard alike (``cli._operators``).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")

merchant_app = typer.Typer(help="Merchants as OAuth 2.0 clients.", no_args_is_help=True)
redirect_app = typer.Typer(
    help="The redirect URIs a merchant registers for OAuth (exact match; https, or http on localhost).",
    no_args_is_help=True,
)

Db = Annotated[
    str | None, typer.Option(help="database URL: sqlite:///file.db or postgresql://... (or --shards MAP)")
]
Shards = Annotated[
    str | None,
    typer.Option("--shards", help="shard map: every database of a deployment split by consumer, not --db"),
]
Merchant = Annotated[str, typer.Argument(help="the merchant's username (its OAuth client_id)")]
Uri = Annotated[str, typer.Argument(help="the redirect URI, exactly as the merchant's OAuth client sends it")]


@contextmanager
def _session(db: str, command: str = "") -> Iterator[Session]:
    """A session on an existing, migrated database, committed when the command succeeds. ``command``: a
    change (as typed, without ``--db``), refused on a shard's database before anything is written."""
    from sqlalchemy.orm import Session

    from lucidscore.cli._db import refuse_a_shard
    from lucidscore.store import open_database

    engine = open_database(db, create=False)
    try:
        if command:
            refuse_a_shard(
                engine,
                command,
                "a merchant's redirect URIs are copies in every shard of a deployment split by consumer, "
                "changed through its shard map, which changes them in every shard (changed in one shard "
                "alone, the shards answer OAuth requests differently, and a row shard 0 lacks stops every "
                "sharded operator command); nothing was changed",
            )
        with Session(engine) as session:
            yield session
            session.commit()
    finally:
        engine.dispose()


def _run(
    db: str | None, shards: str | None, work: Callable[[Session], T], what: str = "", command: str = ""
) -> T:
    """``work`` in the database, or with ``--shards``: in shard 0, then copied to every shard (``what``
    names the change, for a command that changes something; ``command``: that command as typed, without
    ``--db``, named when a shard's database is given to ``--db``)."""
    from lucidscore.cli._operators import operator_shards
    from lucidscore.errors import InputError

    if shards is not None:
        if db is not None:
            raise InputError(
                "--db and --shards: give one; --shards MAP names every database of the deployment"
            )
        with operator_shards(shards, repair=bool(what)) as ops:
            out = ops.change(work)
            if what:
                ops.replicate(what)
            return out
    if db is None:
        raise InputError("--db: missing; give the database URL with --db, or --shards MAP")
    with _session(db, command if what else "") as session:
        return work(session)


def _typed(verb: str, merchant: str, uri: str) -> str:
    return " ".join(
        shlex.quote(w) for w in ("lucidscore", "merchant", "redirect-uri", verb, merchant, uri.strip())
    )


def add(merchant: Merchant, uri: Uri, db: Db = None, shards: Shards = None) -> None:
    """Register URI for MERCHANT."""
    from lucidscore.service import add_redirect_uri

    _run(
        db,
        shards,
        lambda s: add_redirect_uri(s, merchant, uri.strip()),
        f"redirect URI {uri.strip()}",
        _typed("add", merchant, uri),
    )
    typer.echo(f"registered {uri.strip()} for {merchant}")


def list_(merchant: Merchant, db: Db = None, shards: Shards = None) -> None:
    """Print MERCHANT's redirect URIs, one a line."""
    from lucidscore.service import redirect_uris_of

    for uri in _run(db, shards, lambda s: redirect_uris_of(s, merchant)):
        typer.echo(uri)


def remove(merchant: Merchant, uri: Uri, db: Db = None, shards: Shards = None) -> None:
    """Unregister URI (codes already issued for it still redeem until they expire, within minutes)."""
    from lucidscore.service import remove_redirect_uri

    what = f"the removal of {uri.strip()}"
    _run(
        db,
        shards,
        lambda s: remove_redirect_uri(s, merchant, uri.strip()),
        what,
        _typed("remove", merchant, uri),
    )
    typer.echo(f"removed {uri.strip()} from {merchant}")


def register(app: typer.Typer) -> None:
    """Add the ``merchant`` command group (with ``redirect-uri``) to the app."""
    redirect_app.command()(add)
    redirect_app.command("list")(list_)
    redirect_app.command()(remove)
    merchant_app.add_typer(redirect_app, name="redirect-uri")
    app.add_typer(merchant_app, name="merchant")
