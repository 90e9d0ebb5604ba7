"""Check every value of a batch against ``lucidscore.records``, column by column (vectorised with polars).

Each failed check yields a problem (row, column, value, reason); a row with any problem is quarantined and
the others continue with typed values. Checks that need the whole file or the database (duplicated keys,
unknown references, stale corrections) run later, in SQL (see ``_load``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from lucidscore.records import Column, Table

ROW = "_row"
PROBLEM_SCHEMA = {"row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}

_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]
_WHAT = {
    "string": "a text value",
    "integer": "an integer",
    "float": "a number",
    "boolean": "true or false",
    "date": "a date YYYY-MM-DD",
    "datetime": "a date-time YYYY-MM-DDTHH:MM:SS",
    "month": "a month YYYY-MM",
}


@dataclass(frozen=True)
class Clock:
    """'Now' for the not-in-the-future checks (UTC, naive)."""

    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def month(self) -> str:
        return self.now.strftime("%Y-%m")


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def _parse(col: Column, raw: pl.Expr) -> pl.Expr:
    """Typed value, or null where ``raw`` does not parse."""
    if col.type in ("integer", "float"):
        number = raw.cast(pl.Float64, strict=False)
        number = pl.when(number.is_finite()).then(number)
        if col.type == "integer":
            return pl.when(number == number.floor()).then(number).cast(pl.Int64, strict=False)
        return number
    if col.type == "boolean":
        low = raw.str.to_lowercase()
        return pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
    if col.type == "date":
        return raw.str.to_date("%Y-%m-%d", strict=False)
    if col.type == "datetime":
        text = raw.str.replace("T", " ", literal=True).str.strip_suffix("Z")
        aware = text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%:z", strict=False, time_unit="us")
        return pl.coalesce(
            text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"),
            text.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
            text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
            aware.dt.convert_time_zone("UTC").dt.replace_time_zone(None),
        )
    if col.type == "month":
        return pl.when(raw.str.contains(r"^\d{4}-(0[1-9]|1[0-2])$")).then(raw)
    return raw


def _checks(col: Column, raw: pl.Expr, value: pl.Expr, clock: Clock) -> list[tuple[pl.Expr, str]]:
    """(failed?, reason) for each constraint of ``col``, most basic first."""
    what = _WHAT[col.type]
    checks: list[tuple[pl.Expr, str]] = []
    if not col.nullable:
        checks.append((raw.is_null(), f"empty; expected {what} (the column is required)"))
    checks.append((raw.is_not_null() & value.is_null(), f"expected {what}"))
    if col.minimum is not None:
        checks.append((value < col.minimum, f"expected {what} ≥ {col.minimum:g}"))
    if col.maximum is not None:
        checks.append((value > col.maximum, f"expected {what} ≤ {col.maximum:g}"))
    if col.choices:
        checks.append(
            (
                value.is_not_null() & ~value.is_in(list(col.choices)),
                f"expected one of {', '.join(col.choices)}",
            )
        )
    if col.type == "date":
        checks.append((value > clock.today, f"in the future; expected a date on or before {clock.today}"))
    elif col.type == "datetime":
        checks.append(
            (value > clock.now, f"in the future; expected a time on or before {clock.now:%Y-%m-%dT%H:%M:%S}")
        )
    elif col.type == "month":
        checks.append((value > clock.month, f"in the future; expected a month on or before {clock.month}"))
    return checks


def validate_batch(
    frame: pl.DataFrame, rows: pl.Series, record: Table, clock: Clock
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a text batch into (typed valid rows with ``_row``, problems: row, column, value, reason)."""
    raw_cols = {c.name: pl.col(c.name).str.strip_chars().replace("", None) for c in record.columns}
    work = frame.with_columns(rows.alias(ROW), *(e.alias(n) for n, e in raw_cols.items()))
    typed_exprs = {c.name: _parse(c, pl.col(c.name)) for c in record.columns}
    flags: list[pl.Expr] = []
    reasons: list[tuple[str, str]] = []
    for col in record.columns:
        raw = pl.col(col.name)
        seen = pl.lit(False)
        for failed, reason in _checks(col, raw, typed_exprs[col.name], clock):
            # One reason per value: the first failed check (an empty value is not also 'not a number').
            hit = failed.fill_null(False) & ~seen
            seen = seen | hit
            flags.append(hit.alias(f"_p{len(reasons)}"))
            reasons.append((col.name, reason))
    checked = work.with_columns(*flags, *(e.alias(f"_v_{n}") for n, e in typed_exprs.items()))
    problem_parts: list[pl.DataFrame] = []
    for idx, (name, reason) in enumerate(reasons):
        flag = f"_p{idx}"
        hits = checked.filter(pl.col(flag))
        if hits.height:
            problem_parts.append(
                hits.select(
                    pl.col(ROW).alias("row"),
                    pl.lit(name).alias("column"),
                    pl.col(name).fill_null("").alias("value"),
                    pl.lit(reason).alias("reason"),
                )
            )
    any_bad = pl.any_horizontal(pl.col(f"_p{i}") for i in range(len(reasons))) if reasons else pl.lit(False)
    valid = checked.filter(~any_bad).select(
        *(pl.col(f"_v_{c.name}").alias(c.name) for c in record.columns), pl.col(ROW)
    )
    problems = pl.concat(problem_parts) if problem_parts else empty_problems()
    return valid, problems.cast(PROBLEM_SCHEMA)  # type: ignore[arg-type]
