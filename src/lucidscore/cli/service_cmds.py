"""CLI commands ``serve`` (the web service) and ``demo`` (build everything, then serve it)."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._flags import flags
from lucidscore.errors import InputError


def _check_port(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise InputError(
                f"--port {port}: {host}:{port} is already in use; choose another with --port"
            ) from None


def _run(app: object, host: str, port: int, console: Console) -> None:
    import uvicorn

    console.print(f"Serving on [bold]http://{host}:{port}[/] (API docs at /docs). Press Ctrl-C to stop.")
    from lucidscore.api import NoDelayH11Protocol, settle_heap

    settle_heap()
    # proxy_headers off: uvicorn would trust X-Forwarded-For from 127.0.0.1; the app decides, from
    # forwarded_allow_ips (issue 11).
    uvicorn.run(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level="warning",
        http=NoDelayH11Protocol,
        proxy_headers=False,
    )
    console.print("Stopped.")


def serve(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(help="database URL (default: LUCIDSCORE_DB_URL)")] = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="month disputes are rescored in while none is published, YYYY-MM-DD "
            "(afterwards: the newest published month)",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=16, help="uvicorn worker processes")] = 1,
    create: Annotated[
        bool, typer.Option("--create", help="create the SQLite database file if it does not exist")
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="proxies whose X-Forwarded-For is trusted (IPs or networks, comma-separated); none if unset",
        ),
    ] = None,
    model_key: Annotated[
        Path | None, typer.Option("--model-key", help="PEM key stored models must be signed with")
    ] = None,
    shards: Annotated[
        str | None,
        typer.Option(
            "--shards",
            help="shard map of a deployment split by consumer: serve every shard, each request from its "
            "consumer's shard (instead of --db)",
        ),
    ] = None,
) -> None:
    """Serve the score service (consumer pages, merchant decisions, analyst pages) on an existing database,
    or with --shards on every database of a shard map (each shard's stamp checked first)."""
    from lucidscore.api import Settings, create_app
    from lucidscore.service import PipelineRescorer
    from lucidscore.store import DatabaseMissing, migrate, open_database, read_shard_stamp

    overrides: dict[str, object] = {}
    if shards is not None:
        from lucidscore.cli._shards import load_map, refuse_both

        refuse_both(ctx)
        if create:
            raise InputError("--create: not with --shards; lucidscore shards init MAP creates the shards")
        overrides["shard_map"] = load_map(shards).path
    if db is not None:
        overrides["db_url"] = db
    if forwarded_allow_ips is not None:
        overrides["forwarded_allow_ips"] = forwarded_allow_ips
    if model_key is not None:
        overrides["model_key_path"] = model_key
    if as_of is not None:
        try:
            overrides["as_of"] = date.fromisoformat(as_of)
        except ValueError:
            raise InputError(f"--as-of {as_of!r}: expected a date YYYY-MM-DD") from None
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if shards is not None:
        _serve_shards(settings, host, port, workers)
        return
    try:
        engine = open_database(settings.db_url, create=create)
    except DatabaseMissing as exc:
        raise InputError(f"{exc.message}; pass --create to start a new, empty database there") from None
    migrate(engine)
    stamp = read_shard_stamp(engine)
    engine.dispose()  # the app builds its own engine, with the service's pool
    note = None
    if stamp is not None:  # the service does not read a shard map: say what it serves
        note = (
            f"Note: this database is {stamp.describe()}: the service answers for that shard's consumers "
            "only; requests about other consumers must reach their shard's service."
        )
    _start(
        settings,
        host,
        port,
        workers,
        note,
        lambda: create_app(settings, rescorer=PipelineRescorer(settings.db_url, settings.as_of)),
    )


def _serve_shards(settings: object, host: str, port: int, workers: int) -> None:
    """Every shard of ``settings.shard_map``, each checked (stamp, operator tables) before serving."""
    from lucidscore.api import Settings, create_app, shard_engines
    from lucidscore.policy import default_catalogue, load_catalogue
    from lucidscore.service import PipelineRescorer

    assert isinstance(settings, Settings) and settings.shard_map is not None
    path = settings.benefit_catalogue_path
    shards = shard_engines(
        settings.shard_map,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
        seed=load_catalogue(path) if path else default_catalogue(),
        seed_source=str(path) if path else "default",
        rescorer=lambda url: PipelineRescorer(url, settings.as_of),
    )
    note = (
        f"Serving {shards.count} shard(s) of {settings.shard_map}: each request is answered from its "
        "consumer's shard."
    )
    # with workers, each worker opens (and checks) the shards again
    _start(settings, host, port, workers, note, lambda: create_app(settings, shards=shards), shards.dispose)


def _start(
    settings: object,
    host: str,
    port: int,
    workers: int,
    note: str | None,
    make_app: Callable[[], object],
    release: Callable[[], None] = lambda: None,
) -> None:
    """Serve: the port checked, ``note`` printed, then ``workers`` processes (each builds its own app from
    the settings; ``release`` first gives back what this process opened) or the app ``make_app`` makes."""
    _check_port(host, port)
    if note is not None:
        Console(stderr=True).print(note, soft_wrap=True, highlight=False)
    if workers > 1:
        release()
        _run_workers(settings, host, port, workers, Console())
        return
    _run(make_app(), host, port, Console())


def _run_workers(settings: object, host: str, port: int, workers: int, console: Console) -> None:
    """Several processes: each builds the app from ``LUCIDSCORE_*`` variables (one shared secret key)."""
    import os

    import uvicorn

    from lucidscore.api import Settings

    assert isinstance(settings, Settings)
    for name in ("db_url", "shard_map", "as_of", "forwarded_allow_ips", "model_key_path"):
        value = getattr(settings, name)
        if value is not None:
            os.environ[f"LUCIDSCORE_{name.upper()}"] = str(value)
    os.environ["LUCIDSCORE_SECRET_KEY"] = settings.secret_key.get_secret_value()
    console.print(f"Serving on [bold]http://{host}:{port}[/] with {workers} workers. Press Ctrl-C to stop.")
    from lucidscore.api import NoDelayH11Protocol

    uvicorn.run(
        "lucidscore.api:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        http=NoDelayH11Protocol,  # the workers' shared socket would leave Nagle on (see _serving)
        proxy_headers=False,  # the app trusts X-Forwarded-For from forwarded_allow_ips only
    )
    console.print("Stopped.")


def logins_table(build: object) -> Table:
    from lucidscore.demo import DemoBuild

    assert isinstance(build, DemoBuild)
    table = Table(title="Demo logins (sign in at /signin; merchants use the API key on /merchant)")
    for column in ("who", "username", "password / API key", "notes"):
        table.add_column(column, overflow="fold")
    for c in build.logins.consumers:
        table.add_row("consumer", c["username"], c["password"], f"{c['tier']}, score {c['score']}")
    for m in build.logins.merchants:
        table.add_row("merchant", m["username"], "(API key below)", m["name"])
    table.add_row(
        "analyst", build.logins.analyst["username"], build.logins.analyst["password"], "models, disputes"
    )
    return table


def demo(
    consumers: Annotated[int, typer.Option(min=200, help="synthetic consumers to generate")] = 20_000,
    seed: Annotated[int, typer.Option(help="seed of the synthetic population")] = 7,
    directory: Annotated[Path, typer.Option("--dir", help="where the demo's data and database live")] = Path(
        "lucidscore-demo"
    ),
    rebuild: Annotated[
        bool | None,
        typer.Option("--rebuild/--reuse", help="rebuild or reuse an existing demo (default: ask)"),
    ] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to serve on (127.0.0.1 only)")] = 8000,
    serve_it: Annotated[bool, typer.Option("--serve/--no-serve", help="serve after building")] = True,
) -> None:
    """Build a synthetic population, train and score it, create demo logins, and serve the web app."""
    from lucidscore.demo import build_demo, demo_rescorer, demo_settings, existing_demo

    console = Console()
    host = "127.0.0.1"
    if serve_it:
        _check_port(host, port)
    build = existing_demo(directory)
    if build is not None and rebuild is None:
        if sys.stdin.isatty():
            rebuild = not typer.confirm(f"A demo exists in {directory}. Reuse it?", default=True)
        else:
            rebuild = False
    if build is None or rebuild:
        started = time.perf_counter()
        with flags(directory="--dir"):
            build = build_demo(directory, consumers, seed, console=console)
        console.print(f"Built in {time.perf_counter() - started:.0f} s: {directory}", soft_wrap=True)
    else:
        console.print(f"Reusing the demo in {directory} (pass --rebuild to start afresh).", soft_wrap=True)
    console.print(logins_table(build))
    for m in build.logins.merchants:
        console.print(f"API key of {m['username']}: {m['api_key']}", soft_wrap=True, highlight=False)
    if serve_it:
        from lucidscore.api import create_app  # here: --no-serve builds without the web app (FastAPI)

        app = create_app(demo_settings(build), rescorer=demo_rescorer(build))
        _run(app, host, port, console)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(serve)
    app.command()(demo)
