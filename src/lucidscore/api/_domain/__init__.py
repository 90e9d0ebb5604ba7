"""What the service does, independent of HTTP: accounts, sessions, consents, scores, records, disputes.

Each function takes an open SQLAlchemy ``Session`` and leaves committing to the caller, except where a
record must survive the error that follows it (a refused decision is logged, then refused).
"""

from lucidscore.api._domain._accounts import (
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
from lucidscore.api._domain._common import aware, end_reads, now
from lucidscore.api._domain._consents import (
    access_log_of,
    consent_status,
    consents_of,
    grant_consent,
    revoke_consent,
    status_of,
)
from lucidscore.api._domain._disputes import add_event, disputes_of, events_of, open_dispute, resolve_dispute
from lucidscore.api._domain._records import RECORD_KEYS, record_exists, records_of
from lucidscore.api._domain._scores import (
    activate_model,
    active_model,
    current_score,
    latest_score,
    models,
    score_distribution,
    score_history,
)

__all__ = [
    "RECORD_KEYS",
    "MerchantRef",
    "access_log_of",
    "activate_model",
    "active_model",
    "add_event",
    "authenticate",
    "aware",
    "close_session",
    "consent_status",
    "consents_of",
    "create_api_key",
    "create_user",
    "current_score",
    "disputes_of",
    "end_reads",
    "events_of",
    "grant_consent",
    "latest_score",
    "merchant_for_key",
    "merchants",
    "models",
    "now",
    "open_dispute",
    "open_session",
    "record_exists",
    "records_of",
    "resolve_dispute",
    "revoke_consent",
    "score_distribution",
    "score_history",
    "status_of",
    "user_for_session",
    "user_names",
]
