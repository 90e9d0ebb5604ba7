"""The benefit catalogue merchants decide with, and the rule that turns a score into a decision.

A benefit is a product a consumer asks a merchant for (an instant credit line, a deposit-free rental, a
premium membership). A consent is granted for one benefit's purpose; the decision is approved when the
consumer's score reaches the benefit's minimum. Nothing else is consulted (SPEC section 2: no sanctions,
no input about other people), so the rule is a plain comparison that anyone can check.

Every product has a ``kind`` from a closed list (``BENEFIT_KINDS``). A product whose name, label or kind
is about employment, schooling, travel, housing eligibility, internet access, government services or a
public display of the score is refused with ``PolicyViolation`` when the catalogue is built or loaded:
the score decides only the credit or merchant benefit the consumer asked for (SPEC section 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lucidscore.errors import InputError, PolicyViolation, utf8_text
from lucidscore.policy.guard import name_tokens

# The score scale of SPEC section 3; policy sits below model, so the bounds are restated, not imported.
MIN_SCORE = 350
MAX_SCORE = 950

BenefitKind = Literal[
    "credit_line",
    "instalment_loan",
    "buy_now_pay_later",
    "pay_after_use",
    "deposit_waiver",
    "rental",
    "premium_service",
]
BENEFIT_KINDS: tuple[BenefitKind, ...] = get_args(BenefitKind)

NO_SANCTIONS = (
    "SPEC section 2, no sanctions: the score decides only credit and merchant benefits in the "
    "transaction the consumer started, never anything outside it"
)
NO_PUBLIC_LOOKUP = (
    "SPEC section 2, no public lookup: nobody sees a person's score without that person's consent, and a "
    "score is never shown to others"
)


@dataclass(frozen=True)
class Purpose:
    """A use of the score that no benefit may have, and the words that name it."""

    what: str
    reason: str
    tokens: frozenset[str]
    phrases: tuple[tuple[str, ...], ...] = ()
    inside: tuple[str, ...] = ()  # words found anywhere in the text (Chinese has no spaces between words)


def _purpose(what: str, reason: str, words: str, *phrases: str, inside: str = "") -> Purpose:
    return Purpose(
        what,
        reason,
        frozenset(words.split()),
        tuple(tuple(p.split()) for p in phrases),
        tuple(inside.split()),
    )


def forbidden_purposes() -> tuple[Purpose, ...]:
    """Uses outside the transaction the consumer started, in English, Chinese (pinyin and characters) and
    a few words of German, Spanish and French (read without accents); the first that
    matches names the refusal, so the specific (``tenant``, ``visa``) come before the general."""
    return (
        _purpose(
            "employment",
            NO_SANCTIONS,
            "employment employer employers employee job jobs hiring recruitment recruiting recruiter "
            "workplace zhaopin jiuye beschaftigung arbeitgeber bewerbung bewerber arbeitsplatz empleo "
            "trabajo emploi embauche",
            "pre employment",
            inside="招聘 求职 就业 雇主 雇佣",
        ),
        _purpose(
            "housing eligibility",
            NO_SANCTIONS,
            "housing tenant tenants tenancy landlord landlords zufang mieter vermieter inquilino arrendador "
            "locataire bailleur",
            inside="租房 房东 租客",
        ),
        _purpose(
            "schooling",
            NO_SANCTIONS,
            "school schools schooling admission admissions enrolment enrollment university universities "
            "college kindergarten ruxue xuexiao zhaosheng schule universitat hochschule escuela "
            "universidad ecole universite",
            inside="学校 入学 招生 大学",
        ),
        _purpose(
            "government services",
            NO_SANCTIONS,
            "government gov govt visa visas passport passports permit permits court courts police "
            "zhengwu hukou election elections regierung behorde gobierno gouvernement reisepass pasaporte",
            "public service",
            "public services",
            "civil service",
            "social security",
            "public office",
            inside="签证 护照 政务 户口 法院 政府",
        ),
        _purpose(
            "travel",
            NO_SANCTIONS,
            "travel travelling traveling flight flights airline airlines airport boarding train trains rail "
            "railway gaotie jipiao chuxing reise flug viaje vuelo voyage",
            "fast track",
            inside="出行 机票 高铁 航班 火车",
        ),
        _purpose(
            "internet access",
            NO_SANCTIONS,
            "internet broadband wifi shangwang",
            "online access",
            "network access",
            "web access",
            inside="上网 宽带",
        ),
        _purpose(
            "screening of people",
            NO_SANCTIONS,
            "screening vetting",
            "background check",
            "background checks",
            inside="背景调查",
        ),
        _purpose(
            "a public display of the score",
            NO_PUBLIC_LOOKUP,
            "dating matchmaking leaderboard",
            "public profile",
            "score badge",
            inside="相亲 排行榜",
        ),
    )


def refused_purpose(*texts: str) -> Purpose | None:
    """The forbidden purpose that any of ``texts`` (a product name, label or kind) names, or None.

    >>> refused_purpose("employment_screening").what
    'employment'
    >>> refused_purpose("deposit_free_rental", "Deposit-free rental") is None
    True
    """
    for text in texts:
        tokens = name_tokens(text)
        joined = "".join(tokens)
        for purpose in forbidden_purposes():
            n_phrase = [len(p) for p in purpose.phrases]
            if (
                purpose.tokens.intersection(tokens)
                or any(w in joined for w in purpose.inside)
                or any(
                    tuple(tokens[i : i + n]) == p
                    for p, n in zip(purpose.phrases, n_phrase, strict=True)
                    for i in range(len(tokens) - n + 1)
                )
            ):
                return purpose
    return None


def check_benefit(fields: Mapping[str, Any]) -> None:
    """Raise ``PolicyViolation`` when a benefit's product, label or kind names a forbidden purpose."""
    texts = [str(fields[k]) for k in ("product", "label", "kind") if isinstance(fields.get(k), str)]
    purpose = refused_purpose(*texts)
    if purpose is not None:
        raise PolicyViolation(
            f"benefit {fields.get('product')!r} is for {purpose.what}; {purpose.reason}. Expected a product "
            f"of one of the kinds {', '.join(BENEFIT_KINDS)}"
        )


class Benefit(BaseModel):
    """One product a merchant can grant, of a ``kind`` from a closed list, unlocked at ``min_score``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str = Field(min_length=1, max_length=80)
    kind: BenefitKind
    min_score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)

    @model_validator(mode="before")
    @classmethod
    def _allowed_purpose(cls, data: Any) -> Any:
        # PolicyViolation is not a ValueError, so pydantic lets it through unwrapped: no flag overrides it.
        if isinstance(data, Mapping):
            check_benefit(data)
        return data


class BenefitDecision(BaseModel):
    """The outcome of applying a benefit's rule to a score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str
    approved: bool
    min_score: int
    score: int


class BenefitCatalogue(BaseModel):
    """The products on offer; each product name appears once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    benefits: tuple[Benefit, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_products(self) -> BenefitCatalogue:
        names = [b.product for b in self.benefits]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"product listed more than once: {', '.join(dupes)}")
        return self

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(b.product for b in self.benefits)

    def get(self, product: str) -> Benefit:
        """The benefit named ``product``; ``InputError`` naming the known products otherwise."""
        for benefit in self.benefits:
            if benefit.product == product:
                return benefit
        raise InputError(
            f"product {product!r} is not in the benefit catalogue; expected one of {', '.join(self.products)}"
        )

    def decide(self, product: str, score: int) -> BenefitDecision:
        """Approve ``product`` when ``score`` reaches its minimum.

        >>> default_catalogue().decide("deposit_free_rental", 655).approved
        True
        """
        benefit = self.get(product)
        return BenefitDecision(
            product=product, approved=score >= benefit.min_score, min_score=benefit.min_score, score=score
        )


def default_catalogue() -> BenefitCatalogue:
    """The defaults of issue 4: instant credit line >= 600, deposit-free rental >= 650, premium >= 700."""
    return BenefitCatalogue(
        benefits=(
            Benefit(
                product="instant_credit_line", label="Instant credit line", kind="credit_line", min_score=600
            ),
            Benefit(
                product="deposit_free_rental",
                label="Deposit-free rental",
                kind="deposit_waiver",
                min_score=650,
            ),
            Benefit(product="premium", label="Premium membership", kind="premium_service", min_score=700),
        )
    )


def load_catalogue(path: str | Path) -> BenefitCatalogue:
    """Read a catalogue from JSON (``{"benefits": [{"product", "label", "kind", "min_score"}, ...]}``).

    Raises ``InputError`` for a file that is not a catalogue and ``PolicyViolation`` for a product with a
    forbidden purpose, both naming the file and the field.
    """
    p = Path(path)
    try:
        text = utf8_text(p, "a benefit catalogue JSON file")
    except FileNotFoundError:
        raise InputError(f"{p}: no such benefit catalogue file") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a directory; expected a benefit catalogue JSON file") from None
    return parse_catalogue(text, str(p))


def parse_catalogue(text: str, source: str = "catalogue") -> BenefitCatalogue:
    """A catalogue from its JSON text, checked as at every door: the schema, and the policy rules on every
    product (forbidden purposes first, so no other mistake hides one). Errors name ``source`` and the field.

    >>> parse_catalogue(catalogue_json(default_catalogue())).products[0]
    'instant_credit_line'
    """
    try:
        raw = json.loads(text, object_pairs_hook=_Object.of)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON ({exc}); expected a benefit catalogue") from None
    except RecursionError:
        raise InputError(
            f"{source}: JSON nested too deeply to be a catalogue; expected a benefit catalogue"
        ) from None
    twice = _key_twice(raw)
    if twice is not None:
        where, key = twice
        raise InputError(f"{source}: field {where}: key {key!r} given twice; expected each key once")
    items = raw.get("benefits") if isinstance(raw, dict) else None
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            try:
                check_benefit(item)
            except PolicyViolation as exc:
                raise PolicyViolation(f"{source}: field benefits.{i}: {exc.message}") from None
    try:
        # Strict: a JSON string or boolean is not a minimum score ("600" and true are refused, not read as
        # 600 and 1), as the service's own inputs are strict.
        return BenefitCatalogue.model_validate_json(text, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        value = first.get("input")
        shown = f"{value[:40]}…" if isinstance(value, str) and len(value) > 40 else value
        found = f" (found {shown!r})" if isinstance(value, str | int | float | bool) else ""
        expected = (
            f"one of the kinds {', '.join(BENEFIT_KINDS)}"
            if where.endswith(".kind")
            else "a benefit catalogue"
        )
        raise InputError(f"{source}: field {where}: {first['msg']}{found}; expected {expected}") from None


class _Object(dict[str, Any]):
    """A JSON object that remembers the first key it was given twice (``json`` keeps the last silently)."""

    twice: str | None = None

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> _Object:
        obj = cls()
        for key, value in pairs:
            if key in obj and obj.twice is None:
                obj.twice = key
            obj[key] = value
        return obj


def _key_twice(value: object, where: str = "") -> tuple[str, str] | None:
    """(where, key) of the first object of ``value`` given a key twice, or None."""
    if isinstance(value, _Object) and value.twice is not None:
        return where or "(top level)", value.twice
    children: Iterable[tuple[object, object]] = ()
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    for key, child in children:
        found = _key_twice(child, f"{where}.{key}" if where else str(key))
        if found is not None:
            return found
    return None


def catalogue_json(catalogue: BenefitCatalogue) -> str:
    """The catalogue as canonical JSON (keys sorted, no spaces): equal catalogues give equal text, so a
    stored version can be compared and hashed.

    >>> catalogue_json(default_catalogue())[:40]
    '{"benefits":[{"kind":"credit_line","labe'
    """
    return json.dumps(catalogue.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
