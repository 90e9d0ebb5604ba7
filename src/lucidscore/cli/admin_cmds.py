"""CLI group ``admin``: merchants (API keys), analysts and consumer accounts — create (one, or many from a
CSV file, all or none), list, rotate credentials, revoke. Secrets are printed once and never stored.

With ``--shards MAP`` (a deployment split by consumer): merchants and analysts, with their keys, are
written to every shard with the same ids (``cli._operators``); a consumer account goes to its consumer's
shard only."""

from __future__ import annotations

import csv
import io
import os
import shlex
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lucidscore.cli._db import OptionalDbOption, ShardsOption, open_store, refuse_a_shard
from lucidscore.cli._operators import OperatorShards, _reason, operator_shards
from lucidscore.cli._shards import refuse_both, require_db, where
from lucidscore.errors import InputError, LucidError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from lucidscore.service import AccountSpec, Listing, NewAccount

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
        _refuse_a_shard(engine, _create_command(spec))
        with Session(engine, expire_on_commit=False) as session:
            made = create_account(session, spec)
            session.commit()
    finally:
        engine.dispose()
    _print_new([made], _console())


def _create_command(spec: AccountSpec) -> str:
    """``admin create`` of ``spec``, as typed (without ``--db``)."""
    words = ["lucidscore", "admin", "create", spec.role, spec.username]
    if spec.display_name:
        words += ["--name", spec.display_name]
    if spec.consumer_id:
        words += ["--consumer-id", spec.consumer_id]
    return " ".join(shlex.quote(w) for w in words)


def _refuse_a_shard(engine: Engine, command: str, *, change: bool = False) -> None:
    """Accounts are not created or changed in one shard's database by ``--db``. Created: only shard 0's
    account directory knows every username of the deployment, so an account made in another shard alone
    could take a username an account of another shard has (found only when the service starts, which then
    stops), and a merchant or analyst made in one shard alone is missing from the others. Changed
    (``change``: rotate, revoke): a merchant's or analyst's rows are copies in every shard, and every shard
    signs them in, so a key rotated or an account revoked in one shard alone still works in the others (a
    revoked merchant's keys keep deciding there) and leaves shards that differ (``shards status`` exits 1;
    a row shard 0 lacks stops every sharded operator command until repaired by hand); a consumer's account
    is in one shard only, which ``--shards`` finds through shard 0's directory. A database that is no shard
    (no stamp) keeps working as before."""
    why = (
        "accounts of a deployment split by consumer are changed through its shard map, which finds the shard "
        "holding the account in shard 0's account directory and copies a merchant's or analyst's change to "
        "every shard; nothing was changed"
        if change
        else "accounts of a deployment split by consumer are created through its shard map, which lists each "
        "username in shard 0's account directory so that it names one account of the deployment (and copies "
        "merchants and analysts to every shard); nothing was created"
    )
    refuse_a_shard(engine, command, why)


def _target(ops: OperatorShards, spec: AccountSpec) -> int:
    """The shard an account is created in: its consumer's for a consumer account, else shard 0 (copied
    from there to the others)."""
    from lucidscore.store import shard_of

    if spec.role == "consumer" and spec.consumer_id:
        return shard_of(spec.consumer_id, ops.smap.count)
    return 0


def _create_sharded(ops: OperatorShards, spec: AccountSpec) -> None:
    """Create ``spec`` in its shard, listed in shard 0's account directory. A consumer account outside
    shard 0 is claimed there first (committed), then committed in its shard; a claim left without its
    account by a command that stopped is finished by the same command, and refused to anyone else."""
    from lucidscore.service import Conflict, Listing, create_account

    listing = ops.listed({spec.username}).get(spec.username)
    target = _target(ops, spec)
    mine = Listing(spec.username, target, spec.consumer_id if spec.role == "consumer" else None)
    finishing = False
    if listing is not None:
        if ops.holds(listing.shard, spec.username):
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
                f"username {spec.username!r} is taken (an account in shard {listing.shard}); choose another",
                field="username",
            )
        if listing != mine:
            raise Conflict(
                f"username {spec.username!r} is claimed for consumer {listing.consumer_id} in shard "
                f"{listing.shard} by a command that stopped before creating the account; finish that with: "
                + ops.finish_command(listing)
                + f" (or free the username: {ops.release_command(spec.username)})",
                field="username",
            )
        finishing = True  # the same account a previous run claimed and did not make: made now
    with ops.session(target) as session:
        try:
            made = create_account(session, spec, listed=target == 0 and not finishing)
        except LucidError:
            raise
        except Exception as exc:  # the shard refused the write: nothing is committed anywhere yet
            raise InputError(
                f"{where(ops.smap.shards[target])}: the account {spec.username} was not created "
                f"({_reason(exc)}); nothing was written"
            ) from None
        if target == 0:
            if finishing:  # a claim in shard 0 itself: confirmed with its account, in one transaction
                _confirm(session, [mine])
            _commit_claim(session, [mine])  # the account and its listing in one transaction
        else:
            with ops.session(0) as first:
                if not finishing:
                    ops.claim(first, [mine])
                    _commit_claim(first, [mine])
                _hold(first, [mine])  # no release of the claim until the account is committed
                try:
                    session.commit()
                except Exception as exc:
                    first.rollback()
                    raise InputError(
                        f"{where(ops.smap.shards[target])}: the consumer account {spec.username} was not "
                        f"created ({_reason(exc)}); its username stays claimed for consumer "
                        f"{spec.consumer_id} in shard 0's account directory, so no other account takes it. "
                        "Run the same command "
                        f"again to create it: {ops.finish_command(mine)} (or release the username: "
                        f"{ops.release_command(spec.username)})"
                    ) from None
                _confirm_held(first, [mine], ops)  # after the account's commit; ends the hold
    _print_new([made], _console())
    if target == 0 and spec.role != "consumer":
        ops.replicate(f"{spec.role} {spec.username}")


def _hold(session: Session, claims: list[Listing]) -> None:
    """Hold ``claims`` in shard 0 (``session``, a new transaction the caller ends after committing their
    accounts); ``Conflict`` naming those released meanwhile (``admin release-claim``): nothing is created."""
    from lucidscore.service import Conflict, hold_claims

    gone = hold_claims(session, claims)
    if gone:
        session.rollback()
        names = ", ".join(repr(c.username) for c in gone[:5])
        more = f" and {len(gone) - 5} more" if len(gone) > 5 else ""
        raise Conflict(
            f"username(s) {names}{more}: the claim was released (lucidscore admin release-claim) while this "
            "command ran, so the account was not created; run the command again to claim the username anew",
            field="username",
        )


def _confirm(session: Session, claims: list[Listing]) -> None:
    """Mark ``claims`` confirmed in shard 0 (``session``): their accounts are committed, or are committed
    in this same transaction."""
    from lucidscore.service import confirm_claims

    confirm_claims(session, claims)


def _confirm_held(session: Session, claims: list[Listing], ops: OperatorShards) -> None:
    """Confirm ``claims``, whose accounts are now committed, in the transaction of shard 0 that holds them,
    and commit it (ending the hold). The accounts exist whatever happens here: a failure leaves the claims
    unconfirmed (as a crash between the two commits does), said on stderr, and the next ``shards status``
    finds the accounts and confirms them; it is no error of the command."""
    try:
        _confirm(session, claims)
        session.commit()
    except Exception as exc:
        session.rollback()
        _console_err().print(
            f"warning: shard 0 did not record that the account(s) of {len(claims)} claim(s) are made "
            f"({_reason(exc)}); they are made, and lucidscore shards status {ops.smap.path} records it",
            markup=False,
        )


def _console_err() -> Console:
    return Console(highlight=False, soft_wrap=True, emoji=False, stderr=True)


def _commit_claim(session: Session, claims: list[Listing]) -> None:
    """Commit shard 0's session holding ``claims``; ``Conflict`` when another command listed one of
    their usernames since it was read (nothing claimed)."""
    from sqlalchemy.exc import IntegrityError

    from lucidscore.service import Conflict

    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        names = ", ".join(repr(c.username) for c in claims[:5])
        raise Conflict(
            f"username(s) {names}: another command took one of them meanwhile; nothing was created",
            field="username",
        ) from None


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
        try:
            exists, folder = secrets_out.exists(), secrets_out.parent.is_dir()
        except OSError as exc:  # a name longer than the file system allows, say
            raise InputError(
                f"--secrets-out {secrets_out}: {_cannot_write(exc)}; nothing was created"
            ) from None
        if exists:
            raise InputError(f"--secrets-out {secrets_out}: the file exists; name a new file")
        if not folder:
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
        _refuse_a_shard(engine, f"lucidscore admin import {shlex.quote(str(file))}")
        with Session(engine, expire_on_commit=False) as session:
            made = create_accounts_from_csv(session, file)
            if secrets_out is not None:
                _write_secrets_first(secrets_out, made)  # before the commit: no account without its secret
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


def _made_as(ops: OperatorShards, spec: AccountSpec, listing: Listing) -> bool:
    """Whether the shard ``listing`` names holds ``spec``'s account, as the same role and consumer."""
    from sqlalchemy import select

    from lucidscore.store.service import User

    with ops.engines[listing.shard].connect() as conn:
        row = conn.execute(select(User.role, User.consumer_id).where(User.username == spec.username)).first()
    if row is None:
        return False
    return bool(row.role == spec.role and (row.consumer_id or None) == (spec.consumer_id or None))


def _import_sharded(ops: OperatorShards, file: Path, secrets_out: Path | None) -> list[NewAccount] | None:
    """Every account of the file, each in its shard, or none: every shard's rows are checked before any
    is committed; the shards are then committed in order, shard 0 first with the directory's listing of
    every account (claims for the other shards' accounts). Run again after a commit failed: the accounts
    it left claimed but not made are made (new secrets for those only); after it succeeded: nothing."""
    from contextlib import ExitStack

    from lucidscore.service import Conflict, Listing, create_accounts_from_csv, read_accounts_csv

    rows = read_accounts_csv(file)
    listed = ops.listed({spec.username for _, spec in rows})
    done: list[AccountSpec] = []
    unfinished: set[str] = set()
    lines: list[str] = []
    for n, spec in rows:
        listing = listed.get(spec.username)
        if listing is None:
            continue
        if _made_as(ops, spec, listing):
            done.append(spec)
        elif listing == Listing(spec.username, _target(ops, spec), spec.consumer_id):
            unfinished.add(spec.username)  # claimed by a run of this file that failed before making it
        else:
            lines.append(
                f"{file} row {n}: username {spec.username!r} is taken (an account in shard {listing.shard})"
            )
    fresh = len(rows) - len(done) - len(unfinished) - len(lines)
    if not lines and not fresh and not unfinished:  # a previous run: finished now
        copied = sorted({i for _, spec in rows for i in ops.copied_for(spec.username)})
        _console().print(
            f"every account of {file} was created before"
            + (f"; copied now to shard(s) {', '.join(map(str, copied))}" if copied else "")
            + ". Their secrets are the ones shown when they were created (admin rotate makes new ones).",
            markup=False,
        )
        return None
    if not lines and fresh and (done or unfinished):
        lines = [
            f"{file} row {n}: username {spec.username!r} is taken (an account in shard "
            f"{listed[spec.username].shard})"
            for n, spec in rows
            if spec.username in listed
        ]
    if lines:
        raise InputError(
            f"{file}: {len(lines)} bad row(s) of {len(rows)}, nothing created:\n  " + "\n  ".join(lines)
        )
    make = unfinished or {spec.username for _, spec in rows}
    specs = [spec for _, spec in rows if spec.username in make]
    targets = sorted({_target(ops, spec) for spec in specs})
    claims = [
        Listing(spec.username, _target(ops, spec), spec.consumer_id)
        for spec in specs
        if _target(ops, spec) != 0 and not unfinished
    ]
    order = sorted(set(targets) | ({0} if claims else set()))
    made: dict[int, list[NewAccount]] = {}
    errors: list[str] = []
    committed: list[int] = []
    with ExitStack() as stack:
        sessions = {i: stack.enter_context(ops.session(i)) for i in sorted(set(order) | {0})}
        for i in targets:
            try:
                made[i] = create_accounts_from_csv(
                    sessions[i], file, only=_in_shard(ops, i, make), listed=i == 0
                )
            except InputError as exc:
                errors.append(exc.message)
            except Exception as exc:  # the shard refused the write: nothing is committed anywhere yet
                errors.append(f"{where(ops.smap.shards[i])}: {_reason(exc)}; nothing was created")
        if errors:
            raise InputError("\n".join(errors))
        if claims:
            ops.claim(sessions[0], claims)
        everyone = [a for i in targets for a in made[i]]
        if secrets_out is not None:
            _write_secrets_first(secrets_out, everyone)  # before the commits: no account without its secret
        standing = claims or [listed[name] for name in sorted(unfinished)]  # other shards' accounts' claims
        held = False

        def keep_only_made_secrets() -> None:
            """The secrets file keeps the secrets of the accounts that exist, and only those."""
            if secrets_out is not None:
                secrets_out.unlink(missing_ok=True)
                kept = [a for i in committed for a in made.get(i, [])]
                if kept:
                    _write_secrets(secrets_out, kept)

        try:
            for i in order:
                if i == 0 and claims:
                    _commit_claim(sessions[0], claims)
                else:
                    if i != 0 and standing and not held:
                        _hold(sessions[0], standing)  # no release of a claim until its account is committed
                        held = True
                    sessions[i].commit()
                committed.append(i)
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM: said by cli._interrupt, once the file is true
            keep_only_made_secrets()
            raise
        except Conflict as exc:
            keep_only_made_secrets()
            if not committed:
                raise
            raise InputError(
                f"{file}: {exc.message}. The accounts of shard(s) {', '.join(map(str, committed))} were "
                "created"
                + (f" (their secrets are in {secrets_out})" if secrets_out is not None else "")
                + "; create the others with lucidscore admin create --shards"
                + (
                    f", and copy its merchants and analysts to the other shards: lucidscore shards sync "
                    f"{ops.smap.path}"
                    if any(a.role != "consumer" for a in made.get(0, []))
                    else ""
                )
            ) from None
        except Exception as exc:
            left = [i for i in order if i not in committed]
            keep_only_made_secrets()
            if not committed:
                raise
            raise InputError(
                f"{file}: shard {left[0]} failed to commit ({_reason(exc)}); the accounts of shard(s) "
                f"{', '.join(map(str, committed))} were created"
                + (f" (their secrets are in {secrets_out})" if secrets_out is not None else "")
                + f", those of shard(s) {', '.join(map(str, left))} were not: their usernames stay claimed "
                "in shard 0's account directory. Run the same command again to create them (new secrets "
                f"for those only): lucidscore admin import {file} --shards {ops.smap.path}"
                + (" --secrets-out NEW_FILE" if secrets_out is not None else "")
            ) from None
        if held:  # every account is committed: their claims confirmed, and the hold ends
            _confirm_held(sessions[0], standing, ops)
        else:
            sessions[0].commit()
    if done:
        _console().print(
            f"{len(done)} account(s) of {file} were created before (their secrets were shown then); "
            "creating the rest, which a previous run claimed but did not make",
            markup=False,
        )
    return everyone


def _in_shard(ops: OperatorShards, index: int, names: set[str]) -> Callable[[AccountSpec], bool]:
    return lambda spec: spec.username in names and _target(ops, spec) == index


def _cannot_write(exc: OSError) -> str:
    return f"cannot write the file ({exc.strerror or exc}); name a file that can be written"


def _write_secrets(path: Path, made: list[NewAccount]) -> None:
    """Write the secrets to a new 0600 file; ``InputError`` naming it when it cannot be written (a full
    disk, a name too long), with no partial file left."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["username", "role", "secret_kind", "secret"])
    for a in made:
        writer.writerow([a.username, a.role, a.secret_kind, a.secret])
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise InputError(f"--secrets-out {path}: {_cannot_write(exc)}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise InputError(f"--secrets-out {path}: {_cannot_write(exc)}") from None


def _write_secrets_first(path: Path, made: list[NewAccount]) -> None:
    """``_write_secrets`` before any account is committed: a failure leaves nothing created."""
    try:
        _write_secrets(path, made)
    except InputError as exc:
        raise InputError(f"{exc.message}; nothing was created") from None


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
        _refuse_a_shard(engine, f"lucidscore admin rotate {shlex.quote(username)}", change=True)
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
        _refuse_a_shard(engine, f"lucidscore admin revoke {shlex.quote(username)}", change=True)
        with Session(engine, expire_on_commit=False) as session:
            info = revoke_account(session, username)
            session.commit()
    finally:
        engine.dispose()
    _console().print(f"revoked {info.role} {info.username}", markup=False)


def release_claim(
    username: Annotated[str, typer.Argument(help="the username claimed in shard 0's account directory")],
    shards: Annotated[
        str,
        typer.Option(
            "--shards",
            help="shard map (a TOML file listing the shards' database URLs); claims exist only on a map",
        ),
    ],
) -> None:
    """Release a username claimed for a consumer account that was never made (a sharded admin create or
    import that stopped between the claim and the account; lucidscore shards status MAP lists them): its
    listing leaves shard 0's account directory and the name is free again. Refused, nothing changed, while
    the shard the claim names holds an account of that name. Releasing again changes nothing."""
    from lucidscore.service import release_claim as release

    with operator_shards(shards, repair=False) as ops:
        names = [where(s) for s in ops.smap.shards]
        listing = release(ops.engines, username, names)
    console = _console()
    if listing is None:
        console.print(
            f"username {username!r} is not listed in shard 0's account directory: nothing to release "
            "(released before, or never claimed)",
            markup=False,
        )
        return
    whose = f"for consumer {listing.consumer_id} " if listing.consumer_id else ""
    there = (
        where(ops.smap.shards[listing.shard])
        if 0 <= listing.shard < ops.smap.count
        else f"shard {listing.shard}, which the map does not have"
    )
    console.print(
        f"released username {username!r}: it was claimed {whose}in {there}, which holds no account of that "
        "name; the username is free again",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``admin`` command group to the app."""
    admin_app.command("create")(create)
    admin_app.command("import")(import_)
    admin_app.command("list")(list_)
    admin_app.command("rotate")(rotate)
    admin_app.command("revoke")(revoke)
    admin_app.command("release-claim")(release_claim)
    app.add_typer(admin_app, name="admin")
