"""The characteristics ``compute_features`` produces: family, plain-language description, unit,
direction and whether a consumer can change it by their own conduct."""

from __future__ import annotations

from typing import Literal

from lucidscore.policy import Family, FeatureMeta

Direction = Literal["better", "worse", "unknown"]


def _meta(
    name: str, family: Family, description: str, unit: str, higher_is: Direction, actionable: bool
) -> FeatureMeta:
    return FeatureMeta(name, family, description, actionable=actionable, unit=unit, higher_is=higher_is)


_CREDIT: Family = "credit_history"
_BILLS: Family = "payment_behaviour"
_CAPACITY: Family = "fulfilment_capacity"
_STABILITY: Family = "stability_identity"

FEATURE_CATALOGUE: dict[str, FeatureMeta] = {
    m.name: m
    for m in (
        _meta(
            "worst_dpd_6m",
            _CREDIT,
            "Worst delinquency on credit accounts in the last 6 months (days)",
            "days",
            "worse",
            True,
        ),
        _meta(
            "worst_dpd_12m",
            _CREDIT,
            "Worst delinquency on credit accounts in the last 12 months (days)",
            "days",
            "worse",
            True,
        ),
        _meta(
            "worst_dpd_24m",
            _CREDIT,
            "Worst delinquency on credit accounts in the last 24 months (days)",
            "days",
            "worse",
            True,
        ),
        _meta(
            "current_dpd",
            _CREDIT,
            "Days past due on credit accounts in the latest month",
            "days",
            "worse",
            True,
        ),
        _meta(
            "months_since_30dpd",
            _CREDIT,
            "Months since a credit payment was last 30 or more days late",
            "months",
            "better",
            True,
        ),
        _meta(
            "n_60dpd_24m",
            _CREDIT,
            "Monthly statements 60 or more days late in the last 24 months",
            "count",
            "worse",
            True,
        ),
        _meta(
            "payment_to_due_12m",
            _CREDIT,
            "Share of the amounts due on credit accounts that was paid in the last 12 months",
            "ratio",
            "better",
            True,
        ),
        _meta("n_credit_accounts", _CREDIT, "Number of credit accounts on file", "count", "better", False),
        _meta("n_open_credit_accounts", _CREDIT, "Number of open credit accounts", "count", "unknown", False),
        _meta(
            "thin_file", _CREDIT, "Fewer than two credit accounts on file (thin file)", "flag", "worse", False
        ),
        _meta(
            "accounts_opened_12m",
            _CREDIT,
            "Credit accounts opened in the last 12 months",
            "count",
            "worse",
            True,
        ),
        _meta(
            "inquiries_6m",
            _CREDIT,
            "Applications for credit or services in the last 6 months",
            "count",
            "worse",
            True,
        ),
        _meta(
            "inquiries_12m",
            _CREDIT,
            "Applications for credit or services in the last 12 months",
            "count",
            "worse",
            True,
        ),
        _meta("unpaid_judgments", _CREDIT, "Court judgments not yet paid", "count", "worse", True),
        _meta(
            "public_records_5y",
            _CREDIT,
            "Judgments, bankruptcies and charge-offs in the last 5 years",
            "count",
            "worse",
            False,
        ),
        _meta("charge_offs_5y", _CREDIT, "Accounts charged off in the last 5 years", "count", "worse", False),
        _meta(
            "bill_on_time_share_12m",
            _BILLS,
            "Share of rent, utility and telecom bills paid on time in the last 12 months",
            "ratio",
            "better",
            True,
        ),
        _meta(
            "bill_on_time_share_24m",
            _BILLS,
            "Share of rent, utility and telecom bills paid on time in the last 24 months",
            "ratio",
            "better",
            True,
        ),
        _meta(
            "worst_bill_dpd_12m",
            _BILLS,
            "Worst delinquency on rent, utility or telecom bills in the last 12 months (days)",
            "days",
            "worse",
            True,
        ),
        _meta(
            "months_of_bill_history",
            _BILLS,
            "Months of rent, utility and telecom payment history shared",
            "months",
            "better",
            True,
        ),
        _meta(
            "n_bill_accounts",
            _BILLS,
            "Number of rent, utility and telecom accounts shared",
            "count",
            "better",
            True,
        ),
        _meta(
            "revolving_utilisation",
            _CAPACITY,
            "Share of revolving credit limits in use",
            "ratio",
            "worse",
            True,
        ),
        _meta(
            "utilisation_trend",
            _CAPACITY,
            "Change in revolving utilisation: last 3 months against the last 12",
            "ratio",
            "worse",
            True,
        ),
        _meta(
            "total_credit_balance",
            _CAPACITY,
            "Total balance owed on credit accounts",
            "currency",
            "unknown",
            True,
        ),
        _meta(
            "debt_to_income",
            _CAPACITY,
            "Monthly credit payments due as a share of monthly income",
            "ratio",
            "worse",
            True,
        ),
        _meta(
            "balance_buffer",
            _CAPACITY,
            "Unused revolving credit in months of income",
            "months",
            "better",
            True,
        ),
        _meta(
            "instalment_paid_down",
            _CAPACITY,
            "Share of instalment and mortgage principal already repaid",
            "ratio",
            "better",
            True,
        ),
        _meta(
            "income_avg_6m",
            _CAPACITY,
            "Average monthly income in the last 6 months",
            "currency",
            "better",
            False,
        ),
        _meta(
            "income_volatility_12m",
            _CAPACITY,
            "Month-to-month variation of income in the last 12 months",
            "ratio",
            "worse",
            False,
        ),
        _meta(
            "identity_verified",
            _STABILITY,
            "Identity verified against an official document",
            "flag",
            "better",
            True,
        ),
        _meta(
            "income_verified",
            _STABILITY,
            "Latest income verified by payroll or bank data",
            "flag",
            "better",
            True,
        ),
        _meta("months_at_address", _STABILITY, "Months at the current address", "months", "better", False),
        _meta(
            "months_since_oldest_account",
            _STABILITY,
            "Months since the oldest account was opened",
            "months",
            "better",
            False,
        ),
        _meta(
            "months_since_newest_account",
            _STABILITY,
            "Months since the newest account was opened",
            "months",
            "better",
            False,
        ),
    )
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURE_CATALOGUE)


def render_feature_table() -> str:
    """The Markdown table of the catalogue that docs/features.md embeds (a test keeps them equal)."""
    lines = [
        "| feature | family | description | unit | higher is | actionable |",
        "|---|---|---|---|---|---|",
    ]
    for m in FEATURE_CATALOGUE.values():
        actionable = "yes" if m.actionable else "no"
        lines.append(
            f"| `{m.name}` | {m.family} | {m.description} | {m.unit} | {m.higher_is} | {actionable} |"
        )
    return "\n".join(lines) + "\n"
