"""The raw record tables of SPEC section 4.

One schema, shared by ``synth``, ``ingest``, ``store`` and ``features``.

Each table lists its columns (name, type, unit, constraint, meaning) and its natural key. ``reported_at``
is when the data furnisher reported the row: a later row with the same natural key and a newer
``reported_at`` supersedes the earlier one, which is kept in history (see ``lucidscore.store``).
docs/data.md is generated from this module and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "integer", "float", "boolean", "date", "datetime", "month"]

ACCOUNT_KINDS = ("revolving", "instalment", "mortgage", "rent", "utility", "telecom")
CREDIT_ACCOUNT_KINDS = ("revolving", "instalment", "mortgage")
BILL_ACCOUNT_KINDS = ("rent", "utility", "telecom")
INQUIRY_PURPOSES = ("credit_card", "loan", "mortgage", "rental", "telecom", "utility", "other")
PUBLIC_RECORD_KINDS = ("judgment", "bankruptcy", "charge_off")


# Identifiers are at most this long: the service keeps a consumer's id in columns of 64 characters
# (accounts, consents, scores, disputes), and PostgreSQL refuses a longer one when a month is published.
ID_LENGTH = 64
# Money is at most a trillion currency units: no record holds more, and the features add money exactly in
# fixed point (38 digits, 6 after the point), which a sum of amounts this size can never outgrow. Ingest
# refused nothing finite before, and an amount of 1e33 made the features fail (1e300 was dropped from sums).
MAX_AMOUNT = 1e12


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    meaning: str
    unit: str = ""
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    references: str | None = None  # "table.column" this value must exist in
    max_length: int | None = None  # characters, for text

    @property
    def constraint(self) -> str:
        parts: list[str] = []
        if not self.nullable:
            parts.append("required")
        if self.max_length is not None:
            parts.append(f"at most {self.max_length} characters")
        if self.minimum is not None:
            parts.append(f">= {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"<= {self.maximum:g}")
        if self.choices:
            parts.append("one of " + ", ".join(self.choices))
        if self.type in ("date", "datetime", "month"):
            parts.append("not in the future")
        if self.references:
            parts.append(f"must exist in {self.references}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    training_only: bool = False
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_REPORTED = Column(
    "reported_at",
    "datetime",
    "when the furnisher reported this row; a newer row with the same key supersedes it",
)

CONSUMERS = Table(
    "consumers",
    "one row per consumer: the minimum personal data lucidscore needs (no name, no protected attributes)",
    (
        Column("consumer_id", "string", "pseudonymous consumer identifier", max_length=ID_LENGTH),
        Column("identity_verified", "boolean", "identity checked against an official document"),
        Column("address_since", "date", "date the consumer moved to the current address", nullable=True),
        _REPORTED,
    ),
    key=("consumer_id",),
)

ACCOUNTS = Table(
    "accounts",
    "credit accounts and the bills the consumer chose to share (rent, utility, telecom)",
    (
        Column("account_id", "string", "account identifier", max_length=ID_LENGTH),
        Column(
            "consumer_id",
            "string",
            "owner of the account",
            references="consumers.consumer_id",
            max_length=ID_LENGTH,
        ),
        Column("kind", "string", "type of account", choices=ACCOUNT_KINDS),
        Column("opened", "date", "date opened"),
        Column("closed", "date", "date closed, empty while open", nullable=True),
        Column(
            "credit_limit",
            "float",
            "limit of a revolving account",
            unit="currency",
            nullable=True,
            minimum=0,
            maximum=MAX_AMOUNT,
        ),
        Column(
            "original_amount",
            "float",
            "amount lent on an instalment or mortgage",
            unit="currency",
            nullable=True,
            minimum=0,
            maximum=MAX_AMOUNT,
        ),
        _REPORTED,
    ),
    key=("account_id",),
)

STATEMENTS = Table(
    "statements",
    "one row per account per month: balance, what was due, what was paid, how late",
    (
        Column(
            "account_id",
            "string",
            "account of the statement",
            references="accounts.account_id",
            max_length=ID_LENGTH,
        ),
        Column("period", "month", "statement month, YYYY-MM"),
        Column(
            "balance",
            "float",
            "balance owed at statement date",
            unit="currency",
            minimum=0,
            maximum=MAX_AMOUNT,
        ),
        Column(
            "amount_due",
            "float",
            "minimum or contractual amount due",
            unit="currency",
            minimum=0,
            maximum=MAX_AMOUNT,
        ),
        Column(
            "amount_paid", "float", "amount paid in the month", unit="currency", minimum=0, maximum=MAX_AMOUNT
        ),
        Column(
            "days_past_due",
            "integer",
            "days the oldest unpaid amount is overdue",
            unit="days",
            minimum=0,
            maximum=3650,
        ),
        _REPORTED,
    ),
    key=("account_id", "period"),
)

INQUIRIES = Table(
    "inquiries",
    "applications for credit or services that looked at the consumer's file",
    (
        Column(
            "consumer_id",
            "string",
            "consumer inquired about",
            references="consumers.consumer_id",
            max_length=ID_LENGTH,
        ),
        Column("at", "datetime", "time of the inquiry"),
        Column("merchant_id", "string", "merchant or lender that inquired", max_length=ID_LENGTH),
        Column("purpose", "string", "purpose the consumer applied for", choices=INQUIRY_PURPOSES),
        _REPORTED,
    ),
    key=("consumer_id", "at", "merchant_id"),
)

PUBLIC_RECORDS = Table(
    "public_records",
    "court judgments, bankruptcies and charge-offs",
    (
        Column("record_id", "string", "record identifier", max_length=ID_LENGTH),
        Column(
            "consumer_id",
            "string",
            "consumer the record concerns",
            references="consumers.consumer_id",
            max_length=ID_LENGTH,
        ),
        Column("kind", "string", "type of record", choices=PUBLIC_RECORD_KINDS),
        Column("filed", "date", "date filed"),
        Column(
            "amount",
            "float",
            "amount of the judgment or charge-off",
            unit="currency",
            minimum=0,
            maximum=MAX_AMOUNT,
        ),
        Column("satisfied", "boolean", "paid or discharged"),
        _REPORTED,
    ),
    key=("record_id",),
)

INCOME = Table(
    "income",
    "monthly income the consumer declared or a furnisher verified",
    (
        Column("consumer_id", "string", "earner", references="consumers.consumer_id", max_length=ID_LENGTH),
        Column("period", "month", "income month, YYYY-MM"),
        Column("amount", "float", "net income in the month", unit="currency", minimum=0, maximum=MAX_AMOUNT),
        Column("verified", "boolean", "verified by payroll or bank data"),
        _REPORTED,
    ),
    key=("consumer_id", "period"),
)

OUTCOMES = Table(
    "outcomes",
    "training target: bad = 90+ days past due, charge-off or unpaid judgment "
    "within 12 months after observation_date",
    (
        Column("consumer_id", "string", "consumer", references="consumers.consumer_id", max_length=ID_LENGTH),
        Column("observation_date", "date", "date the features are computed as of"),
        Column(
            "bad",
            "integer",
            "1 if bad within the 12 months after observation_date, else 0",
            minimum=0,
            maximum=1,
        ),
    ),
    key=("consumer_id", "observation_date"),
    training_only=True,
)

TABLES: tuple[Table, ...] = (CONSUMERS, ACCOUNTS, STATEMENTS, INQUIRIES, PUBLIC_RECORDS, INCOME, OUTCOMES)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
# Load order: a table's references point only at tables earlier in this order.
LOAD_ORDER: tuple[str, ...] = tuple(t.name for t in TABLES)
