"""The account directory (issue 15, revisions ``0013_account_directory`` and ``0014_claim_confirmation``)
on SQLite and PostgreSQL: a database migrated from ``0012_shard_identity`` lists the accounts it already
holds (a consumer as the database's shard, a merchant or analyst as shard 0), and one migrated from
``0013_account_directory`` confirms only the listings whose account it can see; ``gather_directory``
moves the listings another shard keeps in its own table into shard 0's, refuses a username that names
accounts of two shards, and, with the claims the sharded commands write, points every sign-in at the
shard holding the account with one read in shard 0 and none in any other shard. The claims check reads
only unconfirmed listings, confirms those whose account exists and reports exactly the others."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lucidscore.api._shards import ShardEngines, to_account_shard
from lucidscore.service import (
    Conflict,
    Listing,
    claims_without_accounts,
    confirm_claims,
    create_user,
    gather_directory,
    hold_claims,
    holds_account,
    list_account,
    listings,
    release_claim,
)
from lucidscore.store import current_revision, head_revision, make_engine, migrate
from lucidscore.store._migrate import _config
from lucidscore.store.service import AccountDirectory, User
from tests.fixtures.databases import migrated

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _downgrade(engine: Engine, target: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def _directory(engine: Engine) -> dict[str, tuple[int, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AccountDirectory.username, AccountDirectory.shard_index, AccountDirectory.consumer_id)
        )
        return {name: (shard, consumer) for name, shard, consumer in rows}


def _old_account(conn: Any, id_: int, username: str, role: str, consumer_id: str | None) -> None:
    """An account as the service wrote it before revision 0013 (no listing)."""
    conn.execute(
        text(
            "INSERT INTO users (id, username, role, display_name, password_hash, consumer_id, created_at) "
            "VALUES (:id, :u, :r, :u, 'x', :c, :t)"
        ),
        {"id": id_, "u": username, "r": role, "c": consumer_id, "t": NOW},
    )


def _old_stamp(conn: Connection, shard: int) -> None:
    """Stamp a database at an old revision as shard ``shard`` of 3, as ``lucidscore shards init`` did."""
    conn.execute(
        text(
            "INSERT INTO shard_identity (id, shard_index, shard_count, map_fingerprint, stamped_at) "
            "VALUES (1, :i, 3, 'f', :t)"
        ),
        {"i": shard, "t": NOW},
    )


@pytest.mark.parametrize("stamped", [None, 2], ids=["unsharded", "shard-2"])
def test_0013_lists_the_accounts_a_database_already_holds(engine: Engine, stamped: int | None) -> None:
    _downgrade(engine, "0012_shard_identity")
    with engine.begin() as conn:
        _old_account(conn, 1, "shop", "merchant", None)
        _old_account(conn, 2, "ann", "analyst", None)
        _old_account(conn, 7, "pat", "consumer", "C0001")
        if stamped is not None:
            _old_stamp(conn, stamped)
    migrate(engine)
    assert current_revision(engine) == head_revision() == "0015_publication_provenance"
    home = stamped or 0
    assert _directory(engine) == {"shop": (0, None), "ann": (0, None), "pat": (home, "C0001")}
    _downgrade(engine, "0012_shard_identity")  # and back: the table goes, the accounts stay
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 3
    migrate(engine)
    assert _directory(engine)["pat"] == (home, "C0001")


def _confirmed(engine: Engine) -> set[str]:
    """The usernames whose listing is confirmed (``confirmed_at`` set)."""
    with engine.connect() as conn:
        return set(
            conn.scalars(select(AccountDirectory.username).where(AccountDirectory.confirmed_at.is_not(None)))
        )


def _listing_row(conn: Any, username: str, shard: int, consumer: str | None) -> None:
    """A listing as revision 0013 wrote it (no ``confirmed_at``)."""
    conn.execute(
        text(
            "INSERT INTO account_directory (username, shard_index, consumer_id, listed_at) "
            "VALUES (:u, :s, :c, :t)"
        ),
        {"u": username, "s": shard, "c": consumer, "t": NOW},
    )


@pytest.mark.parametrize("stamped", [None, 0, 1], ids=["unsharded", "shard-0", "shard-1"])
def test_0014_confirms_only_the_listings_whose_account_this_database_holds(
    engine: Engine, stamped: int | None
) -> None:
    """Shard 0 (or a database that is no shard) confirms its listings of shard 0 whose account it holds;
    a listing of another shard (its account in a database the revision cannot see), one whose account is
    missing, and every listing of another shard's own table stay unconfirmed for ``shards status``."""
    _downgrade(engine, "0013_account_directory")
    with engine.begin() as conn:
        _old_account(conn, 1, "shop", "merchant", None)
        _old_account(conn, 7, "zoe", "consumer", "C0")
        _listing_row(conn, "shop", 0, None)
        _listing_row(conn, "zoe", 0, "C0")
        _listing_row(conn, "gone", 0, None)  # its account is not here
        _listing_row(conn, "pat", 2, "C2")  # a claim for shard 2: its account is elsewhere
        if stamped is not None:
            _old_stamp(conn, stamped)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _confirmed(engine) == ({"shop", "zoe"} if not stamped else set())
    with engine.connect() as conn:
        at = conn.scalar(select(AccountDirectory.confirmed_at).where(AccountDirectory.username == "shop"))
    assert at is None or (at if at.tzinfo else at.replace(tzinfo=UTC)) == NOW  # its listing's time
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("account_directory")}
    assert indexes["ix_account_directory_unconfirmed"]["column_names"] == ["username"]
    _downgrade(engine, "0013_account_directory")  # and back: the column and index go, the listings stay
    assert "confirmed_at" not in {c["name"] for c in inspect(engine).get_columns("account_directory")}
    assert set(_directory(engine)) == {"shop", "zoe", "gone", "pat"}
    migrate(engine)
    assert _confirmed(engine) == ({"shop", "zoe"} if not stamped else set())


def _shard_urls(db_url: str, tmp_path: Path, request: pytest.FixtureRequest, n: int) -> list[str]:
    """``db_url`` (at the newest revision) and n - 1 more copies of the migrated database of its kind."""
    if db_url.startswith("sqlite"):
        return [db_url] + [migrated(f"sqlite:///{tmp_path / f's{i}.db'}") for i in range(1, n)]
    server = request.getfixturevalue("postgres_server")
    head = request.getfixturevalue("_migrated_postgres")
    return [db_url] + [str(server.create_database(template=head)) for _ in range(n - 1)]


@pytest.fixture
def three(
    db_url: str, engine: Engine, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[list[Engine]]:
    """Three migrated databases of the same kind, as shards 0 (``engine``'s), 1 and 2: copies of one
    migrated database, as ``engine`` is."""
    engines = [engine] + [make_engine(migrated(u)) for u in _shard_urls(db_url, tmp_path, request, 3)[1:]]
    yield engines
    for e in engines[1:]:
        e.dispose()  # engine's own fixture disposes of it


def test_gather_moves_another_shards_listings_into_shard_0_once(three: list[Engine]) -> None:
    s0, s1, s2 = three
    with Session(s1) as s:  # made in shard 1 by a command that did not know the map (admin create --db)
        create_user(s, "pat", "consumer", "pw", consumer_id="C1")
        create_user(s, "ann", "analyst", "pw")  # an operator row of shard 1 (listed as shard 0)
        s.commit()
    with Session(s0) as s:
        create_user(s, "ann", "analyst", "pw")
        s.commit()
    assert _directory(s1) == {"pat": (0, "C1"), "ann": (0, None)}  # 0: the command knew no shard
    moved = gather_directory(s0, s1, 1)
    assert sorted(moved, key=lambda m: m.username) == [Listing("ann", 0, None), Listing("pat", 1, "C1")]
    assert _directory(s0) == {"ann": (0, None), "pat": (1, "C1")}
    assert _confirmed(s0) == {"ann", "pat"}  # ann's with its account; pat's account is in shard 1 (read)
    assert _directory(s1) == {}
    assert gather_directory(s0, s1, 1) == []  # nothing left: one read
    # the same username made in shard 2 for another consumer: refused, naming both, nothing moved
    with Session(s2) as s:
        create_user(s, "pat", "consumer", "pw", consumer_id="C2")
        s.commit()
    with pytest.raises(Conflict, match=r"shard 2: 1 account\(s\).*'pat' \(consumer C2, shard 2\) here, "):
        gather_directory(s0, s2, 2, "shard 2")
    assert _directory(s0)["pat"] == (1, "C1") and "pat" in _directory(s2)


def test_a_gather_cut_short_after_shard_0_committed_finishes_on_the_next(three: list[Engine]) -> None:
    s0, s1, _ = three
    with Session(s1) as s:
        create_user(s, "kim", "consumer", "pw", consumer_id="C9")
        s.commit()

    def refuse(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            raise RuntimeError("power cut")

    event.listen(s1, "before_cursor_execute", refuse)
    with pytest.raises(RuntimeError, match="power cut"):
        gather_directory(s0, s1, 1)
    event.remove(s1, "before_cursor_execute", refuse)
    assert _directory(s0) == {"kim": (1, "C9")} and _directory(s1) == {"kim": (0, "C9")}
    assert gather_directory(s0, s1, 1) == [Listing("kim", 1, "C9")]  # already listed alike: dropped here
    assert _directory(s0) == {"kim": (1, "C9")} and _directory(s1) == {}


# -- every sign-in goes to the account's shard, with one read in shard 0 and none elsewhere ---------------


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Engine]]:
    """Four migrated SQLite shards, emptied of accounts by each example."""
    root = tmp_path_factory.mktemp("directory")
    engines = [make_engine(migrated(f"sqlite:///{root / f's{i}.db'}")) for i in range(4)]
    yield engines
    for e in engines:
        e.dispose()


def _empty(engines: list[Engine]) -> None:
    for e in engines:
        with e.begin() as conn:
            conn.execute(text("DELETE FROM account_directory"))
            conn.execute(text("DELETE FROM users"))


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.@-]{1,12}", fullmatch=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 4),
    accounts=st.dictionaries(names, st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=8),
    unknown=names,
)
def test_sign_in_reads_shard_0_once_and_lands_on_the_accounts_shard(
    four: list[Engine], n: int, accounts: dict[str, tuple[int, bool]], unknown: str
) -> None:
    """Each generated account lives in a shard (< n); it was either claimed in shard 0 and made in its
    shard (a sharded command) or made in its shard alone and gathered (a plain command); operators
    (shard 0) are made there with their listing. Sign-in's routing then lands on that shard."""
    engines = four[:n]
    _empty(four)
    placed = {name: shard % n for name, (shard, _) in accounts.items()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("lucidscore.service._accounts.hash_password", lambda p: "h")  # argon2: slow, not tested
        for i, (name, (_, claimed)) in enumerate(sorted(accounts.items())):
            shard, consumer = placed[name], f"C{i}"
            with Session(engines[shard]) as s:
                if shard != 0 and claimed:
                    with Session(engines[0]) as first:
                        list_account(first, name, shard, consumer)
                        first.commit()
                create_user(s, name, "consumer", "pw", consumer_id=consumer, listed=not claimed or shard == 0)
                s.commit()
    for index in range(1, n):
        gather_directory(engines[0], engines[index], index)
    shards = ShardEngines(tuple(engines), (None,) * n)
    counts = [0] * n
    listeners = []
    for index, e in enumerate(engines):

        def count(_c: Any, _cur: Any, statement: str, *_: Any, index: int = index) -> None:
            counts[index] += statement.lstrip().upper().startswith("SELECT")  # not BEGIN, COMMIT

        event.listen(e, "before_cursor_execute", count)
        listeners.append(count)
    try:
        for name, shard in placed.items():
            counts[:] = [0] * n
            with Session(engines[0]) as db:
                db.info.update(shard=0, count=n)
                assert to_account_shard(db, shards, name) == shard
                assert holds_account(db, name)
            assert counts[0] == 1 + (shard == 0)  # the directory's row (and, in shard 0, the account)
            assert all(c == 0 for i, c in enumerate(counts) if i not in (0, shard))
        if unknown not in accounts:
            with Session(engines[0]) as db:
                db.info.update(shard=0, count=n)
                assert to_account_shard(db, shards, unknown) is None and db.bind is engines[0]
    finally:
        for e, count in zip(engines, listeners, strict=True):
            event.remove(e, "before_cursor_execute", count)
    with engines[0].connect() as conn:
        assert listings(conn, placed) == {
            name: Listing(name, shard, f"C{i}") for i, (name, shard) in enumerate(sorted(placed.items()))
        }
    for e in engines:
        with e.connect() as conn:
            assert {u for (u,) in conn.execute(select(User.username))} == {
                name for name, shard in placed.items() if e is engines[shard]
            }


# -- claims left without an account: found, released only while no account stands behind them ------------


def _claim(engine: Engine, username: str, shard: int, consumer: str | None) -> None:
    """A listing committed in shard 0 alone: what a sharded command leaves when it stops after its claim."""
    with Session(engine) as s:
        list_account(s, username, shard, consumer)
        s.commit()


def test_claims_without_accounts_are_found_and_released_only_while_no_account_stands_behind(
    three: list[Engine],
) -> None:
    s0, s1, s2 = three
    _claim(s0, "pat", 2, "C2")  # stopped before its account
    _claim(s0, "kim", 1, "C1")  # finished: the account was made under the claim
    with Session(s1) as s:
        create_user(s, "kim", "consumer", "pw", consumer_id="C1", listed=False)
        s.commit()
    with Session(s0) as s:
        create_user(s, "ann", "analyst", "pw")  # listed with its account, in one transaction
        create_user(s, "zoe", "consumer", "pw", consumer_id="C0")
        s.commit()
    _claim(s0, "old", 0, None)  # a shard 0 listing whose account is gone (written by hand, say)
    _claim(s0, "far", 7, "C7")  # names a shard the map does not have
    with Session(s2) as s:  # an account made in shard 2 under another name: not pat's
        create_user(s, "pat2", "consumer", "pw", consumer_id="C2")
        s.commit()

    found = claims_without_accounts(three, None)
    assert found.count == 3
    assert sorted(found.shown, key=lambda c: c.username) == [
        Listing("far", 7, "C7"),
        Listing("old", 0, None),
        Listing("pat", 2, "C2"),
    ]
    bounded = claims_without_accounts(three, 2)
    assert bounded.count == 3 and len(bounded.shown) == 2 and set(bounded.shown) < set(found.shown)

    names = ["shard 0 (db0)", "shard 1 (db1)", "shard 2 (db2)"]
    for taken, shard in (
        ("kim", "shard 1 \\(db1\\)"),
        ("ann", "shard 0 \\(db0\\)"),
        ("zoe", "shard 0 \\(db0\\)"),
    ):
        said = f"username '{taken}': {shard} holds .*account of that name.*nothing was released"
        with pytest.raises(Conflict, match=said):
            release_claim(three, taken, names)
    assert set(_directory(s0)) == {"pat", "kim", "ann", "zoe", "old", "far"}  # nothing released
    assert release_claim(three, "pat", names) == Listing("pat", 2, "C2")
    assert release_claim(three, "pat", names) is None  # again: nothing to do
    assert release_claim(three, "never-listed", names) is None
    assert release_claim(three, "far") == Listing("far", 7, "C7")
    assert release_claim(three, "old") == Listing("old", 0, None)
    assert claims_without_accounts(three).count == 0
    assert _directory(s0) == {"kim": (1, "C1"), "ann": (0, None), "zoe": (0, "C0")}
    _claim(s0, "pat", 1, "C9")  # the name is free again: anyone may claim it
    assert claims_without_accounts(three).shown == [Listing("pat", 1, "C9")]


def _selects(engines: list[Engine]) -> tuple[list[int], list[Any]]:
    """Count each engine's SELECT statements from now on (the counts, and the listeners to remove)."""
    counts = [0] * len(engines)
    listeners = []
    for index, e in enumerate(engines):

        def count(_c: Any, _cur: Any, statement: str, *_: Any, index: int = index) -> None:
            counts[index] += statement.lstrip().upper().startswith("SELECT")

        event.listen(e, "before_cursor_execute", count)
        listeners.append(count)
    return counts, listeners


def test_the_claims_check_confirms_what_it_finds_and_reads_only_what_is_pending(three: list[Engine]) -> None:
    """A claim whose account exists (its command stopped after the account's commit, before confirming) is
    not reported and is confirmed; the next check reads only the listings still unconfirmed, never a
    shard when none is pending there, and reports the same claims. A confirmed listing is trusted: it is
    never checked again."""
    s0, s1, _ = three
    with Session(s0) as s:
        create_user(s, "ann", "analyst", "pw")  # written with its account: confirmed at once
        s.commit()
    assert _confirmed(s0) == {"ann"}
    _claim(s0, "kim", 1, "C1")
    with Session(s1) as s:  # the account committed; the command died before confirming its claim
        create_user(s, "kim", "consumer", "pw", consumer_id="C1", listed=False)
        s.commit()
    _claim(s0, "pat", 2, "C2")  # no account: left
    _claim(s0, "far", 5, "C5")  # a shard the map does not have: left
    first = claims_without_accounts(three, None)
    assert (first.count, set(first.shown), first.confirmed) == (
        2,
        {Listing("pat", 2, "C2"), Listing("far", 5, "C5")},
        1,
    )
    assert _confirmed(s0) == {"ann", "kim"}
    counts, listeners = _selects(three)
    try:
        again = claims_without_accounts(three, None)
    finally:
        for e, count in zip(three, listeners, strict=True):
            event.remove(e, "before_cursor_execute", count)
    assert (again.count, set(again.shown), again.confirmed) == (2, set(first.shown), 0)
    assert counts == [2, 0, 1]  # shard 0: one batch and the empty one after it; shard 1: nothing pending
    with s0.begin() as conn:  # a confirmed listing is not read again, even were its account gone
        conn.execute(
            text("UPDATE account_directory SET confirmed_at = CURRENT_TIMESTAMP WHERE username = 'pat'")
        )
    assert claims_without_accounts(three, None).shown == [Listing("far", 5, "C5")]


def test_a_check_that_cannot_confirm_still_answers_exactly_and_confirms_next_time(
    three: list[Engine],
) -> None:
    """Shard 0 busy (a command holding its write lock, here a plain lock on SQLite, a lock of the listing's
    row on PostgreSQL) past the check's lock timeout: the claims found are the same, nothing is confirmed,
    and the next check confirms."""
    s0, s1, _ = three
    _claim(s0, "kim", 1, "C1")
    with Session(s1) as s:
        create_user(s, "kim", "consumer", "pw", consumer_id="C1", listed=False)
        s.commit()
    _claim(s0, "pat", 1, "C2")
    url = s0.url.render_as_string(hide_password=False)
    impatient = make_engine(url, pool_timeout=0.05)
    if s0.dialect.name == "postgresql":

        @event.listens_for(impatient, "begin")
        def _short(conn: Any) -> None:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")

    try:
        with Session(s0) as holder:
            assert hold_claims(holder, [Listing("kim", 1, "C1")]) == []  # shard 0's lock, as a create's
            busy = claims_without_accounts([impatient, *three[1:]], None)
            holder.rollback()
    finally:
        impatient.dispose()
    assert (busy.count, busy.shown, busy.confirmed) == (1, [Listing("pat", 1, "C2")], 0)
    assert _confirmed(s0) == set()
    after = claims_without_accounts(three, None)
    assert (after.count, after.shown, after.confirmed) == (1, [Listing("pat", 1, "C2")], 1)
    assert _confirmed(s0) == {"kim"}


def test_confirm_claims_confirms_only_the_listing_named(three: list[Engine]) -> None:
    """A claim released and claimed anew for another shard meanwhile is not confirmed by the old command."""
    s0, _, _ = three
    _claim(s0, "pat", 1, "C1")
    with s0.begin() as conn:
        assert confirm_claims(conn, [Listing("pat", 2, "C1")]) == 0
        assert confirm_claims(conn, [Listing("pat", 1, "C1")]) == 1
        assert confirm_claims(conn, [Listing("pat", 1, "C1")]) == 0  # once
    assert _confirmed(s0) == {"pat"}


def test_a_release_and_a_create_under_the_same_claim_never_leave_an_account_unlisted(
    three: list[Engine],
) -> None:
    """The create holds its claim (``hold_claims``) from before its account's commit until after it; a
    release started meanwhile waits for the hold and then finds the account, so it keeps the listing. A
    release that ran before the hold leaves the create nothing to hold: it creates nothing."""
    s0, _, s2 = three
    _claim(s0, "pat", 2, "C2")
    mine = Listing("pat", 2, "C2")
    started = threading.Event()
    outcome: list[object] = []

    def on_delete(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM ACCOUNT_DIRECTORY"):
            started.set()

    def release() -> None:
        try:
            outcome.append(release_claim(three, "pat"))
        except Conflict as exc:
            outcome.append(exc)

    event.listen(s0, "before_cursor_execute", on_delete)
    try:
        with Session(s0) as first, Session(s2) as account:
            # the account written (flushed), not yet committed
            create_user(account, "pat", "consumer", "pw", consumer_id="C2", listed=False)
            assert hold_claims(first, [mine]) == []
            if s0.dialect.name == "sqlite":  # a release that will not wait is refused: the hold has the lock
                impatient = make_engine(s0.url.render_as_string(hide_password=False), pool_timeout=0.05)
                with pytest.raises(OperationalError, match="database is locked"):
                    release_claim([impatient, *three[1:]], "pat")
                impatient.dispose()
            worker = threading.Thread(target=release)
            worker.start()
            assert started.wait(60)  # the release's delete is issued while the claim is held
            if s0.dialect.name == "postgresql":  # and waits for the hold: a backend blocked on a lock
                _wait_for_lock_waiter(s2)
            account.commit()
            first.commit()  # the hold ends: the release goes on and finds the account
            worker.join(60)
    finally:
        event.remove(s0, "before_cursor_execute", on_delete)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    assert _directory(s0) == {"pat": (2, "C2")}
    assert claims_without_accounts(three).count == 0

    # the other order: the claim released first, then a create that finds nothing to hold makes nothing
    _claim(s0, "kim", 2, "C3")
    assert release_claim(three, "kim") == Listing("kim", 2, "C3")
    with Session(s0) as first:
        assert hold_claims(first, [Listing("kim", 2, "C3")]) == [Listing("kim", 2, "C3")]
    _claim(s0, "kim", 1, "C4")  # claimed again for someone else: not the claim the create holds
    with Session(s0) as first:
        assert hold_claims(first, [Listing("kim", 2, "C3")]) == [Listing("kim", 2, "C3")]


def _wait_for_lock_waiter(any_engine: Engine) -> None:
    """Until some backend of the test server waits for a lock (PostgreSQL's pg_stat_activity)."""
    with any_engine.connect() as conn:
        for _ in range(600):
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar_one()
            if waiting:
                return
            conn.execute(text("SELECT pg_sleep(0.05)"))
    raise AssertionError("the release never waited for the held claim")
