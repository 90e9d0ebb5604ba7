"""Reason statements: why a score is not higher, for two audiences.

- The consumer statement names the person's own value and the range that scores higher: "Your income
  varied by 28% from month to month over the last year; under 15% scores higher." It comes from the
  characteristic's declared template (``statement``, with ``{value}`` and ``{better}``), or a default that
  still states the value: "{description}: {value}; {better} scores higher."
- The merchant's adverse-action statement (``Characteristic.adverse_action_text``) names the reason with
  no personal value: "Proportion of balances to credit limits is too high".

Everything but the person's value depends only on the bin, so it is written once per bin here
(``bin_statements``) and a row's statement is the bin's pieces joined by its value (``statement_text``).

The range that scores higher lists the attainable bins (``attainable_bins``) with more points than the
row's.
For a characteristic declared ``lower`` or ``higher``, a statement never points the other way: a value
range against the advice direction is left out (and, from a missing value of a ``lower`` characteristic —
none of it — every range is against it). When only such ranges score higher, the statement says so
without naming them: "You owe 5,050 on your credit accounts. Other values score higher, but we do not
advise increasing it to raise your score."

A pair of an interaction grid (issue 14) is one reason, so it has one statement naming both
characteristics with the person's two values, and what scores higher by their joint points (the grid's
cell included): "Months late on most recent payment: 2, together with share of credit limit in use: 75%;
months late on most recent payment under 1, or share of credit limit in use under 30% scores higher."
(``pair_statements``; moving either value alone first, else the best change of both, each in its
declared direction). Its merchant statement joins the two members' adverse-action statements
(``pair_adverse_action``), again with no personal value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lucidscore.artifact._model import Bin, Characteristic
from lucidscore.artifact._units import format_range, join_alternatives

if TYPE_CHECKING:
    from lucidscore.artifact._attainable import Witness

MAX_PRINCIPAL_REASONS = 4

_INQUIRY = re.compile(r"inquir|enquir", re.IGNORECASE)
_SENTINEL = "\x00"
DEFAULT_STATEMENT = "{description}: {value}; {better} scores higher."


def is_inquiry_characteristic(char: Characteristic) -> bool:
    """True when the name or description marks recent credit inquiries (they may add a 5th reason)."""
    return bool(_INQUIRY.search(char.name) or _INQUIRY.search(char.description))


@dataclass(frozen=True)
class BinStatement:
    """The consumer statement of one bin: ``parts`` joined by the person's value (one part: no value), and
    the range that scores higher (``better``; empty at the best reachable bin)."""

    parts: tuple[str, ...]
    better: str


def adverse_action_of(char: Characteristic, bin_: Bin) -> str:
    """The merchant's statement for a row in ``bin_``: the declared adverse-action statement, except for a
    missing or special value, where the reason is the lack of information (the declared statement would
    claim what the file does not show: "Time since a late payment is too short" for a person never late)."""
    if bin_.kind in ("missing", "special"):
        text = char.description.strip() or char.name
        return f"Insufficient information: {text[0].lower()}{text[1:]}"
    return char.adverse_action_text


def statement_text(parts: tuple[str, ...], value: str) -> str:
    """A row's statement: the bin's pieces joined by the row's own value."""
    return value.join(parts)


def _description(char: Characteristic) -> str:
    text = char.description.strip() or char.name
    return text[0].upper() + text[1:]


def _ordered_intervals(char: Characteristic) -> list[int]:
    """Indices of the interval bins, lowest values first."""
    return sorted(
        (i for i, b in enumerate(char.bins) if b.kind == "interval"),
        key=lambda i: -math.inf if char.bins[i].lower is None else char.bins[i].lower,  # type: ignore[arg-type,return-value]
    )


def _side(char: Characteristic, order: list[int], current: int, other: int) -> str:
    """Where bin ``other`` lies from bin ``current``: 'lower', 'higher' (intervals) or 'state'."""
    if char.bins[other].kind != "interval":
        return "state"
    if char.bins[current].kind != "interval":
        return "higher"  # from a missing or special value (none of it), any value is more of it
    return "lower" if order.index(other) < order.index(current) else "higher"


def _ranges(char: Characteristic, order: list[int], chosen: set[int]) -> list[str]:
    """The chosen bins as text: adjacent intervals merged, then the non-interval states."""
    out: list[str] = []
    run: list[Bin] = []
    for i in [*order, -1]:
        if i in chosen:
            run.append(char.bins[i])
            continue
        if run:
            out.append(format_range(char.unit, run[0].lower, run[-1].upper))
            run = []
    for i in sorted(chosen):
        b = char.bins[i]
        if b.kind == "missing":
            out.append(char.missing_means or "not reported")
        elif b.kind == "special":
            out.append(b.label)
        elif b.kind == "categories":
            out.append(join_alternatives(b.categories))
    return out


def _literal(text: str) -> str:
    """``text`` inside a template, braces and all."""
    return text.replace("{", "{{").replace("}", "}}")


def _parts(template: str, better: str, description: str) -> tuple[str, ...]:
    text = template.replace("{description}", _literal(description))
    return tuple(text.format(value=_SENTINEL, better=better).split(_SENTINEL))


def bin_statements(char: Characteristic, witnesses: list[Witness | None]) -> list[BinStatement]:
    """The consumer statement of every bin of ``char``, given which bins a row can attain
    (``attainable_bins`` for the characteristic's segment)."""
    order = _ordered_intervals(char)
    advice = char.advice_direction
    description = _description(char)
    out = []
    for i, b in enumerate(char.bins):
        better = {
            j
            for j, (x, w) in enumerate(zip(char.bins, witnesses, strict=True))
            if w is not None and x.points > b.points
        }
        allowed = {j for j in better if advice == "none" or _side(char, order, i, j) in ("state", advice)}
        if b.kind == "missing":
            value_part = (
                "not on file or not a recognised value"
                if char.dtype == "categorical"
                else (char.missing_means or "not reported")
            )
            template = f"{{description}}: {_literal(value_part)}; {{better}} scores higher."
        elif b.kind == "special":
            template = f"{{description}}: {_literal(b.label)}; {{better}} scores higher."
        else:
            template = char.statement or DEFAULT_STATEMENT
        if better and not allowed:
            against = {_side(char, order, i, j) for j in better} - {"state", advice}
            verb = "increasing" if "higher" in against else "decreasing"
            head = template.split(";", 1)[0].split("{better}", 1)[0].rstrip(" ,;.")
            template = (
                f"{head}. Other values score higher, but we do not advise {verb} it to raise your score."
            )
        text = join_alternatives(_ranges(char, order, allowed)) if allowed else ""
        if not better:
            template = "{description}: {value}."
        out.append(BinStatement(_parts(template, text, description), text))
    return out


# A pair statement holds the person's two values where these markers stand (``pair_statement_text``).
FIRST_VALUE = "\x00"
SECOND_VALUE = "\x01"
_ONLY_AGAINST = "Other values score higher, but we do not advise changing them to raise your score."


def _lower_first(text: str) -> str:
    """``text`` continuing a sentence: its first letter lowered, unless it starts an acronym."""
    return text[0].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text


def _head(char: Characteristic, bin_: Bin, marker: str) -> str:
    """What a statement says of the person's value in ``bin_`` (no 'scores higher' part), with ``marker``
    where the value goes."""
    description = _description(char)
    if bin_.kind == "missing":
        value_part = (
            "not on file or not a recognised value"
            if char.dtype == "categorical"
            else (char.missing_means or "not reported")
        )
        return f"{description}: {value_part}"
    if bin_.kind == "special":
        return f"{description}: {bin_.label}"
    template = char.statement or DEFAULT_STATEMENT
    head = template.split(";", 1)[0].split("{better}", 1)[0].rstrip(" ,;.")
    if "{value}" not in head:
        head = "{description}: {value}"
    return head.replace("{description}", _literal(description)).format(value=marker)


def _moves(char: Characteristic, order: list[int], current: int, targets: set[int]) -> set[int]:
    """The targets ``char`` may move to from bin ``current`` by its declared direction (staying put is
    always allowed)."""
    advice = char.advice_direction
    return {
        j
        for j in targets
        if j == current or advice == "none" or _side(char, order, current, j) in ("state", advice)
    }


@dataclass(frozen=True)
class PairBetter:
    """What scores higher than cell (a, b) of a pair, by joint points over attainable cells, each member
    moved only in its declared direction: ``first`` the bins of the first member alone (the second kept),
    ``second`` the bins of the second alone; ``both`` the best change of both (when neither alone
    scores higher); ``against``: only changes against a declared direction score higher."""

    first: frozenset[int]
    second: frozenset[int]
    both: tuple[int, int] | None
    against: bool


def pair_better(
    first: Characteristic,
    second: Characteristic,
    joint: Sequence[Sequence[int]],
    reach: tuple[set[int], set[int]],
    cell: tuple[int, int],
) -> PairBetter:
    """``PairBetter`` of ``cell`` given the attainable bins of each member (``reach``)."""
    a, b = cell
    here = joint[a][b]
    better = {(x, y) for x in reach[0] for y in reach[1] if joint[x][y] > here}
    ok_a = _moves(first, _ordered_intervals(first), a, reach[0])
    ok_b = _moves(second, _ordered_intervals(second), b, reach[1])
    allowed = {(x, y) for x, y in better if x in ok_a and y in ok_b}
    alone_a = frozenset(x for x, y in allowed if y == b)
    alone_b = frozenset(y for x, y in allowed if x == a)
    both = None
    if allowed and not alone_a and not alone_b:
        both = max(sorted(allowed), key=lambda c: joint[c[0]][c[1]])
    return PairBetter(alone_a, alone_b, both, bool(better) and not allowed)


def pair_statements(
    first: Characteristic,
    second: Characteristic,
    joint: Sequence[Sequence[int]],
    first_witnesses: list[Witness | None],
    second_witnesses: list[Witness | None],
) -> list[list[str]]:
    """The consumer statement of every cell (a, b) of a pair (``joint[a][b]``: its joint points, the
    grid's cell included), given which bins of each member a row can attain; ``FIRST_VALUE`` and
    ``SECOND_VALUE`` mark where the person's values go (``pair_statement_text``).

    What scores higher (``pair_better``) is measured by joint points over attainable cells, each member
    moved only in its declared direction: the ranges of the first member alone (the second kept), or of
    the second alone; when neither alone scores higher, the best change of both together; when only
    changes against a declared direction score higher, the statement says so without naming them."""
    order_a, order_b = _ordered_intervals(first), _ordered_intervals(second)
    reach = (
        {i for i, w in enumerate(first_witnesses) if w is not None},
        {j for j, w in enumerate(second_witnesses) if w is not None},
    )
    name_a, name_b = _lower_first(_description(first)), _lower_first(_description(second))
    out: list[list[str]] = []
    for a, bin_a in enumerate(first.bins):
        row: list[str] = []
        for b, bin_b in enumerate(second.bins):
            together = _lower_first(_head(second, bin_b, SECOND_VALUE))
            heads = f"{_head(first, bin_a, FIRST_VALUE)}, together with {together}"
            better = pair_better(first, second, joint, reach, (a, b))
            options = []
            if better.first:
                options.append(f"{name_a} {join_alternatives(_ranges(first, order_a, set(better.first)))}")
            if better.second:
                options.append(f"{name_b} {join_alternatives(_ranges(second, order_b, set(better.second)))}")
            if better.both is not None:
                x, y = better.both
                options.append(
                    f"{name_a} {join_alternatives(_ranges(first, order_a, {x}))} together with "
                    f"{name_b} {join_alternatives(_ranges(second, order_b, {y}))}"
                )
            if options:
                text = f"{heads}; {', or '.join(options)} scores higher."
            elif better.against:
                text = f"{heads}. {_ONLY_AGAINST}"
            else:
                text = f"{heads}."
            row.append(text)
        out.append(row)
    return out


def pair_label(first: Characteristic, second: Characteristic) -> str:
    """A pair named for a consumer: "Months late on most recent payment together with share of credit
    limit in use"."""
    return f"{_description(first)} together with {_lower_first(_description(second))}"


def pair_statement_text(template: str, first_value: str, second_value: str) -> str:
    """A row's pair statement: the cell's statement with the person's two values in words."""
    return template.replace(FIRST_VALUE, first_value).replace(SECOND_VALUE, second_value)


def pair_adverse_action(
    first: Characteristic, first_bin: Bin, second: Characteristic, second_bin: Bin
) -> str:
    """The merchant's statement of a pair reason: both members' statements (``adverse_action_of``),
    never a personal value."""
    together = _lower_first(adverse_action_of(second, second_bin))
    return f"{adverse_action_of(first, first_bin)}, together with {together}"
