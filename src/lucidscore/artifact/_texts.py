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
"""

from __future__ import annotations

import math
import re
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
