"""CLI group ``admin``: merchants (API keys), analysts and consumer accounts — create (one, or many from a
CSV file, all or none), list, rotate credentials, revoke. Secrets are printed once and never stored."""

from __future__ import annotations

import csv
import io
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._db import DbOption, open_store
from lucidscore.errors import InputError

if TYPE_CHECKING:
    from lucidscore.service import NewAccount

admin_app = typer.Typer(
    help="Accounts: merchants (API keys), analysts and consumers. Secrets are shown once.",
    no_args_is_help=True,
)


class Role(StrEnum):
    merchant = "merchant"
    analyst = "analyst"
    consumer = "consumer"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True, emoji=False)


def _print_new(accounts: list[NewAccount], console: Console) -> None:
    for a in accounts:
        console.print(
            f"created {a.role} {a.username}"
            + (f" (consumer {a.consumer_id})" if a.consumer_id else "")
            + f"; {a.secret_kind}, shown once: {a.secret}",
            markup=False,
        )


def create(
    role: Annotated[Role, typer.Argument(help="merchant, analyst or consumer")],
    username: Annotated[str, typer.Argument(help="sign-in name (merchants: their name in consents)")],
    db: DbOption,
    name: Annotated[str, typer.Option("--name", help="display name (default: the username)")] = "",
    consumer_id: Annotated[
        str | None, typer.Option("--consumer-id", help="consumer accounts: the consumer's id in the records")
    ] = None,
) -> None:
    """Create one account; print its API key (merchant) or password (analyst, consumer) once."""
    from sqlalchemy.orm import Session

    from lucidscore.service import AccountSpec, create_account

    engine = open_store(db, create=True)
    try:
        with Session(engine, expire_on_commit=False) as session:
            made = create_account(session, AccountSpec(role.value, username, name, consumer_id))
            session.commit()
    finally:
        engine.dispose()
    _print_new([made], _console())


def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV with a header: role,username[,display_name][,consumer_id]")
    ],
    db: DbOption,
    secrets_out: Annotated[
        Path | None,
        typer.Option(
            "--secrets-out",
            help="write username,role,secret_kind,secret to this new file (mode 0600) instead of the screen",
        ),
    ] = None,
) -> None:
    """Create every account of a CSV file, or none: each bad row is named (file, row, column, what was
    expected). Print each secret once (or write them to --secrets-out)."""
    from sqlalchemy.orm import Session

    from lucidscore.service import create_accounts_from_csv

    if secrets_out is not None:
        if secrets_out.exists():
            raise InputError(f"--secrets-out {secrets_out}: the file exists; name a new file")
        if not secrets_out.parent.is_dir():
            raise InputError(f"--secrets-out {secrets_out}: folder {secrets_out.parent} does not exist")
    engine = open_store(db, create=True)
    try:
        with Session(engine, expire_on_commit=False) as session:
            made = create_accounts_from_csv(session, file)
            if secrets_out is not None:
                _write_secrets(secrets_out, made)  # before the commit: no account without its secret
            try:
                session.commit()
            except BaseException:
                if secrets_out is not None:
                    secrets_out.unlink(missing_ok=True)  # and no secret without its account
                raise
    finally:
        engine.dispose()
    console = _console()
    if secrets_out is None:
        _print_new(made, console)
    console.print(
        f"{len(made)} account(s) created from {file}"
        + (f"; secrets written to {secrets_out} (shown nowhere else)" if secrets_out is not None else ""),
        markup=False,
    )


def _write_secrets(path: Path, made: list[NewAccount]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["username", "role", "secret_kind", "secret"])
    for a in made:
        writer.writerow([a.username, a.role, a.secret_kind, a.secret])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(buffer.getvalue())


def list_(
    db: DbOption,
    role: Annotated[Role | None, typer.Option(help="only accounts of this role")] = None,
) -> None:
    """List accounts: role, username, display name, consumer id, created, revoked, working API keys."""
    from sqlalchemy.orm import Session

    from lucidscore.service import accounts, aware

    engine = open_store(db)
    try:
        with Session(engine, expire_on_commit=False) as session:
            rows = accounts(session, role.value if role is not None else None)
    finally:
        engine.dispose()
    table = Table(title=f"{len(rows)} account(s)")
    for column in ("role", "username", "display name", "consumer", "created", "revoked", "api keys"):
        table.add_column(column)
    for a in rows:
        table.add_row(
            a.role,
            a.username,
            a.display_name,
            a.consumer_id or "",
            aware(a.created_at).strftime("%Y-%m-%d"),
            aware(a.revoked_at).strftime("%Y-%m-%d") if a.revoked_at else "",
            str(a.active_keys) if a.role == "merchant" else "",
        )
    Console(highlight=False).print(table)


def rotate(username: Annotated[str, typer.Argument(help="the account")], db: DbOption) -> None:
    """New credentials, shown once: a merchant gets a new API key (its old keys stop working), an analyst
    or consumer a new password (their sessions end)."""
    from sqlalchemy.orm import Session

    from lucidscore.service import rotate_credentials

    engine = open_store(db)
    try:
        with Session(engine, expire_on_commit=False) as session:
            made = rotate_credentials(session, username)
            session.commit()
    finally:
        engine.dispose()
    _console().print(
        f"rotated {made.role} {made.username}; new {made.secret_kind}, shown once: {made.secret}",
        markup=False,
    )


def revoke(username: Annotated[str, typer.Argument(help="the account")], db: DbOption) -> None:
    """Revoke an account: no more sign-ins or API calls; its sessions end, a merchant's keys stop working.
    The account and its history stay on record."""
    from sqlalchemy.orm import Session

    from lucidscore.service import revoke_account

    engine = open_store(db)
    try:
        with Session(engine, expire_on_commit=False) as session:
            info = revoke_account(session, username)
            session.commit()
    finally:
        engine.dispose()
    _console().print(f"revoked {info.role} {info.username}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``admin`` command group to the app."""
    admin_app.command("create")(create)
    admin_app.command("import")(import_)
    admin_app.command("list")(list_)
    admin_app.command("rotate")(rotate)
    admin_app.command("revoke")(revoke)
    app.add_typer(admin_app, name="admin")
