"""A merchant's decision with a consumer's consent: the service's hot path, in Core SQL (no ORM objects).

Every call that names a consumer (by a consent token that exists) is written to the append-only
``access_log``, refused ones included, so the consumer sees every attempt. A declined decision carries the
principal reasons as codes and adverse-action statements (never the applicant's values) and the
adverse-action notice (``service._notices``). The consumer sees their decisions and notices
(``decisions_of``, ``decision_notice``), rebuilt from the access log and the score history, both append-only.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from lucidscore.policy import BenefitCatalogue
from lucidscore.service._accounts import MerchantRef, user_names
from lucidscore.service._catalogue import CurrentCatalogue
from lucidscore.service._common import aware, end_reads, now
from lucidscore.service._consents import status_of
from lucidscore.service._errors import Conflict, Invalid, NotFound, Refused, Unavailable, UnknownSecret
from lucidscore.service._notices import (
    AdverseActionNotice,
    NoticeContact,
    adverse_action_notice,
    notice_reasons,
)
from lucidscore.service._secrets import digest
from lucidscore.service._stored import reasons_of, stored_reasons
from lucidscore.store.service import AccessLog, Consent, ModelRecord, ScoreRecord


@cache
def _statements() -> dict[str, Executable]:
    """The decision's SQL, built once (building statements costs more than running them on SQLite)."""
    return {
        "consent": select(
            Consent.id,
            Consent.consumer_id,
            Consent.merchant_id,
            Consent.purpose,
            Consent.expires_at,
            Consent.revoked_at,
            Consent.decisions_left,
            Consent.issued_via,
        ).where(Consent.token_hash == bindparam("token_hash")),
        # A consent limited to n decisions: one conditional UPDATE takes one, so concurrent decisions
        # cannot take more than there are.
        "take": update(Consent)
        .where(Consent.id == bindparam("consent_id"), Consent.decisions_left > 0)
        .values(decisions_left=Consent.decisions_left - 1),
        # The consumer's latest score from the active model, in one round trip (none without an active model).
        "score": select(
            ScoreRecord.id,
            ScoreRecord.score,
            ScoreRecord.tier,
            ScoreRecord.reasons,
            ScoreRecord.model_id,
            ScoreRecord.as_of,
            ScoreRecord.scored_at,
        )
        .where(
            ScoreRecord.consumer_id == bindparam("consumer_id"),
            ScoreRecord.model_id
            == select(ModelRecord.model_id).where(ModelRecord.active.is_(True)).scalar_subquery(),
        )
        .order_by(ScoreRecord.as_of.desc(), ScoreRecord.id.desc())
        .limit(1),
        "log": insert(AccessLog),
    }


def _log(
    session: Session, lock: AbstractContextManager[Any], row: dict[str, Any], take_from: int | None = None
) -> bool:
    """Append one access-log row and commit, holding ``lock`` (SQLite: one writer at a time).

    With ``take_from`` (a consent id), first take one of the consent's remaining decisions, in the same
    transaction; when none is left, log nothing and return False.
    """
    with lock:
        conn = session.connection()
        take = _statements()["take"]
        if take_from is not None and conn.execute(take, {"consent_id": take_from}).rowcount != 1:
            session.rollback()
            return False
        conn.execute(_statements()["log"], {"score": None, "model_id": None, "catalogue_version": None} | row)
        session.commit()
    return True


def decide(
    session: Session,
    merchant: MerchantRef | None,
    consent_token: str,
    product: str,
    catalogue: BenefitCatalogue | CurrentCatalogue,
    write_lock: AbstractContextManager[Any] | None = None,
    contact: NoticeContact | None = None,
) -> dict[str, Any]:
    """Score, tier and the benefit decision for ``product``; when declined, the principal reasons (code
    and adverse-action statement) and the adverse-action notice (``contact``: whom it names).

    ``catalogue``: the current catalogue with its stored version (``CatalogueCache.current``), which the
    access log records with the decision; a bare ``BenefitCatalogue`` records none.
    Raises ``Refused`` when the consent is unknown, of another merchant or purpose, expired, revoked or
    used up (after logging the attempt), ``Conflict`` when the active model has no score for the consumer.
    ``write_lock`` is held while the access-log row is written.

    ``merchant`` is the holder of the API key; None when the consent token alone is presented (an OAuth
    bearer token), which only a consent the merchant obtained through ``/oauth/token`` allows. A consent
    limited to a number of decisions (``decisions_left``) loses one with each decision given.
    """
    lock = write_lock if write_lock is not None else nullcontext()
    version = catalogue.version if isinstance(catalogue, CurrentCatalogue) else None
    if isinstance(catalogue, CurrentCatalogue):
        catalogue = catalogue.catalogue
    if product not in catalogue.products:
        raise Invalid(f"product {product!r} is not one of {', '.join(catalogue.products)}", field="product")
    sql = _statements()
    conn = session.connection()
    consent = conn.execute(sql["consent"], {"token_hash": digest(consent_token)}).first()
    if consent is None:
        raise UnknownSecret(
            "no consent with this token; ask the consumer to grant one", field="consent_token"
        )
    if merchant is None and consent.issued_via != "oauth":
        raise UnknownSecret(
            "this consent token was not issued by /oauth/token; send it with the merchant's X-API-Key",
            field="consent_token",
        )
    merchant_id = consent.merchant_id if merchant is None else merchant.id
    refusal: tuple[str, str] | None = None  # (short result for the access log, message for the merchant)
    status = status_of(consent.expires_at, consent.revoked_at)
    if consent.merchant_id != merchant_id:
        refusal = ("other merchant", "the consent was granted to another merchant")
    elif consent.purpose != product:
        refusal = ("other purpose", f"the consent is for {consent.purpose!r}, not for {product!r}")
    elif status != "active":
        refusal = (status, f"the consent is {status}")
    elif consent.decisions_left is not None and consent.decisions_left <= 0:
        refusal = ("used up", "the consent allowed no more decisions; ask the consumer again")
    score = None
    if refusal is None:
        score = conn.execute(sql["score"], {"consumer_id": consent.consumer_id}).first()
        if score is None:
            refusal = ("no score", "no score for this consumer from the active model")
    # SQLite (WAL) cannot turn this read transaction into a write one once another writer has committed
    # (it fails at once, without waiting); ending the reads first lets the log line wait for the write lock.
    # PostgreSQL can, so the log line goes into the same transaction there (one round trip less).
    if conn.dialect.name == "sqlite":
        end_reads(session)
    if refusal is not None or score is None:
        why, message = refusal or ("no score", "no score")
        row = {
            "consumer_id": consent.consumer_id,
            "merchant_id": merchant_id,
            "purpose": product,
            "catalogue_version": version,
        }
        _log(session, lock, row | {"at": now(), "result": "refused: " + why})
        raise (Conflict if why == "no score" else Refused)(message, field="consent_token")
    outcome = catalogue.decide(product, score.score)
    stored = (
        [] if outcome.approved else reasons_of(score.reasons, score.id, consent.consumer_id, score.model_id)
    )
    decided_at = now()
    taken = _log(
        session,
        lock,
        {
            "consumer_id": consent.consumer_id,
            "merchant_id": merchant_id,
            "purpose": product,
            "at": decided_at,
            "result": "approved" if outcome.approved else "declined",
            "score": score.score,
            "model_id": score.model_id,
            "catalogue_version": version,
        },
        take_from=None if consent.decisions_left is None else consent.id,
    )
    if not taken:  # another decision took the last one meanwhile
        row = {"consumer_id": consent.consumer_id, "merchant_id": merchant_id, "purpose": product}
        _log(session, lock, row | {"at": now(), "result": "refused: used up"})
        raise Refused("the consent allowed no more decisions; ask the consumer again", field="consent_token")
    notice = None
    if not outcome.approved:
        shown = (
            merchant.display_name
            if merchant is not None
            else user_names(session, {merchant_id}).get(merchant_id, "?")
        )
        notice = adverse_action_notice(
            merchant=shown,
            product=product,
            product_label=catalogue.get(product).label,
            decided_at=decided_at,
            score=score.score,
            tier=score.tier,
            scored_at=aware(score.scored_at),
            as_of=score.as_of,
            model_id=score.model_id,
            reasons=stored,
            contact=contact,
        )
    return {
        "product": product,
        "approved": outcome.approved,
        "score": score.score,
        "tier": score.tier,
        "min_score": outcome.min_score,
        "model_id": score.model_id,
        "reasons": notice_reasons(stored),
        "decided_at": decided_at,
        "notice": notice,
        "catalogue_version": version,
    }


DECIDED = ("approved", "declined")


def decisions_of(
    session: Session,
    consumer_id: str,
    catalogue: BenefitCatalogue,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The consumer's decisions (approved or declined), newest first: id, merchant, product, when, score,
    the benefit catalogue version it was made with; ``limit`` and ``offset`` page through them."""
    rows = session.scalars(
        select(AccessLog)
        .where(AccessLog.consumer_id == consumer_id, AccessLog.result.in_(DECIDED))
        .order_by(AccessLog.at.desc(), AccessLog.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    names = user_names(session, {r.merchant_id for r in rows})
    labels = {b.product: b.label for b in catalogue.benefits}
    return [
        {
            "id": r.id,
            "merchant": names.get(r.merchant_id, "?"),
            "product": r.purpose,
            "product_label": labels.get(r.purpose, r.purpose),
            "decided_at": aware(r.at),
            "approved": r.result == "approved",
            "score": r.score,
            "model_id": r.model_id,
            "catalogue_version": r.catalogue_version,
        }
        for r in rows
    ]


def decision_notice(
    session: Session,
    consumer_id: str,
    decision_id: int,
    catalogue: BenefitCatalogue,
    contact: NoticeContact | None = None,
) -> AdverseActionNotice:
    """The adverse-action notice of the consumer's declined decision ``decision_id``.

    It is rebuilt from the access-log row and the score the decision used: the latest score of that model
    for the consumer scored before the decision (score history is append-only, so it is still there).
    Raises ``NotFound`` for another consumer's decision, an unknown one or one that was not declined.
    """
    row = session.get(AccessLog, decision_id)
    if row is None or row.consumer_id != consumer_id or row.result != "declined":
        raise NotFound(f"you have no declined decision {decision_id}", field="decision_id")
    record = session.scalar(
        select(ScoreRecord)
        .where(
            ScoreRecord.consumer_id == consumer_id,
            ScoreRecord.model_id == row.model_id,
            ScoreRecord.scored_at <= row.at,
        )
        .order_by(ScoreRecord.as_of.desc(), ScoreRecord.id.desc())
        .limit(1)
    )
    if record is None or record.score != row.score:
        raise Unavailable(
            f"the score decision {decision_id} used (model {row.model_id}, score {row.score}) is not in the "
            "score history; the notice cannot be rebuilt"
        )
    labels = {b.product: b.label for b in catalogue.benefits}
    return adverse_action_notice(
        merchant=user_names(session, {row.merchant_id}).get(row.merchant_id, "?"),
        product=row.purpose,
        product_label=labels.get(row.purpose, row.purpose),
        decided_at=aware(row.at),
        score=record.score,
        tier=record.tier,
        scored_at=aware(record.scored_at),
        as_of=record.as_of,
        model_id=record.model_id,
        reasons=stored_reasons(record),
        contact=contact,
    )
