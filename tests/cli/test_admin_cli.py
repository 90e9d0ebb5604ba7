"""``lucidscore admin`` through the real entry point, on SQLite and PostgreSQL: accounts of each role with
their secret shown once (and only its hash stored), a CSV created all or nothing with every bad row named,
rotation and revocation that take effect at once."""

from __future__ import annotations

import csv
import stat
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from lucidscore.service import authenticate, merchant_for_key
from lucidscore.store import make_engine
from tests.fixtures.bureau import Lucid


def secret_of(out: str) -> str:
    """The secret printed once at the end of a create or rotate line."""
    return out.strip().splitlines()[-1].rsplit(" ", 1)[-1]


def stored_text(url: str) -> str:
    """Everything the users and api_keys tables hold, as one text (to look for secrets in it)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [*conn.execute(text("SELECT * FROM users")), *conn.execute(text("SELECT * FROM api_keys"))]
    engine.dispose()
    return repr(rows)


def test_each_role_gets_its_secret_once(bureau_url: str, lucid: Lucid) -> None:
    code, out, err = lucid("admin", "create", "merchant", "rentco", "--name", "RentCo", "--db", bureau_url)
    assert code == 0, err
    assert out.startswith("created merchant rentco; api key, shown once: lsk_")
    key = secret_of(out)
    code, out, _ = lucid("admin", "create", "analyst", "ann", "--db", bureau_url)
    assert code == 0 and out.startswith("created analyst ann; password, shown once: ")
    password = secret_of(out)
    code, out, _ = lucid(
        "admin", "create", "consumer", "pat", "--consumer-id", "C00000003", "--db", bureau_url
    )
    assert code == 0 and out.startswith("created consumer pat (consumer C00000003); password, shown once: ")
    assert key not in stored_text(bureau_url) and password not in stored_text(bureau_url)

    engine = make_engine(bureau_url)
    with Session(engine) as s:
        assert merchant_for_key(s, key) is not None
        assert authenticate(s, "ann", password) is not None
    code, out, _ = lucid("admin", "list", "--db", bureau_url)
    assert code == 0
    lines = {line.split("│")[2].strip(): line for line in out.splitlines() if line.count("│") > 6}
    assert set(lines) == {"rentco", "ann", "pat"}
    assert "C00000003" in lines["pat"] and lines["rentco"].split("│")[7].strip() == "1"
    assert key not in out and password not in out

    code, out, _ = lucid("admin", "rotate", "rentco", "--db", bureau_url)
    new_key = secret_of(out)
    assert code == 0 and new_key != key and out.startswith("rotated merchant rentco; new api key, shown once")
    code, out, _ = lucid("admin", "rotate", "ann", "--db", bureau_url)
    new_password = secret_of(out)
    code, out, _ = lucid("admin", "revoke", "pat", "--db", bureau_url)
    assert (code, out.strip()) == (0, "revoked consumer pat")
    with Session(engine) as s:
        assert merchant_for_key(s, key) is None and merchant_for_key(s, new_key) is not None
        assert authenticate(s, "ann", password) is None and authenticate(s, "ann", new_password) is not None
        assert authenticate(s, "pat", "anything") is None
    code, out, _ = lucid("admin", "revoke", "rentco", "--db", bureau_url)
    with Session(engine) as s:
        assert merchant_for_key(s, new_key) is None  # a revoked merchant's keys stop working
    engine.dispose()
    code, out, _ = lucid("admin", "list", "--role", "merchant", "--db", bureau_url)
    row = next(line for line in out.splitlines() if "rentco" in line).split("│")
    assert row[6].strip() != "" and row[7].strip() == "0"  # revoked, no working key


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["create", "consumer", "pat2", "--consumer-id", "NOPE"],
            "error: consumer_id is 'NOPE'; expected a consumer_id of the ingested records",
        ),
        (
            ["create", "consumer", "pat2"],
            "error: consumer_id is empty; expected the consumer's id in the records "
            "(required for a consumer)",
        ),
        (
            ["create", "merchant", "m", "--consumer-id", "C00000001"],
            "error: username is 'm'; expected 2 to 64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit",
        ),
        (
            ["create", "analyst", "ann2", "--consumer-id", "C00000001"],
            "error: consumer_id is 'C00000001'; expected empty for an analyst (only consumers have one)",
        ),
        (["rotate", "nobody"], "error: no account named 'nobody'"),
        (["revoke", "nobody"], "error: no account named 'nobody'"),
    ],
)
def test_each_mistake_is_one_line(bureau_url: str, lucid: Lucid, args: list[str], message: str) -> None:
    code, _, err = lucid("admin", *args, "--db", bureau_url)
    assert (code, err.strip()) == (2, message)


def test_taken_names_are_refused(bureau_url: str, lucid: Lucid) -> None:
    assert (
        lucid("admin", "create", "consumer", "pat", "--consumer-id", "C00000001", "--db", bureau_url)[0] == 0
    )
    code, _, err = lucid("admin", "create", "analyst", "pat", "--db", bureau_url)
    assert (code, err.strip()) == (2, "error: username is 'pat'; expected a username no other account has")
    code, _, err = lucid(
        "admin", "create", "consumer", "pat3", "--consumer-id", "C00000001", "--db", bureau_url
    )
    assert (code, err.strip()) == (
        2,
        "error: consumer_id is 'C00000001'; expected a consumer without an account yet",
    )
    assert lucid("admin", "revoke", "pat", "--db", bureau_url)[0] == 0
    code, _, err = lucid("admin", "rotate", "pat", "--db", bureau_url)
    assert (code, err.strip()) == (2, "error: account 'pat' is revoked; create a new account instead")


def test_a_csv_is_created_whole_or_not_at_all(bureau_url: str, lucid: Lucid, tmp_path: Path) -> None:
    assert lucid("admin", "create", "merchant", "rentco", "--db", bureau_url)[0] == 0
    bad = tmp_path / "accounts.csv"
    bad.write_text(
        "role,username,display_name,consumer_id\n"
        "merchant,shop_a,Shop A,\n"
        "admin,boss,,\n"
        "consumer,c1,,C00000001\n"
        "consumer,c2,,C00000001\n"
        "merchant,rentco,,\n"
        "\n"
        "analyst,x,,C00000002\n",
        encoding="utf-8",
    )
    code, out, err = lucid("admin", "import", str(bad), "--db", bureau_url)
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {bad}: 4 bad row(s) of 6, nothing created:",
        f"  {bad} row 3: role is 'admin'; expected one of merchant, analyst, consumer",
        f"  {bad} row 5: consumer_id is 'C00000001'; expected a consumer without an account yet",
        f"  {bad} row 6: username is 'rentco'; expected a username no other account has",
        f"  {bad} row 8: username is 'x'; expected 2 to 64 letters, digits, '_', '.', '@' or '-', starting "
        "with a letter or digit",
        f"  {bad} row 8: consumer_id is 'C00000002'; expected empty for an analyst (only consumers have one)",
    ]
    code, out, _ = lucid("admin", "list", "--db", bureau_url)
    assert "shop_a" not in out and "c1" not in out  # nothing of the file was created

    good = tmp_path / "good.csv"
    good.write_text("username,role\nshop_a,merchant\nc1,consumer\n", encoding="utf-8")
    code, _, err = lucid("admin", "import", str(good), "--db", bureau_url)
    assert (code, err.strip()) == (
        2,
        f"error: {good}: 1 bad row(s) of 2, nothing created:\n  {good} row 3: consumer_id is empty; expected "
        "the consumer's id in the records (required for a consumer)",
    )
    good.write_text(
        "\ufeffusername,role,consumer_id\nshop_a,merchant,\nc1,consumer,C00000001\n", encoding="utf-8"
    )
    secrets = tmp_path / "secrets.csv"
    code, out, err = lucid("admin", "import", str(good), "--db", bureau_url, "--secrets-out", str(secrets))
    assert code == 0, err
    assert (
        out.strip() == f"2 account(s) created from {good}; secrets written to {secrets} (shown nowhere else)"
    )
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    lines = secrets.read_text().splitlines()
    assert lines[0] == "username,role,secret_kind,secret"
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["shop_a", "merchant", "api key"],
        ["c1", "consumer", "password"],
    ]
    engine = make_engine(bureau_url)
    with Session(engine) as s:
        assert merchant_for_key(s, lines[1].split(",")[3]) is not None
        assert authenticate(s, "c1", lines[2].split(",")[3]) is not None
    engine.dispose()
    code, _, err = lucid("admin", "import", str(good), "--db", bureau_url, "--secrets-out", str(secrets))
    assert (code, err.strip()) == (2, f"error: --secrets-out {secrets}: the file exists; name a new file")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "",
            "{f}: the file is empty; expected a header row role,username,display_name,consumer_id "
            "and data rows",
        ),
        (
            "role,name\nmerchant,x\n",
            "{f} row 1: the header is 'role,name'; expected the columns role,username,display_name,"
            "consumer_id (role and username required, each once)",
        ),
        ("role,username\n", "{f}: no accounts after the header; expected one row per account"),
        ("role,username\nmerchant,shop,extra\n", "{f} row 2: 3 fields; expected 2 as in the header"),
    ],
)
def test_a_file_that_is_not_an_accounts_csv_is_one_clear_error(
    tmp_path: Path, lucid: Lucid, content: str, message: str
) -> None:
    f = tmp_path / "a.csv"
    f.write_text(content, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    code, _, err = lucid("admin", "import", str(f), "--db", db)
    assert (code, err.strip()) == (2, "error: " + message.format(f=f))
    code, _, err = lucid("admin", "import", str(tmp_path / "none.csv"), "--db", db)
    assert (code, err.strip()) == (
        2,
        f"error: {tmp_path / 'none.csv'}: no such file; expected a CSV of accounts",
    )


def test_listing_a_database_that_does_not_exist_creates_nothing(tmp_path: Path, lucid: Lucid) -> None:
    db = tmp_path / "none.db"
    code, _, err = lucid("admin", "list", "--db", f"sqlite:///{db}")
    assert (code, err.strip()) == (
        2,
        f"error: database sqlite:///{db}: the file {db} does not exist; "
        "load records first (lucidscore ingest)",
    )
    assert not db.exists()
    code, _, err = lucid("admin", "list", "--db", f"sqlite:///{tmp_path}/no/such.db")
    assert (code, err.strip()) == (
        2,
        f"error: database sqlite:///{tmp_path}/no/such.db: the folder {tmp_path}/no does not exist; "
        "create it first",
    )


@pytest.mark.parametrize("failure", ["name too long", "disk full"])
def test_a_secrets_file_that_cannot_be_written_is_one_line_and_creates_nothing(
    bureau_url: str, lucid: Lucid, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """The secrets are written before the accounts are committed; a file that cannot be written stops the
    import with one line naming it and the reason, and no account exists without its secret."""
    import errno
    import os

    good = tmp_path / "accounts.csv"
    good.write_text("role,username\nanalyst,ann_w\n", encoding="utf-8")
    secrets = tmp_path / ("s" * 300 if failure == "name too long" else "secrets.csv")
    if failure == "disk full":
        real_open = os.open

        def full(path: Any, *args: Any, **kwargs: Any) -> int:
            if Path(path) == secrets:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", full)
    code, out, err = lucid("admin", "import", str(good), "--db", bureau_url, "--secrets-out", str(secrets))
    reason = "File name too long" if failure == "name too long" else "No space left on device"
    assert code == 2, out + err
    assert err.startswith(f"error: --secrets-out {secrets}: cannot write the file ({reason})")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "nothing was created" in err
    monkeypatch.undo()
    code, out, _ = lucid("admin", "list", "--db", bureau_url)
    assert code == 0 and "ann_w" not in out


@given(name=st.text(st.characters(codec="utf-8"), max_size=12))
@example(name="a\x00b")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_display_name_is_stored_as_given_or_refused_in_one_line(
    bureau_url: str, lucid: Lucid, name: str
) -> None:
    """Whatever text an operator gives as a display name (NUL, tabs, new lines, escapes), on SQLite and on
    PostgreSQL — which cannot store NUL in text —, the account is created with exactly that name or the
    command says why in one line naming display_name: never a database error's traceback."""
    username = f"dn{uuid.uuid4().hex[:12]}"
    code, _, err = lucid("admin", "create", "analyst", username, "--name", name, "--db", bureau_url)
    if code == 0:
        engine = make_engine(bureau_url)
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT display_name FROM users WHERE username = :u"), {"u": username}
            ).scalar_one()
        engine.dispose()
        assert stored == (name or username)
        assert not any(unicodedata.category(c) == "Cc" for c in name)
    else:
        assert code == 2, err
        assert err.startswith("error: display_name is ") and len(err.strip().splitlines()) == 1, err
        assert "expected a name without control characters" in err


@given(consumer_id=st.text(st.characters(codec="utf-8"), min_size=1, max_size=12))
@example(consumer_id="C\x00001")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_consumer_id_in_an_import_is_looked_up_or_refused_in_one_line(
    bureau_url: str, lucid: Lucid, tmp_path: Path, consumer_id: str
) -> None:
    """A consumer_id cell of any text, on SQLite and on PostgreSQL (which refuses NUL in a query's text
    parameter): the row is named as bad with what was found, never a database error's traceback."""
    accounts = tmp_path / f"a{uuid.uuid4().hex[:8]}.csv"
    with accounts.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["role", "username", "consumer_id"], ["consumer", f"c{uuid.uuid4().hex[:12]}", consumer_id]]
        )
    code, _, err = lucid("admin", "import", str(accounts), "--db", bureau_url)
    assert code == 2, err
    assert f"{accounts} row 2: consumer_id is " in err or f"{accounts}: no accounts" in err, err
    assert "Traceback" not in err
