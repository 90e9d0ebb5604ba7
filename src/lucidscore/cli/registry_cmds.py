"""CLI group ``model``: show a model file, register one, list the registered models, activate one (scoring
everyone with it first when it has no scores), retire one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._db import DbOption, OptionalDbOption, ShardsOption, open_store
from lucidscore.cli._operators import _reason
from lucidscore.cli._progress import StageBars
from lucidscore.cli._shards import load_map, open_shard, refuse_both, require_db
from lucidscore.errors import InputError, LucidError, absent

model_app = typer.Typer(
    help="Model files and the models the service scores with: show, register, list, activate, retire.",
    no_args_is_help=True,
)


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True, emoji=False)


def show(
    file: Annotated[Path, typer.Argument(help="model JSON written by lucidscore train")],
    bins: Annotated[
        bool,
        typer.Option("--bins", help="every bin of every characteristic and every interaction grid's cells"),
    ] = False,
) -> None:
    """Print a model file's report, as lucidscore train printed it: per segment one row per characteristic
    (family, IV, bins, points, shape) and one line per interaction grid, or with --bins every bin (rows,
    bads, goods, bad rate, WOE, points) and every grid's cells; then the test metrics and training notes.
    The file is checked first (schema, content hash, policy guard); no database is needed."""
    from lucidscore.artifact import load_artifact
    from lucidscore.cli.model_cmds import print_report

    artifact = load_artifact(file)
    print_report(Console(), artifact, f"model {artifact.model_id} read from {file}", bins=bins)


def register_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="model JSON written by lucidscore train")],
    db: OptionalDbOption = None,
    description: Annotated[str, typer.Option(help="what the model is, for the model list")] = "",
    model_key: Annotated[
        Path | None,
        typer.Option(
            "--model-key",
            help="PEM private key to sign the model with (a service run with --model-key verifies it)",
        ),
    ] = None,
    shards: ShardsOption = None,
) -> None:
    """Register a model: its schema, content hash and inputs are checked (a model the policy guard refuses
    is never registered), and it is signed with --model-key. Registering the same file again changes
    nothing. With --shards, in every shard of the map."""
    from lucidscore.artifact import load_artifact
    from lucidscore.service import check_model_id, load_model_key

    artifact = load_artifact(file)
    check_model_id(artifact.model_id, str(file))  # before any database is asked about it
    key = load_model_key(model_key) if model_key is not None else None
    if shards is not None:
        refuse_both(ctx)
        smap = load_map(shards)
        engines = [open_shard(s, smap.stamp(s.index)) for s in smap.shards]
        try:
            _each_shard(
                smap,
                lambda shard: _register_in(
                    engines[shard.index],
                    artifact,
                    key,
                    description,
                    file,
                    f"shard {shard.index}: ",
                    f" --shards {shards}",
                ),
                f"model {artifact.model_id}: registered",
                f"lucidscore model register {file} --shards {shards}",
            )
        finally:
            for engine in engines:
                engine.dispose()
        return
    engine = open_store(require_db(db), create=True)
    _register_in(engine, artifact, key, description, file)


def _register_in(
    engine: Any, artifact: Any, key: Any, description: str, file: Path, prefix: str = "", where: str = ""
) -> None:
    """Register in one database; ``prefix`` names the shard, ``where`` is the option the next command
    needs (``--shards MAP``)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from lucidscore.service import register_model
    from lucidscore.store.service import ModelRecord

    try:
        with Session(engine, expire_on_commit=False) as session:
            known = session.scalar(select(ModelRecord.id).where(ModelRecord.model_id == artifact.model_id))
            record = register_model(session, artifact, key, description=description, source=str(file))
            new = known is None
            session.commit()
    finally:
        engine.dispose()
    what = "registered" if new else "already registered, unchanged:"
    _console().print(
        f"{prefix}{what} model {record.model_id} (content hash {record.content_hash}); "
        f"activate it with: lucidscore model activate {record.model_id}{where}",
        markup=False,
    )


def list_(db: DbOption) -> None:
    """List registered models: id, state, newest published month, registered, description."""
    from sqlalchemy.orm import Session

    from lucidscore.service import aware, models, published_month

    engine = open_store(db)
    try:
        with Session(engine, expire_on_commit=False) as session:
            rows = [(m, published_month(session, m.model_id)) for m in models(session)]
    finally:
        engine.dispose()
    table = Table(title=f"{len(rows)} model(s)")
    for column in ("model", "state", "newest month", "registered", "description"):
        table.add_column(column)
    for m, month in rows:
        state = "active" if m.active else ("retired" if m.retired_at is not None else "")
        table.add_row(
            m.model_id,
            state,
            month.isoformat() if month else "",
            aware(m.created_at).strftime("%Y-%m-%d"),
            m.description,
        )
    Console(highlight=False).print(table)


def _model_id_of(argument: str) -> str:
    """A model id as given, or the id inside a model file (``model.json``) named instead."""
    path = Path(argument)
    if path.suffix.lower() != ".json":
        return argument
    if not path.is_file():
        raise InputError(
            f"{path}: {absent(path, 'model file')}; give a registered model id or the registered file"
        )
    from lucidscore.artifact import load_artifact

    return load_artifact(path).model_id


def activate(
    ctx: typer.Context,
    model_id: Annotated[
        str,
        typer.Argument(
            help="a registered model id (see lucidscore model list), or the model file that was registered"
        ),
    ],
    db: OptionalDbOption = None,
    model_key: Annotated[
        Path | None,
        typer.Option("--model-key", help="PEM key the model's registration signature must verify with"),
    ] = None,
    shards: ShardsOption = None,
) -> None:
    """Make a model the one every decision uses. The stored model is checked first (schema, content hash,
    registered hash, policy guard, and its signature with --model-key); a model without scores is first
    published for the newest month, so no
    decision meets it without a score. With --shards, in every shard of the map (each checked first)."""
    from sqlalchemy.orm import Session

    from lucidscore.service import load_model_key, model_artifact, model_by_id

    key = load_model_key(model_key) if model_key is not None else None
    model_id = _model_id_of(model_id)
    if shards is None:
        db = require_db(db)
        _activate_in(open_store(db), db, model_id, key)
        return
    refuse_both(ctx)
    smap = load_map(shards)
    for shard in smap.shards:  # every shard holds the model and it passes its checks, before any changes
        engine = open_shard(shard, smap.stamp(shard.index))
        try:
            with Session(engine) as session:
                try:
                    model = model_by_id(session, model_id)
                    if model.retired_at is None:
                        model_artifact(model, key)
                except LucidError as exc:
                    raise type(exc)(f"shard {shard.index} ({shard.shown}): {exc.message}") from None
        finally:
            engine.dispose()
    _each_shard(
        smap,
        lambda shard: _activate_in(
            open_shard(shard, smap.stamp(shard.index)),
            shard.url,
            model_id,
            key,
            f"shard {shard.index}: ",
            f" --shards {shards}",
        ),
        f"model {model_id}: active",
        f"lucidscore model activate {model_id} --shards {shards}",
    )


def _each_shard(smap: Any, work: Callable[[Any], None], done: str, again: str) -> None:
    """``work(shard)`` for every shard in map order, each committing on its own (a database cannot join
    another's transaction: PostgreSQL's two-phase commit is off by default, SQLite has none). A shard that
    fails stops the command with an error saying which shards have the change and the command that
    finishes it: registering and activating again change nothing where they are done."""
    finished: list[int] = []
    for shard in smap.shards:
        try:
            work(shard)
        except Exception as exc:
            reason = exc.message if isinstance(exc, LucidError) else _reason(exc)
            left = [s.index for s in smap.shards if s.index not in finished]
            raise InputError(
                f"shard {shard.index} ({shard.shown}): {reason}. {done} in shard(s) "
                f"{', '.join(map(str, finished)) or 'none'}, not in shard(s) {', '.join(map(str, left))}; "
                f"once the cause is fixed, run the same command again to finish it: {again}"
            ) from None
        finished.append(shard.index)


def _activate_in(engine: Any, db: str, model_id: str, key: Any, prefix: str = "", where: str = "") -> None:
    from sqlalchemy.orm import Session

    from lucidscore.service import activate as activate_in_service
    from lucidscore.service import (
        model_artifact,
        model_by_id,
        newest_month,
        publish_month,
        published_month,
    )

    console = _console()
    try:
        with Session(engine, expire_on_commit=False) as session:
            model = model_by_id(session, model_id)
            if model.retired_at is None:
                model_artifact(model, key)  # refuse a bad stored model before any work
            month = newest_month(session) if published_month(session, model_id) is None else None
            session.commit()
            if month is not None and model.retired_at is None:
                with StageBars() as bars:
                    report = publish_month(db, month, model_id=model_id, progress=bars)
                console.print(
                    f"{prefix}scored {report.consumers:,} consumers with {model_id} for {month.isoformat()}",
                    markup=False,
                )
            activate_in_service(session, None, model_id, key)
            unscored = published_month(session, model_id) is None
    finally:
        engine.dispose()
    console.print(f"{prefix}model {model_id} is active", markup=False)
    if unscored:
        console.print(
            f"{prefix}note: no month is published yet; decisions answer 'no score' until lucidscore publish "
            f"--as-of YYYY-MM-DD{where} has run",
            markup=False,
        )


def retire(
    model_id: Annotated[str, typer.Argument(help="a registered model id that is not active")],
    db: DbOption,
) -> None:
    """Retire a model: it stays registered and its scores stay explainable, but it cannot be activated."""
    from sqlalchemy.orm import Session

    from lucidscore.service import retire_model

    engine = open_store(db)
    try:
        with Session(engine, expire_on_commit=False) as session:
            retire_model(session, model_id)
            session.commit()
    finally:
        engine.dispose()
    _console().print(f"model {model_id} is retired", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``model`` command group to the app."""
    model_app.command("show")(show)
    model_app.command("register")(register_)
    model_app.command("list")(list_)
    model_app.command("activate")(activate)
    model_app.command("retire")(retire)
    app.add_typer(model_app, name="model")
