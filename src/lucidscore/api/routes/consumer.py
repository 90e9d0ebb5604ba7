"""Consumer JSON endpoints under /v1/me: score, history, data, who looked, consents, disputes."""

from __future__ import annotations

from fastapi import APIRouter

from lucidscore import service
from lucidscore.api import _views
from lucidscore.api._errors import ERROR_RESPONSES, ApiError
from lucidscore.api._shards import issuing_shard
from lucidscore.api.deps import (
    Catalogue,
    ConsumerAuth,
    ConsumerWrite,
    Db,
    DecisionId,
    OneHopRoute,
    OwnConsent,
    OwnDispute,
    Page,
    State,
    consumer_id,
)
from lucidscore.api.schemas import (
    AccessOut,
    ConsentCreatedOut,
    ConsentIn,
    ConsentOut,
    DecisionRecordOut,
    DisputeIn,
    DisputeOut,
    HistoryPointOut,
    MeOut,
    MerchantOut,
    NoticeOut,
    RecordsOut,
    ScoreOut,
)

router = APIRouter(prefix="/v1/me", tags=["consumer"], responses=ERROR_RESPONSES, route_class=OneHopRoute)


@router.get("", summary="Who I am")
def me(auth: ConsumerAuth) -> MeOut:
    return MeOut(
        username=auth.user.username, display_name=auth.user.display_name, consumer_id=consumer_id(auth)
    )


@router.get("/score", summary="My current score, its families, reasons and recourse")
def my_score(auth: ConsumerAuth, db: Db) -> ScoreOut:
    record = service.current_score(db, consumer_id(auth))
    if record is None:
        raise ApiError(404, "no score yet: your records have not been scored")
    return _views.score_out(record)


@router.get("/history", summary="My score over time")
def my_history(auth: ConsumerAuth, db: Db, page: Page) -> list[HistoryPointOut]:
    return _views.history_out(
        service.score_history(db, consumer_id(auth), limit=page.limit, offset=page.offset)
    )


@router.get("/data", summary="Every record held about me")
def my_data(auth: ConsumerAuth, db: Db, page: Page) -> RecordsOut:
    """Each table's records, paged alike by ``limit`` and ``offset``."""
    return RecordsOut(**service.records_of(db, consumer_id(auth), limit=page.limit, offset=page.offset))


@router.get("/access-log", summary="Who looked at my score, why, when, and the result")
def my_access_log(auth: ConsumerAuth, db: Db, page: Page) -> list[AccessOut]:
    rows = service.access_log_of(db, consumer_id(auth), limit=page.limit, offset=page.offset)
    return [AccessOut(**row) for row in rows]


@router.get("/decisions", summary="Decisions about me: who decided what, when; the notice of each decline")
def my_decisions(
    auth: ConsumerAuth, db: Db, state: State, catalogue: Catalogue, page: Page
) -> list[DecisionRecordOut]:
    return _views.decisions_out(
        db, consumer_id(auth), catalogue.catalogue, state.contact, limit=page.limit, offset=page.offset
    )


@router.get(
    "/decisions/{decision_id}/notice", summary="The adverse-action notice of one of my declined decisions"
)
def my_notice(
    decision_id: DecisionId, auth: ConsumerAuth, db: Db, state: State, catalogue: Catalogue
) -> NoticeOut:
    notice = service.decision_notice(db, consumer_id(auth), decision_id, catalogue.catalogue, state.contact)
    return _views.notice_out(notice)


@router.get("/merchants", summary="Merchants I can grant a consent to")
def my_merchants(auth: ConsumerAuth, db: Db) -> list[MerchantOut]:
    return [MerchantOut(username=m.username, display_name=m.display_name) for m in service.merchants(db)]


@router.get("/consents", summary="My consents")
def my_consents(auth: ConsumerAuth, db: Db, page: Page) -> list[ConsentOut]:
    return _views.consent_out(
        db, service.consents_of(db, consumer_id(auth), limit=page.limit, offset=page.offset)
    )


@router.post("/consents", status_code=201, summary="Grant a merchant a consent for one purpose")
def grant(body: ConsentIn, auth: ConsumerWrite, db: Db, state: State) -> ConsentCreatedOut:
    consent, token = service.grant_consent(
        db,
        consumer_id(auth),
        body.merchant,
        body.purpose,
        body.days,
        state.catalogues.current(db).catalogue,
        state.settings.consent_max_days,
        shard=issuing_shard(db),
    )
    db.commit()
    (out,) = _views.consent_out(db, [consent])
    return ConsentCreatedOut(**out.model_dump(), token=token)


@router.post("/consents/{consent_id}/revoke", summary="Revoke one of my consents")
def revoke(consent: OwnConsent, auth: ConsumerWrite, db: Db) -> ConsentOut:
    service.revoke_consent(db, consent)
    db.commit()
    (out,) = _views.consent_out(db, [consent])
    return out


@router.get("/disputes", summary="My disputes")
def my_disputes(auth: ConsumerAuth, db: Db, page: Page) -> list[DisputeOut]:
    disputes = service.disputes_of(db, consumer_id(auth), limit=page.limit, offset=page.offset)
    return [_views.dispute_out(db, d) for d in disputes]


@router.get("/disputes/{dispute_id}", summary="One of my disputes, with its audit trail")
def my_dispute(dispute: OwnDispute, db: Db) -> DisputeOut:
    return _views.dispute_out(db, dispute)


@router.post("/disputes", status_code=201, summary="Contest one of my records")
def contest(body: DisputeIn, auth: ConsumerWrite, db: Db) -> DisputeOut:
    dispute = service.open_dispute(db, auth.user, body.record_table, body.record_key, body.reason)
    db.commit()
    return _views.dispute_out(db, dispute)
