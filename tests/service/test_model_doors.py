"""Every door that leads to scoring people refuses a model that hides what it uses (issue 13): a forged,
re-hashed file with a refused input, and a model whose characteristics are not all declared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lucidscore import service
from lucidscore.artifact import ScorecardArtifact, load_artifact, parse_artifact
from lucidscore.errors import PolicyViolation
from lucidscore.store import make_engine
from lucidscore.store.service import ModelRecord
from tests.api._world import tiny_artifact
from tests.fixtures.databases import migrated


def undeclared(model_id: str = "sc-undeclared") -> ScorecardArtifact:
    art = tiny_artifact(model_id)
    seg = art.segments[0]
    char = seg.characteristics[0]
    second = char.model_copy(
        update={"name": "PAY_AMT1", "description": "PAY_AMT1", "declared": False, "code": ""}
    )
    first = char.model_copy(update={"declared": False})
    segment = seg.model_copy(update={"characteristics": [first, second]})
    return art.model_copy(
        update={"segments": [segment], "input_columns": ["worst_dpd_12m", "PAY_AMT1"]}
    ).with_hash()


def forged(model_id: str, *, name: str | None = None, family: str | None = None) -> ScorecardArtifact:
    """A declared model edited after training and re-hashed, as a forger with the file would."""
    art = tiny_artifact(model_id)
    seg = art.segments[0]
    char = seg.characteristics[0]
    update: dict[str, object] = {}
    if name is not None:
        update["name"] = name
    if family is not None:
        update["family"] = family
    segment = seg.model_copy(update={"characteristics": [char.model_copy(update=update)]})
    columns = [name] if name is not None else art.input_columns
    return art.model_copy(update={"segments": [segment], "input_columns": columns}).with_hash()


FORGERIES = {
    "religion": {"name": "religion"},
    "interpersonal": {"family": "interpersonal_relationships"},
}
REFUSAL = {
    "religion": r"column religion: protected attribute \(religion\)",
    "interpersonal": r"column worst_dpd_12m: other people \(declared family interpersonal_relationships",
}


def _store(session: Session, art: ScorecardArtifact, active: bool = False) -> ModelRecord:
    """Store a model as registration stores it: its JSON, id and hash."""
    record = ModelRecord(
        model_id=art.model_id,
        content_hash=art.content_hash,
        artifact_json=art.model_dump_json(),
        description="test",
        active=active,
    )
    session.add(record)
    session.commit()
    return record


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(migrated(f"sqlite:///{tmp_path / 'models.db'}"))  # a copy of the migrated database
    with Session(engine) as s:
        _store(s, tiny_artifact("sc-good"), active=True)
        yield s
    engine.dispose()


def _active(session: Session) -> list[str]:
    return list(session.scalars(select(ModelRecord.model_id).where(ModelRecord.active.is_(True))))


@pytest.mark.parametrize("kind", list(FORGERIES))
def test_a_forged_rehashed_model_is_refused_at_load(kind: str, tmp_path: Path) -> None:
    art = forged("sc-forged", **FORGERIES[kind])  # type: ignore[arg-type]
    assert art.content_hash == art.compute_hash()  # the hash is right: only the guard can catch it
    with pytest.raises(PolicyViolation, match=REFUSAL[kind]):
        parse_artifact(art.model_dump_json(), "upload")
    path = tmp_path / "forged.json"
    art.save(path)
    with pytest.raises(PolicyViolation, match=rf"{path} \(model sc-forged\): .*{REFUSAL[kind]}"):
        load_artifact(path)


@pytest.mark.parametrize("kind", list(FORGERIES))
def test_a_forged_rehashed_model_is_refused_at_registration_and_activation(
    kind: str, session: Session
) -> None:
    record = _store(session, forged("sc-forged", **FORGERIES[kind]))  # type: ignore[arg-type]
    # Registration, activation, rescoring and publishing read a stored model through model_artifact.
    with pytest.raises(
        PolicyViolation, match=rf"stored model sc-forged \(model sc-forged\): .*{REFUSAL[kind]}"
    ):
        service.model_artifact(record)
    with pytest.raises(PolicyViolation, match=REFUSAL[kind]):
        service.activate(session, None, "sc-forged")
    session.rollback()
    assert _active(session) == ["sc-good"]  # nothing changed


def test_a_model_with_undeclared_characteristics_is_refused_listing_them(session: Session) -> None:
    art = undeclared()
    assert art.undeclared == ["worst_dpd_12m", "PAY_AMT1"]
    message = (
        r"\(model sc-undeclared\): 2 characteristic\(s\) are undeclared \(family and description guessed "
        r"from the column name\): worst_dpd_12m, PAY_AMT1; people may be scored only with a model that "
        r"declares every characteristic"
    )
    with pytest.raises(service.Refused, match=message) as info:
        service.check_declared(art, "upload")
    assert info.value.field == "model_id"
    record = _store(session, art)
    with pytest.raises(service.Refused, match=message):
        service.model_artifact(record)  # registration (and publishing) read the model here
    with pytest.raises(service.Refused, match=message):
        service.activate(session, None, "sc-undeclared")
    session.rollback()
    assert _active(session) == ["sc-good"]


def test_a_declared_model_is_activated(session: Session) -> None:
    _store(session, tiny_artifact("sc-next"))
    service.check_declared(tiny_artifact("sc-next"))
    assert service.activate(session, None, "sc-next").active
    assert _active(session) == ["sc-next"]
