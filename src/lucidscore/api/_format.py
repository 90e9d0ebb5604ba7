"""Plain language for the pages (issue 12): money with its currency, dates as dates, labels for codes.

Pure functions, registered as Jinja2 filters in ``_pages.make_templates``; the record tables' own column
meanings (``lucidscore.records``) name every field a consumer sees.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from lucidscore.records import ACCOUNT_KINDS, INQUIRY_PURPOSES, PUBLIC_RECORD_KINDS, TABLES_BY_NAME

# Currencies written with a symbol before the amount; any other ISO 4217 code is written after it.
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "TWD": "NT$", "CNY": "CN¥", "INR": "₹"}
_NO_MINOR = {"JPY", "TWD", "KRW"}  # amounts in these are shown without decimals
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

# The records' own names for the pages, where the column meaning is not the best label.
FIELD_LABELS: dict[str, str] = {
    "consumer_id": "Your identifier",
    "identity_verified": "Identity verified",
    "address_since": "At this address since",
    "reported_at": "Reported",
    "account_id": "Account",
    "kind": "Type",
    "opened": "Opened",
    "closed": "Closed",
    "credit_limit": "Credit limit",
    "original_amount": "Amount lent",
    "period": "Month",
    "balance": "Balance",
    "amount_due": "Amount due",
    "amount_paid": "Amount paid",
    "days_past_due": "Days past due",
    "at": "When",
    "merchant_id": "Who asked",
    "purpose": "Applied for",
    "record_id": "Record",
    "filed": "Filed",
    "amount": "Amount",
    "satisfied": "Paid or discharged",
    "verified": "Verified",
}

CODE_LABELS: dict[str, str] = {
    "revolving": "Credit card or revolving credit",
    "instalment": "Instalment loan",
    "mortgage": "Mortgage",
    "rent": "Rent",
    "utility": "Utility bill",
    "telecom": "Phone or internet bill",
    "credit_card": "Credit card",
    "loan": "Loan",
    "rental": "Rental",
    "other": "Other",
    "judgment": "Court judgment",
    "bankruptcy": "Bankruptcy",
    "charge_off": "Charge-off",
}
assert set(ACCOUNT_KINDS) | set(INQUIRY_PURPOSES) | set(PUBLIC_RECORD_KINDS) <= set(CODE_LABELS)

TABLE_LABELS: dict[str, str] = {
    "consumer": "Your details",
    "consumers": "Your details",
    "accounts": "Accounts and bills",
    "statements": "Monthly statements",
    "inquiries": "Applications that looked at your file",
    "public_records": "Public records",
    "income": "Income",
}

# Which table the pages' record groups come from (records_of names the consumer's row "consumer").
_TABLE_OF = {"consumer": "consumers"}


def money(value: float | int | None, currency: str) -> str:
    """``1500.0`` -> ``€1,500``; ``12.5`` -> ``€12.50``; negative amounts keep their sign; empty for None."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    code = currency.upper()
    # in hundredths, rounded once: 1499.999 is 1,500.00, never 1,499.100
    hundredths = round(abs(value)) * 100 if code in _NO_MINOR else round(abs(value) * 100)
    whole, cents = divmod(hundredths, 100)
    text = f"{whole:,}" if cents == 0 else f"{whole:,}.{cents:02d}"
    sign = "-" if value < 0 and hundredths else ""
    symbol = _SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def number(value: float | int | None) -> str:
    """A count or quantity without a trailing ``.0``: ``3.0`` -> ``3``, ``2.5`` -> ``2.5``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")


def _as_datetime(value: date | str) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def day(value: date | str | None) -> str:
    """A date (or the date of a timestamp) as ``5 March 2024``; empty for None."""
    if value is None:
        return ""
    parsed = _as_datetime(value)
    if parsed is None:
        return str(value)
    return f"{parsed.day} {parsed.strftime('%B %Y')}"


def month(value: str | date | None) -> str:
    """A statement month ``2024-03`` as ``March 2024``."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%B %Y")
    found = _MONTH.match(value)
    if found is None or not 1 <= int(found.group(2)) <= 12:
        return day(value)
    return date(int(found.group(1)), int(found.group(2)), 1).strftime("%B %Y")


def when(value: datetime | str | None) -> str:
    """A moment as ``5 March 2024, 14:02 UTC`` (no seconds, no microseconds)."""
    if value is None:
        return ""
    parsed = _as_datetime(value)
    if not isinstance(parsed, datetime):
        return day(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    if (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) == (0, 0, 0, 0):
        return day(parsed)
    return f"{day(parsed)}, {parsed.strftime('%H:%M')} UTC"


def yes_no(value: Any) -> str:
    """0/1 and true/false flags as ``yes``/``no``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "yes" if value.strip().lower() in ("1", "true", "t", "yes") else "no"
    return "yes" if value else "no"


def code_label(value: str | None) -> str:
    """A code (account kind, purpose, record kind) in words; an unknown code as written, without '_'."""
    if value is None:
        return ""
    return CODE_LABELS.get(value, value.replace("_", " "))


def field_label(column: str) -> str:
    """The label of a record field."""
    return FIELD_LABELS.get(column, column.replace("_", " ").capitalize())


def field_help(table: str, column: str) -> str:
    """What the field means, from the record tables (empty when unknown)."""
    spec = TABLES_BY_NAME.get(_TABLE_OF.get(table, table))
    if spec is None or column not in spec.column_names:
        return ""
    return spec.column(column).meaning


def table_label(table: str) -> str:
    return TABLE_LABELS.get(table, table.replace("_", " ").capitalize())


def value_text(table: str, column: str, value: Any, currency: str) -> str:
    """One record value as the person reads it: by the column's type and unit in ``lucidscore.records``."""
    if value is None or value == "":
        return "—" if column == "closed" else ""
    spec = TABLES_BY_NAME.get(_TABLE_OF.get(table, table))
    col = spec.column(column) if spec is not None and column in spec.column_names else None
    if col is None:
        return number(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    if col.unit == "currency" and isinstance(value, int | float):
        return money(value, currency)
    if col.type == "boolean":
        return yes_no(value)
    if col.type == "month":
        return month(str(value))
    if col.type == "date":
        return day(value)
    if col.type == "datetime":
        return when(value)
    if col.choices:
        return code_label(str(value))
    if col.unit == "days" and isinstance(value, int | float):
        n = number(value)
        return f"{n} day" if n == "1" else f"{n} days"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return str(value)
