"""Disputes: a consumer contests a record; an analyst rejects with a reason or accepts (correct, rescore),
and every step is in the audit trail."""

from __future__ import annotations

import pytest

from tests.api._world import World


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
    monkeypatch.undo()  # rescoring works again: the retry completes the dispute
    r = ann.post(f"/v1/analyst/disputes/{dispute_id}/accept", json={"corrections": {"credit_limit": 9000}})
    assert r.status_code == 200, r.text
    assert [e["action"] for e in r.json()["events"]] == [
        "opened",
        "review_started",
        "corrected",
        "corrected",
        "rescored",
        "accepted",
    ]


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
