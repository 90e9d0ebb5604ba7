"""The model-input guard of SPEC section 2: refuse protected attributes, opinions and other people.

Column names are split into lower-case tokens (at ``_``, ``-``, spaces, digits and camelCase), so ``AGE``,
``age_years`` and ``applicantAge`` are caught while ``PAGE``, ``usage`` and ``mortgage`` are not. A
column may also be refused by its declared family (interpersonal relationships is never used). There is
no override: a refused column can only be moved to the fairness audit with ``--audit-columns``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lucidscore.errors import PolicyViolation
from lucidscore.policy.families import UNUSED_FAMILY, FeatureMeta


@dataclass(frozen=True)
class _Rule:
    kind: str  # "protected attribute", "opinion or speech", "other people"
    what: str  # e.g. "sex"
    tokens: frozenset[str]  # single tokens that match
    phrases: tuple[tuple[str, ...], ...] = ()  # token sequences that match


def _rules() -> tuple[_Rule, ...]:
    p, o, x = "protected attribute", "opinion or speech", "other people"
    return (
        _Rule(p, "sex", frozenset({"sex", "gender", "male", "female"})),
        _Rule(
            p,
            "marital status",
            frozenset({"marriage", "married", "marital", "spouse", "divorced", "widowed"}),
            (("personal", "status"), ("civil", "status")),
        ),
        _Rule(
            p,
            "age",
            frozenset({"age", "ages", "aged", "birth", "birthday", "birthdate", "dob", "yob"}),
            (("year", "of", "birth"), ("date", "of", "birth")),
        ),
        _Rule(
            p, "race or ethnic origin", frozenset({"race", "racial", "ethnic", "ethnicity", "ethnicities"})
        ),
        _Rule(p, "religion", frozenset({"religion", "religious", "faith", "church", "caste"})),
        _Rule(
            p,
            "national origin or foreign status",
            frozenset(
                {"nationality", "citizenship", "citizen", "foreign", "foreigner", "immigrant", "immigration"}
            ),
            (("national", "origin"), ("country", "of", "birth"), ("country", "of", "origin")),
        ),
        _Rule(
            p,
            "health",
            frozenset({"health", "disability", "disabled", "medical", "illness", "pregnant", "pregnancy"}),
        ),
        _Rule(
            p,
            "public assistance",
            frozenset({"benefits", "welfare", "medicaid"}),
            (("public", "assistance"), ("food", "stamps"), ("social", "assistance")),
        ),
        _Rule(
            o,
            "political or religious views, posts, news, books or browsing",
            frozenset(
                {
                    "political",
                    "politics",
                    "party",
                    "vote",
                    "votes",
                    "voting",
                    "voter",
                    "union",
                    "posts",
                    "posting",
                    "tweet",
                    "tweets",
                    "twitter",
                    "facebook",
                    "instagram",
                    "tiktok",
                    "weibo",
                    "news",
                    "books",
                    "browsing",
                    "browser",
                    "opinion",
                    "opinions",
                    "belief",
                    "beliefs",
                    "ideology",
                    "likes",
                }
            ),
            (("social", "media"), ("search", "history")),
        ),
        _Rule(
            x,
            "friends, contacts, followers, relatives or their scores",
            frozenset(
                {
                    "friend",
                    "friends",
                    "contacts",
                    "follower",
                    "followers",
                    "relatives",
                    "relative",
                    "kin",
                    "siblings",
                    "parents",
                    "peers",
                    "social",
                    "connections",
                    "referrals",
                }
            ),
            (("family", "score"),),
        ),
    )


_SPLIT = re.compile(r"[^0-9a-zA-Z]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
# Phrases in which a listed token means something else: (phrase, token it excuses).
_EXEMPT: tuple[tuple[tuple[str, ...], str], ...] = (
    (("social", "security"), "social"),  # an identifier, not a social graph
    (("credit", "union"), "union"),  # a kind of lender
    (("third", "party"), "party"),  # a collector or lender, not a political party
)


def name_tokens(name: str) -> list[str]:
    """Lower-case tokens of a column name: 'PERSONAL_STATUS_AND_SEX' -> personal, status, and, sex."""
    return [t.lower() for t in _SPLIT.split(name) if t]


def _has_phrase(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1))


def refusal_reason(name: str, meta: FeatureMeta | None = None) -> str | None:
    """Why ``name`` may not be a model input, or None when it may."""
    tokens = name_tokens(name)
    for rule in _rules():
        hit = set(rule.tokens.intersection(tokens))
        for phrase, token in _EXEMPT:
            if token in hit and _has_phrase(tokens, phrase):
                hit.discard(token)
        if hit or any(_has_phrase(tokens, ph) for ph in rule.phrases):
            return f"{rule.kind} ({rule.what})"
    if meta is not None and meta.family == UNUSED_FAMILY:
        return f"other people (declared family {UNUSED_FAMILY}, which lucidscore never uses)"
    return None


def check_model_inputs(
    columns: Iterable[str],
    audit_columns: Iterable[str] = (),
    feature_meta: Mapping[str, FeatureMeta] | None = None,
) -> list[str]:
    """Return the columns that may enter the model; raise ``PolicyViolation`` naming every refused one.

    Columns listed in ``audit_columns`` are kept out of the model (for the fairness audit only) and are
    not checked. There is no override.

    >>> check_model_inputs(["PAY_0", "SEX"], audit_columns=["SEX"])
    ['PAY_0']
    """
    audit = set(audit_columns)
    meta = feature_meta or {}
    kept: list[str] = []
    refused: list[str] = []
    for col in columns:
        if col in audit:
            continue
        reason = refusal_reason(col, meta.get(col))
        if reason is None:
            kept.append(col)
        else:
            refused.append(
                f"column {col}: {reason} — pass it with --audit-columns to keep it for the fairness "
                "audit only"
            )
    if refused:
        raise PolicyViolation(
            "; ".join(refused)
            + " (SPEC section 2: such inputs never reach the model; no flag overrides this)"
        )
    return kept
