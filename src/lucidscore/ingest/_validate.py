"""Check every value of a batch against ``lucidscore.records``, column by column (vectorised with polars).

Each failed check yields a problem (row, column, value, reason); a row with any problem is quarantined and
the others continue with typed values. Checks that need the whole file or the database (duplicated keys,
unknown references, stale corrections) run later, in SQL (see ``_load``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from lucidscore.errors import COMMA_NUMBER_PATTERN
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


NUL_REASON = "holds a NUL character (0x00), which a database cannot store as text; expected text without NUL"


def _checks(
    col: Column, raw: pl.Expr, value: pl.Expr, clock: Clock, text: bool = True
) -> list[tuple[pl.Expr, str]]:
    """(failed?, reason) for each constraint of ``col``, most basic first (``text``: it came as text)."""
    what = _WHAT[col.type]
    checks: list[tuple[pl.Expr, str]] = []
    if text:
        checks.append((raw.str.contains("\x00", literal=True), NUL_REASON))
    if not col.nullable:
        checks.append((raw.is_null(), f"empty; expected {what} (the column is required)"))
    if text and col.type in ("integer", "float"):
        comma = raw.str.contains(f"^({COMMA_NUMBER_PATTERN})$")  # "12,5", "1,234": as the trainers spot them
        checks.append(
            (
                raw.is_not_null() & value.is_null() & comma,
                "a number written with a comma, which lucidscore does not read (a decimal comma or a "
                f"thousands separator); expected {what} "
                + ("with a decimal point" if col.type == "float" else "without separators"),
            )
        )
    checks.append((raw.is_not_null() & value.is_null(), f"expected {what}"))
    if col.max_length is not None:
        checks.append(
            (
                raw.cast(pl.String, strict=False).str.len_chars() > col.max_length,
                f"longer than {col.max_length} characters; expected at most {col.max_length}",
            )
        )
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


def _typed_input(col: Column, dtype: pl.DataType) -> pl.Expr | None:
    """The typed value of a Parquet column that already has the right type, else None (parse as text)."""
    name = pl.col(col.name)
    if col.type == "integer" and dtype.is_integer():
        return name.cast(pl.Int64, strict=False)  # a UInt64 beyond Int64 becomes a problem, not an error
    if col.type == "float" and dtype.is_numeric():
        number = name.cast(pl.Float64, strict=False)
        return pl.when(number.is_finite()).then(number)
    if col.type == "boolean" and dtype == pl.Boolean:
        return name
    if col.type == "date" and dtype == pl.Date:
        return name
    if col.type == "datetime" and isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            name = name.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return name.cast(pl.Datetime("us"), strict=False)
    return None


_FIRST_DATETIME = "%Y-%m-%dT%H:%M:%S%.f"


def _typed_columns(frame: pl.DataFrame, record: Table) -> tuple[pl.DataFrame, dict[str, bool]]:
    """Add ``_v_<col>`` (typed value) beside each raw column (text stripped, empty → null).

    Returns the frame and which columns arrived as text. Date-times try the common ISO form first and
    the other accepted forms only when some value needs them (parsing every form costs a pass each).
    """
    text_cols: dict[str, bool] = {}
    raw_exprs: list[pl.Expr] = []
    typed_exprs: list[pl.Expr] = []
    fallbacks: list[Column] = []
    for col in record.columns:
        typed = _typed_input(col, frame.schema[col.name])
        text_cols[col.name] = typed is None
        if typed is None:
            raw_exprs.append(
                pl.col(col.name).cast(pl.String, strict=False).str.strip_chars().replace("", None)
            )
            if col.type == "datetime":
                typed = pl.col(col.name).str.to_datetime(_FIRST_DATETIME, strict=False, time_unit="us")
                fallbacks.append(col)
            else:
                typed = _parse(col, pl.col(col.name))
        typed_exprs.append(typed.alias(f"_v_{col.name}"))
    work = frame.with_columns(raw_exprs).with_columns(typed_exprs)
    for col in fallbacks:
        v = f"_v_{col.name}"
        if work.select((pl.col(col.name).is_not_null() & pl.col(v).is_null()).any()).item():
            work = work.with_columns(pl.coalesce(pl.col(v), _parse(col, pl.col(col.name))).alias(v))
    return work, text_cols


def validate_batch(
    frame: pl.DataFrame, rows: pl.Series, record: Table, clock: Clock
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a batch into (typed valid rows with ``_row``, problems: row, column, value, reason).

    Text columns (CSV) are parsed; Parquet columns of the right type are used as they are.
    """
    work, text_cols = _typed_columns(frame.with_columns(rows.alias(ROW)), record)
    checks: list[tuple[str, pl.Expr, str]] = []
    for col in record.columns:
        raw, value = pl.col(col.name), pl.col(f"_v_{col.name}")
        for failed, reason in _checks(col, raw, value, clock, text_cols[col.name]):
            checks.append((col.name, failed.fill_null(False), reason))
    bad = work.select(pl.any_horizontal(c[1] for c in checks).alias("_bad")).to_series()
    typed = [pl.col(f"_v_{c.name}").alias(c.name) for c in record.columns]
    if not bad.any():
        return work.select(*typed, pl.col(ROW)), empty_problems()
    rejected = work.filter(bad)
    parts: list[pl.DataFrame] = []
    seen: dict[str, pl.Series] = {}
    for name, failed, reason in checks:
        # One reason per value: the first failed check (an empty value is not also 'not a number').
        hit = rejected.select(failed).to_series()
        if name in seen:
            hit = hit & ~seen[name]
            seen[name] = seen[name] | hit
        else:
            seen[name] = hit
        if hit.any():
            parts.append(
                rejected.filter(hit).select(
                    pl.col(ROW).alias("row"),
                    pl.lit(name).alias("column"),
                    pl.col(name)
                    .cast(pl.String)
                    .fill_null("")
                    .str.replace_all("\x00", "\\x00", literal=True)
                    .alias("value"),
                    pl.lit(reason).alias("reason"),
                )
            )
    valid = work.filter(~bad).select(*typed, pl.col(ROW))
    return valid, pl.concat(parts).cast(PROBLEM_SCHEMA)  # type: ignore[arg-type]
