"""How values and value ranges are written for a consumer, by the unit a characteristic declares.

A person's own value is rounded for reading (``display_round``) and then written (``format_value``):
money 5,050 (three significant figures from 10,000: 123,000); percent 28% (one decimal under 10%: 5.3%;
the value is a share, 0.28); months and days 14 months, 0.4 months, 30 days; count 3; flag yes/no; number
three significant figures. The rounding is a function of the value alone, so a batch writes each distinct
rounded value once (``score`` builds its statements that way).

Ranges are written from a bin's edges (``format_range``): "under 15%", "12 months or more", "from 10% to
under 15%"; counts in whole numbers ("2 or fewer", "1 to 2", "3 or more"); flags as yes/no.

>>> format_value("percent", 0.282), format_value("money", 5050.4), format_value("months", 1.0)
('28%', '5,050', '1 month')
>>> format_range("percent", None, 0.15), format_range("count", 0.5, 2.5), format_range("flag", 1.0, None)
('under 15%', '1 to 2', 'yes')
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from lucidscore.policy.families import Unit

FloatArray = npt.NDArray[np.float64]

_WORDS = {"months": ("month", "months"), "days": ("day", "days")}


_POWERS = 10.0 ** np.arange(-330, 309, dtype=np.float64)  # 10**k for every exponent a float64 has


def _sig3(x: FloatArray) -> FloatArray:
    """Round to three significant figures (0, NaN and infinities stay as they are)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        digits = np.floor(np.log10(np.abs(x)))
    finite = np.isfinite(digits)
    scale = _POWERS[np.clip(np.where(finite, digits, 2.0), -300, 308).astype(np.int64) - 2 + 330]
    return np.where(finite, np.round(x / scale) * scale, x)


def display_round(unit: Unit, values: npt.ArrayLike) -> FloatArray:
    """Values rounded as they are written for ``unit`` (NaN stays NaN): equal results read the same."""
    x = np.asarray(values, dtype=np.float64)
    if unit == "money":
        return np.where(np.abs(x) < 10_000, np.round(x), _sig3(x))
    if unit == "percent":
        pct = x * 100
        return np.where(np.abs(pct) < 10, np.round(pct, 1), np.round(pct)) / 100
    if unit in ("months", "days"):
        return np.where(np.abs(x) < 10, np.round(x, 1), np.round(x))
    if unit == "count":
        return np.round(x)
    if unit == "flag":
        return np.where((x == 0) | (x == 1), x, _sig3(x))
    return _sig3(x)


def _plain(x: float, decimals: int) -> str:
    """A number with thousands separators and at most ``decimals`` decimals, trailing zeros dropped."""
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _number(x: float) -> str:
    """Three significant figures, written plainly."""
    if x == 0 or not math.isfinite(x):
        return _plain(x, 0) if math.isfinite(x) else str(x)
    digits = math.floor(math.log10(abs(x)))
    return _plain(x, max(0, 2 - digits))


def _with_word(text: str, unit: Unit, one: bool) -> str:
    singular, plural = _WORDS[unit]
    return f"{text} {singular if one else plural}"


def format_value(unit: Unit, value: float | None) -> str:
    """A person's own value in words a consumer uses ("28%", "5,050", "14 months", "yes")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not reported"
    return format_rounded(unit, float(display_round(unit, value)))


def format_rounded(unit: Unit, x: float) -> str:
    """``format_value`` of a value already rounded by ``display_round`` (a batch rounds once, with numpy)."""
    if math.isnan(x):
        return "not reported"
    if unit == "money":
        return _plain(x, 0)
    if unit == "percent":
        return _plain(x * 100, 1) + "%"
    if unit == "months" and x == 0:
        return "less than a month"
    if unit in _WORDS:
        return _with_word(_plain(x, 1), unit, x == 1)
    if unit == "count":
        return _plain(x, 0)
    if unit == "flag" and x in (0.0, 1.0):
        return "yes" if x == 1.0 else "no"
    return _number(x)


def _edge(unit: Unit, x: float) -> str:
    """A bin edge, without the unit word (percent keeps its sign: edges are read next to each other)."""
    if unit == "money" and abs(x) >= 100:
        return _plain(float(display_round("money", x)), 0)
    if unit == "percent":
        return _plain(round(x * 100, 1), 1) + "%"
    if unit in _WORDS:
        return _plain(round(x, 1), 1)
    return _number(x)


def _count_range(lo: float | None, hi: float | None) -> str | None:
    """Whole numbers in [lo, hi), or None when there are none to name."""
    first = None if lo is None else math.ceil(lo)
    last = None if hi is None else math.ceil(hi) - 1
    if first is None and last is None:
        return "any number"
    if first is None:
        assert last is not None
        return "none" if last == 0 else (f"{last:,} or fewer" if last > 0 else None)
    if last is None:
        return f"{first:,} or more"
    if first > last:
        return None
    return f"{first:,}" if first == last else f"{first:,} to {last:,}"


def format_range(unit: Unit, lower: float | None, upper: float | None) -> str:
    """The values lower <= x < upper (None = unbounded) in words: "under 15%", "12 months or more"."""
    if unit == "flag":
        has0 = (lower is None or lower <= 0) and (upper is None or upper > 0)
        has1 = (lower is None or lower <= 1) and (upper is None or upper > 1)
        if has0 != has1:
            return "yes" if has1 else "no"
    if unit == "count":
        text = _count_range(lower, upper)
        if text is not None:
            return text
    if lower is None and upper is None:
        return "any value"
    last = upper if upper is not None else lower
    assert last is not None
    if lower is None:
        text = f"under {_edge(unit, upper)}"  # type: ignore[arg-type]
    elif upper is None:
        text = f"{_edge(unit, lower)}"
    else:
        text = f"from {_edge(unit, lower)} to under {_edge(unit, upper)}"
    if unit in _WORDS:
        text = _with_word(text, unit, abs(last) == 1)
    return text if upper is not None else f"{text} or more"


def join_alternatives(items: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'; 'a or more, or b' when an item says 'or' itself.

    >>> join_alternatives(["under 10%", "40% or more"])
    'under 10%, or 40% or more'
    """
    if len(items) <= 1:
        return "".join(items)
    last = ", or " if any(" or " in item for item in items) else " or "
    return ", ".join(items[:-1]) + last + items[-1]
