"""The latent process behind the synthetic population (documented in docs/data.md).

Each consumer draws hidden traits; the traits drive which accounts they hold and a monthly process in
which a consumer falls into and out of financial distress, misses payments, rolls from current to 30, 60,
90+ days past due, cures, gets charged off, collects judgments, applies for credit and earns income.
Everything is vectorised across the accounts of a chunk, one simulated month at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Account kinds by code, in the order of lucidscore.records.ACCOUNT_KINDS.
REVOLVING, INSTALMENT, MORTGAGE, RENT, UTILITY, TELECOM = range(6)
N_CREDIT_KINDS = 3
THICK, THIN, BILL_ONLY = range(3)
SEGMENT_SHARES = (0.72, 0.18, 0.10)
NEVER = np.iinfo(np.int32).max  # month index of "not closed"
MAX_BUCKET = 7  # 210+ days past due
CHARGE_OFF_BUCKET = 6  # a credit account 180 days past due is charged off
CUT_OFF_BUCKET = 4  # a bill 120 days past due: service cut off, account closed
BAD_BUCKET = 3  # 90+ days past due
ONSET_SLOPE = 0.5


@dataclass(frozen=True)
class Window:
    """The simulated months: ``first..last`` (month indices); outcomes follow ``observation``."""

    first: int
    last: int
    observation: int

    @property
    def months(self) -> int:
        return self.last - self.first + 1


@dataclass
class Traits:
    """Hidden traits of one chunk of consumers (never written out)."""

    resilience: np.ndarray  # N(0, 1): higher absorbs shocks better
    shock: np.ndarray  # propensity to fall into distress
    volatility: np.ndarray  # coefficient of variation of monthly income
    risk: np.ndarray  # the latent risk index combining the above
    segment: np.ndarray  # THICK, THIN or BILL_ONLY
    income: np.ndarray  # typical monthly net income
    income_mode: np.ndarray  # 0 none shared, 1 verified monthly payroll, 2 declared twice a year

    @property
    def n(self) -> int:
        return len(self.resilience)


@dataclass
class Accounts:
    owner: np.ndarray  # consumer index within the chunk
    kind: np.ndarray  # kind code
    opened: np.ndarray  # month index
    closed: np.ndarray  # month index, NEVER while open
    limit: np.ndarray  # revolving credit limit, NaN otherwise
    original: np.ndarray  # instalment or mortgage principal, NaN otherwise
    payment: np.ndarray  # contractual monthly payment (bills: the monthly bill)
    term: np.ndarray  # months, instalment and mortgage
    util_base: np.ndarray  # long-run utilisation of a revolving account

    def __len__(self) -> int:
        return len(self.owner)


@dataclass
class Simulation:
    """What happened in a chunk: outcomes, and (when recorded) every statement and event."""

    bad: np.ndarray
    closed: np.ndarray
    distress: np.ndarray  # (months, consumers) bool
    statements: dict[str, np.ndarray] = field(default_factory=dict)
    charge_offs: dict[str, np.ndarray] = field(default_factory=dict)
    judgments: dict[str, np.ndarray] = field(default_factory=dict)


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def draw_traits(rng: np.random.Generator, n: int) -> Traits:
    """Hidden traits, correlated as in life: resilient people have steadier incomes and fewer shocks."""
    resilience = rng.standard_normal(n)
    shock = -0.4 * resilience + np.sqrt(1 - 0.16) * rng.standard_normal(n)
    volatility = 0.04 + 0.4 * _sigmoid(-0.6 * resilience + rng.standard_normal(n) - 1.0)
    segment = rng.choice(3, size=n, p=SEGMENT_SHARES).astype(np.int8)
    risk = -0.8 * resilience + 0.6 * shock + 2.0 * (volatility - 0.15)
    risk = risk + np.where(segment == THIN, 0.3, 0.0) + np.where(segment == BILL_ONLY, 0.2, 0.0)
    income = np.exp(7.9 + 0.3 * resilience + 0.4 * rng.standard_normal(n))
    income_mode = rng.choice(3, size=n, p=(0.2, 0.5, 0.3)).astype(np.int8)
    return Traits(resilience, shock, volatility, risk, segment, income, income_mode)


def draw_accounts(rng: np.random.Generator, traits: Traits, window: Window) -> Accounts:
    """Account mix per segment: thick files hold several credit lines, thin files one young line,
    bill-only consumers just rent, utility or telecom accounts they chose to share."""
    seg = traits.segment
    n_credit = np.where(seg == THICK, 2 + rng.poisson(0.35, traits.n), np.where(seg == THIN, 1, 0))
    bill_p = np.where(seg == THICK, 0.1, np.where(seg == THIN, 0.3, 0.0))
    n_bill = np.where(seg == BILL_ONLY, 1 + rng.binomial(2, 0.45, traits.n), rng.binomial(3, bill_p))

    owner_c = np.repeat(np.arange(traits.n), n_credit)
    kind_c = rng.choice(N_CREDIT_KINDS, size=len(owner_c), p=(0.55, 0.33, 0.12))
    thin_c = seg[owner_c] == THIN
    kind_c = np.where(thin_c, np.where(rng.random(len(owner_c)) < 0.7, REVOLVING, INSTALMENT), kind_c)
    before = rng.random(len(owner_c)) < np.where(thin_c, 0.35, 0.8)
    age_before = np.where(thin_c, rng.integers(1, 24, len(owner_c)), rng.integers(1, 180, len(owner_c)))
    # Thin files opened their line inside the history window but before the observation month.
    in_window = np.where(
        thin_c,
        rng.integers(window.first, window.observation - 1, len(owner_c)),
        rng.integers(window.first, window.last + 1, len(owner_c)),
    )
    opened_c = np.where(before, window.first - age_before, in_window)

    owner_b = np.repeat(np.arange(traits.n), n_bill)
    kind_b = rng.choice([RENT, UTILITY, TELECOM], size=len(owner_b), p=(0.4, 0.3, 0.3))
    before_b = rng.random(len(owner_b)) < 0.7
    opened_b = np.where(
        before_b,
        window.first - rng.integers(1, 96, len(owner_b)),
        rng.integers(window.first, window.last + 1, len(owner_b)),
    )

    owner = np.concatenate([owner_c, owner_b])
    order = np.argsort(owner, kind="stable")
    owner = owner[order]
    kind = np.concatenate([kind_c, kind_b]).astype(np.int8)[order]
    opened = np.concatenate([opened_c, opened_b]).astype(np.int32)[order]
    m = len(owner)
    income = traits.income[owner]

    limit = np.where(kind == REVOLVING, np.round(income * rng.uniform(0.4, 3.0, m), -2).clip(500), np.nan)
    term = np.select(
        [kind == INSTALMENT, kind == MORTGAGE],
        [rng.integers(12, 85, m), rng.integers(240, 361, m)],
        0,
    ).astype(np.int32)
    original = np.select(
        [kind == INSTALMENT, kind == MORTGAGE],
        [np.round(income * rng.uniform(1, 8, m), -2), np.round(income * rng.uniform(40, 120, m), -3)],
        np.nan,
    )
    bill = np.select(
        [kind == RENT, kind == UTILITY, kind == TELECOM],
        [
            np.round(income * rng.uniform(0.2, 0.4, m)),
            rng.uniform(40, 200, m).round(2),
            rng.uniform(20, 90, m).round(2),
        ],
        0.0,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        loan_payment = np.where(
            term > 0, original / np.maximum(term, 1) * np.where(kind == MORTGAGE, 1.6, 1.1), 0
        )
    payment = np.where(kind >= RENT, bill, loan_payment).round(2)

    closed = np.full(m, NEVER, dtype=np.int32)
    closed = np.where(term > 0, opened + term, closed)
    revolving_close = (kind == REVOLVING) & (rng.random(m) < 0.35)
    closed = np.where(revolving_close, opened + rng.integers(6, 120, m), closed)
    bill_close = (kind >= RENT) & (rng.random(m) < 0.15)
    closed = np.where(bill_close, opened + rng.integers(6, 60, m), closed).astype(np.int32)

    res = traits.resilience[owner]
    util_base = np.clip(_sigmoid(-0.5 - 0.9 * res + 0.8 * rng.standard_normal(m)), 0.0, 1.0)
    util_base = np.where(kind == REVOLVING, util_base, np.nan)
    return Accounts(owner, kind, opened, closed, limit, original, payment, term, util_base)


def onset_hazard(traits: Traits, intercept: float) -> np.ndarray:
    """Monthly probability that a consumer falls into financial distress."""
    return _sigmoid(intercept + ONSET_SLOPE * traits.risk)


def simulate(
    rng: np.random.Generator,
    traits: Traits,
    accounts: Accounts,
    window: Window,
    intercept: float,
    record: bool = True,
) -> Simulation:
    """Run the monthly process; ``bad`` marks consumers who reach 90+ days past due, a charge-off or an
    unpaid judgment in the twelve months after the observation month."""
    n, months = traits.n, window.months
    res = traits.resilience
    onset = onset_hazard(traits, intercept)
    recover = _sigmoid(-1.0 + 0.6 * res)
    miss_credit = _sigmoid(-5.0 + 0.9 * traits.risk)
    miss_bill = _sigmoid(-4.0 + 0.9 * traits.risk)
    cure_normal = _sigmoid(0.4 + 0.6 * res)
    judgment_rate = _sigmoid(-8.5 + 1.0 * traits.risk)

    bucket = np.zeros(len(accounts), dtype=np.int8)
    closed = accounts.closed.copy()
    util = accounts.util_base.copy()
    is_credit = accounts.kind < N_CREDIT_KINDS
    # Start from the stationary share in distress so that the first month is not special.
    distress = rng.random(n) < onset / (onset + recover)
    history = np.zeros((months, n), dtype=bool)
    bad = np.zeros(n, dtype=bool)
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("account", "month", "bucket", "balance", "due", "paid")
    }
    co: dict[str, list[np.ndarray]] = {k: [] for k in ("account", "month", "amount")}
    jd: dict[str, list[np.ndarray]] = {k: [] for k in ("consumer", "month", "amount", "satisfied")}

    for t in range(months):
        month = window.first + t
        u_on, u_off = rng.random(n), rng.random(n)
        distress = np.where(distress, u_off >= recover, u_on < onset)
        history[t] = distress

        idx = np.flatnonzero((accounts.opened <= month) & (closed >= month))
        own = accounts.owner[idx]
        credit = is_credit[idx]
        in_distress = distress[own]
        p_miss = np.where(
            in_distress, np.where(credit, 0.7, 0.6), np.where(credit, miss_credit[own], miss_bill[own])
        )
        fresh = accounts.opened[idx] == month
        miss = (rng.random(len(idx)) < p_miss) & ~fresh
        cure = rng.random(len(idx)) < np.where(in_distress, 0.1, cure_normal[own])
        before = bucket[idx]
        after = np.where(miss, np.minimum(before + 1, MAX_BUCKET), np.where(cure, 0, before)).astype(np.int8)
        bucket[idx] = after

        charged = credit & (after >= CHARGE_OFF_BUCKET)
        cut = ~credit & (after >= CUT_OFF_BUCKET)
        closed[idx[charged | cut]] = month
        sued_bill = cut & (rng.random(len(idx)) < 0.5)
        background = np.flatnonzero(rng.random(n) < judgment_rate * np.where(distress, 4.0, 1.0))
        judged = np.concatenate([own[sued_bill], background])
        judged_paid = rng.random(len(judged)) < 0.2

        if month > window.observation and month <= window.observation + 12:
            bad[own[after >= BAD_BUCKET]] = True
            bad[own[charged]] = True
            bad[judged[~judged_paid]] = True

        if not record:
            continue
        kind = accounts.kind[idx]
        pay = accounts.payment[idx]
        revolving = kind == REVOLVING
        if revolving.any():
            r_idx = idx[revolving]
            drift = 0.85 * np.nan_to_num(util[r_idx]) + 0.15 * accounts.util_base[r_idx]
            shock = 0.06 * in_distress[revolving] + 0.04 * rng.standard_normal(len(r_idx))
            util[r_idx] = np.clip(drift + shock, 0.0, 1.0)
        limit = accounts.limit[idx]
        rev_balance = np.round(np.nan_to_num(util[idx]) * np.nan_to_num(limit), 2)
        rev_due = np.where(rev_balance > 0, np.maximum(25.0, 0.03 * rev_balance), 0.0)
        elapsed = month - accounts.opened[idx]
        term = np.maximum(accounts.term[idx], 1)
        loan_balance = np.nan_to_num(accounts.original[idx]) * np.clip(1 - elapsed / term, 0, 1)
        current_due = np.where(revolving, np.minimum(rev_due, rev_balance), pay)
        due = np.round(current_due * (1 + before), 2)
        balance = np.select(
            [revolving, credit],
            [rev_balance, loan_balance + current_due * after],
            current_due * (1 + after),
        )
        balance = np.round(np.maximum(balance, due), 2)
        full = rng.random(len(idx)) < 0.35 + 0.3 * _sigmoid(res[own])
        on_time_paid = np.where(
            revolving & full & (after == 0), balance, np.where(after == 0, due, current_due)
        )
        paid = np.round(np.where(miss, 0.0, on_time_paid), 2)
        for key, value in (
            ("account", idx),
            ("month", np.full(len(idx), t, dtype=np.int16)),
            ("bucket", after),
            ("balance", balance),
            ("due", due),
            ("paid", paid),
        ):
            rows[key].append(value)
        if charged.any():
            co["account"].append(idx[charged])
            co["month"].append(np.full(int(charged.sum()), month, dtype=np.int32))
            co["amount"].append(balance[charged])
        if len(judged):
            jd["consumer"].append(judged)
            jd["month"].append(np.full(len(judged), month, dtype=np.int32))
            jd["amount"].append(np.round(np.exp(6.5 + rng.standard_normal(len(judged))), 2))
            jd["satisfied"].append(judged_paid)

    sim = Simulation(bad=bad, closed=closed, distress=history)
    if record:
        sim.statements = {k: _cat(v) for k, v in rows.items()}
        sim.charge_offs = {k: _cat(v) for k, v in co.items()}
        sim.judgments = {k: _cat(v) for k, v in jd.items()}
    return sim


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)
