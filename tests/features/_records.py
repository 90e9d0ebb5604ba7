"""Hypothesis strategies for whole raw-record directories, with the awkward things real data has, for the
feature engines' properties (Spark = local, chunks = one pass, database = directory).

Every row is one ``lucidscore ingest`` accepts (types, ranges, choices, at most 64 characters, nothing
after ``TODAY``, every reference known, keys unique within a file), unless the draw asks for the
directory form's extra freedom (``keyed=False``): a directory that never went through ingest may repeat a
key, and the features read it as it is (an account listed under two consumers, a statement reported
twice). Dates and periods cluster where the features cut: on, just before and just after the as-of date,
at month ends, on 29 February, and on the edges of the 3-, 6-, 12-, 24- and 60-month windows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import strategies as st

from lucidscore.records import (
    ACCOUNT_KINDS,
    ID_LENGTH,
    INQUIRY_PURPOSES,
    MAX_AMOUNT,
    PUBLIC_RECORD_KINDS,
    TABLES_BY_NAME,
)
from tests.features.conftest import TODAY, write_tables

Rows = dict[str, list[dict[str, object]]]

# As-of dates: month ends (31, 30, February's 28 and 29), the first of a month, the day before a 29 February,
# mid-month, and today itself (nothing can be later); any other day as well.
AS_OFS = (
    date(2024, 2, 29),
    date(2024, 2, 28),
    date(2024, 3, 1),
    date(2023, 2, 28),
    date(2025, 6, 30),
    date(2025, 12, 31),
    date(2025, 1, 31),
    date(2025, 7, 15),
    TODAY,
)
as_of_dates = st.sampled_from(AS_OFS) | st.dates(min_value=date(2019, 1, 1), max_value=TODAY)

# Money: zero (and negative zero, which ingest's "≥ 0" lets through), the smallest float, amounts below and
# on the fixed-point sum's millionth, ordinary values, and amounts up to the schema's maximum.
MONEY = (
    0.0,
    -0.0,
    5e-324,
    1e-7,
    5e-7,
    1e-6,
    0.1,
    0.3,
    1.0,
    25.0,
    99.99,
    123.456789,
    1000.0,
    1e9,
    123456789012.345678,
    999999999999.9999,
    MAX_AMOUNT,
)
money = st.sampled_from(MONEY) | st.floats(min_value=0, max_value=MAX_AMOUNT)
# Days past due on every side of the thresholds the features use (30, 60), up to ingest's maximum.
days_past_due = st.sampled_from((0, 0, 0, 1, 29, 30, 31, 59, 60, 61, 89, 90, 120, 3650))

# Identifiers a furnisher might send: ordinary, sorting between one another, unicode, quotes and commas,
# spaces inside (ingest strips them only at the ends), the longest allowed.
_ID_TEXT = st.text(
    # No line break: a CSV value cannot hold one (ingest); no NUL: a database cannot store it.
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r"),
    min_size=1,
    max_size=ID_LENGTH,
).filter(lambda s: s == s.strip())
identifiers = (
    st.sampled_from(("C1", "C10", "C2", "c1", "C 1", "Ç1", "é", "Z", "0", "a,b", 'q"uote', "x" * ID_LENGTH))
    | _ID_TEXT
)


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day where it is shorter)."""
    index = month_index(day) - months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def awkward_days(as_of: date) -> list[date]:
    """Dates where a point-in-time cut or a window edge falls, none after ``TODAY``."""
    first = as_of.replace(day=1)
    last = as_of.replace(day=calendar.monthrange(as_of.year, as_of.month)[1])
    days = [
        as_of,
        as_of - timedelta(days=1),
        as_of + timedelta(days=1),
        first,
        first - timedelta(days=1),
        last,
        last + timedelta(days=1),
        date(2024, 2, 29),
        date(2020, 2, 29),
        date(1970, 1, 1),
        date(1900, 1, 1),
        date(1582, 10, 4),  # the last Julian day in the Gregorian switch; Spark once rebased such dates
        date(1, 1, 1),
    ]
    for months in (3, 6, 12, 24, 60):
        edge = months_before(as_of, months)
        days += [edge, edge + timedelta(days=1), edge - timedelta(days=1)]
    return sorted({d for d in days if d <= TODAY})


def awkward_periods(as_of: date) -> list[str]:
    """Statement and income months around the as-of month and the windows' edges, none after ``TODAY``'s."""
    now, last = month_index(as_of), month_index(TODAY)
    offsets = (-2, -1, 0, 1, 2, 3, 5, 6, 11, 12, 13, 23, 24, 25, 59, 60, 61, 119)
    old = ("1920-01", "0000-01")  # more than 100 years back: the statements' month lookup once stopped there
    return sorted({month_label(now - k) for k in offsets if now - k <= last} | set(old))


@st.composite
def histories(draw: st.DrawFn, as_of: date) -> list[str]:
    """Months of an account's statements or a consumer's income: mostly a run of consecutive months
    ending near the as-of month (as furnishers report them), plus a few awkward ones."""
    now, last = month_index(as_of), month_index(TODAY)
    end = now - draw(st.sampled_from((0, 0, 0, -1, 1, 2, 6, 13, 30)), label="last month")
    run = {month_label(m) for m in range(end - draw(st.integers(0, 15), label="months") + 1, end + 1)}
    extra = draw(st.lists(st.sampled_from(awkward_periods(as_of)), max_size=3), label="awkward months")
    return sorted(p for p in run | set(extra) if p <= month_label(last))


def dates_near(as_of: date) -> st.SearchStrategy[date]:
    return st.sampled_from(awkward_days(as_of)) | st.dates(min_value=date(2000, 1, 1), max_value=TODAY)


def times_near(as_of: date) -> st.SearchStrategy[datetime]:
    """Inquiry times: the first and last microsecond of awkward days, their noon, and any other time."""
    day_times = (time(0, 0), time(12, 0), time(23, 59, 59, 999_999))
    exact = st.builds(datetime.combine, st.sampled_from(awkward_days(as_of)), st.sampled_from(day_times))
    latest = datetime.combine(TODAY, time(23, 59, 59, 999_999))
    return exact | st.datetimes(min_value=datetime(2000, 1, 1), max_value=latest)


@dataclass
class RecordSet:
    """One drawn directory: its rows per table, the as-of date, and what was drawn about it."""

    as_of: date
    rows: Rows
    keyed: bool  # every key unique within its file, as ingest requires
    notes: list[str] = field(default_factory=list)


def _unique(draw: st.DrawFn, strategy: st.SearchStrategy[Any], n: int, label: str) -> list[Any]:
    return draw(st.lists(strategy, min_size=n, max_size=n, unique=True), label=label)


@st.composite
def record_sets(
    draw: st.DrawFn, min_consumers: int = 1, max_consumers: int = 7, keyed: bool | None = None
) -> RecordSet:
    """A directory's rows for a few consumers with every kind of record, and an as-of date.

    ``keyed``: True for rows ingest accepts, False to let keys repeat (a directory that did not go
    through ingest), None to draw either (mostly True).
    """
    as_of = draw(as_of_dates, label="as_of")
    if keyed is None:
        keyed = draw(st.sampled_from((True, True, False)), label="keyed")
    n = draw(st.integers(min_consumers, max_consumers), label="consumers")
    ids = _unique(draw, identifiers, n, "consumer ids")
    reported = st.sampled_from((datetime(2026, 7, 1), datetime.combine(TODAY, time(23, 59, 59))))
    rows: Rows = {name: [] for name in RECORD_TABLES}
    for cid in ids:
        rows["consumers"].append(
            {
                "consumer_id": cid,
                "identity_verified": draw(st.booleans()),
                "address_since": draw(st.none() | dates_near(as_of)),
                "reported_at": draw(reported),
            }
        )
    # Accounts: none for some consumers, several kinds each; numbered so that ids never collide.
    for i, cid in enumerate(ids):
        for j in range(draw(st.integers(0, 3), label="accounts")):
            kind = draw(st.sampled_from(ACCOUNT_KINDS))
            opened = draw(dates_near(as_of))
            closed = draw(st.none() | dates_near(as_of))  # even before opening: ingest allows it
            rows["accounts"].append(
                {
                    "account_id": f"A{i}.{j}",
                    "consumer_id": cid,
                    "kind": kind,
                    "opened": opened,
                    "closed": closed,
                    "credit_limit": draw(st.none() | money) if kind == "revolving" else None,
                    "original_amount": draw(st.none() | money)
                    if kind in ("instalment", "mortgage")
                    else None,
                    "reported_at": draw(reported),
                }
            )
    # Now and then a limit where the kind has none (ingest does not forbid it).
    for account in rows["accounts"]:
        if draw(st.integers(0, 9)) == 0:
            account["credit_limit"] = draw(money)
    for account in list(rows["accounts"]):
        chosen = draw(histories(as_of), label="statement months")
        statements = [
            {
                "account_id": account["account_id"],
                "period": period,
                "balance": draw(money),
                "amount_due": draw(money),
                "amount_paid": draw(money),
                "days_past_due": draw(days_past_due),
                "reported_at": draw(reported),
            }
            for period in chosen
        ]
        rows["statements"] += statements
        if draw(st.integers(0, 5)) == 0:  # a twin: the same account and statements under another id
            twin = f"{account['account_id']}b"
            rows["accounts"].append({**account, "account_id": twin})
            rows["statements"] += [{**s, "account_id": twin} for s in statements]
    merchants = st.sampled_from(("M1", "M2", "M3"))
    for cid in ids:
        # Several inquiries at one instant (by different merchants) and many on one day.
        times = draw(st.lists(times_near(as_of), max_size=4, unique=True), label="inquiry times")
        for at in times:
            for merchant in draw(st.lists(merchants, min_size=1, max_size=3, unique=True)):
                rows["inquiries"].append(
                    {
                        "consumer_id": cid,
                        "at": at,
                        "merchant_id": merchant,
                        "purpose": draw(st.sampled_from(INQUIRY_PURPOSES)),
                        "reported_at": draw(reported),
                    }
                )
        for _ in range(draw(st.integers(0, 2), label="public records")):
            rows["public_records"].append(
                {
                    "record_id": f"P{len(rows['public_records'])}",
                    "consumer_id": cid,
                    "kind": draw(st.sampled_from(PUBLIC_RECORD_KINDS)),
                    "filed": draw(dates_near(as_of)),
                    "amount": draw(money),
                    "satisfied": draw(st.booleans()),
                    "reported_at": draw(reported),
                }
            )
        for period in draw(st.none() | histories(as_of), label="income months") or []:
            rows["income"].append(
                {
                    "consumer_id": cid,
                    "period": period,
                    "amount": draw(money),
                    "verified": draw(st.booleans()),
                    "reported_at": draw(reported),
                }
            )
        observed = draw(st.lists(st.sampled_from((as_of, *awkward_days(as_of)[:2])), max_size=2, unique=True))
        for day in observed:
            rows["outcomes"].append(
                {"consumer_id": cid, "observation_date": day, "bad": draw(st.integers(0, 1))}
            )
    record_set = RecordSet(as_of, rows, keyed)
    if not keyed:
        _repeat_keys(draw, record_set)
    return record_set


RECORD_TABLES = ("consumers", "accounts", "statements", "inquiries", "public_records", "income", "outcomes")


def _repeat_keys(draw: st.DrawFn, record_set: RecordSet) -> None:
    """What a directory that skipped ingest may hold: an account listed under a second consumer (with its
    own opening date and kind), and rows repeated exactly or with other values under the same key."""
    rows = record_set.rows
    ids = [c["consumer_id"] for c in rows["consumers"]]
    for account in list(rows["accounts"]):
        if draw(st.integers(0, 3)) == 0:
            other = draw(st.sampled_from(ids))
            shared = {**account, "consumer_id": other}
            if draw(st.booleans()):
                shared["kind"] = draw(st.sampled_from(ACCOUNT_KINDS))
                shared["opened"] = draw(dates_near(record_set.as_of))
            rows["accounts"].append(shared)
            record_set.notes.append(f"account {account['account_id']} also under {other!r}")
    for name in ("statements", "inquiries", "income", "public_records"):
        for row in list(rows[name]):
            if draw(st.integers(0, 5)) == 0:
                again = dict(row)
                if draw(st.booleans()):
                    for column in ("balance", "amount", "amount_paid"):
                        if column in again:
                            again[column] = draw(money)
                    if "verified" in again:
                        again["verified"] = not again["verified"]
                    if "days_past_due" in again:
                        again["days_past_due"] = draw(days_past_due)
                rows[name].append(again)


def write_directory(directory: Path, rows: Rows, fmt: str = "parquet") -> Path:
    """One file per table, Parquet or CSV (as ``lucidscore synth --format`` writes them)."""
    write_tables(directory, rows)
    if fmt == "csv":
        for parquet in sorted(directory.glob("*.parquet")):
            pl.read_parquet(parquet).write_csv(parquet.with_suffix(".csv"))
            parquet.unlink()
    return directory


def _values(as_of: date) -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """For each table, its columns a correction may change (never the key), and their values."""
    return {
        "consumers": {"identity_verified": st.booleans(), "address_since": st.none() | dates_near(as_of)},
        "accounts": {
            "kind": st.sampled_from(ACCOUNT_KINDS),
            "opened": dates_near(as_of),
            "closed": st.none() | dates_near(as_of),
            "credit_limit": st.none() | money,
            "original_amount": st.none() | money,
        },
        "statements": {
            "balance": money,
            "amount_due": money,
            "amount_paid": money,
            "days_past_due": days_past_due,
        },
        "inquiries": {"purpose": st.sampled_from(INQUIRY_PURPOSES)},
        "public_records": {
            "kind": st.sampled_from(PUBLIC_RECORD_KINDS),
            "filed": dates_near(as_of),
            "amount": money,
            "satisfied": st.booleans(),
        },
        "income": {"amount": money, "verified": st.booleans()},
    }


# Later than any ``reported_at`` a record set draws, and not in the future on ``TODAY``.
CORRECTED_AT = datetime.combine(TODAY, time.max)


@st.composite
def corrections(draw: st.DrawFn, record_set: RecordSet) -> Rows:
    """New versions of some records of a keyed record set (the same key, other values, reported later), as
    a furnisher sends corrections; every consumer is in it (ingest loads a directory from its consumers).
    """
    values = _values(record_set.as_of)
    out: Rows = {name: [] for name in RECORD_TABLES}
    for name, columns in values.items():
        for row in record_set.rows[name]:
            if name != "consumers" and draw(st.integers(0, 3), label="corrected") != 0:
                continue
            changed = draw(st.sets(st.sampled_from(sorted(columns))), label="columns")
            new = {**row, **{c: draw(columns[c], label=c) for c in sorted(changed)}}
            out[name].append({**new, "reported_at": CORRECTED_AT})
    return out


def current(rows: Rows, corrected: Rows) -> Rows:
    """The rows with each corrected record replaced by its new version (what the current views hold)."""
    out: Rows = {}
    for name, records in rows.items():
        key = TABLES_BY_NAME[name].key
        newer = {tuple(r[k] for k in key): r for r in corrected.get(name, [])}
        out[name] = [newer.get(tuple(r[k] for k in key), r) for r in records]
    return out
