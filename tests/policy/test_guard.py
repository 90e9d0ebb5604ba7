"""The model-input guard (SPEC section 2): every refused column is named with its reason; no override."""

from __future__ import annotations

import re

import pytest

from lucidscore.errors import PolicyViolation
from lucidscore.policy import FeatureMeta, check_model_inputs, name_tokens, refusal_reason

TAIWAN = ["LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE", "PAY_0", "PAY_2", "BILL_AMT1", "PAY_AMT6"]
GERMAN = [
    "STATUS_ACCOUNT", "DURATION_MONTHS", "CREDIT_HISTORY", "PURPOSE", "AMOUNT", "BONDS", "EMPLOYMENT",
    "INSTALLMENT_RATE", "PERSONAL_STATUS_AND_SEX", "OTHER_DEBTORS", "PRESENT_RESIDENCE_SINCE", "PROPERTY",
    "AGE", "INSTALLMENT_PLANS", "HOUSING", "NUMBER_OF_CREDIT_CARDS", "JOB", "LIABLE_PEOPLE", "TELEPHONE",
    "FOREIGN",
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("SEX", "protected attribute (sex)"),
        ("gender", "protected attribute (sex)"),
        ("MARRIAGE", "protected attribute (marital status)"),
        ("marital_status", "protected attribute (marital status)"),
        ("PERSONAL_STATUS_AND_SEX", "protected attribute"),
        ("AGE", "protected attribute (age)"),
        ("age_years", "protected attribute (age)"),
        ("applicantAge", "protected attribute (age)"),
        ("date_of_birth", "protected attribute (age)"),
        ("birth_year", "protected attribute (age)"),
        ("race", "protected attribute (race or ethnic origin)"),
        ("Ethnicity", "protected attribute (race or ethnic origin)"),
        ("religion", "protected attribute (religion)"),
        ("nationality", "protected attribute (national origin or foreign status)"),
        ("FOREIGN", "protected attribute (national origin or foreign status)"),
        ("foreign_worker", "protected attribute (national origin or foreign status)"),
        ("health_status", "protected attribute (health)"),
        ("disability", "protected attribute (health)"),
        ("benefits_received", "protected attribute (public assistance)"),
        ("welfare", "protected attribute (public assistance)"),
        ("public_assistance_flag", "protected attribute (public assistance)"),
        ("political_party", "opinion or speech"),
        ("votes_cast", "opinion or speech"),
        ("union_member", "opinion or speech"),
        ("n_posts", "opinion or speech"),
        ("tweets_per_day", "opinion or speech"),
        ("news_shared", "opinion or speech"),
        ("books_read", "opinion or speech"),
        ("browsing_minutes", "opinion or speech"),
        ("social_media_hours", "opinion or speech"),
        ("friends_avg_score", "other people"),
        ("n_contacts", "other people"),
        ("followers", "other people"),
        ("relatives_default", "other people"),
        ("family_score", "other people"),
        ("social_circle", "other people"),
    ],
)
def test_refused_names(name: str, kind: str) -> None:
    reason = refusal_reason(name)
    assert reason is not None and reason.startswith(kind)
    with pytest.raises(PolicyViolation, match=rf"column {name}: {re.escape(kind)}.*--audit-columns"):
        check_model_inputs(["PAY_0", name])


@pytest.mark.parametrize(
    "name",
    [
        "PAGE", "usage", "mortgage", "mortgage_balance", "average_balance", "percentage_used", "agency_code",
        "LIMIT_BAL", "PAY_0", "BILL_AMT1", "months_at_address", "n_credit_accounts", "credit_union_loans",
        "third_party_collections", "social_security_verified", "utility_on_time", "EDUCATION", "storage",
        "LIABLE_PEOPLE", "OTHER_DEBTORS", "TELEPHONE", "income_verified", "days_past_due_max",
    ],
)  # fmt: skip
def test_legitimate_names_pass(name: str) -> None:
    assert refusal_reason(name) is None
    assert check_model_inputs([name]) == [name]


def test_taiwan_needs_its_personal_columns_audited() -> None:
    with pytest.raises(PolicyViolation) as err:
        check_model_inputs(TAIWAN)
    message = str(err.value)
    for col in ("SEX", "MARRIAGE", "AGE"):
        assert f"column {col}:" in message
    assert "EDUCATION" not in message and "LIMIT_BAL" not in message
    kept = check_model_inputs(TAIWAN, audit_columns=["SEX", "EDUCATION", "MARRIAGE", "AGE"])
    assert kept == ["LIMIT_BAL", "PAY_0", "PAY_2", "BILL_AMT1", "PAY_AMT6"]


def test_german_needs_its_personal_columns_audited() -> None:
    with pytest.raises(
        PolicyViolation, match=r"column PERSONAL_STATUS_AND_SEX: .*column AGE: .*column FOREIGN: "
    ):
        check_model_inputs(GERMAN)
    kept = check_model_inputs(GERMAN, audit_columns=["PERSONAL_STATUS_AND_SEX", "AGE", "FOREIGN"])
    assert len(kept) == len(GERMAN) - 3


def test_declared_interpersonal_family_is_refused() -> None:
    meta = {"score_x": FeatureMeta(name="score_x", family="interpersonal_relationships", description="x")}
    with pytest.raises(PolicyViolation, match=r"column score_x: other people \(declared family"):
        check_model_inputs(["score_x"], feature_meta=meta)


def test_tokens_split_case_digits_and_separators() -> None:
    assert name_tokens("PERSONAL_STATUS_AND_SEX") == ["personal", "status", "and", "sex"]
    assert name_tokens("applicantAge2") == ["applicant", "age", "2"]
    assert name_tokens("PAGE") == ["page"]
