"""The service's domain, without HTTP: accounts, sessions, consents, decisions, scores, records, disputes,
models, and the workflows that span them (accepting a dispute, activating a model). A model is read
through ``model_artifact`` at every door, which refuses one that does not declare every characteristic
(``check_declared``).

Each function takes an open SQLAlchemy ``Session`` and leaves committing to the caller, except where a
record must survive the error that follows it (a refused decision is logged, then refused). Refusals are
domain errors (``NotFound``, ``Conflict``, ``Refused``, ``Invalid``, ``Unavailable``), which the HTTP
adapter (``lucidscore.api``) maps to status codes in one place. Importing this package loads neither numba
nor scikit-learn: scoring happens in ``lucidscore.score``, loaded by the ``Rescorer`` when it is needed.
"""

from lucidscore.service._accounts import (
    MerchantRef,
    authenticate,
    close_session,
    create_api_key,
    create_user,
    merchant_for_key,
    merchants,
    open_session,
    user_for_session,
    user_names,
)
from lucidscore.service._common import aware, end_reads, now
from lucidscore.service._consents import (
    access_log_of,
    consent_status,
    consents_of,
    grant_consent,
    revoke_consent,
    status_of,
)
from lucidscore.service._decisions import decide, decision_notice, decisions_of
from lucidscore.service._declared import check_declared
from lucidscore.service._disputes import add_event, disputes_of, events_of, open_dispute, resolve_dispute
from lucidscore.service._errors import (
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    Refused,
    Unavailable,
    UnknownSecret,
)
from lucidscore.service._notices import (
    AdverseActionNotice,
    ConsumerRight,
    NoticeContact,
    NoticeReason,
    ScoreDisclosure,
    adverse_action_notice,
    notice_reasons,
)
from lucidscore.service._records import RECORD_KEYS, record_exists, records_of
from lucidscore.service._rescore import PipelineRescorer, Rescorer, model_artifact
from lucidscore.service._scores import (
    activate_model,
    active_model,
    current_score,
    latest_score,
    model_by_id,
    models,
    register_model,
    score_distribution,
    score_history,
)
from lucidscore.service._signing import ModelKey, generate_model_key, load_model_key, public_pem
from lucidscore.service._stored import stored_explanation, stored_reasons
from lucidscore.service._workflows import accept_dispute, activate

__all__ = [
    "RECORD_KEYS",
    "AdverseActionNotice",
    "Conflict",
    "ConsumerRight",
    "DomainError",
    "Invalid",
    "MerchantRef",
    "ModelKey",
    "NotFound",
    "NoticeContact",
    "NoticeReason",
    "PipelineRescorer",
    "Refused",
    "Rescorer",
    "ScoreDisclosure",
    "Unavailable",
    "UnknownSecret",
    "accept_dispute",
    "access_log_of",
    "activate",
    "activate_model",
    "active_model",
    "add_event",
    "adverse_action_notice",
    "authenticate",
    "aware",
    "check_declared",
    "close_session",
    "consent_status",
    "consents_of",
    "create_api_key",
    "create_user",
    "current_score",
    "decide",
    "decision_notice",
    "decisions_of",
    "disputes_of",
    "end_reads",
    "events_of",
    "generate_model_key",
    "grant_consent",
    "latest_score",
    "load_model_key",
    "merchant_for_key",
    "merchants",
    "model_artifact",
    "model_by_id",
    "models",
    "notice_reasons",
    "now",
    "open_dispute",
    "open_session",
    "public_pem",
    "record_exists",
    "records_of",
    "register_model",
    "resolve_dispute",
    "revoke_consent",
    "score_distribution",
    "score_history",
    "status_of",
    "stored_explanation",
    "stored_reasons",
    "user_for_session",
    "user_names",
]
