"""The service's domain, without HTTP: accounts, sessions, consents, decisions, scores, records, disputes,
models, and the workflows that span them (accepting a dispute, activating a model); and the operator's
side: account administration, model registration, the versioned benefit catalogue, publishing a month.
A model is read through ``model_artifact`` at every door, which refuses one that does not declare every
characteristic (``check_declared``).

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
from lucidscore.service._admin import (
    ROLES,
    AccountInfo,
    AccountSpec,
    NewAccount,
    accounts,
    create_account,
    create_accounts,
    create_accounts_from_csv,
    read_accounts_csv,
    revoke_account,
    rotate_credentials,
)
from lucidscore.service._catalogue import (
    CatalogueCache,
    CurrentCatalogue,
    catalogue_version,
    catalogue_versions,
    ensure_catalogue,
    set_catalogue,
)
from lucidscore.service._changes import RecordMarks, changed_consumers, record_marks
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
from lucidscore.service._history import Recorded, current_rows, record_scores, score_digest
from lucidscore.service._models import register_model, retire_model
from lucidscore.service._notices import (
    AdverseActionNotice,
    ConsumerRight,
    NoticeContact,
    NoticeReason,
    ScoreDisclosure,
    adverse_action_notice,
    notice_reasons,
)
from lucidscore.service._publish import (
    ENGINES,
    PublishProgress,
    PublishReport,
    last_publication,
    publications,
    publish_month,
)
from lucidscore.service._records import RECORD_KEYS, record_exists, records_of
from lucidscore.service._rescore import (
    PipelineRescorer,
    Rescorer,
    consumer_features,
    model_artifact,
    newest_month,
    published_month,
)
from lucidscore.service._scores import (
    activate_model,
    active_model,
    current_score,
    latest_score,
    model_by_id,
    models,
    score_distribution,
    score_history,
    score_trail,
)
from lucidscore.service._signing import ModelKey, generate_model_key, load_model_key, public_pem
from lucidscore.service._stored import stored_explanation, stored_reasons
from lucidscore.service._workflows import accept_dispute, activate

__all__ = [
    "ENGINES",
    "RECORD_KEYS",
    "ROLES",
    "AccountInfo",
    "AccountSpec",
    "AdverseActionNotice",
    "CatalogueCache",
    "Conflict",
    "ConsumerRight",
    "CurrentCatalogue",
    "DomainError",
    "Invalid",
    "MerchantRef",
    "ModelKey",
    "NewAccount",
    "NotFound",
    "NoticeContact",
    "NoticeReason",
    "PipelineRescorer",
    "PublishProgress",
    "PublishReport",
    "RecordMarks",
    "Recorded",
    "Refused",
    "Rescorer",
    "ScoreDisclosure",
    "Unavailable",
    "UnknownSecret",
    "accept_dispute",
    "access_log_of",
    "accounts",
    "activate",
    "activate_model",
    "active_model",
    "add_event",
    "adverse_action_notice",
    "authenticate",
    "aware",
    "catalogue_version",
    "catalogue_versions",
    "changed_consumers",
    "check_declared",
    "close_session",
    "consent_status",
    "consents_of",
    "consumer_features",
    "create_account",
    "create_accounts",
    "create_accounts_from_csv",
    "create_api_key",
    "create_user",
    "current_rows",
    "current_score",
    "decide",
    "decision_notice",
    "decisions_of",
    "disputes_of",
    "end_reads",
    "ensure_catalogue",
    "events_of",
    "generate_model_key",
    "grant_consent",
    "last_publication",
    "latest_score",
    "load_model_key",
    "merchant_for_key",
    "merchants",
    "model_artifact",
    "model_by_id",
    "models",
    "newest_month",
    "notice_reasons",
    "now",
    "open_dispute",
    "open_session",
    "public_pem",
    "publications",
    "publish_month",
    "published_month",
    "read_accounts_csv",
    "record_exists",
    "record_marks",
    "record_scores",
    "records_of",
    "register_model",
    "resolve_dispute",
    "retire_model",
    "revoke_account",
    "revoke_consent",
    "rotate_credentials",
    "score_digest",
    "score_distribution",
    "score_history",
    "score_trail",
    "set_catalogue",
    "status_of",
    "stored_explanation",
    "stored_reasons",
    "user_for_session",
    "user_names",
]
