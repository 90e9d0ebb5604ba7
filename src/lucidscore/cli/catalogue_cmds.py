"""CLI group ``catalogue``: show the benefit catalogue the service decides with, set a new version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._db import DbOption, open_store

catalogue_app = typer.Typer(
    help="The benefit catalogue, stored in the database and versioned: show, set.", no_args_is_help=True
)


def show(
    db: DbOption,
    version: Annotated[int | None, typer.Option(help="a past version (default: the current one)")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the catalogue as JSON (for catalogue set)")
    ] = False,
) -> None:
    """Show the current catalogue (or --version N): products, kinds, minimum scores, and every version."""
    from sqlalchemy.orm import Session

    from lucidscore.policy import default_catalogue
    from lucidscore.service import CurrentCatalogue, aware, catalogue_version, catalogue_versions

    engine = open_store(db)
    try:
        with Session(engine, expire_on_commit=False) as session:
            versions = catalogue_versions(session)
            if versions or version is not None:
                chosen = catalogue_version(session, version)
            else:
                chosen = CurrentCatalogue(None, default_catalogue())
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


def set_(
    file: Annotated[
        Path, typer.Argument(help='JSON: {"benefits": [{"product", "label", "kind", "min_score"}]}')
    ],
    db: DbOption,
    note: Annotated[str, typer.Option(help="why this version (kept with it)")] = "",
) -> None:
    """Set a new catalogue version from FILE, after its policy checks (a product for employment, housing,
    schooling, travel, internet, government services or a public display of the score is refused). The
    service uses it at once; every later decision records its version."""
    from sqlalchemy.orm import Session

    from lucidscore.policy import load_catalogue
    from lucidscore.service import set_catalogue

    catalogue = load_catalogue(file)
    engine = open_store(db, create=True)
    try:
        with Session(engine, expire_on_commit=False) as session:
            row, new = set_catalogue(session, catalogue, source=str(file), note=note)
            session.commit()
    finally:
        engine.dispose()
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    if new:
        console.print(
            f"benefit catalogue version {row.version} set ({len(catalogue.benefits)} products); "
            "the service uses it from now on",
            markup=False,
        )
    else:
        console.print(f"unchanged: {file} is the current version {row.version} already", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``catalogue`` command group to the app."""
    catalogue_app.command("show")(show)
    catalogue_app.command("set")(set_)
    app.add_typer(catalogue_app, name="catalogue")
