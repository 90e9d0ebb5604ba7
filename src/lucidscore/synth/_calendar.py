"""Month arithmetic shared by the generator: a month is the integer ``year * 12 + month - 1``."""

from __future__ import annotations

import calendar
from datetime import date, datetime

import numpy as np
import pyarrow as pa


def month_index(day: date) -> int:
    """The month a date falls in, as ``year * 12 + month - 1``."""
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    """``YYYY-MM`` for a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_end(index: int) -> date:
    """Last day of a month index."""
    year, month = index // 12, index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, clipped to the end of a shorter month (2024-02-29 → 2023-02-28)."""
    index = month_index(day) - months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def labels(first: int, last: int) -> pa.Array:
    """``YYYY-MM`` labels for months ``first..last`` as an Arrow string array (taken by index later)."""
    return pa.array([month_label(m) for m in range(first, last + 1)], type=pa.string())


def day_in_month(index: np.ndarray, fraction: np.ndarray, last_day: date) -> np.ndarray:
    """A day within each month (``fraction`` in [0, 1)) as ``datetime64[D]``, never after ``last_day``."""
    year = index // 12
    month = index % 12 + 1
    first = ((year - 1970) * 12 + (month - 1)).astype("datetime64[M]").astype("datetime64[D]")
    nxt = (first.astype("datetime64[M]") + 1).astype("datetime64[D]")
    length = (nxt - first).astype(np.int64)
    days = first + (fraction * length).astype(np.int64).astype("timedelta64[D]")
    return np.minimum(days, np.datetime64(last_day, "D"))


def midnight(day: date) -> datetime:
    """Midnight at the start of a day."""
    return datetime(day.year, day.month, day.day)
