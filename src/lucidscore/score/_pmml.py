"""PMML 4.4 export: the model as a standard ``Scorecard`` with reason codes, for any PMML evaluator.

The document is one ``MiningModel`` whose ``Segmentation`` (``selectFirst``) holds a ``Scorecard`` per
segment, each segment's condition as its predicate (the default segment: ``True``), in the model's order:
the first segment whose condition holds scores the row, as in every lucidscore engine. Each scorecard has
``initialScore`` = the segment's base points, one ``Characteristic`` per characteristic and one
``Attribute`` per bin with its integer ``partialScore``, and a ``Target`` that clips the sum to 350-950.

Bins become attributes in the order the scoring rule reads a cell (the first attribute whose predicate
holds wins): the missing bin (``isMissing``), then special values (so they win over the interval or
category holding them), then the intervals (``lower <= x < upper``) or the category groups; a categorical
characteristic ends with ``True`` -> the missing bin, which holds categories never seen in training.

Cells are read by the artifact's one rule, as far as PMML can say it:

- numeric inputs are ``double`` fields with ``invalidValueTreatment="returnInvalid"``: text that is not a
  number makes the row unscoreable (JPMML raises for that row), whatever its segment, because the first
  segment's predicate reads every numeric input; ``null`` and the empty text are missing;
- categorical inputs are read through a derived text field, ``trimBlanks`` of the cell and missing when the
  cell is missing or blank; a category matches its text, the canonical form of a number (``'1.0'`` matches
  ``'1'``), and the text evaluators give an integral number passed to a string field (``1.0`` -> ``"1.0"``);
- reason codes: ``useReasonCodes="true"``, ``reasonCodeAlgorithm="pointsBelow"``, ``baselineMethod="other"``
  with each characteristic's ``baselineScore``: the most points a row of that segment can reach by changing
  only that value, among the bins training rows fell in (issue 10's rule, ``best_reachable_points``; not the
  characteristic's maximum, which a row may be unable to reach without leaving its segment), so its reason
  ranks by the points it lost, exactly as lucidscore ranks reasons. The baseline is written half a point
  below the best points: points are integers, so the ranking and its ties are unchanged, and a
  characteristic that lost nothing has a negative difference, which evaluators drop (JPMML keeps differences
  >= 0), so it gives no reason code, as in lucidscore. Evaluators rank equal differences in characteristic
  order (JPMML: a stable sort of the characteristics in document order), which is lucidscore's tie rule: the
  one listed first wins.

A characteristic's reason code comes from :func:`reason_code` alone. Outputs: ``score`` (integer),
``tier``, ``probability`` (of bad), ``segment`` (the id of the segment that scored the row) and
``reason_1`` .. ``reason_k``. Documented differences from the Python engines: docs/scoring.md.

Pairwise interaction grids (issue 14): a pair is one reason unit (``lucidscore.artifact.reason_units``),
so it is ONE ``Characteristic`` standing where its ``first`` characteristic is listed (its ``second`` is
no characteristic of its own): an ``Attribute`` per (bin of first, bin of second), in the order the rule
reads the two cells, whose predicate is both bins' predicates (``and``) and whose ``partialScore`` is the
joint points (both bins' points plus the grid's cell), ``reasonCode`` the unit's code
``"<first code>+<second code>"`` and ``baselineScore`` half a point below the best joint points a row can
attain. The evaluator's points lost, reason codes and ties are then the unit's, as in
``reference_reasons``; the score is unchanged (the cell's points are in the sum once).

>>> print(to_pmml(artifact))  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Literal

import lucidscore
from lucidscore.artifact import (
    MAX_PRINCIPAL_REASONS,
    MAX_SCORE,
    MIN_SCORE,
    Bin,
    Characteristic,
    Condition,
    ReasonUnit,
    Scaling,
    ScorecardArtifact,
    Segment,
    adverse_action_of,
    canonical_number,
    category_keys,
    pair_adverse_action,
    pair_label,
    reason_units,
)
from lucidscore.errors import InputError

PMML_VERSION = "4.4"
PMML_NAMESPACE = "http://www.dmg.org/PMML-4_4"
EXTENDER = "lucidscore"
#: The target field: the scorecard's predicted value, the clipped score (the ``score`` output, as integer).
PREDICTED_FIELD = "lucidscore"
#: How far below a characteristic's best points its ``baselineScore`` is written (see the module doc).
BASELINE_BELOW_BEST = 0.5

FieldKind = Literal["numeric", "text"]

_SIMPLE_OPS = {
    "==": "equal",
    "!=": "notEqual",
    "<": "lessThan",
    "<=": "lessOrEqual",
    ">": "greaterThan",
    ">=": "greaterOrEqual",
}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Java writes doubles of this size or more in scientific notation ("1.0E7"); below it, "12.0".
_JAVA_PLAIN_LIMIT = 1e7


def reason_code(char: Characteristic) -> str:
    """The reason code a characteristic reports under, in the PMML and beside lucidscore's reasons.

    The characteristic's stable code (issue 10: the declared ``code``, else the column name), the code
    lucidscore's ``reason_N_code`` columns give, so a PMML evaluator's reason codes equal lucidscore's.

    >>> from lucidscore.artifact import Bin, Characteristic
    >>> missing = Bin(kind="missing", label="missing", count=0, bad_count=0, woe=0.0, points=0)
    >>> reason_code(Characteristic(name="checking", family="credit_history", dtype="categorical",
    ...     description="Checking account", iv=0.1, coefficient=1.0, bins=[missing]))
    'checking'
    """
    return char.reason_code


def to_pmml(artifact: ScorecardArtifact, reasons: int = MAX_PRINCIPAL_REASONS) -> str:
    """The model as a PMML 4.4 document (UTF-8 XML text) that scores like every lucidscore engine.

    Parameters
    ----------
    artifact : the model.
    reasons : how many ranked reason codes to output (``reason_1`` .. ``reason_k``; 4 by default).

    Returns
    -------
    The document, deterministic for a given model (no time of export in it).

    Raises
    ------
    InputError : when the model cannot be written as PMML (a column read both as a number and as text, a
        text segment condition ordering texts, a non-finite edge, a name clash, a character XML cannot hold).
    """
    if reasons < 0:
        raise InputError.about("reasons", f"{reasons}; expected 0 or more")
    fields = _Fields()
    # Every input first, segment conditions before characteristics (the artifact's order of inputs): a
    # column has one type in PMML.
    for cond in (s.condition for s in artifact.segments if s.condition is not None):
        fields.declare(cond.column, "numeric" if cond.is_numeric else "text")
    for char in (c for s in artifact.segments for c in s.characteristics):
        fields.declare(char.name, "numeric" if char.dtype == "numeric" else "text")
    outputs = ["score", "tier", "probability", "segment"] + [f"reason_{j + 1}" for j in range(reasons)]
    fields.check_names([PREDICTED_FIELD, *outputs])

    model = _el("MiningModel", functionName="regression", modelName=_xml(artifact.model_id, "model_id"))
    model.append(fields.mining_schema(fields.columns, top_level=True))
    model.append(_output(artifact.scaling, reasons))
    model.append(_segmentation(artifact.segments, fields))

    root = _el("PMML", xmlns=PMML_NAMESPACE, version=PMML_VERSION)
    root.append(_header(artifact))
    root.append(fields.data_dictionary())
    if fields.derived:
        transformations = _sub(root, "TransformationDictionary")
        transformations.extend(fields.derived)
    root.append(model)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- fields -----------------------------------------------------------------------------------------------


class _Fields:
    """The model's inputs (one ``DataField`` each) and the fields derived from them.

    Numeric columns are read as they are; text columns through a derived field (``text``). Further
    derived fields, such as the cell of a pairwise interaction grid, go through ``derive``.
    """

    def __init__(self) -> None:
        self.kinds: dict[str, FieldKind] = {}
        self.derived: list[ET.Element] = []
        self._text: dict[str, str] = {}
        self._names: set[str] = set()

    @property
    def columns(self) -> list[str]:
        return list(self.kinds)

    def declare(self, column: str, kind: FieldKind) -> None:
        _xml(column, f"column name {column!r}")
        known = self.kinds.setdefault(column, kind)
        if known != kind:
            raise InputError(
                f"column {column} is read both as a number and as text by this model; PMML gives a field "
                "one type, so the model cannot be exported to PMML"
            )
        self._names.add(column)

    def check_names(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self._names:
                raise InputError(
                    f"column {name} has the name of a field the PMML export writes (the outputs score, "
                    f"tier, probability, segment, reason_N and the target {PREDICTED_FIELD}); rename the "
                    "column to export this model to PMML"
                )
            self._names.add(name)

    def numeric(self, column: str) -> str:
        return column

    def text(self, column: str) -> str:
        """The field holding a column's cell as trimmed text, missing when missing or blank."""
        if column in self._text:
            return self._text[column]
        name = self._fresh(f"{column} (text)")
        cell = _el("FieldRef", field=column)
        nonblank = _el("Apply", function="matches", mapMissingTo="false")
        nonblank.extend([cell, _constant(r"\S", "string")])
        trimmed = _el("Apply", function="trimBlanks")
        trimmed.append(_el("FieldRef", field=column))
        expression = _el("Apply", function="if")  # no else: a blank cell gives a missing value
        expression.extend([nonblank, trimmed])
        self.derive(name, "categorical", "string", expression)
        self._text[column] = name
        return name

    def derive(self, name: str, optype: str, data_type: str, expression: ET.Element) -> None:
        """Add a ``DerivedField`` to the ``TransformationDictionary``."""
        field = _el("DerivedField", name=name, optype=optype, dataType=data_type)
        field.append(expression)
        self.derived.append(field)

    def _fresh(self, name: str) -> str:
        while name in self._names:
            name += "'"
        self._names.add(name)
        return name

    def data_dictionary(self) -> ET.Element:
        out = _el("DataDictionary", numberOfFields=str(len(self.kinds) + 1))
        for column, kind in self.kinds.items():
            if kind == "numeric":
                field = _sub(out, "DataField", name=column, optype="continuous", dataType="double")
                _sub(field, "Value", value="", property="missing")  # an empty cell is missing
            else:
                _sub(out, "DataField", name=column, optype="categorical", dataType="string")
        _sub(out, "DataField", name=PREDICTED_FIELD, optype="continuous", dataType="double")
        return out

    def mining_schema(self, columns: Iterable[str], top_level: bool = False) -> ET.Element:
        out = _el("MiningSchema")
        for column in columns:
            if top_level:
                # A number field's text that is not a number makes the row unscoreable; any text is a
                # category (one never seen in training scores in the missing bin).
                invalid = "returnInvalid" if self.kinds[column] == "numeric" else "asIs"
                _sub(out, "MiningField", name=column, invalidValueTreatment=invalid)
            else:
                _sub(out, "MiningField", name=column)
        _sub(out, "MiningField", name=PREDICTED_FIELD, usageType="target")
        return out


# -- segments and characteristics ---------------------------------------------------------------------


def _segmentation(segments: list[Segment], fields: _Fields) -> ET.Element:
    """The segments in order, each with its condition and scorecard; the first whose condition holds wins."""
    names = [seg.name for seg in segments]
    twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if twice is not None:
        raise InputError(f"two segments are named {twice!r}; PMML needs each segment's own id")
    out = _el("Segmentation", multipleModelMethod="selectFirst")
    for i, seg in enumerate(segments):
        segment = _sub(out, "Segment", id=_xml(seg.name, f"segment name {seg.name!r}"))
        predicate = _segment_predicate(seg.condition, fields)
        guard = _reads_every_number(fields) if i == 0 else []
        if guard:
            segment.append(
                ET.Comment(
                    " the or-predicates are always true: they read every numeric input, so text that is not "
                    "a number makes the row invalid whatever its segment "
                )
            )
        segment.append(_all_of([*guard, predicate]))
        segment.append(_scorecard(segments, i, fields))
    return out


def _scorecard(segments: list[Segment], s: int, fields: _Fields) -> ET.Element:
    seg = segments[s]
    card = _el(
        "Scorecard",
        modelName=seg.name,
        functionName="regression",
        initialScore=str(seg.base_points),
        useReasonCodes="true",
        reasonCodeAlgorithm="pointsBelow",
        baselineMethod="other",
    )
    card.append(fields.mining_schema(dict.fromkeys(c.name for c in seg.characteristics)))
    targets = _sub(card, "Targets")
    _sub(
        targets, "Target", field=PREDICTED_FIELD, min=str(MIN_SCORE), max=str(MAX_SCORE), castInteger="round"
    )
    characteristics = _sub(card, "Characteristics")
    codes: dict[str, str] = {}
    chars = seg.characteristics
    for unit in reason_units(segments, s):
        members = [chars[m] for m in unit.members]
        name = " x ".join(c.name for c in members)
        code = _xml(unit.code, f"reason code of {name}")
        if code in codes:
            raise InputError(
                f"segment {seg.name}: characteristics {codes[code]} and {name} share the reason code "
                f"{code!r}; PMML adds up the points of a shared code, so each needs its own"
            )
        codes[code] = name
        if len(members) == 1:
            characteristics.append(_characteristic(members[0], code, unit.best, fields))
        else:
            characteristics.append(_pair_characteristic(members[0], members[1], unit, fields))
    return card


def _characteristic(char: Characteristic, code: str, best: int, fields: _Fields) -> ET.Element:
    """``best``: the most points a row of this segment can reach from ``char`` (the reasons' baseline)."""
    out = _el(
        "Characteristic",
        name=char.name,
        reasonCode=code,
        baselineScore=_decimal(best - BASELINE_BELOW_BEST),
    )
    _extension(out, "description", _xml(char.description, f"description of {char.name}"))
    for i, predicate in _ordered_bins(char, fields):
        b = char.bins[i]
        attribute = _sub(out, "Attribute", partialScore=str(b.points))
        _extension(attribute, "bin", _xml(b.label, f"a bin label of {char.name}"))
        _extension(attribute, "reason", _xml(adverse_action_of(char, b), f"a reason text of {char.name}"))
        attribute.append(predicate)
    return out


def _pair_characteristic(
    first: Characteristic, second: Characteristic, unit: ReasonUnit, fields: _Fields
) -> ET.Element:
    """A pair of an interaction grid as ONE characteristic (one reason unit): an attribute per (bin of
    ``first``, bin of ``second``), in the order the rule reads the two cells (first's bins in their order,
    within each second's), its predicate both bins' predicates and its points the joint points (both
    bins' points and the grid's cell); the baseline half a point below the best joint points a row can
    attain, so the evaluator's points lost are the unit's."""
    name = f"{first.name} x {second.name}"
    out = _el(
        "Characteristic",
        name=name,
        reasonCode=unit.code,
        baselineScore=_decimal(unit.best - BASELINE_BELOW_BEST),
    )
    description = pair_label(first, second)
    _extension(out, "description", _xml(description, f"description of {name}"))
    second_bins = _ordered_bins(second, fields)
    for a, first_predicate in _ordered_bins(first, fields):
        bin_a = first.bins[a]
        for b, second_predicate in second_bins:
            bin_b = second.bins[b]
            attribute = _sub(out, "Attribute", partialScore=str(int(unit.points[a, b])))
            label = f"{bin_a.label}, {bin_b.label}"
            _extension(attribute, "bin", _xml(label, f"a bin label of {name}"))
            reason = pair_adverse_action(first, bin_a, second, bin_b)
            _extension(attribute, "reason", _xml(reason, f"a reason text of {name}"))
            attribute.append(_all_of([copy.deepcopy(first_predicate), copy.deepcopy(second_predicate)]))
    return out


def _ordered_bins(char: Characteristic, fields: _Fields) -> list[tuple[int, ET.Element]]:
    """(position in ``char.bins``, predicate) in the order the rule reads a cell: the first whose
    predicate holds is the cell's bin."""
    bins = list(enumerate(char.bins))
    missing = next(i for i, b in bins if b.kind == "missing")
    specials = [(i, b) for i, b in bins if b.kind == "special" and b.special_value is not None]
    if char.dtype == "numeric":
        field = fields.numeric(char.name)
        ordered = [(missing, _missing(field))]
        ordered += [(i, _simple(field, "equal", _number(b.special_value, char.name))) for i, b in specials]
        intervals = sorted(
            ((i, b) for i, b in bins if b.kind == "interval"),
            key=lambda t: -math.inf if t[1].lower is None else t[1].lower,
        )
        ordered += [(i, _interval(field, b, char.name)) for i, b in intervals]
        return ordered
    field = fields.text(char.name)
    ordered = [(missing, _missing(field))]
    ordered += [
        (i, _in(field, _text_forms(category_keys(canonical_number(b.special_value))), char.name))
        for i, b in specials
        if b.special_value is not None
    ]
    ordered += [
        (i, _in(field, _text_forms(k for c in b.categories for k in category_keys(c)), char.name))
        for i, b in bins
        if b.kind == "categories" and b.categories
    ]
    ordered.append((missing, _el("True")))  # categories never seen in training
    return ordered


def _segment_predicate(cond: Condition | None, fields: _Fields) -> ET.Element:
    """A segment's condition; a missing value never matches (PMML: unknown, so the segment is skipped)."""
    if cond is None:
        return _el("True")
    where = f"segment condition on {cond.column}"
    value = cond.value
    if cond.is_numeric:
        field = fields.numeric(cond.column)
        values = value if isinstance(value, list) else [value]
        numbers = [_number(float(v), where) for v in values]
        if cond.op == "in":
            return _set(field, "isIn", numbers, "real")
        return _simple(field, _SIMPLE_OPS[cond.op], numbers[0])
    field = fields.text(cond.column)
    wanted = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if cond.op not in ("==", "!=", "in"):
        raise InputError(
            f"{where}: {cond.op} between texts has no PMML predicate; expected ==, != or in for a text "
            "condition"
        )
    forms = _text_forms(wanted)
    return _set(field, "isNotIn" if cond.op == "!=" else "isIn", [_xml(f, where) for f in forms], "string")


def _reads_every_number(fields: _Fields) -> list[ET.Element]:
    """Predicates that are always true and read every numeric input (``isMissing or isNotMissing``).

    They open the first segment's predicate, which every evaluator evaluates: text that is not a number in
    any numeric input then makes the row invalid whatever its segment, as in lucidscore, also in an
    evaluator that reads a field only when a predicate of the chosen segment needs it (JPMML).
    """
    out = []
    for column, kind in fields.kinds.items():
        if kind == "numeric":
            either = _el("CompoundPredicate", booleanOperator="or")
            either.extend([_missing(column), _el("SimplePredicate", field=column, operator="isNotMissing")])
            out.append(either)
    return out


def _all_of(predicates: list[ET.Element]) -> ET.Element:
    """``True`` for none, the predicate for one, ``and`` for more (``True`` parts dropped)."""
    parts = [p for p in predicates if p.tag != "True"]
    if not parts:
        return _el("True")
    if len(parts) == 1:
        return parts[0]
    out = _el("CompoundPredicate", booleanOperator="and")
    out.extend(parts)
    return out


def _missing(field: str) -> ET.Element:
    return _el("SimplePredicate", field=field, operator="isMissing")


def _simple(field: str, operator: str, value: str) -> ET.Element:
    return _el("SimplePredicate", field=field, operator=operator, value=value)


def _interval(field: str, b: Bin, where: str) -> ET.Element:
    parts = []
    if b.lower is not None:
        parts.append(_simple(field, "greaterOrEqual", _number(b.lower, where)))
    if b.upper is not None:
        parts.append(_simple(field, "lessThan", _number(b.upper, where)))
    if not parts:
        return _el("True")
    if len(parts) == 1:
        return parts[0]
    both = _el("CompoundPredicate", booleanOperator="and")
    both.extend(parts)
    return both


def _in(field: str, forms: list[str], where: str) -> ET.Element:
    return _set(field, "isIn", [_xml(f, f"a category of {where}") for f in forms], "string")


def _set(field: str, operator: str, values: list[str], array_type: str) -> ET.Element:
    out = _el("SimpleSetPredicate", field=field, booleanOperator=operator)
    array = _sub(out, "Array", n=str(len(values)), type=array_type)
    array.text = " ".join(_array_item(v) for v in values) if array_type == "string" else " ".join(values)
    return out


def _array_item(value: str) -> str:
    """A string in a PMML ``Array``: quoted, with inner double quotes escaped by a backslash."""
    return '"' + value.replace('"', '\\"') + '"'


def _text_forms(keys: Iterable[str]) -> list[str]:
    """The texts a category may reach a PMML string field as: each key, and for the canonical text of an
    integral number ('12') also the text evaluators write for that number passed as a double ('12.0')."""
    forms: list[str] = []
    for key in keys:
        forms.append(key)
        try:
            number = float(key)
        except ValueError:
            continue
        if canonical_number(number) == key and number == int(number) and abs(number) < _JAVA_PLAIN_LIMIT:
            forms.append(f"{key}.0")
    return list(dict.fromkeys(forms))


# -- outputs and header -------------------------------------------------------------------------------


def _output(scaling: Scaling, reasons: int) -> ET.Element:
    out = _el("Output")
    _sub(out, "OutputField", name="score", optype="continuous", dataType="integer", feature="predictedValue")
    tier = _sub(out, "OutputField", name="tier", optype="categorical", dataType="string")
    tier.set("feature", "transformedValue")
    discretize = _sub(tier, "Discretize", field="score")
    tiers = list(scaling.tiers)
    for i, t in enumerate(tiers):
        last = i == len(tiers) - 1
        upper = MAX_SCORE if last else tiers[i + 1].min_score
        bin_ = _sub(discretize, "DiscretizeBin", binValue=_xml(t.name, "tier name"))
        closure = "closedClosed" if last else "closedOpen"
        _sub(bin_, "Interval", closure=closure, leftMargin=str(t.min_score), rightMargin=str(upper))
    probability = _sub(out, "OutputField", name="probability", optype="continuous", dataType="double")
    probability.set("feature", "transformedValue")
    probability.append(_probability(scaling))
    _sub(out, "OutputField", name="segment", optype="categorical", dataType="string", feature="entityId")
    for j in range(reasons):
        field = _sub(out, "OutputField", name=f"reason_{j + 1}", optype="categorical", dataType="string")
        field.set("feature", "reasonCode")
        field.set("rank", str(j + 1))
    return out


def _probability(scaling: Scaling) -> ET.Element:
    """1 / (1 + exp((score - offset) / factor)): ``Scaling.probability_from_score``, step for step."""
    shifted = _apply("-", _el("FieldRef", field="score"), _constant(repr(scaling.offset), "double"))
    exponent = _apply("/", shifted, _constant(repr(scaling.factor), "double"))
    odds = _apply("exp", exponent)
    return _apply("/", _constant("1", "double"), _apply("+", _constant("1", "double"), odds))


def _header(artifact: ScorecardArtifact) -> ET.Element:
    header = _el("Header", description=f"lucidscore model {_xml(artifact.model_id, 'model_id')}")
    _sub(header, "Application", name="lucidscore", version=lucidscore.__version__)
    notes = [
        f"Model {artifact.model_id}, content hash {artifact.content_hash or 'not computed'}.",
        f"score = clip(initialScore + sum of partialScores, {MIN_SCORE}, {MAX_SCORE}) in the Scorecard of "
        "the first Segment whose predicate holds.",
        f"baselineScore = the characteristic's best partialScore - {BASELINE_BELOW_BEST}: reasons rank by "
        "points lost, and a characteristic that lost none gives no reason code.",
        "Numeric fields: text that is not a number makes the row invalid (returnInvalid); null or empty "
        "text is missing. Text fields are trimmed; blank is missing.",
    ]
    if any(seg.interactions for seg in artifact.segments):
        notes.append(
            "An interaction grid's pair is one Characteristic (one reason code '<first>+<second>'): an "
            "Attribute per pair of bins, its partialScore both bins' points plus the grid's cell."
        )
    for note in notes:
        _sub(header, "Annotation").text = note
    _sub(header, "Timestamp").text = artifact.created_at.isoformat()
    return header


# -- small helpers --------------------------------------------------------------------------------------


def _el(tag: str, **attributes: str) -> ET.Element:
    return ET.Element(tag, attributes)


def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, tag, attributes)


def _apply(function: str, *arguments: ET.Element) -> ET.Element:
    out = _el("Apply", function=function)
    out.extend(arguments)
    return out


def _constant(value: str, data_type: str) -> ET.Element:
    out = _el("Constant", dataType=data_type)
    out.text = value
    return out


def _extension(parent: ET.Element, name: str, value: str) -> None:
    _sub(parent, "Extension", extender=EXTENDER, name=name, value=value)


def _xml(text: str, where: str) -> str:
    """``text`` if XML 1.0 can hold it; else an ``InputError`` naming where it comes from."""
    bad = _XML_ILLEGAL.search(text)
    if bad:
        raise InputError(
            f"{where} holds the character {bad.group()!r}, which XML cannot hold; "
            "the model cannot be exported to PMML"
        )
    return text


def _number(value: float | None, where: str) -> str:
    """A number as PMML reads it back to the same double: '3', '0.30000000000000004'."""
    if value is None or not math.isfinite(value):
        raise InputError(f"{where}: cannot export the non-finite number {value} to PMML")
    return str(int(value)) if value == int(value) and abs(value) < 2**53 else repr(float(value))


def _decimal(value: float) -> str:
    return _number(value, "a baseline score")
