"""The model-input guard of SPEC section 2: refuse protected attributes, opinions, other people and
the inputs of social control.

Column names are split into lower-case tokens (at ``_``, ``-``, spaces, digits and camelCase), so ``AGE``,
``age_years`` and ``applicantAge`` are caught while ``PAGE``, ``usage`` and ``mortgage`` are not. A rule
matches a name by one of its tokens, by a phrase (adjacent tokens, ``date of birth``), by a pair of
words anywhere in the name (``travel`` with ``ban``: ``banned_from_travel``), or by a distinctive word
inside a run-together name (``HUKOUTYPE``, ``isBlacklisted``). The vocabulary is in English and, where
cheap, in Chinese pinyin and a few other common languages (``hukou``, ``dangyuan``, ``shixin``,
``xingbie``, ``geschlecht``); ``refused_vocabulary`` lists it. A column may also be refused by its
declared family (interpersonal relationships is never used). There is no override: a protected column
can only be moved to the fairness audit with ``--audit-columns``; any other refused column must be
left out of the data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lucidscore.errors import PolicyViolation
from lucidscore.policy.families import UNUSED_FAMILY, FeatureMeta

PROTECTED = "protected attribute"
OPINION = "opinion or speech"
OTHERS = "other people"
CONTROL = "social control"


@dataclass(frozen=True)
class Rule:
    """One refused subject and the words that name it."""

    kind: str  # PROTECTED, OPINION, OTHERS or CONTROL
    what: str  # e.g. "sex"
    tokens: frozenset[str]  # single tokens that match
    phrases: tuple[tuple[str, ...], ...] = ()  # adjacent token sequences that match
    together: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()  # a word of each set, anywhere
    fused: tuple[str, ...] = ()  # distinctive words found inside run-together names


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(*texts: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(t.split()) for t in texts)


_RESTRICTED = _words(
    "ban bans banned banning restriction restrictions restricted restrict barred prohibited prohibition "
    "blocked blacklist blacklisted xianzhi jinzhi"
)
_REPORTS = _words("report reports reported reporting reporter tipoff tipoffs denounced denouncing")
_ON_OTHERS = _words(
    "others people neighbour neighbours neighbor neighbors colleague colleagues coworkers citizens "
    "relatives friends acquaintances"
)


def _rules() -> tuple[Rule, ...]:
    """The rules in the order they are tried (phrases of all rules before single words): the first that
    matches names the reason, so the specific (``social credit``) wins over the general (``social``)."""
    return (
        Rule(
            PROTECTED,
            "sex",
            _words("sex gender male female xingbie geschlecht sexo sexe genero"),
            fused=("性别",),
        ),
        Rule(
            PROTECTED,
            "marital status",
            _words("marriage married marital spouse divorced widowed hunyin familienstand matrimonial"),
            _phrases(
                "personal status",
                "civil status",
                "family status",
                "estado civil",
                "etat civil",
                "situation familiale",
                "hunyin zhuangkuang",
            ),
            fused=("婚姻",),
        ),
        Rule(
            PROTECTED,
            "age",
            _words(
                "age ages aged birth birthday birthdate dob yob nianling chusheng edad idade alter "
                "lebensalter nacimiento naissance geburtsdatum geburtsjahr geburtstag"
            ),
            _phrases("year of birth", "date of birth", "chusheng riqi"),
            fused=("年龄", "出生"),
        ),
        Rule(
            PROTECTED,
            "race or ethnic origin",
            _words("race racial ethnic ethnicity ethnicities minzu raza raca etnia ethnie"),
            fused=("民族", "种族"),
        ),
        Rule(
            PROTECTED,
            "religion",
            _words("religion religious faith church caste zongjiao konfession religiao religione"),
            fused=("宗教", "信仰"),
        ),
        Rule(
            PROTECTED,
            "national origin or foreign status",
            _words(
                "nationality citizenship citizen foreign foreigner immigrant immigration guoji jiguan "
                "nacionalidad nacionalidade nationalite staatsangehoerigkeit staatsangehorigkeit "
                "herkunftsland"
            ),
            _phrases("national origin", "country of birth", "country of origin", "origin country"),
            fused=("国籍", "籍贯"),
        ),
        Rule(
            PROTECTED,
            "household registration (hukou) or migrant status",
            _words(
                "hukou huji hukouxingzhi nongmingong migrant migrants propiska koseki hoju liudongrenkou "
                "waidiren"
            ),
            _phrases(
                "hu kou",
                "hu ji",
                "household registration",
                "household register",
                "household registry",
                "family register",
                "family registry",
                "residence permit",
                "residence registration",
                "residency permit",
                "registered residence",
                "floating population",
                "liudong renkou",
                "nong min gong",
                "juzhu zheng",
                "rural registration",
                "urban registration",
            ),
            fused=("hukou", "householdregist", "liudongrenkou", "户口", "户籍"),
        ),
        Rule(
            PROTECTED,
            "health",
            _words(
                "health disability disabled medical illness pregnant pregnancy jiankang canji gesundheit "
                "behinderung salud discapacidad sante"
            ),
            fused=("健康", "残疾"),
        ),
        Rule(
            PROTECTED,
            "public assistance",
            _words("benefits welfare medicaid dibao sozialhilfe"),
            _phrases("public assistance", "food stamps", "social assistance"),
            fused=("低保",),
        ),
        Rule(
            CONTROL,
            "travel or movement restrictions",
            _words(
                "travelban exitban flightban nofly noflylist curfew whereabouts xiangao xianchu "
                "xianzhigaoxiaofei"
            ),
            _phrases(
                "no fly",
                "house arrest",
                "location history",
                "movement history",
                "border crossing",
                "border crossings",
                "xianzhi gaoxiaofei",
                "xianzhi chujing",
                "xian gao",
            ),
            together=(
                (
                    _words(
                        "travel travelling traveling flight flights fly flying plane train trains rail "
                        "railway exit movement movements border hotel hotels airline transport chuxing "
                        "chujing gaotie feiji"
                    ),
                    _RESTRICTED,
                ),
            ),
            fused=("travelban", "exitban", "flightban", "noflylist", "xianzhigaoxiaofei"),
        ),
        Rule(
            CONTROL,
            "social-credit blacklists or 'dishonest persons' lists (shixin)",
            _words(
                "blacklist blacklisted blacklisting blocklist blocklisted watchlist redlist shixin "
                "shixinren laolai heimingdan hongmingdan dishonest dishonesty untrustworthy discredited "
                "beizhixingren"
            ),
            _phrases(
                "black list",
                "black listed",
                "watch list",
                "red list",
                "social credit",
                "shehui xinyong",
                "shi xin",
                "lao lai",
                "hei ming dan",
                "dishonest persons",
                "judgment defaulter list",
            ),
            fused=(
                "blacklist",
                "shixin",
                "laolai",
                "heimingdan",
                "socialcredit",
                "shehuixinyong",
                "失信",
                "黑名单",
            ),
        ),
        Rule(
            CONTROL,
            "informants or reports on other people",
            _words(
                "informant informants informer informers snitch snitches jubao gaomi jubaoren whistleblower"
            ),
            _phrases("ju bao", "gao mi"),
            together=((_REPORTS, _ON_OTHERS),),
            fused=("informant", "snitch"),
        ),
        Rule(
            CONTROL,
            "conduct outside credit (volunteering, blood donation, 'moral' or 'civility' ratings)",
            _words(
                "volunteer volunteers volunteering volunteered xianxue moral morality civility civilised "
                "civilized wenming jaywalking jaywalk deeds"
            ),
            _phrases("blood donation", "blood donations", "blood donor", "good deeds", "wenming jiating"),
        ),
        Rule(
            OPINION,
            "party or trade-union membership",
            _words(
                "party union unions unionised unionized dangyuan tuanyuan gonghui gongqingtuan "
                "zhengzhimianmao cpc ccp komsomol gewerkschaft syndicat"
            ),
            _phrases(
                "dang yuan", "zhengzhi mianmao", "gong hui", "trade union", "labour union", "labor union"
            ),
            fused=("partymember", "dangyuan", "zhengzhimianmao", "tradeunion", "laborunion", "labourunion"),
        ),
        Rule(
            OPINION,
            "political or religious views, posts, news, books or browsing",
            _words(
                "political politics vote votes voting voter posts posting tweet tweets twitter facebook "
                "instagram tiktok weibo wechat weixin douyin xiaohongshu news books browsing browser "
                "opinion opinions belief beliefs ideology likes zhengzhi"
            ),
            _phrases("social media", "search history"),
            fused=("政治", "微博", "微信", "言论"),
        ),
        Rule(
            OPINION,
            "petitions, protests or activism",
            _words(
                "petition petitions petitioner petitioning shangfang xinfang protest protests protester "
                "protesters activist activists activism dissident dissidents dissent demonstrator"
            ),
        ),
        Rule(
            OTHERS,
            "friends, contacts, followers, relatives or their scores",
            _words(
                "friend friends contacts follower followers relatives relative kin siblings parents peers "
                "social connections referrals haoyou pengyou qinyou qinshu lianxiren tongxunlu shejiao"
            ),
            _phrases("family score", "address book"),
            fused=("好友", "亲友", "联系人", "通讯录"),
        ),
    )


_SPLIT = re.compile(r"[\W_]+|(?<=[a-z])(?=[A-Z])|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
# The same without the camelCase split: "sEx" and "AgE" are words in odd case, not two words.
_SPLIT_PLAIN = re.compile(r"[\W_]+|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
# Cyrillic and Greek letters drawn like Latin ones (a name can hide "sex" as "ѕех").
_LOOKALIKE = str.maketrans(
    dict(
        zip(
            "аеіјорсѕхуАВЕНІЈКМОРСЅТХУкмтΑΒΕΗΙΚΜΝΟΡΤΧΥΖοιν",
            "aeijopcsxyABEHIJKMOPCSTXYkmtABEHIKMNOPTXYZoiv",
            strict=True,
        )
    )
)
# Phrases in which a listed token means something else: (phrase, token it excuses).
_EXEMPT: tuple[tuple[tuple[str, ...], str], ...] = (
    (("social", "security"), "social"),  # an identifier, not a social graph
    (("credit", "union"), "union"),  # a kind of lender
    (("third", "party"), "party"),  # a collector or lender, not a political party
    # The age of an account or of a credit file is credit history, not the person's age.
    *(
        ((thing, "age"), "age")
        for thing in ("account", "accounts", "credit", "file", "report", "loan", "card")
    ),
    *(
        (("age", "of", thing), "age")
        for thing in ("oldest", "newest", "account", "accounts", "credit", "file")
    ),
)


@dataclass(frozen=True)
class Term:
    """One entry of the refused vocabulary: how a rule is matched and the words it matches on."""

    kind: str
    what: str
    how: str  # "token", "phrase", "together" or "fused"
    example: str  # a column name this entry alone refuses, e.g. "party_member", "banned_from_travel"


def refused_vocabulary() -> tuple[Term, ...]:
    """Every word, phrase, pair and run-together word the guard refuses, with a column name each refuses.

    >>> next(t for t in refused_vocabulary() if t.example == "hukou").what
    'household registration (hukou) or migrant status'
    """
    out: list[Term] = []
    for rule in _rules():
        out += [Term(rule.kind, rule.what, "token", t) for t in sorted(rule.tokens)]
        out += [Term(rule.kind, rule.what, "phrase", "_".join(p)) for p in rule.phrases]
        for first, second in rule.together:
            out += [
                Term(rule.kind, rule.what, "together", f"{a}_{b}")
                for a in sorted(first)
                for b in sorted(second)
            ]
        out += [Term(rule.kind, rule.what, "fused", f"x{f.upper()}Y") for f in rule.fused]
    return tuple(out)


def plain_name(name: str) -> str:
    """``name`` as the guard reads it: compatibility forms folded (fullwidth ``ＡＧＥ``, ``ſ``), invisible
    characters dropped (soft hyphen, zero-width space), Cyrillic and Greek look-alikes read as Latin, and
    accents taken off (``âge``, ``género``, ``Staatsangehörigkeit``), so none of them hides a word.

    >>> plain_name("Âge\u00ad_ＳＥＸ")
    'Age_SEX'
    """
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").translate(_LOOKALIKE)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def name_tokens(name: str) -> list[str]:
    """Lower-case tokens of a column name: 'PERSONAL_STATUS_AND_SEX' -> personal, status, and, sex."""
    return [t.casefold() for t in _SPLIT.split(plain_name(name)) if t]


def _token_views(name: str) -> tuple[list[str], ...]:
    """The name's tokens split at camelCase, then without that split (``sEx``, ``n_AgE``)."""
    plain = [t.casefold() for t in _SPLIT_PLAIN.split(plain_name(name)) if t]
    return (name_tokens(name), plain)


def _has_phrase(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1))


def _by_phrase(rule: Rule, tokens: list[str]) -> bool:
    return any(_has_phrase(tokens, ph) for ph in rule.phrases)


def _by_word(rule: Rule, tokens: list[str], fused: str) -> bool:
    hit = set(rule.tokens.intersection(tokens))
    for phrase, token in _EXEMPT:
        if token in hit and _has_phrase(tokens, phrase):
            hit.discard(token)
    if hit:
        return True
    present = set(tokens)
    if any(present & first and present & second for first, second in rule.together):
        return True
    return any(word in fused for word in rule.fused)


def refusal_reason(name: str, meta: FeatureMeta | None = None) -> str | None:
    """Why ``name`` may not be a model input, or None when it may.

    >>> refusal_reason("banned_from_travel")
    'social control (travel or movement restrictions)'
    >>> refusal_reason("credit_union_loans") is None
    True
    """
    rules = _rules()
    for tokens in _token_views(name):
        fused = "".join(tokens)
        # A phrase says more than a word: "country of birth" is national origin, though "birth" is age.
        matched = [r for r in rules if _by_phrase(r, tokens)] or [
            r for r in rules if _by_word(r, tokens, fused)
        ]
        if matched:
            return f"{matched[0].kind} ({matched[0].what})"
    whole = "".join(name_tokens(name))  # a word spelt apart: "s.e.x", "A_GE"
    matched = [r for r in rules if whole in r.tokens]
    if matched:
        return f"{matched[0].kind} ({matched[0].what})"
    if meta is not None and meta.family == UNUSED_FAMILY:
        return f"{OTHERS} (declared family {UNUSED_FAMILY}, which lucidscore never uses)"
    return None


def _hint(reason: str) -> str:
    if reason.startswith(PROTECTED):
        return "pass it with --audit-columns to keep it for the fairness audit only"
    return "leave it out of the data (--exclude)"


def check_model_inputs(
    columns: Iterable[str],
    audit_columns: Iterable[str] = (),
    feature_meta: Mapping[str, FeatureMeta] | None = None,
) -> list[str]:
    """Return the columns that may enter the model; raise ``PolicyViolation`` naming every refused one.

    Columns listed in ``audit_columns`` are kept out of the model (for the fairness audit only) and are
    not checked. There is no override. A refused protected attribute is told to use ``--audit-columns``;
    any other refused column, to be left out of the data.

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
            refused.append(f"column {col}: {reason} — {_hint(reason)}")
    if refused:
        raise PolicyViolation(
            "; ".join(refused)
            + " (SPEC section 2: such inputs never reach the model; no flag overrides this)"
        )
    return kept
