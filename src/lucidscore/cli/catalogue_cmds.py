"""CLI group ``catalogue``: show the benefit catalogue the service decides with, set a new version. With
``--shards MAP`` the versions are written to every shard alike (``cli._operators``) and shown from shard 0."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._db import OptionalDbOption, ShardsOption, open_store, refuse_a_shard
from lucidscore.cli._operators import operator_shards
from lucidscore.cli._shards import refuse_both, require_db

catalogue_app = typer.Typer(
    help="The benefit catalogue, stored in the database and versioned: show, set.", no_args_is_help=True
)


def show(
    ctx: typer.Context,
    db: OptionalDbOption = None,
    version: Annotated[int | None, typer.Option(help="a past version (default: the current one)")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the catalogue as JSON (for catalogue set)")
    ] = False,
    shards: ShardsOption = None,
) -> None:
    """Show the current catalogue (or --version N): products, kinds, minimum scores, and every version.
    With --shards, shard 0's (every shard's stamp checked; a shard whose versions differ is named)."""
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from lucidscore.policy import default_catalogue
    from lucidscore.service import CurrentCatalogue, aware, catalogue_version, catalogue_versions

    def read(engine: Engine) -> tuple[list[Any], CurrentCatalogue]:
        with Session(engine, expire_on_commit=False) as session:
            versions = list(catalogue_versions(session))
            if versions or version is not None:
                return versions, catalogue_version(session, version)
            return versions, CurrentCatalogue(None, default_catalogue())

    if shards is not None:
        refuse_both(ctx)
        with operator_shards(shards, repair=False) as ops:
            versions, chosen = read(ops.engines[0])
            _warn_differing(ops)
    else:
        engine = open_store(require_db(db))
        try:
            versions, chosen = read(engine)
        finally:
            engine.dispose()
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    if not versions and not as_json:
        console.print(
            "no catalogue version is stored yet: the service stores the default below as version 1 when it "
            "starts (or the file named by LUCIDSCORE_BENEFIT_CATALOGUE_PATH); lucidscore catalogue set FILE "
            "stores one now",
            markup=False,
        )
    if as_json:
        console.print(json.dumps(chosen.catalogue.model_dump(mode="json"), indent=2), markup=False)
        return
    current = versions[-1].version if versions else None
    if current is None:
        title = "default benefit catalogue"
    elif chosen.version == current:
        title = f"benefit catalogue version {chosen.version} (current)"
    else:
        title = f"benefit catalogue version {chosen.version} (not current; the current version is {current})"
    table = Table(title=title)
    for column, justify in (("product", "left"), ("label", "left"), ("kind", "left"), ("min score", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for b in chosen.catalogue.benefits:
        table.add_row(b.product, b.label, b.kind, str(b.min_score))
    console.print(table)
    for v in versions:
        note = f" - {v.note}" if v.note else ""
        moment = aware(v.created_at).strftime("%Y-%m-%d %H:%M")
        console.print(f"version {v.version}: set {moment} from {v.source}{note}", markup=False)


def _warn_differing(ops: Any) -> None:
    from lucidscore.service import operator_differences

    for shard, engine in zip(ops.smap.shards[1:], ops.engines[1:], strict=True):
        diffs = [d for d in operator_differences(ops.engines[0], engine) if d.table == "benefit_catalogues"]
        if diffs:
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                f"warning: shard {shard.index} ({shard.shown}): catalogue versions differ from shard 0's: "
                + "; ".join(d.describe() for d in diffs[:5])
                + " (lucidscore shards sync MAP copies shard 0's)",
                markup=False,
            )


def set_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help='JSON: {"benefits": [{"product", "label", "kind", "min_score"}]}')
    ],
    db: OptionalDbOption = None,
    note: Annotated[str, typer.Option(help="why this version (kept with it)")] = "",
    shards: ShardsOption = None,
) -> None:
    """Set a new catalogue version from FILE, after its policy checks (a product for employment, housing,
    schooling, travel, internet, government services or a public display of the score is refused). The
    service uses it at once; every later decision records its version. With --shards, the same version
    in every shard."""
    from sqlalchemy.orm import Session

    from lucidscore.policy import load_catalogue
    from lucidscore.service import set_catalogue

    catalogue = load_catalogue(file)
    if shards is not None:
        refuse_both(ctx)
        with operator_shards(shards) as ops:
            row, new = ops.change(lambda s: set_catalogue(s, catalogue, source=str(file), note=note))
            _said(row.version, new, file, len(catalogue.benefits))
            ops.replicate(f"benefit catalogue version {row.version}")
        return
    engine = open_store(require_db(db), create=True)
    try:
        refuse_a_shard(
            engine,
            f"lucidscore catalogue set {shlex.quote(str(file))}"
            + (f" --note {shlex.quote(note)}" if note else ""),
            "benefit catalogue versions of a deployment split by consumer are set through its shard map, "
            "which sets the same version in every shard (set in one shard alone, shards decide with "
            "different catalogues, and a version shard 0 lacks stops every sharded operator command); "
            "nothing was set",
        )
        with Session(engine, expire_on_commit=False) as session:
            row, new = set_catalogue(session, catalogue, source=str(file), note=note)
            session.commit()
    finally:
        engine.dispose()
    _said(row.version, new, file, len(catalogue.benefits))


def _said(version: int, new: bool, file: Path, products: int) -> None:
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    if new:
        console.print(
            f"benefit catalogue version {version} set ({products} products); the service uses it from now on",
            markup=False,
        )
    else:
        console.print(f"unchanged: {file} is the current version {version} already", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``catalogue`` command group to the app."""
    catalogue_app.command("show")(show)
    catalogue_app.command("set")(set_)
    app.add_typer(catalogue_app, name="catalogue")
