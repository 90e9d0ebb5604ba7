"""What an operator does to accounts: create merchants, analysts and consumer accounts (one, or many from a
CSV file, all or none), list them, rotate their credentials and revoke them.

Every secret is made here and returned once: a merchant's API key, an analyst's or consumer's password.
The database keeps only hashes (``_secrets``). A revoked account cannot sign in, its sessions end, and a
merchant's keys stop working; the account and everything it did stay on record.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, get_args

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from lucidscore.errors import InputError, utf8_text
from lucidscore.service._accounts import create_api_key, create_user
from lucidscore.service._common import now
from lucidscore.service._directory import account_shard
from lucidscore.service._errors import Conflict, Invalid, NotFound
from lucidscore.service._secrets import hash_password
from lucidscore.store.service import ApiKey, User, WebSession

Role = Literal["merchant", "analyst", "consumer"]
ROLES: tuple[Role, ...] = get_args(Role)
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
USERNAME_RULE = "2 to 64 letters, digits, '_', '.', '@' or '-', starting with a letter or digit"
CSV_COLUMNS = ("role", "username", "display_name", "consumer_id")
CSV_REQUIRED = ("role", "username")
MAX_DISPLAY = 120
MAX_CONSUMER_ID = 64


@dataclass(frozen=True)
class AccountSpec:
    """An account to create. ``consumer_id`` is required for a consumer account and refused otherwise."""

    role: str
    username: str
    display_name: str = ""
    consumer_id: str | None = None


@dataclass(frozen=True)
class NewAccount:
    """A created account and its secret (an API key for a merchant, else a password), shown once."""

    username: str
    role: str
    display_name: str
    consumer_id: str | None
    secret: str

    @property
    def secret_kind(self) -> str:
        return "api key" if self.role == "merchant" else "password"


@dataclass(frozen=True)
class AccountInfo:
    """One account as an operator lists it (never a secret)."""

    username: str
    role: str
    display_name: str
    consumer_id: str | None
    created_at: datetime
    revoked_at: datetime | None
    active_keys: int


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of one account to create."""

    field: str
    found: str
    expected: str
    taken: bool = False  # the value is fine but another account has it (a conflict, not bad input)


@dataclass
class _Batch:
    """The usernames and consumer ids already claimed, in the database and earlier in the same batch."""

    usernames: set[str] = field(default_factory=set)
    consumer_ids: set[str] = field(default_factory=set)


def _password() -> str:
    return secrets.token_urlsafe(12)


def _problems(session: Session, spec: AccountSpec, batch: _Batch) -> list[Problem]:
    """Every problem of ``spec``: role, username, display name, consumer id (in that order)."""
    out: list[Problem] = []
    if spec.role not in ROLES:
        out.append(Problem("role", spec.role, f"one of {', '.join(ROLES)}"))
    if not USERNAME.fullmatch(spec.username):
        out.append(Problem("username", spec.username, USERNAME_RULE))
    elif spec.username in batch.usernames or _username_taken(session, spec.username):
        out.append(Problem("username", spec.username, "a username no other account has", taken=True))
    if len(spec.display_name) > MAX_DISPLAY:
        out.append(Problem("display_name", spec.display_name[:40] + "…", f"at most {MAX_DISPLAY} characters"))
    elif any(unicodedata.category(c) == "Cc" for c in spec.display_name):
        # NUL cannot be stored in PostgreSQL text at all; tabs, new lines and escapes break the one-line
        # listings and pages a display name is shown in.
        out.append(Problem("display_name", spec.display_name, "a name without control characters"))
    cid = spec.consumer_id or ""
    if spec.role == "consumer":
        if not cid:
            out.append(
                Problem("consumer_id", "", "the consumer's id in the records (required for a consumer)")
            )
        elif len(cid) > MAX_CONSUMER_ID:
            out.append(Problem("consumer_id", cid[:40] + "…", f"at most {MAX_CONSUMER_ID} characters"))
        elif "\x00" in cid:  # no record holds one (ingest refuses it), and PostgreSQL refuses it in a query
            out.append(Problem("consumer_id", cid, "a consumer_id of the ingested records (without NUL)"))
        elif not _consumer_exists(session, cid):
            out.append(Problem("consumer_id", cid, "a consumer_id of the ingested records"))
        elif cid in batch.consumer_ids or _consumer_linked(session, cid):
            out.append(Problem("consumer_id", cid, "a consumer without an account yet", taken=True))
    elif cid and spec.role in ROLES:
        article = "an" if spec.role[0] in "aeiou" else "a"
        out.append(Problem("consumer_id", cid, f"empty for {article} {spec.role} (only consumers have one)"))
    return out


def _username_taken(session: Session, username: str) -> bool:
    """An account has it here, or this database's directory lists it (shard 0: for any shard)."""
    return session.scalar(select(User.id).where(User.username == username)) is not None or (
        account_shard(session, username) is not None
    )


def _consumer_linked(session: Session, consumer_id: str) -> bool:
    return session.scalar(select(User.id).where(User.consumer_id == consumer_id)) is not None


def _consumer_exists(session: Session, consumer_id: str) -> bool:
    found = session.execute(
        text("SELECT 1 FROM consumers_current WHERE consumer_id = :c"), {"c": consumer_id}
    ).first()
    return found is not None


def _create(session: Session, spec: AccountSpec, listed: bool = True) -> NewAccount:
    display = spec.display_name or spec.username
    if spec.role == "merchant":
        # A merchant never signs in with a password (authenticate refuses merchants): an unknowable one.
        user = create_user(
            session, spec.username, "merchant", secrets.token_urlsafe(32), display_name=display, listed=listed
        )
        secret = create_api_key(session, user)
    else:
        secret = _password()
        create_user(
            session,
            spec.username,
            spec.role,
            secret,
            display_name=display,
            consumer_id=spec.consumer_id,
            listed=listed,
        )
    return NewAccount(spec.username, spec.role, display, spec.consumer_id, secret)


def create_account(session: Session, spec: AccountSpec, *, listed: bool = True) -> NewAccount:
    """Create one account; its secret is returned once. ``Invalid`` (or ``Conflict`` for a username or
    consumer already taken) names the field and what was expected. ``listed``: list it in this database's
    account directory too (False: its username was claimed in shard 0's, ``_directory``)."""
    problems = _problems(session, spec, _Batch())
    if problems:
        p = problems[0]
        raise (Conflict if p.taken else Invalid)(_problem_text(p), field=p.field)
    return _create(session, spec, listed)


def create_accounts(session: Session, specs: Sequence[AccountSpec]) -> list[NewAccount]:
    """Create every account or none: ``Invalid`` lists every problem of every account (by position)."""
    batch = _Batch()
    lines: list[str] = []
    for i, spec in enumerate(specs, 1):
        for p in _problems(session, spec, batch):
            lines.append(f"account {i}: {_problem_text(p)}")
        batch.usernames.add(spec.username)
        if spec.consumer_id:
            batch.consumer_ids.add(spec.consumer_id)
    if lines:
        raise Invalid(f"{len(lines)} problem(s), nothing created:\n  " + "\n  ".join(lines))
    return [_create(session, spec) for spec in specs]


def _problem_text(p: Problem) -> str:
    found = f"{p.found!r}" if p.found else "empty"
    return f"{p.field} is {found}; expected {p.expected}"


def read_accounts_csv(path: Path) -> list[tuple[int, AccountSpec]]:
    """The accounts of a CSV file (header ``role,username[,display_name][,consumer_id]``), each with its
    row number (the header is row 1). Raises ``InputError`` for a file that cannot be read as such."""
    try:
        text = utf8_text(path, "a CSV of accounts", where="row")
        handle = io.StringIO(text, newline="")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; expected a CSV of accounts") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; expected a CSV of accounts") from None
    out: list[tuple[int, AccountSpec]] = []
    with handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise InputError(
                    f"{path}: the file is empty; expected a header row {','.join(CSV_COLUMNS)} and data rows"
                )
            names = [h.strip() for h in header]
            missing = [c for c in CSV_REQUIRED if c not in names]
            unknown = [c for c in names if c not in CSV_COLUMNS]
            if missing or unknown or len(set(names)) != len(names):
                raise InputError(
                    f"{path} row 1: the header is {','.join(names)!r}; expected the columns "
                    f"{','.join(CSV_COLUMNS)} (role and username required, each once)"
                )
            row_number = 1
            while True:
                start = reader.line_num + 1
                values = next(reader, None)
                if values is None:
                    break
                row_number = start
                if not any(v.strip() for v in values):
                    continue  # a blank line
                if len(values) != len(names):
                    raise InputError(
                        f"{path} row {row_number}: {len(values)} fields; "
                        f"expected {len(names)} as in the header"
                    )
                cells = {n: v.strip() for n, v in zip(names, values, strict=True)}
                spec = AccountSpec(
                    role=cells["role"],
                    username=cells["username"],
                    display_name=cells.get("display_name", ""),
                    consumer_id=cells.get("consumer_id") or None,
                )
                out.append((row_number, spec))
        except csv.Error as exc:
            raise InputError(f"{path} row {reader.line_num}: not valid CSV ({exc})") from None
    if not out:
        raise InputError(f"{path}: no accounts after the header; expected one row per account")
    return out


def create_accounts_from_csv(
    session: Session, path: Path, only: Callable[[AccountSpec], bool] | None = None, *, listed: bool = True
) -> list[NewAccount]:
    """Create every account of the CSV file or none. ``InputError`` names every bad row: file, row,
    column, what was found and what was expected. ``only``: just the rows it accepts (a deployment split
    by consumer creates each consumer's account in its shard), numbered as in the file."""
    rows = [(n, spec) for n, spec in read_accounts_csv(path) if only is None or only(spec)]
    if not rows:
        return []
    batch = _Batch()
    lines: list[str] = []
    bad: set[int] = set()
    for row_number, spec in rows:
        for p in _problems(session, spec, batch):
            lines.append(f"{path} row {row_number}: {_problem_text(p)}")
            bad.add(row_number)
        batch.usernames.add(spec.username)
        if spec.consumer_id:
            batch.consumer_ids.add(spec.consumer_id)
    if lines:
        raise InputError(
            f"{path}: {len(bad)} bad row(s) of {len(rows)}, nothing created:\n  " + "\n  ".join(lines)
        )
    return [_create(session, spec, listed) for _, spec in rows]


def accounts(session: Session, role: str | None = None) -> list[AccountInfo]:
    """Every account (or those of ``role``), by role then username, with its number of working keys."""
    if role is not None and role not in ROLES:
        raise Invalid(f"role is {role!r}; expected one of {', '.join(ROLES)}", field="role")
    keys = (
        select(ApiKey.merchant_id, func.count().label("n"))
        .where(ApiKey.revoked_at.is_(None))
        .group_by(ApiKey.merchant_id)
        .subquery()
    )
    query = select(User, keys.c.n).outerjoin(keys, keys.c.merchant_id == User.id)
    if role is not None:
        query = query.where(User.role == role)
    rows = session.execute(query.order_by(User.role, User.username)).all()
    return [
        AccountInfo(
            username=u.username,
            role=u.role,
            display_name=u.display_name,
            consumer_id=u.consumer_id,
            created_at=u.created_at,
            revoked_at=u.revoked_at,
            active_keys=int(n or 0),
        )
        for u, n in rows
    ]


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no account named {username!r}", field="username")
    return user


def _end_sessions(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def _revoke_keys(session: Session, user: User, moment: datetime) -> None:
    for key in session.scalars(
        select(ApiKey).where(ApiKey.merchant_id == user.id, ApiKey.revoked_at.is_(None))
    ):
        key.revoked_at = moment


def rotate_credentials(session: Session, username: str) -> NewAccount:
    """A new secret for ``username``, returned once: a merchant gets a new API key (its old keys stop
    working), an analyst or consumer a new password (their sessions end)."""
    user = _user(session, username)
    if user.revoked_at is not None:
        raise Conflict(f"account {username!r} is revoked; create a new account instead", field="username")
    if user.role == "merchant":
        _revoke_keys(session, user, now())
        secret = create_api_key(session, user)
    else:
        secret = _password()
        user.password_hash = hash_password(secret)
        _end_sessions(session, user)
    session.flush()
    return NewAccount(user.username, user.role, user.display_name, user.consumer_id, secret)


def revoke_account(session: Session, username: str) -> AccountInfo:
    """Revoke ``username``: no more sign-ins or API calls; its sessions end, a merchant's keys are revoked.
    The account and its history stay. ``Conflict`` when it is revoked already."""
    user = _user(session, username)
    if user.revoked_at is not None:
        raise Conflict(f"account {username!r} was revoked already", field="username")
    moment = now()
    user.revoked_at = moment
    _revoke_keys(session, user, moment)
    _end_sessions(session, user)
    session.flush()
    (info,) = [a for a in accounts(session, user.role) if a.username == username]
    return info
