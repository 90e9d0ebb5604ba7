"""Registering and retiring models: the operator's side of the ``models`` table (activation is a workflow,
``_workflows.activate``, since it may score everyone first)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from lucidscore.artifact import ScorecardArtifact, parse_artifact
from lucidscore.service._common import now
from lucidscore.service._errors import Conflict, Invalid
from lucidscore.service._rescore import model_artifact
from lucidscore.service._scores import model_by_id
from lucidscore.store.service import ModelRecord

if TYPE_CHECKING:
    from lucidscore.service._signing import ModelKey

MAX_DESCRIPTION = 200


# A model id is stored in a column of 80 characters and typed back on command lines (``model activate
# ID``): no NUL (PostgreSQL refuses it in text), no spaces or control characters. ``train`` writes
# ``sc-YYYYMMDD-<8 hex>``.
MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,79}")
MODEL_ID_RULE = (
    "1 to 80 letters, digits, '.', '_', ':', '@', '+' or '-', starting with a letter or digit (lucidscore "
    "model activate ID must be able to name it)"
)


def check_model_id(model_id: str, source: str = "model") -> None:
    """Refuse (``Invalid``, naming ``source`` and model_id) an id that cannot be stored or typed back."""
    if not MODEL_ID.fullmatch(model_id):
        raise Invalid(f"{source}: model_id is {model_id!r}; expected {MODEL_ID_RULE}", field="model_id")


def register_model(
    session: Session,
    artifact: ScorecardArtifact,
    key: ModelKey | None = None,
    *,
    description: str = "",
    active: bool = False,
    source: str = "model",
) -> ModelRecord:
    """Store ``artifact`` so that it can be activated, signed with ``key`` (its private half) when one is
    given; return its row.

    The model is checked as it will be stored, as at every door (``parse_artifact``: schema, content hash,
    and the policy guard on every input — a model the guard refuses is never registered), and with ``key``
    its signature is checked as every later load will check it. Registering the same model again changes
    nothing and returns the stored row; another model under a registered id is a ``Conflict``. The row is
    flushed, not committed.
    """
    if not artifact.content_hash:
        artifact = artifact.with_hash()
    text = artifact.model_dump_json()
    checked = parse_artifact(text, source)
    check_model_id(checked.model_id, source)
    existing = session.scalar(select(ModelRecord).where(ModelRecord.model_id == checked.model_id))
    if existing is not None:
        if existing.content_hash == checked.content_hash:
            return existing
        raise Conflict(
            f"{source}: model id {checked.model_id} is registered already with content hash "
            f"{existing.content_hash}, and this file hashes to {checked.content_hash}; a retrained model "
            "needs a model id of its own",
            field="model_id",
        )
    record = ModelRecord(
        model_id=checked.model_id,
        content_hash=checked.content_hash,
        artifact_json=text,
        description=description[:MAX_DESCRIPTION],
        active=active,
        signature=key.sign(checked.model_id, checked.content_hash) if key is not None else None,
    )
    model_artifact(record, key)
    session.add(record)
    session.flush()
    return record


def retire_model(session: Session, model_id: str) -> ModelRecord:
    """Retire ``model_id``: it stays registered (its scores stay explainable) but cannot be activated.

    ``Conflict`` for the active model (activate another first) or one retired already.
    """
    model = model_by_id(session, model_id)
    if model.active:
        raise Conflict(
            f"model {model_id} is the active model; activate another model before retiring it",
            field="model_id",
        )
    if model.retired_at is not None:
        raise Conflict(f"model {model_id} was retired already", field="model_id")
    model.retired_at = now()
    session.flush()
    return model
