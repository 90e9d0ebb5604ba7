"""Issue 11, authentic models: a model edited in the database behind the service's back is refused at
every load — the analyst listing, activation, rescoring after a dispute — and, once models are signed
when registered, so is a forged file that carries a correct hash of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from lucidscore.errors import ModelFileError
from lucidscore.service import (
    generate_model_key,
    load_model_key,
    model_artifact,
    public_pem,
    register_model,
)
from lucidscore.store import make_engine
from lucidscore.store.service import ModelRecord
from tests.api._world import World, build_world, tiny_artifact

Edit = Callable[[dict[str, Any]], None]


def _plus_200_base_points(raw: dict[str, Any]) -> None:
    raw["segments"][0]["base_points"] += 200


def _tamper(db_url: str, model_id: str, edit: Edit, *, rehash: bool) -> None:
    """Change the stored artifact with SQL, as someone with write access to the database could."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        stored = conn.execute(
            text("SELECT artifact_json FROM models WHERE model_id = :m"), {"m": model_id}
        ).scalar_one()
        raw = json.loads(stored)
        edit(raw)
        values: dict[str, Any] = {"artifact_json": json.dumps(raw)}
        if rehash:  # a careful forger recomputes the content hash and stores it as the registered one
            from lucidscore.artifact import ScorecardArtifact

            forged = ScorecardArtifact.model_validate(raw | {"content_hash": ""}).with_hash()
            values = {"artifact_json": forged.model_dump_json(), "content_hash": forged.content_hash}
        conn.execute(update(ModelRecord).where(ModelRecord.model_id == model_id).values(**values))
    engine.dispose()


def _signed_world(tmp_path: Path, *, public_only: bool = False) -> World:
    """A world whose models were registered signed, served with the key (or only its public half)."""
    key = generate_model_key(tmp_path / "model_key.pem")
    key_path = tmp_path / "model_key.pem"
    if public_only:
        key_path = tmp_path / "model_key.pub.pem"
        key_path.write_bytes(public_pem(key))
    url = f"sqlite:///{tmp_path / 's.db'}"
    world = build_world(url, model_key_path=key_path)
    engine = make_engine(url)
    with Session(engine) as s:  # the world's models were stored unsigned: sign them, as registration does
        for model in s.query(ModelRecord):
            model.signature = key.sign(model.model_id, model.content_hash)
        register_model(s, tiny_artifact("sc-test-3"), key, description="third")
        s.commit()
    engine.dispose()
    return world


def _problem(world: World, model_id: str) -> str | None:
    models = world.signed_in("ann").get("/v1/analyst/models").json()
    return next(m for m in models if m["model_id"] == model_id)["problem"]


def test_an_edited_model_is_refused_by_the_listing_activation_and_rescoring(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 's.db'}")
    ann = world.signed_in("ann")
    _tamper(world.db_url, "sc-test-2", _plus_200_base_points, rehash=False)
    assert "content hash" in (_problem(world, "sc-test-2") or "")
    r = ann.post("/v1/analyst/models/sc-test-2/activate")
    assert r.status_code == 409 and "stored model sc-test-2" in r.json()["error"]["message"]
    # the active model edited: a dispute's rescoring refuses it before the record is corrected
    alice = world.signed_in("alice")
    dispute = alice.post(
        "/v1/me/disputes", json={"record_table": "accounts", "record_key": "A1", "reason": "not mine"}
    ).json()
    _tamper(world.db_url, "sc-test-1", _plus_200_base_points, rehash=False)
    calls = len(world.rescorer.calls)
    r = ann.post(f"/v1/analyst/disputes/{dispute['id']}/accept", json={"corrections": {"kind": "revolving"}})
    assert r.status_code == 409 and "stored model sc-test-1" in r.json()["error"]["message"], r.text
    assert world.rescorer.calls[calls:] == []  # neither corrected nor rescored
    assert alice.get(f"/v1/me/disputes/{dispute['id']}").json()["status"] == "open"


def test_a_rehashed_forgery_loads_without_signatures(tmp_path: Path) -> None:
    """Why signatures: a forger who recomputes the hash passes every content check."""
    world = build_world(f"sqlite:///{tmp_path / 's.db'}")
    _tamper(world.db_url, "sc-test-2", _plus_200_base_points, rehash=True)
    assert _problem(world, "sc-test-2") is None


@pytest.mark.parametrize("public_only", [False, True], ids=["private key", "public key only"])
def test_a_rehashed_forgery_is_refused_when_models_are_signed(tmp_path: Path, public_only: bool) -> None:
    world = _signed_world(tmp_path, public_only=public_only)
    ann = world.signed_in("ann")
    assert _problem(world, "sc-test-3") is None
    assert ann.post("/v1/analyst/models/sc-test-3/activate").status_code == 200
    _tamper(world.db_url, "sc-test-2", _plus_200_base_points, rehash=True)
    message = (
        "stored model sc-test-2 has a signature that does not verify with the service's model key: it was "
        "not registered with that key or was changed after it was registered; refusing to use it"
    )
    assert (_problem(world, "sc-test-2") or "").startswith(message)
    r = ann.post("/v1/analyst/models/sc-test-2/activate")
    assert r.status_code == 409 and r.json()["error"]["message"].startswith(message)


def test_an_unsigned_model_is_refused_when_the_service_has_a_key(tmp_path: Path) -> None:
    world = _signed_world(tmp_path)
    engine = make_engine(world.db_url)
    smuggled = tiny_artifact("sc-smuggled")
    with Session(engine) as s:
        s.add(
            ModelRecord(
                model_id="sc-smuggled",
                content_hash=smuggled.content_hash,
                artifact_json=smuggled.model_dump_json(),
                description="inserted with SQL",
            )
        )
        s.commit()
    engine.dispose()
    assert (_problem(world, "sc-smuggled") or "").startswith(
        "stored model sc-smuggled is not signed with the service's model key"
    )
    assert world.signed_in("ann").post("/v1/analyst/models/sc-smuggled/activate").status_code == 409


def test_register_model_signs_and_the_signature_binds_id_and_hash(tmp_path: Path) -> None:
    key = generate_model_key(tmp_path / "k.pem")
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    assert load_model_key(tmp_path / "k.pem").verifies("m", "h", key.sign("m", "h"))
    assert not key.verifies("m", "h2", key.sign("m", "h"))
    assert not key.verifies("m2", "h", key.sign("m", "h"))
    assert not key.verifies("m", "h", "not base64!")
    other = generate_model_key(tmp_path / "other.pem")
    artifact = tiny_artifact()
    record = ModelRecord(
        model_id="sc-test-1",
        content_hash=artifact.content_hash,
        artifact_json=artifact.model_dump_json(),
        signature=other.sign("sc-test-1", artifact.content_hash),
    )
    with pytest.raises(ModelFileError, match="stored model sc-test-1 has a signature that does not verify"):
        model_artifact(record, key)
    assert model_artifact(record, other).model_id == "sc-test-1"


def test_a_bad_model_key_file_is_named(tmp_path: Path) -> None:
    from lucidscore.errors import InputError

    bad = tmp_path / "bad.pem"
    bad.write_text("hello")
    with pytest.raises(InputError, match=r"model key .*bad.pem: expected an Ed25519 key in PEM form"):
        load_model_key(bad)
    with pytest.raises(InputError, match=r"model key .*missing.pem: cannot be read"):
        load_model_key(tmp_path / "missing.pem")
