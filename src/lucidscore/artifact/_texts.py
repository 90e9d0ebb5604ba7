"""Reason codes: why a score is not higher, in plain language, ranked by points lost.

Points lost by a characteristic = its best attainable points (max over its bins) minus the points of the
row's bin. The scoring engines rank them; this module writes the text for every bin once, so turning a
ranked (characteristic, bin) pair into a sentence is a table lookup.
"""

from __future__ import annotations

import re

from lucidscore.artifact._model import Bin, Characteristic

MAX_PRINCIPAL_REASONS = 4

_INQUIRY = re.compile(r"inquir|enquir", re.IGNORECASE)
_COUNT_WORDS = ("months", "days", "years", "weeks", "times", "payments", "accounts")
_PREPOSITIONS = re.compile(r"\s+(?:on|in|of|for|at|since|over|during|per|within)\s+", re.IGNORECASE)


def is_inquiry_characteristic(char: Characteristic) -> bool:
    """True when the name or description marks recent credit inquiries (they may add a 5th reason)."""
    return bool(_INQUIRY.search(char.name) or _INQUIRY.search(char.description))


def _subject(description: str, more: bool) -> str:
    """'Months late on most recent payment' -> 'fewer months late'; other descriptions -> 'a lower value'."""
    text = description.strip()
    lowered = text.lower()
    if lowered.startswith("number of "):
        head = _PREPOSITIONS.split(text[len("number of ") :], maxsplit=1)[0]
        return f"{'more' if more else 'fewer'} {head.lower()}"
    first = lowered.split(" ", 1)[0]
    if first in _COUNT_WORDS:
        head = _PREPOSITIONS.split(text, maxsplit=1)[0]
        return f"{'more' if more else 'fewer'} {head.lower()}"
    return "a higher value" if more else "a lower value"


def _interval_direction(char: Characteristic, current: Bin) -> bool | None:
    """Whether moving up (True) or down (False) from an interval bin reaches the best-scoring interval."""
    intervals = sorted(
        (b for b in char.bins if b.kind == "interval"),
        key=lambda b: float("-inf") if b.lower is None else b.lower,
    )
    better = [i for i, b in enumerate(intervals) if b.points > current.points]
    if not better:
        return None
    pos = next(i for i, b in enumerate(intervals) if b == current)
    best = max(better, key=lambda i: (intervals[i].points, -abs(i - pos)))
    return best > pos


def bin_reason_text(char: Characteristic, bin_: Bin) -> str:
    """Plain-language reason for a row that falls in ``bin_`` of ``char``."""
    desc = char.description.strip() or char.name
    if bin_.kind == "missing":
        if char.dtype == "categorical":  # this bin also holds categories never seen in training
            return (
                f"{desc}: not reported or not a recognised value — a recognised value could raise your score"
            )
        return f"{desc}: not reported — providing it could raise your score"
    best = max(char.bins, key=lambda b: b.points)
    if bin_.kind == "interval":
        direction = _interval_direction(char, bin_)
        if direction is not None:
            return f"{desc}: {bin_.label} — {_subject(desc, direction)} would raise your score"
    if best.kind == "missing":
        return f"{desc}: {bin_.label} — this value scores lower than most others"
    return f"{desc}: {bin_.label} — {best.label} would score higher"


def bin_reason_texts(char: Characteristic) -> list[str]:
    """The reason text of every bin of ``char``, in bin order."""
    return [bin_reason_text(char, b) for b in char.bins]
