"""Disputes: a consumer contests a record; an analyst rejects with a reason or accepts (correct, rescore),
and every step is in the audit trail."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from lucidscore import service
from lucidscore.service import Conflict
from lucidscore.service._common import aware
from lucidscore.service._correction import apply_correction
from lucidscore.service._disputes import ACCEPT_CLAIM_SECONDS, claim_accept
from lucidscore.store import make_engine
from lucidscore.store.service import Dispute, ModelRecord, ScoreRecord, User
from tests.api._world import FakeRescorer, World


def open_dispute(world: World, key: str = "A1") -> int:
    r = world.signed_in("alice").post(
        "/v1/me/disputes",
        json={"record_table": "accounts", "record_key": key, "reason": "this limit is wrong"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open" and [e["action"] for e in r.json()["events"]] == ["opened"]
    return int(r.json()["id"])


def test_reject_with_a_reason(any_world: World) -> None:
    world = any_world
    dispute_id = open_dispute(world)
    ann = world.signed_in("ann")
    assert any(d["id"] == dispute_id for d in ann.get("/v1/analyst/disputes").json())
    r = ann.post(
        f"/v1/analyst/disputes/{dispute_id}/reject", json={"reason": "the lender confirmed the limit"}
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    mine = world.signed_in("alice").get(f"/v1/me/disputes/{dispute_id}").json()
    assert mine["resolution"] == "the lender confirmed the limit"
    # answered without an explicit review: the review step is recorded at the moment of the answer
    assert [e["action"] for e in mine["events"]] == ["opened", "review_started", "rejected"]
    r = ann.post(f"/v1/analyst/disputes/{dispute_id}/reject", json={"reason": "again"})
    assert (
        r.status_code == 409 and r.json()["error"]["message"] == f"dispute {dispute_id} is already rejected"
    )
    r = ann.post(f"/v1/analyst/disputes/{dispute_id}/review")
    assert r.status_code == 409, r.text


def test_review_is_recorded_once_and_only_by_an_analyst(any_world: World) -> None:
    world = any_world
    dispute_id = open_dispute(world)
    alice = world.signed_in("alice")
    assert alice.post(f"/v1/analyst/disputes/{dispute_id}/review").status_code == 403
    ann = world.signed_in("ann")
    for _ in range(2):
        r = ann.post(f"/v1/analyst/disputes/{dispute_id}/review")
        assert r.status_code == 200, r.text
        assert [e["action"] for e in r.json()["events"]] == ["opened", "review_started"]
    r = ann.post(f"/v1/analyst/disputes/{dispute_id}/reject", json={"reason": "the lender confirmed it"})
    assert [e["action"] for e in r.json()["events"]] == ["opened", "review_started", "rejected"]


def test_accept_corrects_rescores_and_keeps_the_trail(any_world: World) -> None:
    world = any_world
    dispute_id = open_dispute(world)
    ann = world.signed_in("ann")
    r = ann.post(
        f"/v1/analyst/disputes/{dispute_id}/accept",
        json={"corrections": {"credit_limit": 8000}, "note": "limit raised by the lender"},
    )
    assert r.status_code == 200, r.text
    assert [e["action"] for e in r.json()["events"]] == [
        "opened",
        "review_started",
        "corrected",
        "rescored",
        "accepted",
    ]
    assert ("correct", "accounts", "A1", "C0001") in world.rescorer.calls
    assert world.signed_in("alice").get("/v1/me/score").json()["score"] == 701


def test_a_failed_rescore_keeps_the_correction_in_the_trail_and_the_dispute_open(
    any_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = any_world
    dispute_id = open_dispute(world)
    ann = world.signed_in("ann")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("features unavailable")

    monkeypatch.setattr(world.rescorer, "rescore_consumer", broken)
    calls = len(world.rescorer.calls)
    r = ann.post(f"/v1/analyst/disputes/{dispute_id}/accept", json={"corrections": {"credit_limit": 9000}})
    assert r.status_code == 503
    assert r.json()["error"] == {
        "status": 503,
        "code": "unavailable",
        "message": f"the record was corrected, but rescoring failed (RuntimeError); dispute {dispute_id} "
        "stays open: accept it again to rescore",
        "field": None,
    }
    trail = ann.get(f"/v1/analyst/disputes/{dispute_id}").json()
    assert trail["status"] == "open"
    assert [e["action"] for e in trail["events"]] == ["opened", "review_started", "corrected"]
    assert trail["events"][2]["detail"]["corrections"] == {"credit_limit": 9000}
    monkeypatch.undo()  # rescoring works again
    # The correction is made: a retry with other corrections is refused, nothing written ...
    r = ann.post(f"/v1/analyst/disputes/{dispute_id}/accept", json={"corrections": {"credit_limit": 9500}})
    assert r.status_code == 409
    assert r.json()["error"]["message"] == (
        f'dispute {dispute_id} was already corrected with {{"credit_limit": 9000}}; accept it with those '
        "corrections, or none, to rescore the consumer and close it"
    )
    # ... and the retry (with the same corrections, or none) rescores and closes it, correcting nothing.
    r = ann.post(f"/v1/analyst/disputes/{dispute_id}/accept", json={"corrections": {}})
    _accepted_with_one_correction(r, world, calls)


def _accepted_with_one_correction(r: Any, world: World, calls: int) -> None:
    """The accept answered with the whole trail, and the store saw one correction and one rescore since
    ``calls``."""
    assert r.status_code == 200, r.text
    assert [e["action"] for e in r.json()["events"]] == [
        "opened",
        "review_started",
        "corrected",
        "rescored",
        "accepted",
    ]
    assert [c[0] for c in world.rescorer.calls[calls:]] == ["correct", "rescore"]


def test_dispute_key_must_have_the_right_parts(any_world: World) -> None:
    world = any_world
    r = world.signed_in("alice").post(
        "/v1/me/disputes", json={"record_table": "statements", "record_key": "A1", "reason": "never late"}
    )
    assert r.status_code == 422
    assert (
        r.json()["error"]["message"]
        == "record_key for statements has 1 part(s); expected 2: account_id|period"
    )
    r = world.signed_in("alice").post(
        "/v1/me/disputes",
        json={"record_table": "statements", "record_key": "A1|2026-06", "reason": "never late"},
    )
    assert r.status_code == 201


def _race(world: World, dispute_id: int, act: Callable[[Session, Dispute, User], object]) -> list[str]:
    """Two analysts' sessions act on one dispute at the same instant: the first has written (not yet
    committed) when the second issues its first statement; the first commits once the second waits.
    Returns each one's outcome ("ok" or the error's class and message), first then second."""
    engine = make_engine(world.db_url)
    second_waits = threading.Event()
    outcomes: dict[str, str] = {}

    def run(name: str, hold: bool) -> None:
        with Session(engine, expire_on_commit=False) as s:
            # As in the service: the dispute and the analyst are read in a transaction that has ended.
            dispute = s.get_one(Dispute, dispute_id)
            analyst = s.scalars(select(User).filter_by(username="ann")).one()
            s.commit()
            if not hold:
                conn = s.connection()
                event.listen(conn, "before_cursor_execute", lambda *a: second_waits.set(), once=True)
            try:
                act(s, dispute, analyst)
                if hold:
                    assert second_waits.wait(10)
                    time.sleep(0.3)  # the second is now blocked on its first statement (or done)
                s.commit()
                outcomes[name] = "ok"
            except Exception as exc:
                outcomes[name] = f"{type(exc).__name__}: {exc}"

    first = threading.Thread(target=run, args=("first", True))
    first.start()
    time.sleep(0.2)  # the first has written
    second = threading.Thread(target=run, args=("second", False))
    second.start()
    first.join(30)
    second.join(30)
    engine.dispose()
    return [outcomes["first"], outcomes["second"]]


def test_two_analysts_at_once_review_once_and_answer_once(any_world: World) -> None:
    """Concurrency: starting the review twice at the same instant records one review_started and no
    error; rejecting twice at the same instant gives one answer and a clear 'already rejected' to the
    other, never a database error (both used to read 'open' and collide in the trail's (dispute, seq))."""
    world = any_world
    dispute_id = open_dispute(world)
    assert _race(world, dispute_id, service.start_review) == ["ok", "ok"]
    events = world.signed_in("alice").get(f"/v1/me/disputes/{dispute_id}").json()["events"]
    assert [e["action"] for e in events] == ["opened", "review_started"]

    def reject(s: Session, d: Dispute, u: User) -> object:
        return service.resolve_dispute(s, d, u, "rejected", "the lender confirmed it")

    first, second = _race(world, dispute_id, reject)
    assert first == "ok"
    assert second == f"Conflict: dispute {dispute_id} is already rejected"
    events = world.signed_in("alice").get(f"/v1/me/disputes/{dispute_id}").json()["events"]
    assert [e["action"] for e in events] == ["opened", "review_started", "rejected"]


@dataclass
class _StoreCorrections:
    """The world's rescorer, except that the store really writes each correction (a new version of the
    record, through ``apply_correction``), and the first correction starts only once a second caller has
    issued its first statement (then 0.3 s more): two accepts of one dispute overlap for certain."""

    world: World
    second_started: threading.Event = field(default_factory=threading.Event)
    first_correcting: threading.Event = field(default_factory=threading.Event)
    calls: list[str] = field(default_factory=list)

    def correct_record(
        self, table: str, key: str, consumer_id: str, corrections: dict[str, Any]
    ) -> dict[str, Any]:
        self.calls.append("correct")
        if len(self.calls) == 1:
            self.first_correcting.set()
            assert self.second_started.wait(10)
            time.sleep(0.3)  # the second is now past its first statement (or done)
        return apply_correction(self.world.db_url, table, key, consumer_id, corrections)

    def rescore_consumer(self, session: Session, consumer_id: str, model: ModelRecord) -> ScoreRecord | None:
        self.calls.append("rescore")
        return self.world.rescorer.rescore_consumer(session, consumer_id, model)

    def score_everyone(self, session: Session, model: ModelRecord) -> int:
        raise AssertionError("an accept never scores everyone")


def _versions(world: World, account_id: str) -> list[str | None]:
    """Every stored version's credit limit of one account, oldest first."""
    engine = make_engine(world.db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT credit_limit FROM accounts WHERE account_id = :a ORDER BY reported_at"),
            {"a": account_id},
        ).all()
    engine.dispose()
    return [None if r[0] is None else str(int(r[0])) for r in rows]


def test_two_analysts_accepting_at_once_correct_once(any_world: World) -> None:
    """Concurrency: two analysts accept one dispute at the same instant (the second acts while the first
    is writing its correction). One correction reaches the store and the trail, the consumer is rescored
    once, and the second caller gets the first one's outcome, 'already accepted' (409 over HTTP), having
    written nothing. (The claim used to be committed before the store's correction, so the second one
    claimed the still-open dispute too and wrote a second correction before learning it was too late.)"""
    world = any_world
    dispute_id = open_dispute(world)
    versions_before = _versions(world, "A1")
    rescorer = _StoreCorrections(world)
    engine = make_engine(world.db_url)
    outcomes: dict[str, str] = {}

    def run(name: str) -> None:
        with Session(engine, expire_on_commit=False) as s:
            dispute = s.get_one(Dispute, dispute_id)
            analyst = s.scalars(select(User).filter_by(username="ann")).one()
            s.commit()
            if name == "second":
                conn = s.connection()
                event.listen(
                    conn, "before_cursor_execute", lambda *a: rescorer.second_started.set(), once=True
                )
            try:
                service.accept_dispute(s, rescorer, dispute, analyst, {"credit_limit": 8100}, "raised")
                outcomes[name] = "ok"
            except Exception as exc:
                outcomes[name] = f"{type(exc).__name__}: {exc}"

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert rescorer.first_correcting.wait(10)  # the first has claimed the dispute and is correcting
    second = threading.Thread(target=run, args=("second",))
    second.start()
    first.join(60)
    second.join(60)
    engine.dispose()
    assert [outcomes.get("first"), outcomes.get("second")] == [
        "ok",
        f"Conflict: dispute {dispute_id} is already accepted",
    ]
    assert rescorer.calls == ["correct", "rescore"]
    assert _versions(world, "A1") == [*versions_before, "8100"]
    events = world.signed_in("alice").get(f"/v1/me/disputes/{dispute_id}").json()["events"]
    assert [e["action"] for e in events] == ["opened", "review_started", "corrected", "rescored", "accepted"]
    r = world.signed_in("ann").post(
        f"/v1/analyst/disputes/{dispute_id}/accept", json={"corrections": {"credit_limit": 8200}}
    )
    assert r.status_code == 409
    assert r.json()["error"]["message"] == f"dispute {dispute_id} is already accepted"
    assert _versions(world, "A1") == [*versions_before, "8100"]


_DIES_WHILE_CORRECTING = """
import os, signal, sys
from sqlalchemy import select
from sqlalchemy.orm import Session
from lucidscore import service
from lucidscore.store import make_engine
from lucidscore.store.service import Dispute, User

class Dies:
    def correct_record(self, *args):
        os.kill(os.getpid(), signal.SIGKILL)  # killed between the claim and the correction

url, dispute_id = sys.argv[1], int(sys.argv[2])
with Session(make_engine(url), expire_on_commit=False) as s:
    dispute = s.get_one(Dispute, dispute_id)
    ann = s.scalars(select(User).filter_by(username="ann")).one()
    service.accept_dispute(s, Dies(), dispute, ann, {"credit_limit": 7000}, None)
"""


def test_an_accept_killed_after_its_claim_is_taken_over_once_the_claim_is_old(any_world: World) -> None:
    """A process killed between claiming the dispute and correcting the record leaves its claim: until it
    is ACCEPT_CLAIM_SECONDS old, others are told the dispute is being accepted (after waiting for it);
    then the next accept takes the dispute over and completes it, with one correction."""
    world = any_world
    dispute_id = open_dispute(world)
    done = subprocess.run(
        [sys.executable, "-c", _DIES_WHILE_CORRECTING, world.db_url, str(dispute_id)], capture_output=True
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    engine = make_engine(world.db_url)
    with Session(engine, expire_on_commit=False) as s:
        dispute = s.get_one(Dispute, dispute_id)
        ann = s.scalars(select(User).filter_by(username="ann")).one()
        assert dispute.status == "open" and dispute.accepting_by == ann.id
        since = aware(dispute.accepting_since)  # type: ignore[arg-type]
        s.commit()
        being = (
            f"dispute {dispute_id} is being accepted by ann since {since.isoformat(timespec='seconds')}; "
            "try again when that is done"
        )
        calls = len(world.rescorer.calls)
        with pytest.raises(Conflict, match=f"^{re.escape(being)}$"):
            service.accept_dispute(s, world.rescorer, dispute, ann, {"credit_limit": 7000}, None, wait=0.2)
        with pytest.raises(Conflict, match=f"^{re.escape(being)}$"):
            service.resolve_dispute(s, dispute, ann, "rejected", "the lender confirmed it", wait=0)
        assert world.rescorer.calls[calls:] == []
        s.rollback()
        s.execute(  # the crash is now as old as a claim may be
            update(Dispute)
            .where(Dispute.id == dispute_id)
            .values(accepting_since=since - timedelta(seconds=ACCEPT_CLAIM_SECONDS, microseconds=1))
        )
        s.commit()
    engine.dispose()
    r = world.signed_in("ann").post(
        f"/v1/analyst/disputes/{dispute_id}/accept", json={"corrections": {"credit_limit": 7000}}
    )
    _accepted_with_one_correction(r, world, calls)


def test_an_accept_overtaken_after_its_claim_expired_writes_nothing_more(any_world: World) -> None:
    """An accept that held its claim for longer than ACCEPT_CLAIM_SECONDS (here: while the store wrote its
    correction) has been taken over by another accept, which answered the dispute: the first one's later
    writes are fenced by its claim, so it records neither its correction nor a rescore nor an answer."""
    world = any_world
    dispute_id = open_dispute(world)
    engine = make_engine(world.db_url)
    ann = world.signed_in("ann")

    class Overtaken(FakeRescorer):
        def correct_record(
            self, table: str, key: str, consumer_id: str, corrections: dict[str, Any]
        ) -> dict[str, Any]:
            with Session(engine) as s:  # this accept has taken too long: its claim is old ...
                since = aware(s.get_one(Dispute, dispute_id).accepting_since)  # type: ignore[arg-type]
                s.execute(
                    update(Dispute)
                    .where(Dispute.id == dispute_id)
                    .values(accepting_since=since - timedelta(seconds=ACCEPT_CLAIM_SECONDS, microseconds=1))
                )
                s.commit()
            # ... and another analyst's accept takes the dispute over and answers it
            r = ann.post(
                f"/v1/analyst/disputes/{dispute_id}/accept", json={"corrections": {"credit_limit": 6100}}
            )
            assert r.status_code == 200, r.text
            return super().correct_record(table, key, consumer_id, corrections)

    slow = Overtaken()
    with Session(engine, expire_on_commit=False) as s:
        dispute = s.get_one(Dispute, dispute_id)
        analyst = s.scalars(select(User).filter_by(username="ann")).one()
        with pytest.raises(Conflict, match=f"^dispute {dispute_id} is already accepted$"):
            service.accept_dispute(s, slow, dispute, analyst, {"credit_limit": 6000}, None)
    engine.dispose()
    assert [c[0] for c in slow.calls] == ["correct"]  # it wrote its correction, nothing after
    events = ann.get(f"/v1/analyst/disputes/{dispute_id}").json()["events"]
    assert [e["action"] for e in events] == ["opened", "review_started", "corrected", "rescored", "accepted"]
    assert events[2]["detail"]["corrections"] == {"credit_limit": 6100}


def test_the_queue_shows_an_accept_in_progress_until_its_claim_is_old(any_world: World) -> None:
    """While an accept holds its claim, the analysts' queue (page and API) says who is accepting since
    when, and offers no answer forms for that dispute; an abandoned claim (older than ACCEPT_CLAIM_SECONDS)
    shows the forms again, as the next action takes it over."""
    world = any_world
    dispute_id = open_dispute(world)
    r = world.signed_in("bob").post(
        "/v1/me/disputes",
        json={"record_table": "accounts", "record_key": "A2", "reason": "never opened this loan"},
    )
    assert r.status_code == 201, r.text
    other_id = int(r.json()["id"])
    engine = make_engine(world.db_url)
    with Session(engine, expire_on_commit=False) as s:
        dispute = s.get_one(Dispute, dispute_id)
        ann = s.scalars(select(User).filter_by(username="ann")).one()
        token = claim_accept(s, dispute, ann)
        s.commit()
    ann_client = world.signed_in("ann")
    api = {d["id"]: d for d in ann_client.get("/v1/analyst/disputes").json()}
    assert api[dispute_id]["accepting_by"] == "ann"
    assert datetime.fromisoformat(api[dispute_id]["accepting_since"].replace("Z", "+00:00")) == aware(token)
    assert api[other_id]["accepting_by"] is None and api[other_id]["accepting_since"] is None
    page = ann_client.get("/analyst/disputes").text
    held = page.split(f'id="dispute-{dispute_id}"')[1].split("</section>")[0]
    free = page.split(f'id="dispute-{other_id}"')[1].split("</section>")[0]
    assert "Being accepted by <strong>ann</strong> since" in held and "<form" not in held
    assert "Being accepted" not in free and f"/analyst/disputes/{other_id}/accept" in free

    with Session(engine) as s:  # the accept died long ago: its claim is abandoned
        s.execute(
            update(Dispute)
            .where(Dispute.id == dispute_id)
            .values(accepting_since=aware(token) - timedelta(seconds=ACCEPT_CLAIM_SECONDS + 1))
        )
        s.commit()
    engine.dispose()
    api = {d["id"]: d for d in ann_client.get("/v1/analyst/disputes").json()}
    assert api[dispute_id]["accepting_by"] is None
    held = ann_client.get("/analyst/disputes").text.split(f'id="dispute-{dispute_id}"')[1]
    assert "Being accepted" not in held.split("</section>")[0]
    assert f"/analyst/disputes/{dispute_id}/accept" in held.split("</section>")[0]


def test_the_same_record_contested_at_once_opens_one_dispute(any_world: World) -> None:
    """Concurrency: four requests contest the same record at the same instant (a double-tapped submit,
    two tabs). One dispute opens; the others get the clear 409 'already has an open dispute', never a
    503 or a second open dispute. (PostgreSQL used to open three of the four; SQLite answered two of them
    'the database is unavailable': their read transactions could not become writes.)"""
    world = any_world
    clients = [world.signed_in("alice") for _ in range(4)]
    start = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def contest(client: Any) -> None:
        start.wait(10)
        r = client.post(
            "/v1/me/disputes",
            json={"record_table": "statements", "record_key": "A1|2026-05", "reason": "paid on time"},
        )
        answers.append((r.status_code, r.json().get("error", {}).get("message", "")))

    threads = [threading.Thread(target=contest, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    mine = [
        d
        for d in clients[0].get("/v1/me/disputes").json()
        if d["record_table"] == "statements" and d["record_key"] == "A1|2026-05" and d["status"] == "open"
    ]
    assert len(mine) == 1
    refused = f"statements record 'A1|2026-05' already has an open dispute ({mine[0]['id']}); "
    assert sorted(code for code, _ in answers) == [201, 409, 409, 409]
    assert all(message.startswith(refused) for code, message in answers if code == 409)
