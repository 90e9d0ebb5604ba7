"""CLI group ``admin``: merchants (API keys), analysts and consumer accounts — create (one, or many from a
CSV file, all or none), list, rotate credentials, revoke. Secrets are printed once and never stored.

With ``--shards MAP`` (a deployment split by consumer): merchants and analysts, with their keys, are
written to every shard with the same ids (``cli._operators``); a consumer account goes to its consumer's
shard only."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._db import OptionalDbOption, ShardsOption, open_store
from lucidscore.cli._operators import OperatorShards, operator_shards
from lucidscore.cli._shards import refuse_both, require_db
from lucidscore.errors import InputError

if TYPE_CHECKING:
    from lucidscore.service import AccountSpec, NewAccount

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
    ctx: typer.Context,
    role: Annotated[Role, typer.Argument(help="merchant, analyst or consumer")],
    username: Annotated[str, typer.Argument(help="sign-in name (merchants: their name in consents)")],
    db: OptionalDbOption = None,
    name: Annotated[str, typer.Option("--name", help="display name (default: the username)")] = "",
    consumer_id: Annotated[
        str | None, typer.Option("--consumer-id", help="consumer accounts: the consumer's id in the records")
    ] = None,
    shards: ShardsOption = None,
) -> None:
    """Create one account; print its API key (merchant) or password (analyst, consumer) once. With
    --shards, a merchant or analyst in every shard (same id), a consumer in their shard."""
    from sqlalchemy.orm import Session

    from lucidscore.service import AccountSpec, create_account

    spec = AccountSpec(role.value, username, name, consumer_id)
    if shards is not None:
        refuse_both(ctx)
        with operator_shards(shards) as ops:
            _create_sharded(ops, spec)
        return
    engine = open_store(require_db(db), create=True)
    try:
        with Session(engine, expire_on_commit=False) as session:
            made = create_account(session, spec)
            session.commit()
    finally:
        engine.dispose()
    _print_new([made], _console())


def _target(ops: OperatorShards, spec: AccountSpec) -> int:
    """The shard an account is created in: its consumer's for a consumer account, else shard 0 (copied
    from there to the others)."""
    from lucidscore.store import shard_of

    if spec.role == "consumer" and spec.consumer_id:
        return shard_of(spec.consumer_id, ops.smap.count)
    return 0


def _create_sharded(ops: OperatorShards, spec: AccountSpec) -> None:
    from lucidscore.service import Conflict, create_account

    taken = ops.usernames_taken({spec.username})
    if spec.username in taken:
        copied = ops.copied_for(spec.username)
        if copied:  # a previous run stored it in shard 0 and failed after: finished now
            _console().print(
                f"{spec.role} {spec.username} was created before (in shard 0); copied now to shard(s) "
                f"{', '.join(map(str, copied))}. Its secret is the one shown when it was created "
                "(lucidscore admin rotate makes a new one).",
                markup=False,
            )
            return
        raise Conflict(
            f"username {spec.username!r} is taken (an account in shard {taken[spec.username]}); "
            "choose another",
            field="username",
        )
    target = _target(ops, spec)
    with ops.session(target) as session:
        made = create_account(session, spec)
        session.commit()
    _print_new([made], _console())
    if target == 0 and spec.role != "consumer":
        ops.replicate(f"{spec.role} {spec.username}")


def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV with a header: role,username[,display_name][,consumer_id]")
    ],
    db: OptionalDbOption = None,
    secrets_out: Annotated[
        Path | None,
        typer.Option(
            "--secrets-out",
            help="write username,role,secret_kind,secret to this new file (mode 0600) instead of the screen",
        ),
    ] = None,
    shards: ShardsOption = None,
) -> None:
    """Create every account of a CSV file, or none: each bad row is named (file, row, column, what was
    expected). Print each secret once (or write them to --secrets-out). With --shards, merchants and
    analysts in every shard (same ids), each consumer in their shard."""
    from sqlalchemy.orm import Session

    from lucidscore.service import create_accounts_from_csv

    if secrets_out is not None:
        if secrets_out.exists():
            raise InputError(f"--secrets-out {secrets_out}: the file exists; name a new file")
        if not secrets_out.parent.is_dir():
            raise InputError(f"--secrets-out {secrets_out}: folder {secrets_out.parent} does not exist")
    if shards is not None:
        refuse_both(ctx)
        with operator_shards(shards) as ops:
            made = _import_sharded(ops, file, secrets_out)
            if made is None:
                return
            _imported(made, file, secrets_out)
            if any(a.role != "consumer" for a in made):
                ops.replicate(f"the {sum(a.role != 'consumer' for a in made)} merchant/analyst account(s)")
        return
    engine = open_store(require_db(db), create=True)
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
    _imported(made, file, secrets_out)


def _imported(made: list[NewAccount], file: Path, secrets_out: Path | None) -> None:
    console = _console()
    if secrets_out is None:
        _print_new(made, console)
    console.print(
        f"{len(made)} account(s) created from {file}"
        + (f"; secrets written to {secrets_out} (shown nowhere else)" if secrets_out is not None else ""),
        markup=False,
    )


def _already_made(ops: OperatorShards, specs: list[AccountSpec]) -> bool:
    """Whether every account of ``specs`` exists, as the same role and consumer, in its shard."""
    from sqlalchemy import select

    from lucidscore.store.service import User

    for spec in specs:
        with ops.engines[_target(ops, spec)].connect() as conn:
            row = conn.execute(
                select(User.role, User.consumer_id).where(User.username == spec.username)
            ).first()
        if row is None or row.role != spec.role or (row.consumer_id or None) != (spec.consumer_id or None):
            return False
    return True


def _import_sharded(ops: OperatorShards, file: Path, secrets_out: Path | None) -> list[NewAccount] | None:
    """Every account of the file, each in its shard, or none: every shard's rows are checked before any
    is committed; the shards are then committed in order (shard 0 first)."""
    from collections import Counter
    from contextlib import ExitStack

    from lucidscore.service import create_accounts_from_csv, read_accounts_csv

    rows = read_accounts_csv(file)
    counts = Counter(spec.username for _, spec in rows)
    taken = ops.usernames_taken(set(counts))
    lines = [
        f"{file} row {n}: username {spec.username!r} is taken (an account in shard {taken[spec.username]})"
        for n, spec in rows
        if spec.username in taken
    ]
    if lines and _already_made(ops, [spec for _, spec in rows]):  # a previous run: finished now
        copied = sorted({i for _, spec in rows for i in ops.copied_for(spec.username)})
        _console().print(
            f"every account of {file} was created before"
            + (f"; copied now to shard(s) {', '.join(map(str, copied))}" if copied else "")
            + ". Their secrets are the ones shown when they were created (admin rotate makes new ones).",
            markup=False,
        )
        return None
    if lines:
        raise InputError(
            f"{file}: {len(lines)} bad row(s) of {len(rows)}, nothing created:\n  " + "\n  ".join(lines)
        )
    targets = sorted({_target(ops, spec) for _, spec in rows})
    made: dict[int, list[NewAccount]] = {}
    errors: list[str] = []
    committed: list[int] = []
    with ExitStack() as stack:
        sessions = {i: stack.enter_context(ops.session(i)) for i in targets}
        for i in targets:
            try:
                made[i] = create_accounts_from_csv(sessions[i], file, only=_in_shard(ops, i))
            except InputError as exc:
                errors.append(exc.message)
        if errors:
            raise InputError("\n".join(errors))
        everyone = [a for i in targets for a in made[i]]
        if secrets_out is not None:
            _write_secrets(secrets_out, everyone)  # before the commits: no account without its secret
        try:
            for i in targets:
                sessions[i].commit()
                committed.append(i)
        except Exception as exc:
            left = [i for i in targets if i not in committed]
            raise InputError(
                f"{file}: shard {left[0]} failed to commit ({exc}); the accounts of shard(s) "
                f"{', '.join(map(str, committed)) or 'none'} were created, those of shard(s) "
                f"{', '.join(map(str, left))} were not"
                + (f"; the secrets of all are in {secrets_out}" if secrets_out is not None else "")
            ) from None
    return everyone


def _in_shard(ops: OperatorShards, index: int) -> Callable[[AccountSpec], bool]:
    return lambda spec: _target(ops, spec) == index


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
    ctx: typer.Context,
    db: OptionalDbOption = None,
    role: Annotated[Role | None, typer.Option(help="only accounts of this role")] = None,
    shards: ShardsOption = None,
) -> None:
    """List accounts: role, username, display name, consumer id, created, revoked, working API keys. With
    --shards: merchants and analysts from shard 0, consumers from every shard."""
    from sqlalchemy.orm import Session

    from lucidscore.service import accounts, aware

    wanted = role.value if role is not None else None
    if shards is not None:
        refuse_both(ctx)
        rows = []
        with operator_shards(shards, repair=False) as ops:
            for index, engine in enumerate(ops.engines):
                with Session(engine, expire_on_commit=False) as session:
                    rows += [a for a in accounts(session, wanted) if index == 0 or a.role == "consumer"]
        rows.sort(key=lambda a: (a.role, a.username))
    else:
        engine = open_store(require_db(db))
        try:
            with Session(engine, expire_on_commit=False) as session:
                rows = accounts(session, wanted)
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


def _sharded_change(shards: str, username: str, work: Any, *, done: str = "") -> Any:
    """``work(session)`` in the shard holding ``username`` (operators: shard 0, then copied everywhere).
    ``done``: what a refusal (``Conflict``) means when a previous run made the change in shard 0 and failed
    to copy it (copied now): said, and None returned, instead of the refusal."""
    from lucidscore.service import Conflict, NotFound

    with operator_shards(shards) as ops:
        index = ops.shard_of_user(username)
        if index is None:
            raise NotFound(f"no account named {username!r} in any shard", field="username")
        try:
            with ops.session(index) as session:
                out = work(session)
                session.commit()
        except Conflict:
            copied = ops.copied_for(username)
            if not (done and copied):
                raise
            where = ", ".join(map(str, copied))
            _console().print(
                f"{username} was {done} before (in shard 0); copied now to shard(s) {where}", markup=False
            )
            return None
        if index == 0:
            ops.replicate(f"the change to {username}")
    return out


def rotate(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="the account")],
    db: OptionalDbOption = None,
    shards: ShardsOption = None,
) -> None:
    """New credentials, shown once: a merchant gets a new API key (its old keys stop working), an analyst
    or consumer a new password (their sessions end). With --shards, in every shard that has the account."""
    from sqlalchemy.orm import Session

    from lucidscore.service import rotate_credentials

    if shards is not None:
        refuse_both(ctx)
        made = _sharded_change(shards, username, lambda s: rotate_credentials(s, username))
        _rotated(made)
        return
    engine = open_store(require_db(db))
    try:
        with Session(engine, expire_on_commit=False) as session:
            made = rotate_credentials(session, username)
            session.commit()
    finally:
        engine.dispose()
    _rotated(made)


def _rotated(made: NewAccount) -> None:
    _console().print(
        f"rotated {made.role} {made.username}; new {made.secret_kind}, shown once: {made.secret}",
        markup=False,
    )


def revoke(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="the account")],
    db: OptionalDbOption = None,
    shards: ShardsOption = None,
) -> None:
    """Revoke an account: no more sign-ins or API calls; its sessions end, a merchant's keys stop working.
    The account and its history stay on record. With --shards, in every shard that has the account."""
    from sqlalchemy.orm import Session

    from lucidscore.service import revoke_account

    if shards is not None:
        refuse_both(ctx)
        info = _sharded_change(shards, username, lambda s: revoke_account(s, username), done="revoked")
        if info is not None:
            _console().print(f"revoked {info.role} {info.username}", markup=False)
        return
    engine = open_store(require_db(db))
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
