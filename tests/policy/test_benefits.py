"""The benefit catalogue: defaults of issue 4, kinds from a closed list, forbidden purposes refused
(issue 13), the decision rule, loading a catalogue file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lucidscore.errors import InputError, PolicyViolation
from lucidscore.policy import (
    BENEFIT_KINDS,
    Benefit,
    BenefitCatalogue,
    default_catalogue,
    forbidden_purposes,
    load_catalogue,
    refused_purpose,
)


def test_defaults() -> None:
    cat = default_catalogue()
    assert {b.product: (b.kind, b.min_score) for b in cat.benefits} == {
        "instant_credit_line": ("credit_line", 600),
        "deposit_free_rental": ("deposit_waiver", 650),
        "premium": ("premium_service", 700),
    }


def test_the_default_catalogue_is_valid_when_loaded_from_its_own_json(tmp_path: Path) -> None:
    path = tmp_path / "benefits.json"
    path.write_text(default_catalogue().model_dump_json(), "utf-8")
    assert load_catalogue(path) == default_catalogue()


def test_the_kinds_are_the_closed_list_of_the_issue() -> None:
    assert set(BENEFIT_KINDS) >= {
        "credit_line",
        "instalment_loan",
        "deposit_waiver",
        "rental",
        "buy_now_pay_later",
        "premium_service",
    }
    for kind in BENEFIT_KINDS:  # no kind is itself a forbidden purpose
        assert refused_purpose(kind) is None


@given(st.integers(350, 950), st.sampled_from(["instant_credit_line", "deposit_free_rental", "premium"]))
def test_approved_exactly_when_the_score_reaches_the_minimum(score: int, product: str) -> None:
    cat = default_catalogue()
    decision = cat.decide(product, score)
    assert decision.approved == (score >= cat.get(product).min_score)
    assert decision.min_score == cat.get(product).min_score


def test_unknown_product_is_named() -> None:
    with pytest.raises(
        InputError, match=r"product 'yacht' is not in the benefit catalogue; expected one of "
    ):
        default_catalogue().decide("yacht", 900)


def test_load_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "benefits.json"
    path.write_text(
        json.dumps(
            {"benefits": [{"product": "bike_rental", "label": "Bike", "kind": "rental", "min_score": 580}]}
        )
    )
    assert load_catalogue(path).decide("bike_rental", 580).approved


def _one(product: str, kind: str = "rental", label: str = "X", min_score: int = 600) -> str:
    return json.dumps(
        {"benefits": [{"product": product, "label": label, "kind": kind, "min_score": min_score}]}
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", r"not valid JSON"),
        ('{"benefits": []}', r"field benefits: Tuple should have at least 1 item"),
        (_one("x1", min_score=1000), r"field benefits.0.min_score"),
        (
            '{"benefits": [{"product": "ab", "label": "A", "kind": "rental", "min_score": 600},'
            ' {"product": "ab", "label": "B", "kind": "rental", "min_score": 700}]}',
            r"product listed more than once: ab",
        ),
        (
            '{"benefits": [{"product": "bike_rental", "label": "Bike", "min_score": 580}]}',
            r"field benefits.0.kind: Field required; expected one of the kinds credit_line, instalment_loan",
        ),
        (_one("yacht_charter", kind="yacht"), r"field benefits.0.kind: Input should be 'credit_line'"),
        ("[" * 100_000 + "]" * 100_000, r"JSON nested too deeply to be a catalogue; expected a benefit"),
        (
            _one("bike", min_score=600).replace("600", '"600"'),
            r"field benefits.0.min_score: Input should be a valid integer \(found '600'\); expected",
        ),
        (
            _one("bike", min_score=600).replace("600", "true"),
            r"field benefits.0.min_score: Input should be a valid integer \(found True\); expected",
        ),
        (_one("bike", label="L" * 10_000), r"at most 80 characters \(found 'L{40}…'\); expected a benefit"),
        (
            _one("bike").replace('"label": "X"', '"label": "X", "label": "Y"'),
            r"field benefits.0: key 'label' given twice; expected each key once",
        ),
    ],
)
def test_bad_catalogue_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "benefits.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_catalogue(path)
    with pytest.raises(InputError, match="no such benefit catalogue file"):
        load_catalogue(tmp_path / "missing.json")


# -- forbidden purposes: refused when a catalogue is built and when it is loaded ------------------------

PURPOSES = forbidden_purposes()
TERMS = [(p.what, t) for p in PURPOSES for t in sorted(p.tokens)] + [
    (p.what, "_".join(ph)) for p in PURPOSES for ph in p.phrases
]


@pytest.mark.parametrize(("what", "term"), TERMS, ids=[t for _, t in TERMS])
def test_every_forbidden_term_is_refused_in_name_label_or_kind(what: str, term: str) -> None:
    purpose = refused_purpose(term)
    assert purpose is not None and purpose.what == what
    spec = r"SPEC section 2, no (sanctions|public lookup)"
    product = f"{term.lower()}_plus"[:40]
    if product[0].isalpha():
        with pytest.raises(PolicyViolation, match=rf"benefit '{product}' is for {what}; {spec}"):
            Benefit(product=product, label="Plus", kind="premium_service", min_score=600)
    label = f"Fast {term.replace('_', ' ').upper()} pass"
    with pytest.raises(PolicyViolation, match=rf"benefit 'gold' is for {what}; {spec}"):
        Benefit(product="gold", label=label, kind="premium_service", min_score=600)
    with pytest.raises(PolicyViolation, match=rf"benefit 'gold' is for {what}; {spec}"):
        Benefit.model_validate({"product": "gold", "label": "Gold", "kind": term, "min_score": 600})


@pytest.mark.parametrize(
    ("product", "what"),
    [
        ("employment_screening", "employment"),
        ("tenant_screening", "housing eligibility"),
        ("school_admission_priority", "schooling"),
        ("visa_fast_track", "government services"),
        ("train_ticket_priority", "travel"),
        ("flight_booking", "travel"),
        ("broadband_access", "internet access"),
        ("dating_profile_badge", "a public display of the score"),
        ("background_check", "screening of people"),
    ],
)
def test_products_outside_the_consumers_transaction_are_refused_at_load(
    tmp_path: Path, product: str, what: str
) -> None:
    path = tmp_path / "benefits.json"
    benefits: list[dict[str, Any]] = [
        {"product": "bike_rental", "label": "Bike", "kind": "rental", "min_score": 580},
        {"product": product, "label": "Something", "kind": "premium_service", "min_score": 700},
    ]
    path.write_text(json.dumps({"benefits": benefits}))
    with pytest.raises(
        PolicyViolation,
        match=rf"benefits.json: field benefits.1: benefit '{product}' is for {what}; SPEC section 2",
    ):
        load_catalogue(path)
    with pytest.raises(PolicyViolation, match=rf"benefit '{product}' is for {what}"):
        BenefitCatalogue.model_validate({"benefits": benefits})


@pytest.mark.parametrize(
    ("product", "label", "kind"),
    [
        ("instant_credit_line", "Instant credit line", "credit_line"),
        ("phone_instalments", "Phone in 12 instalments", "instalment_loan"),
        ("hire_purchase", "Hire purchase", "instalment_loan"),
        ("pay_later", "Pay in 30 days", "buy_now_pay_later"),
        ("pay_after_charging", "Power bank: pay after use", "pay_after_use"),
        ("hotel_deposit_waiver", "No deposit at check-in", "deposit_waiver"),
        ("car_rental_no_deposit", "Car rental without deposit", "deposit_waiver"),
        ("laptop_rental", "Laptop rental for students", "rental"),
        ("bike_rental", "Bike rental without deposit", "rental"),
        ("gold_membership", "Gold membership", "premium_service"),
        ("postpaid_mobile_plan", "Postpaid mobile plan", "pay_after_use"),
    ],
)
def test_credit_and_merchant_benefits_are_allowed(product: str, label: str, kind: str) -> None:
    assert refused_purpose(product, label, kind) is None
    Benefit.model_validate({"product": product, "label": label, "kind": kind, "min_score": 600})


@pytest.mark.parametrize(
    ("label", "what"),
    [
        ("Beschäftigung: Bewerbung um eine Stelle", "employment"),
        ("招聘 求职优先", "employment"),
        ("Prüfung für Vermieter", "housing eligibility"),
        ("租房优先", "housing eligibility"),
        ("Admission à l'université", "schooling"),
        ("签证加急", "government services"),
        ("Voyage prioritaire", "travel"),
        ("高铁优先", "travel"),
        ("ＢＲＯＡＤＢＡＮＤ access", "internet access"),
    ],
)
def test_labels_in_other_languages_and_scripts_are_refused(label: str, what: str) -> None:
    """SPEC section 2 holds whatever the language or script of a label: German, French, Chinese
    characters and fullwidth letters used to pass (the vocabulary was English and pinyin, read in ASCII)."""
    with pytest.raises(PolicyViolation, match=rf"benefit 'gold' is for {what}; SPEC section 2"):
        Benefit(product="gold", label=label, kind="premium_service", min_score=600)


@pytest.mark.parametrize(
    "label",
    [
        "Mietwagen ohne Kaution",
        "Fahrrad mieten ohne Kaution",
        "Kreditrahmen sofort",
        "免押金租车",
        "Crédit immédiat",
    ],
)
def test_merchant_benefits_in_other_languages_are_allowed(label: str) -> None:
    Benefit(product="gold", label=label, kind="rental", min_score=600)
