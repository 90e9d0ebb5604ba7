"""Point-in-time characteristics, computed with polars over whole columns.

Every table is first cut to the records dated on or before ``as_of``; nothing after it reaches a
feature. Statements are reduced per account first (one hash pass over the biggest table), then per
consumer with the account's kind.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import polars as pl

from lucidscore.features._catalogue import FEATURE_NAMES
from lucidscore.records import BILL_ACCOUNT_KINDS, CREDIT_ACCOUNT_KINDS

_LOANS = ("instalment", "mortgage")


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _months_before(day: date, months: int) -> date:
    index = _month(day) - months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _age(column: str, as_of: date) -> pl.Expr:
    """Months between a YYYY-MM column and the as-of month (0 = the as-of month)."""
    year = pl.col(column).str.slice(0, 4).cast(pl.Int32)
    month = pl.col(column).str.slice(5, 2).cast(pl.Int32)
    return (pl.lit(_month(as_of), pl.Int32) - (year * 12 + month - 1)).alias("age")


def _months_since(column: str, as_of: date) -> pl.Expr:
    """Whole months from a date column to ``as_of``."""
    return pl.lit(_month(as_of), pl.Int32) - (
        pl.col(column).dt.year().cast(pl.Int32) * 12 + pl.col(column).dt.month().cast(pl.Int32) - 1
    )


def _period_label(as_of: date) -> str:
    return f"{as_of.year:04d}-{as_of.month:02d}"


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null where the denominator is zero or missing (never 0 by default)."""
    return pl.when(denominator > 0).then(numerator / denominator).otherwise(None)


# Money is summed in exact fixed point: every value rounded once to a millionth, then added as integers.
_EXACT = pl.Decimal(38, 6)


def _sum(value: pl.Expr) -> pl.Expr:
    """The sum of a float (money) column, the same whatever order the rows come in; 0 when there is none.

    Floating-point addition is not associative, and a plain ``sum()`` adds in the order rows arrive in and
    in the pieces the streaming engine splits a group into: a directory and a database deliver rows in
    different orders, so their features differed in the last bits, and even two runs on the same files
    could. A fixed-point (integer) sum is exact, so order cannot matter; it is also cheap, unlike sorting
    each group (polars drops a ``sort()`` before ``sum()`` anyway). Rounding each value to a millionth of
    a currency unit changes no amount of money; NaN counts as missing. An amount the fixed point cannot
    hold (infinite, or far beyond the schema's ``MAX_AMOUNT``) is an error, never a missing value: cast
    leniently, an amount of 1e300 became null and vanished from its sum.
    """
    return value.fill_nan(None).cast(_EXACT, strict=True).sum().cast(pl.Float64)


def _mean(value: pl.Expr) -> pl.Expr:
    """The mean, its sum by :func:`_sum`; null when there is no value."""
    return _ratio(_sum(value), value.count())


def _std(value: pl.Expr) -> pl.Expr:
    """The sample standard deviation (ddof 1), its squared deviations added by :func:`_sum`."""
    return (_sum((value - _mean(value)) ** 2) / (value.count() - 1)).sqrt()


def _age_of_label(as_of: date) -> pl.Expr:
    """Months between a YYYY-MM ``period`` and the as-of month, by lookup: statement periods take a few
    dozen distinct values, so a hash lookup beats parsing 50 million strings. The table holds every month
    a period can name, from 0000-01 to the as-of month: it held the last 100 years, and an older
    statement (ingest accepts any month not in the future) was silently left out of the bill history."""
    now = _month(as_of)
    months = pl.select(pl.int_range(0, now + 1, dtype=pl.Int32).alias("m")).get_column("m")
    year, month = (months // 12).cast(pl.String), (months % 12 + 1).cast(pl.String)
    labels = year.str.zfill(4) + "-" + month.str.zfill(2)
    return (
        pl.col("period")
        .replace_strict(labels, now - months, default=None, return_dtype=pl.Int32)
        .alias("age")
    )


def per_account(statements: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """One row per account: its delinquency, payments and balances in the windows the features use.

    Each windowed quantity is first a column that is null (or false) outside its window, so the
    aggregation is plain max/min/sum per column (twice as fast as filtering inside each aggregation).
    """
    dpd, age = pl.col("days_past_due"), pl.col("age")

    def within(condition: pl.Expr, value: pl.Expr) -> pl.Expr:
        return pl.when(condition).then(value)

    return (
        statements.filter(pl.col("period") <= _period_label(as_of))
        .with_columns(_age_of_label(as_of))
        .filter(age >= 0)
        .select(
            "account_id",
            within(age < 6, dpd).alias("dpd_6"),
            within(age < 12, dpd).alias("dpd_12"),
            within(age < 24, dpd).alias("dpd_24"),
            within(age == 0, dpd).alias("dpd_now"),
            within(dpd >= 30, age).alias("last_30"),
            age.alias("max_age"),
            ((dpd >= 60) & (age < 24)).alias("n60_24"),
            (age < 24).alias("rows_24"),
            (age < 12).alias("rows_12"),
            (age < 3).alias("rows_3"),
            ((dpd == 0) & (age < 12)).alias("ontime_12"),
            ((dpd == 0) & (age < 24)).alias("ontime_24"),
            (age == 0).alias("has_now"),
            within(age < 12, pl.col("amount_paid")).alias("paid_12"),
            within(age < 12, pl.col("amount_due")).alias("due_12"),
            within(age == 0, pl.col("balance")).alias("bal_now"),
            within(age == 0, pl.col("amount_due")).alias("due_now"),
            within(age < 3, pl.col("balance")).alias("bal_3"),
            within(age < 12, pl.col("balance")).alias("bal_12"),
        )
        .group_by("account_id")
        .agg(
            pl.col("dpd_6", "dpd_12", "dpd_24", "dpd_now", "max_age").max(),
            pl.col("last_30").min(),
            pl.col("n60_24", "rows_24", "rows_12", "rows_3", "ontime_12", "ontime_24").sum().cast(pl.Int64),
            pl.col("has_now").any(),
            *[
                _sum(pl.col(c)).alias(c)
                for c in ("paid_12", "due_12", "bal_now", "due_now", "bal_3", "bal_12")
            ],
        )
    )


def statement_features(accounts: pl.LazyFrame, summary: pl.LazyFrame) -> pl.LazyFrame:
    """Credit-history, bill-payment and utilisation characteristics from the monthly statements, as
    summarised per account by :func:`per_account`."""
    credit = pl.col("kind").is_in(CREDIT_ACCOUNT_KINDS)
    bill = pl.col("kind").is_in(BILL_ACCOUNT_KINDS)
    rev = pl.col("kind") == "revolving"
    loan = pl.col("kind").is_in(_LOANS)
    now = pl.col("has_now")
    limit = pl.col("credit_limit")

    def when_any(cond: pl.Expr, value: pl.Expr) -> pl.Expr:
        return pl.when(cond.any()).then(value).otherwise(None)

    util_3 = _ratio(_sum(pl.col("bal_3").filter(rev)), _sum((limit * pl.col("rows_3")).filter(rev)))
    util_12 = _ratio(_sum(pl.col("bal_12").filter(rev)), _sum((limit * pl.col("rows_12")).filter(rev)))
    joined = summary.join(
        accounts.select("account_id", "consumer_id", "kind", "credit_limit", "original_amount"),
        on="account_id",
        how="inner",
    )
    credit_24 = credit & (pl.col("rows_24") > 0)
    return joined.group_by("consumer_id").agg(
        pl.col("dpd_6").filter(credit).max().alias("worst_dpd_6m"),
        pl.col("dpd_12").filter(credit).max().alias("worst_dpd_12m"),
        pl.col("dpd_24").filter(credit).max().alias("worst_dpd_24m"),
        pl.col("dpd_now").filter(credit).max().alias("current_dpd"),
        pl.col("last_30").filter(credit).min().alias("months_since_30dpd"),
        when_any(credit_24, pl.col("n60_24").filter(credit).sum()).alias("n_60dpd_24m"),
        _ratio(_sum(pl.col("paid_12").filter(credit)), _sum(pl.col("due_12").filter(credit))).alias(
            "payment_to_due_12m"
        ),
        _ratio(_sum(pl.col("bal_now").filter(rev & now)), _sum(limit.filter(rev & now))).alias(
            "revolving_utilisation"
        ),
        (util_3 - util_12).alias("utilisation_trend"),
        when_any(credit & now, _sum(pl.col("bal_now").filter(credit & now))).alias("total_credit_balance"),
        when_any(credit & now, _sum(pl.col("due_now").filter(credit & now))).alias("monthly_obligations"),
        _sum((limit - pl.col("bal_now")).filter(rev & now)).alias("unused_limit"),
        when_any(rev & now, pl.lit(True)).alias("has_revolving_now"),
        (
            1.0
            - _ratio(
                _sum(pl.col("bal_now").filter(loan & now)), _sum(pl.col("original_amount").filter(loan & now))
            )
        ).alias("instalment_paid_down"),
        _ratio(pl.col("ontime_12").filter(bill).sum(), pl.col("rows_12").filter(bill).sum()).alias(
            "bill_on_time_share_12m"
        ),
        _ratio(pl.col("ontime_24").filter(bill).sum(), pl.col("rows_24").filter(bill).sum()).alias(
            "bill_on_time_share_24m"
        ),
        pl.col("dpd_12").filter(bill).max().alias("worst_bill_dpd_12m"),
        (pl.col("max_age").filter(bill).max() + 1).alias("months_of_bill_history"),
    )


def account_features(accounts: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """Counts and ages of the accounts opened on or before ``as_of``."""
    credit = pl.col("kind").is_in(CREDIT_ACCOUNT_KINDS)
    is_open = pl.col("closed").is_null() | (pl.col("closed") > as_of)
    age = _months_since("opened", as_of)
    return accounts.group_by("consumer_id").agg(
        credit.sum().cast(pl.Int64).alias("n_credit_accounts"),
        (credit & is_open).sum().cast(pl.Int64).alias("n_open_credit_accounts"),
        (credit & (age < 12)).sum().cast(pl.Int64).alias("accounts_opened_12m"),
        pl.col("kind").is_in(BILL_ACCOUNT_KINDS).sum().cast(pl.Int64).alias("n_bill_accounts"),
        age.max().alias("months_since_oldest_account"),
        age.min().alias("months_since_newest_account"),
    )


def inquiry_features(inquiries: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    def since(months: int) -> datetime:
        start = _months_before(as_of, months) + timedelta(days=1)
        return datetime(start.year, start.month, start.day)

    at = pl.col("at")
    return inquiries.group_by("consumer_id").agg(
        (at >= since(6)).sum().cast(pl.Int64).alias("inquiries_6m"),
        (at >= since(12)).sum().cast(pl.Int64).alias("inquiries_12m"),
    )


def public_record_features(records: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    recent = pl.col("filed") > _months_before(as_of, 60)
    return records.group_by("consumer_id").agg(
        ((pl.col("kind") == "judgment") & ~pl.col("satisfied"))
        .sum()
        .cast(pl.Int64)
        .alias("unpaid_judgments"),
        recent.sum().cast(pl.Int64).alias("public_records_5y"),
        (recent & (pl.col("kind") == "charge_off")).sum().cast(pl.Int64).alias("charge_offs_5y"),
    )


def income_features(income: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    age, amount = pl.col("age"), pl.col("amount")
    last12 = amount.filter(age < 12)
    return (
        income.filter(pl.col("period") <= _period_label(as_of))
        .with_columns(_age("period", as_of))
        .filter(age >= 0)
        .group_by("consumer_id")
        .agg(
            _mean(amount.filter(age < 6)).alias("income_avg_6m"),
            pl.when(last12.count() >= 3)
            .then(_ratio(_std(last12), _mean(last12)))
            .otherwise(None)
            .alias("income_volatility_12m"),
            pl.col("verified").sort_by("age").first().cast(pl.Int8).alias("income_verified"),
        )
    )


def consumer_features(consumers: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    moved_in = pl.col("address_since")
    return consumers.select(
        "consumer_id",
        pl.col("identity_verified").cast(pl.Int8).alias("identity_verified"),
        pl.when(moved_in <= as_of).then(_months_since("address_since", as_of)).alias("months_at_address"),
    )


_COUNTS = (
    "n_credit_accounts",
    "n_open_credit_accounts",
    "accounts_opened_12m",
    "n_bill_accounts",
    "inquiries_6m",
    "inquiries_12m",
    "unpaid_judgments",
    "public_records_5y",
    "charge_offs_5y",
    "months_of_bill_history",
)


def point_in_time(tables: dict[str, pl.LazyFrame], as_of: date) -> dict[str, pl.LazyFrame]:
    """Every table cut to the records dated on or before ``as_of`` (outcomes: observed on it)."""
    end_of_day = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    month = _period_label(as_of)
    keep = {
        "accounts": pl.col("opened") <= as_of,
        "statements": pl.col("period") <= month,
        "inquiries": pl.col("at") < end_of_day,
        "public_records": pl.col("filed") <= as_of,
        "income": pl.col("period") <= month,
        "outcomes": pl.col("observation_date") == as_of,
    }
    return {name: lf.filter(keep[name]) if name in keep else lf for name, lf in tables.items()}


def build(tables: dict[str, pl.LazyFrame], as_of: date, summary: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The lazy query: one row per consumer, ``consumer_id`` then the catalogue, then ``bad``.

    ``summary`` is :func:`per_account` of the statements when it was computed apart (the Spark engine
    summarises statements where they are partitioned by account); otherwise it is computed here.
    """
    tables = point_in_time(tables, as_of)
    accounts = tables["accounts"]
    if summary is None:
        summary = per_account(tables["statements"], as_of)
    frame = (
        consumer_features(tables["consumers"], as_of)
        .join(account_features(accounts, as_of), on="consumer_id", how="left")
        .join(statement_features(accounts, summary), on="consumer_id", how="left")
        .join(inquiry_features(tables["inquiries"], as_of), on="consumer_id", how="left")
        .join(public_record_features(tables["public_records"], as_of), on="consumer_id", how="left")
        .join(income_features(tables["income"], as_of), on="consumer_id", how="left")
    )
    income = pl.col("income_avg_6m")
    frame = frame.with_columns(
        # Counts of things that did not happen are a true zero, not missing.
        *[pl.col(c).fill_null(0).cast(pl.Int64) for c in _COUNTS],
        (pl.col("n_credit_accounts").fill_null(0) < 2).cast(pl.Int8).alias("thin_file"),
        _ratio(pl.col("monthly_obligations"), income).alias("debt_to_income"),
        pl.when(pl.col("has_revolving_now"))
        .then(_ratio(pl.col("unused_limit"), income))
        .alias("balance_buffer"),
    )
    columns = ["consumer_id", *FEATURE_NAMES]
    if "outcomes" in tables:
        outcomes = tables["outcomes"].group_by("consumer_id").agg(pl.col("bad").max().cast(pl.Int8))
        frame = frame.join(outcomes, on="consumer_id", how="left")
        columns.append("bad")
    return frame.select(columns).sort("consumer_id")
