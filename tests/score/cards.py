"""Hand-built scorecard artifacts whose scores can be worked out on paper (shared by A2's tests)."""

from __future__ import annotations

import math
import operator

from lucidscore.artifact import Bin, Characteristic, Condition, ScorecardArtifact, ScoreProbability, Segment
from lucidscore.policy import Advice, Family, Unit


def interval(lower: float | None, upper: float | None, points: int, label: str = "") -> Bin:
    text = label or f"{lower} to {upper}"
    return Bin(
        kind="interval", lower=lower, upper=upper, label=text, count=10, bad_count=1, woe=0.0, points=points
    )


def missing(points: int) -> Bin:
    return Bin(kind="missing", label="missing", count=1, bad_count=0, woe=0.0, points=points)


def special(value: float, points: int) -> Bin:
    return Bin(
        kind="special",
        special_value=value,
        label=f"code {value:g}",
        count=1,
        bad_count=0,
        woe=0.0,
        points=points,
    )


def categories(cats: list[str], points: int) -> Bin:
    return Bin(
        kind="categories",
        categories=cats,
        label=", ".join(cats),
        count=10,
        bad_count=1,
        woe=0.0,
        points=points,
    )


def numeric(
    name: str,
    description: str,
    bins: list[Bin],
    family: Family = "credit_history",
    advice: Advice = "none",
    special_values: list[float] | None = None,
    unit: Unit = "number",
) -> Characteristic:
    return Characteristic(
        name=name,
        family=family,
        dtype="numeric",
        description=description,
        actionable=advice != "none",
        advice=advice,
        unit=unit,
        special_values=special_values or [],
        iv=0.1,
        coefficient=-1.0,
        bins=bins,
    )


def categorical(
    name: str,
    description: str,
    bins: list[Bin],
    family: Family = "fulfilment_capacity",
    advice: Advice = "none",
) -> Characteristic:
    return Characteristic(
        name=name,
        family=family,
        dtype="categorical",
        description=description,
        actionable=advice != "none",
        advice=advice,
        iv=0.1,
        coefficient=-1.0,
        bins=bins,
    )


def late() -> Characteristic:
    """Months late: 0 -> 120, 1-2 -> 60, 3+ -> 0, missing 30, special -8 -> 40."""
    return numeric(
        "months_late",
        "Months late on most recent payment",
        [
            interval(None, 1, 120, "0"),
            interval(1, 3, 60, "1 to 2"),
            interval(3, None, 0, "3 or more"),
            missing(30),
            special(-8, 40),
        ],
        advice="lower",
        special_values=[-8],
        unit="months",
    )


def utilisation() -> Characteristic:
    """Utilisation: <0.3 -> 150, 0.3-0.6 -> 110, 0.6-0.9 -> 70, >=0.9 -> 20, missing 60."""
    return numeric(
        "utilisation",
        "Share of credit limit in use",
        [
            interval(None, 0.3, 150, "under 30%"),
            interval(0.3, 0.6, 110, "30% to 60%"),
            interval(0.6, 0.9, 70, "60% to 90%"),
            interval(0.9, None, 20, "90% or more"),
            missing(60),
        ],
        family="fulfilment_capacity",
        advice="lower",
        unit="percent",
    )


def checking() -> Characteristic:
    """Checking account: A11 -> 10, A12 -> 30, A13/A14 -> 80, unseen/missing 20."""
    return categorical(
        "checking",
        "Checking account status",
        [categories(["A11"], 10), categories(["A12"], 30), categories(["A13", "A14"], 80), missing(20)],
    )


def inquiries() -> Characteristic:
    """Inquiries: 0 -> 50, 1-2 -> 45, 3+ -> 0, missing 25."""
    return numeric(
        "inquiries_6m",
        "Number of inquiries in the last 6 months",
        [
            interval(None, 1, 50, "0"),
            interval(1, 3, 45, "1 to 2"),
            interval(3, None, 0, "3 or more"),
            missing(25),
        ],
        unit="count",
    )


def tenure() -> Characteristic:
    """Months at address: <12 -> 0, 12-36 -> 20, >=36 -> 40, missing 10."""
    return numeric(
        "months_at_address",
        "Months at current address",
        [
            interval(None, 12, 0, "under 12"),
            interval(12, 36, 20, "12 to 35"),
            interval(36, None, 40, "36 or more"),
            missing(10),
        ],
        family="stability_identity",
        unit="months",
    )


def artifact(segments: list[Segment], columns: list[str] | None = None) -> ScorecardArtifact:
    cols = columns or sorted({c.name for s in segments for c in s.characteristics})
    table = [ScoreProbability(score=s, probability=0.5) for s in range(350, 951, 50)]
    return ScorecardArtifact(
        model_id="sc-test", target="bad", input_columns=cols, segments=segments, score_probability=table
    ).with_hash()


def one_card(base: int = 250) -> ScorecardArtifact:
    """Single segment: base + late + utilisation + checking + inquiries + tenure. Max 250+440 = 690."""
    seg = Segment(
        name="all",
        intercept=0.0,
        base_points=base,
        characteristics=[late(), utilisation(), checking(), inquiries(), tenure()],
        n_train=100,
        bad_rate=0.1,
    )
    return artifact([seg])


def two_cards() -> ScorecardArtifact:
    """'thin' (n_accounts < 2): base 400 + utilisation + tenure; default: one_card's segment."""
    thin = Segment(
        name="thin",
        condition=Condition(column="n_accounts", op="<", value=2),
        intercept=0.0,
        base_points=400,
        characteristics=[utilisation(), tenure()],
        n_train=50,
        bad_rate=0.2,
    )
    thick = one_card().segments[0].model_copy(update={"name": "thick"})
    return artifact(
        [thin, thick],
        columns=["checking", "inquiries_6m", "months_at_address", "months_late", "n_accounts", "utilisation"],
    )


def _text(value: object) -> str | None:
    """A cell as category text (the rule: compare as strings; 1.0 and 1 are both '1')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    text = str(value).strip()
    return text or None


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    x = float(value)  # type: ignore[arg-type]
    return None if math.isnan(x) else x


_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _matches(cond: Condition, value: object) -> bool:
    if isinstance(cond.value, str) or (
        isinstance(cond.value, list) and any(isinstance(v, str) for v in cond.value)
    ):
        text = _text(value)
        if text is None:
            return False
        wanted = [str(v) for v in cond.value] if isinstance(cond.value, list) else [str(cond.value)]
        return text in wanted if cond.op == "in" else bool(_OPS[cond.op](text, wanted[0]))
    x = _number(value)
    if x is None:
        return False
    if cond.op == "in":
        return x in [float(v) for v in cond.value]  # type: ignore[union-attr]
    return bool(_OPS[cond.op](x, float(cond.value)))  # type: ignore[arg-type]


def reference_bin(char: Characteristic, value: object) -> Bin:
    """The scoring rule of _artifact.py, written as plainly as possible (slow, for tests only)."""
    miss = next(b for b in char.bins if b.kind == "missing")
    if char.dtype == "categorical":
        text = _text(value)
        if text is None:
            return miss
        for b in char.bins:
            if b.kind == "special" and b.special_value is not None and _text(b.special_value) == text:
                return b
        for b in char.bins:
            if b.kind == "categories" and text in [_text(c) for c in b.categories]:
                return b
        return miss
    x = _number(value)
    if x is None:
        return miss
    for b in char.bins:
        if b.kind == "special" and b.special_value == x:
            return b
    for b in char.bins:
        if b.kind == "interval" and (b.lower is None or b.lower <= x) and (b.upper is None or x < b.upper):
            return b
    return miss


def reference_score(art: ScorecardArtifact, row: dict[str, object]) -> tuple[int, str]:
    """(score, segment name) of one row by the documented rule."""
    seg = next(
        s for s in art.segments if s.condition is None or _matches(s.condition, row[s.condition.column])
    )
    total = seg.base_points + sum(reference_bin(c, row[c.name]).points for c in seg.characteristics)
    return min(max(total, 350), 950), seg.name
