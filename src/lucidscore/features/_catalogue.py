"""The characteristics ``compute_features`` produces, each with its declaration: family, plain-language
description, unit, which way higher values move the risk, the advice direction recourse may suggest, a
stable reason code, the consumer statement and the merchant's adverse-action statement.

Advice directions are product decisions (SPEC section 2 and issue 10), not what a card learned: nothing
here lets recourse tell a person to borrow more, open or apply for credit, or use more of their limit.
Codes are stable: a code is never reused for another characteristic, and a new characteristic gets the
next free number of its family (CH credit history, PB payment behaviour, FC fulfilment capacity, SI
stability and identity).
"""

from __future__ import annotations

from typing import Literal

from lucidscore.policy import Advice, Family, FeatureMeta, Unit

Direction = Literal["better", "worse", "unknown"]


def _meta(
    code: str,
    name: str,
    family: Family,
    description: str,
    unit: Unit,
    higher_is: Direction,
    advice: Advice,
    statement: str,
    adverse_action: str,
    missing_means: str = "",
) -> FeatureMeta:
    return FeatureMeta(
        name,
        family,
        description,
        advice=advice,
        unit=unit,
        higher_is=higher_is,
        code=code,
        statement=statement,
        adverse_action=adverse_action,
        missing_means=missing_means,
    )


_CREDIT: Family = "credit_history"
_BILLS: Family = "payment_behaviour"
_CAPACITY: Family = "fulfilment_capacity"
_STABILITY: Family = "stability_identity"

_NO_CREDIT_DUE = "no credit payments due in that time"

FEATURE_CATALOGUE: dict[str, FeatureMeta] = {
    m.name: m
    for m in (
        _meta(
            "CH01",
            "worst_dpd_6m",
            _CREDIT,
            "Worst delinquency on credit accounts in the last 6 months (days)",
            "days",
            "worse",
            "lower",
            "Your most overdue credit payment in the last 6 months was {value} late; {better} scores higher.",
            "Late payment on credit accounts in the last 6 months",
            _NO_CREDIT_DUE,
        ),
        _meta(
            "CH02",
            "worst_dpd_12m",
            _CREDIT,
            "Worst delinquency on credit accounts in the last 12 months (days)",
            "days",
            "worse",
            "lower",
            "Your most overdue credit payment in the last 12 months was {value} late; "
            "{better} scores higher.",
            "Late payment on credit accounts in the last 12 months",
            _NO_CREDIT_DUE,
        ),
        _meta(
            "CH03",
            "worst_dpd_24m",
            _CREDIT,
            "Worst delinquency on credit accounts in the last 24 months (days)",
            "days",
            "worse",
            "lower",
            "Your most overdue credit payment in the last 24 months was {value} late; "
            "{better} scores higher.",
            "Late payment on credit accounts in the last 24 months",
            _NO_CREDIT_DUE,
        ),
        _meta(
            "CH04",
            "current_dpd",
            _CREDIT,
            "Days past due on credit accounts in the latest month",
            "days",
            "worse",
            "lower",
            "Your credit accounts were {value} past due in the latest month; {better} scores higher.",
            "Credit account currently past due",
            "no credit statement in the latest month",
        ),
        _meta(
            "CH05",
            "months_since_30dpd",
            _CREDIT,
            "Months since a credit payment was last 30 or more days late",
            "months",
            "better",
            "higher",
            "Your last credit payment 30 or more days late was {value} ago; {better} scores higher.",
            "Time since a late payment on credit accounts is too short",
            "no payment 30 or more days late on record",
        ),
        _meta(
            "CH06",
            "n_60dpd_24m",
            _CREDIT,
            "Monthly statements 60 or more days late in the last 24 months",
            "count",
            "worse",
            "lower",
            "Monthly credit statements 60 or more days late in the last 24 months: {value}; "
            "{better} scores higher.",
            "Serious delinquency on credit accounts",
            "no credit statements in that time",
        ),
        _meta(
            "CH07",
            "payment_to_due_12m",
            _CREDIT,
            "Share of the amounts due on credit accounts that was paid in the last 12 months",
            "percent",
            "better",
            "higher",
            "You paid {value} of the amounts due on your credit accounts in the last 12 months; "
            "{better} scores higher.",
            "Amounts paid on credit accounts were less than the amounts due",
            _NO_CREDIT_DUE,
        ),
        _meta(
            "CH08",
            "n_credit_accounts",
            _CREDIT,
            "Number of credit accounts on file",
            "count",
            "better",
            "none",
            "Credit accounts on your file: {value}; files with {better} score higher.",
            "Limited credit experience",
        ),
        _meta(
            "CH09",
            "n_open_credit_accounts",
            _CREDIT,
            "Number of open credit accounts",
            "count",
            "unknown",
            "none",
            "Open credit accounts: {value}; files with {better} score higher.",
            "Number of open credit accounts",
        ),
        _meta(
            "CH10",
            "thin_file",
            _CREDIT,
            "Fewer than two credit accounts on file (thin file)",
            "flag",
            "worse",
            "none",
            "Fewer than two credit accounts on your file: {value}; {better} scores higher.",
            "Insufficient credit history",
        ),
        _meta(
            "CH11",
            "accounts_opened_12m",
            _CREDIT,
            "Credit accounts opened in the last 12 months",
            "count",
            "worse",
            "lower",
            "Credit accounts opened in the last 12 months: {value}; {better} scores higher.",
            "Too many credit accounts opened recently",
        ),
        _meta(
            "CH12",
            "inquiries_6m",
            _CREDIT,
            "Applications for credit or services in the last 6 months",
            "count",
            "worse",
            "lower",
            "Applications for credit or services in the last 6 months: {value}; {better} scores higher.",
            "Number of recent applications for credit",
        ),
        _meta(
            "CH13",
            "inquiries_12m",
            _CREDIT,
            "Applications for credit or services in the last 12 months",
            "count",
            "worse",
            "lower",
            "Applications for credit or services in the last 12 months: {value}; {better} scores higher.",
            "Number of applications for credit in the last year",
        ),
        _meta(
            "CH14",
            "unpaid_judgments",
            _CREDIT,
            "Court judgments not yet paid",
            "count",
            "worse",
            "lower",
            "Court judgments not yet paid: {value}; {better} scores higher.",
            "Unpaid court judgment on file",
        ),
        _meta(
            "CH15",
            "public_records_5y",
            _CREDIT,
            "Judgments, bankruptcies and charge-offs in the last 5 years",
            "count",
            "worse",
            "none",
            "Judgments, bankruptcies and charge-offs in the last 5 years: {value}; {better} scores higher.",
            "Public record on file",
        ),
        _meta(
            "CH16",
            "charge_offs_5y",
            _CREDIT,
            "Accounts charged off in the last 5 years",
            "count",
            "worse",
            "none",
            "Accounts charged off in the last 5 years: {value}; {better} scores higher.",
            "Account charged off",
        ),
        _meta(
            "PB01",
            "bill_on_time_share_12m",
            _BILLS,
            "Share of rent, utility and telecom bills paid on time in the last 12 months",
            "percent",
            "better",
            "higher",
            "You paid {value} of your rent, utility and telecom bills on time in the last 12 months; "
            "{better} scores higher.",
            "Rent, utility or telecom bills not paid on time",
            "no bill payments shared",
        ),
        _meta(
            "PB02",
            "bill_on_time_share_24m",
            _BILLS,
            "Share of rent, utility and telecom bills paid on time in the last 24 months",
            "percent",
            "better",
            "higher",
            "You paid {value} of your rent, utility and telecom bills on time in the last 24 months; "
            "{better} scores higher.",
            "Rent, utility or telecom bills not paid on time",
            "no bill payments shared",
        ),
        _meta(
            "PB03",
            "worst_bill_dpd_12m",
            _BILLS,
            "Worst delinquency on rent, utility or telecom bills in the last 12 months (days)",
            "days",
            "worse",
            "lower",
            "Your most overdue rent, utility or telecom bill in the last 12 months was {value} late; "
            "{better} scores higher.",
            "Late payment of rent, utility or telecom bills",
            "no bill payments shared",
        ),
        _meta(
            "PB04",
            "months_of_bill_history",
            _BILLS,
            "Months of rent, utility and telecom payment history shared",
            "months",
            "better",
            "higher",
            "You have shared {value} of rent, utility and telecom payment history; {better} scores higher.",
            "Short history of rent, utility and telecom payments",
            "no bill payments shared",
        ),
        _meta(
            "PB05",
            "n_bill_accounts",
            _BILLS,
            "Number of rent, utility and telecom accounts shared",
            "count",
            "better",
            "higher",
            "Rent, utility and telecom accounts you share: {value}; {better} scores higher.",
            "Few rent, utility or telecom accounts shared",
        ),
        _meta(
            "FC01",
            "revolving_utilisation",
            _CAPACITY,
            "Share of revolving credit limits in use",
            "percent",
            "worse",
            "lower",
            "You are using {value} of your revolving credit limits; {better} scores higher.",
            "Proportion of balances to credit limits is too high",
            "no revolving credit",
        ),
        _meta(
            "FC02",
            "utilisation_trend",
            _CAPACITY,
            "Change in revolving utilisation: last 3 months against the last 12",
            "percent",
            "worse",
            "lower",
            "Your use of revolving credit limits changed by {value} (the last 3 months against the last 12); "
            "{better} scores higher.",
            "Balances on revolving accounts are rising",
            "no revolving credit",
        ),
        _meta(
            "FC03",
            "total_credit_balance",
            _CAPACITY,
            "Total balance owed on credit accounts",
            "money",
            "unknown",
            "lower",
            "You owe {value} on your credit accounts; {better} scores higher.",
            "Amount owed on credit accounts",
            "no credit balances",
        ),
        _meta(
            "FC04",
            "debt_to_income",
            _CAPACITY,
            "Monthly credit payments due as a share of monthly income",
            "percent",
            "worse",
            "lower",
            "Your monthly credit payments are {value} of your monthly income; {better} scores higher.",
            "Credit obligations are too high relative to income",
            "income or credit payments not reported",
        ),
        _meta(
            "FC05",
            "balance_buffer",
            _CAPACITY,
            "Unused revolving credit in months of income",
            "months",
            "better",
            "none",  # raising it could mean asking for a higher limit: never advised
            "Your unused revolving credit equals {value} of income; {better} scores higher.",
            "Little unused revolving credit relative to income",
            "no revolving credit or no income reported",
        ),
        _meta(
            "FC06",
            "instalment_paid_down",
            _CAPACITY,
            "Share of instalment and mortgage principal already repaid",
            "percent",
            "better",
            "higher",
            "You have repaid {value} of your instalment and mortgage loans; {better} scores higher.",
            "Little of the instalment loans repaid",
            "no instalment or mortgage loans",
        ),
        _meta(
            "FC07",
            "income_avg_6m",
            _CAPACITY,
            "Average monthly income in the last 6 months",
            "money",
            "better",
            "none",
            "Your average monthly income in the last 6 months was {value}; {better} scores higher.",
            "Level of income",
            "no income reported",
        ),
        _meta(
            "FC08",
            "income_volatility_12m",
            _CAPACITY,
            "Month-to-month variation of income in the last 12 months",
            "percent",
            "worse",
            "none",
            "Your income varied by {value} from month to month over the last year; {better} scores higher.",
            "Income varies too much from month to month",
            "not enough months of income reported",
        ),
        _meta(
            "SI01",
            "identity_verified",
            _STABILITY,
            "Identity verified against an official document",
            "flag",
            "better",
            "higher",
            "Identity verified against an official document: {value}; {better} scores higher.",
            "Identity not verified",
        ),
        _meta(
            "SI02",
            "income_verified",
            _STABILITY,
            "Latest income verified by payroll or bank data",
            "flag",
            "better",
            "higher",
            "Latest income verified by payroll or bank data: {value}; {better} scores higher.",
            "Income not verified",
            "no income reported",
        ),
        _meta(
            "SI03",
            "months_at_address",
            _STABILITY,
            "Months at the current address",
            "months",
            "better",
            "none",
            "You have lived at your current address for {value}; {better} scores higher.",
            "Length of time at the current address",
            "no moving-in date on file",
        ),
        _meta(
            "SI04",
            "months_since_oldest_account",
            _STABILITY,
            "Months since the oldest account was opened",
            "months",
            "better",
            "none",
            "Your oldest account was opened {value} ago; {better} scores higher.",
            "Length of credit history",
            "no accounts on file",
        ),
        _meta(
            "SI05",
            "months_since_newest_account",
            _STABILITY,
            "Months since the newest account was opened",
            "months",
            "better",
            "none",
            "Your newest account was opened {value} ago; {better} scores higher.",
            "Time since the most recent account was opened is too short",
            "no accounts on file",
        ),
    )
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURE_CATALOGUE)


def render_feature_table() -> str:
    """The Markdown table of the catalogue that docs/features.md embeds (a test keeps them equal)."""
    lines = [
        "| code | feature | family | description | unit | higher is | advice | consumer statement "
        "| a missing value means | adverse-action statement |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in FEATURE_CATALOGUE.values():
        lines.append(
            f"| {m.code} | `{m.name}` | {m.family} | {m.description} | {m.unit} | {m.higher_is} "
            f"| {m.advice} | {m.statement} | {m.missing_means or 'not reported'} | {m.adverse_action} |"
        )
    return "\n".join(lines) + "\n"
