"""SQL export: one SELECT that scores a table in the database, exactly as the kernel does.

A CASE chooses the segment (conditions in order, a NULL never matches), then, per segment, a CASE per
characteristic gives its points (missing, special values, intervals or categories, else the missing bin),
plus, per interaction grid of the segment, a CASE giving the points of the row's cell (each axis's
group found by a CASE over that characteristic's bins), and the sum is clipped to 350-950; the
probability of bad is looked up from the integer score.
Categories compare as text, so ``CAST(col AS TEXT)`` of 1 and 1.0 both match the category "1". Cells are
read by the artifact's one rule: blank text is missing, and text that is not a number in a numeric
characteristic makes the row unscoreable, so its score, tier and probability are NULL (the Python engines
refuse such a row, naming it; SQL cannot stop a query portably).

With ``reasons=k``, two more CTEs give each reason unit's points lost (its best attainable points minus the
row's; a pair of an interaction grid is one unit, with joint points) and its rank, and the SELECT adds
``reason_j_code`` and ``reason_j_points``: the rule of ``lucidscore.artifact.reference_reasons``.

>>> print(to_sql(artifact, table="applicants"))  # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from lucidscore.artifact import (
    MAX_SCORE,
    MIN_SCORE,
    Characteristic,
    Condition,
    Interaction,
    ReasonUnit,
    Scaling,
    ScorecardArtifact,
    Segment,
    reason_units,
)
from lucidscore.errors import InputError

Dialect = Literal["sqlite", "postgresql", "spark"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql", "spark")


def _without_nul(text: str, what: str) -> str:
    """``text``, which SQL can hold unless it holds a NUL character (PostgreSQL's text cannot; a SQLite
    client reads the statement only up to it): else an ``InputError`` naming it."""
    if "\x00" in text:
        raise InputError(
            f"{what} {text!r} holds a NUL character (0x00), which SQL text cannot hold; the model cannot be "
            "exported to SQL"
        )
    return text


def _quote(name: str, dialect: Dialect) -> str:
    name = _without_nul(name, "the column name")
    if dialect == "spark":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + _without_nul(value, "the text").replace("'", "''") + "'"


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise InputError(f"cannot export the non-finite edge {value} to SQL")
    return str(int(value)) if value == int(value) and abs(value) < 2**53 else repr(float(value))


def _as_text(column: str, dialect: Dialect) -> str:
    return f"CAST({column} AS {'STRING' if dialect == 'spark' else 'TEXT'})"


def _text_forms(value: str) -> list[str]:
    """The texts a category may arrive as: '1' also as '1.0' (a REAL column cast to text)."""
    forms = [value]
    try:
        number = float(value)
    except ValueError:
        return forms
    if math.isfinite(number) and number == int(number):
        forms += [str(int(number)), f"{int(number)}.0"]
    return list(dict.fromkeys(forms))


def _in_list(values: list[str]) -> str:
    return ", ".join(_text(v) for v in values)


def _characteristic_case(char: Characteristic, dialect: Dialect) -> str:
    """The points of a cell's bin."""
    return _bin_case(char, dialect, [b.points for b in char.bins])


def _bin_case(char: Characteristic, dialect: Dialect, values: list[int]) -> str:
    """A CASE giving ``values[i]`` for a cell in bin ``i`` of ``char`` (read by the one rule); NULL for a
    numeric cell holding text that is not a number."""
    col = _quote(char.name, dialect)
    bins = list(enumerate(char.bins))
    at_missing = next(values[i] for i, b in bins if b.kind == "missing")
    whens = [f"WHEN {col} IS NULL THEN {at_missing}"]
    if char.dtype == "categorical":
        text = f"TRIM({_as_text(col, dialect)})"  # the rule strips category text
        whens.append(f"WHEN {text} = '' THEN {at_missing}")
        for i, b in bins:
            if b.kind == "special" and b.special_value is not None:
                forms = _text_forms(_number(b.special_value))
                whens.append(f"WHEN {text} IN ({_in_list(forms)}) THEN {values[i]}")
        for i, b in bins:
            if b.kind == "categories" and b.categories:
                forms = [f for c in b.categories for f in _text_forms(c)]
                whens.append(f"WHEN {text} IN ({_in_list(forms)}) THEN {values[i]}")
    else:
        whens += _numeric_guards(col, dialect, at_missing)
        num = f"TRY_CAST({col} AS DOUBLE)" if dialect == "spark" else col  # Spark may hold numbers as text
        for i, b in bins:
            if b.kind == "special" and b.special_value is not None:
                whens.append(f"WHEN {num} = {_number(b.special_value)} THEN {values[i]}")
        for i, b in bins:
            if b.kind == "interval":
                parts = []
                if b.lower is not None and math.isfinite(b.lower):
                    parts.append(f"{num} >= {_number(b.lower)}")
                if b.upper is not None and math.isfinite(b.upper):
                    parts.append(f"{num} < {_number(b.upper)}")
                whens.append(f"WHEN {' AND '.join(parts) or '1 = 1'} THEN {values[i]}")
    body = "\n        ".join(whens)
    return f"CASE\n        {body}\n        ELSE {at_missing}\n      END"


def _interaction_case(seg: Segment, inter: Interaction, dialect: Dialect) -> str:
    """The grid points of a row's cell: each axis's group as a CASE over its characteristic's bins (read
    as the points CASEs read them), the cell found from (first's group) * (second's groups) + (second's
    group)."""
    chars = {c.name: c for c in seg.characteristics}
    axes = []
    for name, groups in ((inter.first, inter.first_groups), (inter.second, inter.second_groups)):
        char = chars[name]
        group_of = {b: g for g, group in enumerate(groups) for b in group}
        axes.append(_bin_case(char, dialect, [group_of[i] for i in range(len(char.bins))]))
    width = len(inter.second_groups)
    cells = " ".join(
        f"WHEN {i * width + j} THEN {p}" for i, row in enumerate(inter.points) for j, p in enumerate(row)
    )
    return f"CASE ({axes[0]}) * {width} + ({axes[1]})\n        {cells}\n      END"


def _numeric_guards(col: str, dialect: Dialect, at_missing: int | None) -> list[str]:
    """WHENs that read a numeric cell as the artifact's rule does, where the database keeps text.

    Blank text is missing (``at_missing``: the CASE's value for the missing bin; None: no WHEN for it);
    other text is not a number, which makes the row unscoreable: NULL, as the
    Python engines refuse it. SQLite keeps any text that did not look like a number in a numeric column
    as text; Spark may read numbers as strings. PostgreSQL columns are typed, so text cannot get in.
    """
    if dialect == "postgresql":
        return []
    text = _as_text(col, dialect)
    blank = [] if at_missing is None else [f"WHEN TRIM({text}) = '' THEN {at_missing}"]
    if dialect == "sqlite":
        return [*blank, f"WHEN typeof({col}) = 'text' AND TRIM({col}) <> '' THEN NULL"]
    return [*blank, f"WHEN TRIM({text}) <> '' AND TRY_CAST(TRIM({text}) AS DOUBLE) IS NULL THEN NULL"]


def _condition_sql(cond: Condition, dialect: Dialect) -> str:
    col = _quote(cond.column, dialect)
    value = cond.value
    if isinstance(value, list):
        if any(isinstance(v, str) for v in value):
            return f"TRIM({_as_text(col, dialect)}) IN ({_in_list([str(v) for v in value])})"
        return f"{_as_number(col, dialect)} IN ({', '.join(_number(float(v)) for v in value)})"
    op = "<>" if cond.op == "!=" else ("=" if cond.op == "==" else cond.op)
    if isinstance(value, str):
        return f"TRIM({_as_text(col, dialect)}) {op} {_text(value)}"
    return f"{_as_number(col, dialect)} {op} {_number(float(value))}"


def _as_number(col: str, dialect: Dialect) -> str:
    """A numeric cell for a condition: text (blank or not) is not a number, so it never matches."""
    if dialect == "sqlite":
        return f"(CASE WHEN typeof({col}) IN ('integer', 'real') THEN {col} END)"
    if dialect == "spark":
        return f"TRY_CAST({col} AS DOUBLE)"
    return col


def _segment_points(seg: Segment, dialect: Dialect) -> str:
    terms = [str(seg.base_points)] + [_characteristic_case(c, dialect) for c in seg.characteristics]
    terms += [_interaction_case(seg, inter, dialect) for inter in seg.interactions]
    return "\n      + ".join(terms)


_DOUBLE: dict[Dialect, str] = {"sqlite": "REAL", "postgresql": "DOUBLE PRECISION", "spark": "DOUBLE"}


def _probability_case(scaling: Scaling, dialect: Dialect) -> str:
    """Probability of bad for each of the 601 integer scores, exactly the kernel's float64 values:
    written with 17 significant digits (which read back to the same double) and cast to double, so no
    engine needs EXP (SQLite may lack it) or keeps a decimal."""
    scores = np.arange(MIN_SCORE, MAX_SCORE + 1)
    whens = " ".join(
        f"WHEN {s} THEN {p!r}"
        for s, p in zip(scores.tolist(), scaling.probability_from_score(scores).tolist(), strict=True)
    )
    return f"CAST(CASE score {whens} END AS {_DOUBLE[dialect]})"


def to_sql(
    artifact: ScorecardArtifact, table: str = "input", dialect: Dialect = "sqlite", reasons: int = 0
) -> str:
    """One SELECT over ``table`` adding ``segment``, ``raw_points``, ``score``, ``tier`` and
    ``probability`` (of bad) to every row, and with ``reasons`` the reason columns.

    Parameters
    ----------
    artifact : the model.
    table : the table (or view) holding one row per applicant with the model's input columns.
    dialect : ``sqlite``, ``postgresql`` or ``spark`` (identifier quoting and text casts differ).
    reasons : how many reasons to give (0: none, the statement has no reason columns). With k > 0:
        ``reason_j_code`` and ``reason_j_points`` for j = 1..k (the reason units that lost most points,
        largest first, ties to the unit listed first; a pair of an interaction is one unit, code
        ``"<first>+<second>"``), and ``reason_{k+1}_*`` when the model has a recent-inquiries
        characteristic (the first such unit that lost points but is not among the k), as
        ``lucidscore.artifact.reference_reasons``; helper columns ``lucid_lost_u`` and ``lucid_rank_u``
        hold each unit's points lost and rank (unit u of the row's segment).
    """
    if dialect not in DIALECTS:
        raise InputError(f"SQL dialect {dialect!r} is not supported; expected one of {', '.join(DIALECTS)}")
    if reasons < 0:
        raise InputError.about("reasons", f"{reasons}; expected 0 or more")
    segs = artifact.segments
    # A non-number in any column read as a number makes the whole row unscoreable (seg_index NULL),
    # whatever its segment, as in every engine.
    seg_whens = [
        guard
        for column in artifact.numeric_columns
        for guard in _numeric_guards(_quote(column, dialect), dialect, None)
    ]
    seg_whens += [
        f"WHEN {_condition_sql(s.condition, dialect)} THEN {i}" for i, s in enumerate(segs) if s.condition
    ]
    seg_case = (
        "CASE " + " ".join(seg_whens) + f" ELSE {len(segs) - 1} END" if seg_whens else str(len(segs) - 1)
    )
    point_whens = "\n    ".join(
        f"WHEN seg_index = {i} THEN\n      {_segment_points(s, dialect)}" for i, s in enumerate(segs)
    )
    name_whens = " ".join(f"WHEN seg_index = {i} THEN {_text(s.name)}" for i, s in enumerate(segs))
    tiers = artifact.scaling.tiers
    tier_whens = " ".join(
        f"WHEN score >= {t.min_score} THEN {_text(t.name)}" for t in sorted(tiers, key=lambda t: -t.min_score)
    )
    src = _quote(table, dialect)
    last = "lucid_ranked" if reasons else "lucid_scored"
    cells = " + grid points of each interaction's cell" if any(s.interactions for s in segs) else ""
    return f"""-- lucidscore model {artifact.model_id} ({artifact.content_hash}), dialect {dialect}
-- score = clip(base points + points of each characteristic's bin{cells}, {MIN_SCORE}, {MAX_SCORE})
WITH lucid_segmented AS (
  SELECT t.*, {seg_case} AS seg_index
  FROM {src} AS t
),
lucid_points AS (
  SELECT s.*, CASE
    {point_whens}
  END AS raw_points
  FROM lucid_segmented AS s
),
lucid_scored AS (
  SELECT p.*,
    CASE WHEN raw_points < {MIN_SCORE} THEN {MIN_SCORE} WHEN raw_points > {MAX_SCORE} THEN {MAX_SCORE}
      ELSE raw_points END AS score,
    CASE {name_whens} END AS segment
  FROM lucid_points AS p
){_reason_ctes(segs, dialect) if reasons else ""}
SELECT {last}.*, CASE {tier_whens} END AS tier,
  {_probability_case(artifact.scaling, dialect)} AS probability{_reason_columns(segs, reasons)}
FROM {last}
"""


def _units(segs: list[Segment]) -> list[list[ReasonUnit]]:
    return [reason_units(segs, s) for s in range(len(segs))]


def _unit_points(seg: Segment, unit: ReasonUnit, dialect: Dialect) -> str:
    """A CASE giving the unit's points at the row's bins (a pair: its joint points)."""
    chars = [seg.characteristics[m] for m in unit.members]
    if len(chars) == 1:
        return _characteristic_case(chars[0], dialect)
    first, second = (_bin_case(c, dialect, list(range(len(c.bins)))) for c in chars)
    width = len(chars[1].bins)
    cells = " ".join(f"WHEN {a * width + b} THEN {int(p)}" for (a, b), p in np.ndenumerate(unit.points))
    return f"CASE ({first}) * {width} + ({second})\n        {cells}\n      END"


def _reason_ctes(segs: list[Segment], dialect: Dialect) -> str:
    """Two CTEs: each unit's points lost (its best attainable points minus the row's), then each unit's
    rank among the units that lost points (ties to the unit listed first), NULL when it lost none."""
    units = _units(segs)
    width = max(len(u) for u in units)
    lost = []
    for u in range(width):
        whens = "\n    ".join(
            f"WHEN {s} THEN {units[s][u].best} - ({_unit_points(seg, units[s][u], dialect)})"
            for s, seg in enumerate(segs)
            if u < len(units[s])
        )
        lost.append(f"CASE seg_index\n    {whens}\n  END AS lucid_lost_{u + 1}")
    ranks = []
    for u in range(1, width + 1):
        ahead = [
            f"CASE WHEN lucid_lost_{v} {'>=' if v < u else '>'} lucid_lost_{u} THEN 1 ELSE 0 END"
            for v in range(1, width + 1)
            if v != u
        ]
        count = " + ".join(["1", *ahead])
        ranks.append(f"CASE WHEN lucid_lost_{u} > 0 THEN {count} END AS lucid_rank_{u}")
    sep = ",\n  "
    # The ranks read every unit's points lost many times: computed once per row (SQLite and PostgreSQL
    # would otherwise inline the CASEs at each reference, many times slower; Spark does not
    # collapse a projection whose costly columns are read more than once).
    materialized = "" if dialect == "spark" else "MATERIALIZED "
    return f""",
lucid_lost AS {materialized}(
  SELECT q.*,
  {sep.join(lost)}
  FROM lucid_scored AS q
),
lucid_ranked AS (
  SELECT l.*,
  {sep.join(ranks)}
  FROM lucid_lost AS l
)"""


def _reason_columns(segs: list[Segment], reasons: int) -> str:
    """``reason_j_code`` and ``reason_j_points``: the unit ranked j; then the extra recent-inquiries one."""
    if not reasons:
        return ""
    units = _units(segs)
    width = max(len(u) for u in units)
    out: list[str] = []
    for j in range(1, reasons + 1):
        code_of = " ".join(
            f"WHEN {s} THEN CASE "
            + " ".join(f"WHEN lucid_rank_{u + 1} = {j} THEN {_text(unit.code)}" for u, unit in enumerate(us))
            + " END"
            for s, us in enumerate(units)
        )
        lost = " ".join(f"WHEN lucid_rank_{u} = {j} THEN lucid_lost_{u}" for u in range(1, width + 1))
        out += [f"CASE seg_index {code_of} END AS reason_{j}_code", f"CASE {lost} END AS reason_{j}_points"]
    if any(unit.inquiry for us in units for unit in us):
        j = reasons + 1
        codes: list[str] = []
        points: list[str] = []
        for s, us in enumerate(units):
            extra = [(u + 1, unit) for u, unit in enumerate(us) if unit.inquiry]
            if extra:
                codes.append(
                    f"WHEN {s} THEN CASE "
                    + " ".join(f"WHEN lucid_rank_{u} > {reasons} THEN {_text(x.code)}" for u, x in extra)
                    + " END"
                )
                points.append(
                    f"WHEN {s} THEN CASE "
                    + " ".join(f"WHEN lucid_rank_{u} > {reasons} THEN lucid_lost_{u}" for u, _ in extra)
                    + " END"
                )
        out += [
            f"CASE seg_index {' '.join(codes)} END AS reason_{j}_code",
            f"CASE seg_index {' '.join(points)} END AS reason_{j}_points",
        ]
    return "".join(f",\n  {column}" for column in out)
