"""Generated tables shaped like other public credit data, each with its true logit, so that fresh rows can
be drawn (issue 14): the shapes of benchmarks/bench_shapes.py and the tests that check a card on them.

- ``heloc``: like FICO's HELOC data: ~50% bad, 23 numeric bureau columns, most of them driven by two
  latent factors (correlated), with undeclared negative codes: -9 "no bureau record" on every column of
  ~5.6% of rows, -8 "no usable trade" and -7 "condition not met" (never delinquent, no inquiry) at the
  data set's rates (-7 on about half of the months-since-delinquency column), monotone effects.
- ``gmsc``: like Kaggle's Give Me Some Credit: ~6.7% bad, a revolving utilisation with a tail to 50,000,
  a debt ratio that holds a debt in currency where income is missing, monthly income ~20% missing, three
  past-due counts with the codes 96/98 on the same ~0.2% of rows, open lines, real estate loans,
  dependants (2.6% missing) and ``age`` (a protected attribute: an audit column, never an input).
- ``noise30``: ~20% bad: a 30-category text column with no effect at all, a numeric column with none,
  and five real effects (two monotone, one U-shaped, a 5-category text column, a count).
- ``rare``: ~2% bad: six effects (one with missing values, one a point mass at 0) and four columns with
  no effect.
- ``wide``: a wide bureau extract, ~15% bad, 184 columns: ten real attributes driven by three latent
  factors (two with 15% missing, one effect with a convex part), 60 proxies correlated with the factors
  but with no effect of their own, 110 unrelated numeric and count columns and four unrelated codes.

Each ``make(n, seed)`` returns the table (target ``bad``, 1 = bad) and each row's true log-odds of bad.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

Generated = tuple[pd.DataFrame, npt.NDArray[np.float64]]  # the table (with ``bad``) and its true logit


def _draw(logit: npt.NDArray[np.float64], rng: np.random.Generator) -> npt.NDArray[np.int64]:
    return (rng.random(logit.size) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)


def _calibrated(logit: npt.NDArray[np.float64], rate: float) -> npt.NDArray[np.float64]:
    """``logit`` shifted so that its mean probability is ``rate`` (a few bisection steps): the bad rate of
    a shape does not move with its seed."""
    low, high = -20.0, 20.0
    for _ in range(60):
        mid = (low + high) / 2
        if float(np.mean(1.0 / (1.0 + np.exp(-(logit + mid))))) < rate:
            low = mid
        else:
            high = mid
    return logit + (low + high) / 2


def heloc(n: int, seed: int) -> Generated:
    """HELOC-like (FICO's Explainable ML Challenge data): see the module docstring."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=n)  # credit quality: most columns load on it
    depth = rng.normal(size=n)  # file depth / age of the file
    use = 0.5 * -quality + np.sqrt(0.75) * rng.normal(size=n)  # utilisation, worse with lower quality

    def noisy(base: npt.NDArray[np.float64], sd: float) -> npt.NDArray[np.float64]:
        return base + sd * rng.normal(size=n)

    def clip_round(v: npt.NDArray[np.float64], low: float, high: float) -> npt.NDArray[np.float64]:
        return np.clip(np.round(v), low, high)

    ere = clip_round(72 + 9 * noisy(quality, 0.45), 33, 94)  # ExternalRiskEstimate
    oldest = clip_round(np.exp(5.2 + 0.5 * noisy(depth, 0.5)), 2, 800)
    newest = clip_round(rng.gamma(1.2, 7, n) * np.exp(-0.1 * depth), 0, 380)
    avg_file = clip_round(np.exp(4.3 + 0.4 * noisy(depth + 0.3 * quality, 0.5)), 4, 380)
    n_sat = clip_round(np.exp(2.9 + 0.5 * noisy(0.6 * depth + 0.2 * quality, 0.6)), 0, 80)
    derog = np.exp(-1.2 - 1.0 * noisy(quality, 0.7))
    trades60 = rng.poisson(derog).astype(float)
    trades90 = np.minimum(trades60, rng.poisson(0.7 * derog)).astype(float)
    never_delq = clip_round(100 - 100 * rng.beta(1, 8 * np.exp(0.7 * quality)), 0, 100)
    ever_delinquent = rng.random(n) < 1 / (1 + np.exp(-(-0.1 - 1.3 * quality)))
    since_delq = np.where(
        ever_delinquent, clip_round(rng.gamma(1.5, 14, n) * np.exp(0.3 * quality), 0, 83), -7
    )
    max_delq_12 = clip_round(7 - 2.2 * np.abs(noisy(-quality, 0.8)) * (quality < 0.3), 0, 7)
    max_delq_ever = clip_round(8 - 1.8 * np.abs(noisy(-quality, 0.8)) * (quality < 0.6), 2, 8)
    total_trades = clip_round(n_sat * 1.1 + rng.poisson(2, n), 0, 100)
    open_12m = rng.poisson(np.exp(0.4 - 0.15 * depth - 0.1 * quality)).astype(float)
    pct_install = clip_round(100 * rng.beta(2, 3, n), 0, 100)
    inquired = rng.random(n) < 1 / (1 + np.exp(-(1.2 - 0.6 * quality)))
    since_inq = np.where(inquired, clip_round(rng.gamma(0.8, 4, n) * np.exp(0.35 * quality), 0, 24), -7)
    inq_6m = rng.poisson(np.exp(0.1 - 0.5 * quality)).astype(float)
    inq_6m_x7 = np.minimum(inq_6m, rng.poisson(np.exp(-0.1 - 0.5 * quality))).astype(float)
    revolving = clip_round(100 / (1 + np.exp(-(-0.6 + 1.3 * use))), 0, 230)
    installment = clip_round(100 / (1 + np.exp(-(0.9 + 0.5 * noisy(use, 0.8)))), 0, 470)
    n_revolving_bal = clip_round(np.exp(1.2 + 0.3 * noisy(use + 0.3 * depth, 0.6)), 0, 32)
    n_install_bal = clip_round(np.exp(0.7 + 0.4 * noisy(depth, 0.8)), 1, 23)
    high_util = rng.poisson(np.exp(-0.3 + 0.6 * use)).astype(float)
    pct_balance = clip_round(100 / (1 + np.exp(-(0.4 + 0.9 * noisy(use, 0.7)))), 0, 100)

    # The true logit: additive and monotone in each effect, with the codes' own effects.
    logit = (
        -0.075 * (ere - 72)
        + 0.45 * np.where(since_delq == -7, -0.6, -np.log1p(np.maximum(since_delq, 0)) / 4.4)
        + 0.012 * (revolving - 35)
        - 0.35 * np.log(avg_file / 75)
        - 0.25 * np.log1p(n_sat) / 3
        - 0.012 * (never_delq - 92)
        + 0.18 * inq_6m_x7
        + np.where(since_inq == -7, -0.35, -0.25 * np.log1p(np.maximum(since_inq, 0)))
        + 0.15 * high_util
        + 0.005 * (pct_balance - 65)
    )
    # -8: no usable/valid trades or inquiries of the kind (rates as in the data set); risk of its own.
    no_install = rng.random(n) < 0.34 + 0.1 * (depth < -0.5)
    installment[no_install] = -8
    n_install_bal[rng.random(n) < 0.09] = -8
    logit += np.where(no_install, 0.15, 0.004 * (installment - 68))
    no_revolving = rng.random(n) < 0.02
    revolving[no_revolving] = -8
    logit += np.where(no_revolving, 0.6, 0.0)  # the code is riskier than its value's side of the trend
    high_util_code = rng.random(n) < 0.06
    high_util[high_util_code] = -8
    newest[rng.random(n) < 0.01] = -8
    oldest[rng.random(n) < 0.02] = -8
    pct_balance[rng.random(n) < 0.002] = -8
    columns = {
        "ExternalRiskEstimate": ere,
        "MSinceOldestTradeOpen": oldest,
        "MSinceMostRecentTradeOpen": newest,
        "AverageMInFile": avg_file,
        "NumSatisfactoryTrades": n_sat,
        "NumTrades60Ever2DerogPubRec": trades60,
        "NumTrades90Ever2DerogPubRec": trades90,
        "PercentTradesNeverDelq": never_delq,
        "MSinceMostRecentDelq": since_delq,
        "MaxDelq2PublicRecLast12M": max_delq_12,
        "MaxDelqEver": max_delq_ever,
        "NumTotalTrades": total_trades,
        "NumTradesOpeninLast12M": open_12m,
        "PercentInstallTrades": pct_install,
        "MSinceMostRecentInqexcl7days": since_inq,
        "NumInqLast6M": inq_6m,
        "NumInqLast6Mexcl7days": inq_6m_x7,
        "NetFractionRevolvingBurden": revolving,
        "NetFractionInstallBurden": installment,
        "NumRevolvingTradesWBalance": n_revolving_bal,
        "NumInstallTradesWBalance": n_install_bal,
        "NumBank2NatlTradesWHighUtilization": high_util,
        "PercentTradesWBalance": pct_balance,
    }
    # -9: no bureau record at all, on every column of the same rows; their risk is near the average.
    no_record = rng.random(n) < 0.056
    for values in columns.values():
        values[no_record] = -9
    logit = np.where(no_record, 0.1, logit)
    logit = _calibrated(logit, 0.52)
    frame = pd.DataFrame(columns)
    frame["bad"] = _draw(logit, rng)
    return frame, logit


def gmsc(n: int, seed: int) -> Generated:
    """Give-Me-Some-Credit-like (Kaggle 2011): see the module docstring."""
    rng = np.random.default_rng(seed)
    strain = rng.normal(size=n)  # financial strain: utilisation and lateness load on it
    age = np.clip(np.round(rng.normal(52, 14.8, n)), 21, 103)
    util = 1 / (1 + np.exp(-(-1.6 + 1.6 * strain + 0.9 * rng.normal(size=n))))
    util[rng.random(n) < 0.22] = 0.0  # no revolving balance
    over = rng.random(n) < 0.02  # over the limit
    util[over] = 1 + rng.exponential(0.15, int(over.sum()))
    junk = rng.random(n) < 0.002  # values no utilisation can have: the data set's tail to 50,708
    util[junk] = np.exp(rng.uniform(1.0, np.log(50_000), int(junk.sum())))
    income = np.round(np.exp(8.6 + 0.55 * rng.normal(size=n) - 0.1 * strain))
    no_income = rng.random(n) < 0.198
    debt_ratio = np.exp(-1.0 + 0.35 * strain + 0.6 * rng.normal(size=n))
    # Where income is missing, the debt ratio holds the debt itself (the data set's median there is ~1,160).
    debt_ratio[no_income] = np.round(np.exp(7.0 + 1.4 * rng.normal(size=int(no_income.sum()))))
    late_rate = np.exp(-2.6 + 1.1 * strain)
    late30 = rng.poisson(late_rate).astype(float)
    late60 = rng.poisson(0.35 * late_rate).astype(float)
    late90 = rng.poisson(0.4 * late_rate).astype(float)
    open_lines = np.clip(np.round(rng.gamma(3, 2.8, n) + 0.02 * (age - 50)), 0, 58)
    real_estate = np.clip(rng.poisson(np.exp(-0.2 + 0.2 * (income > 6000)), n), 0, 54).astype(float)
    dependants = np.clip(rng.poisson(0.75, n), 0, 20).astype(float)
    logit = (
        3.2 * np.minimum(util, 1.0)
        + np.where(util > 1.0, 0.9, 0.0)
        - np.where(util > 3.0, 1.2, 0.0)  # the junk tail is much less risky than "over the limit"
        + 0.9 * np.log1p(late30)
        + 0.8 * np.log1p(late60)
        + 1.2 * np.log1p(late90)
        - 0.025 * (age - 52)
        + np.where(no_income, -0.15, -0.25 * np.log(income / 5400))
        + np.where(no_income, 0.0, 0.3 * np.clip(debt_ratio, 0, 2))
        + np.where(open_lines < 3, 0.35, 0.0)
        - 0.1 * np.minimum(real_estate, 3)
        + 0.06 * dependants
    )
    codes = rng.random(n) < 0.0018  # 96 ("other") / 98 ("refused") on all three counts, as in the data
    code = np.where(rng.random(n) < 0.95, 98.0, 96.0)
    for values in (late30, late60, late90):
        values[codes] = code[codes]
    logit = np.where(codes, 0.0, logit)
    logit = _calibrated(logit, 0.0668)
    logit = np.where(codes, 0.2, logit)  # ~55% bad where the codes are
    dependants[rng.random(n) < 0.026] = np.nan
    income[no_income] = np.nan
    frame = pd.DataFrame(
        {
            "RevolvingUtilizationOfUnsecuredLines": util,
            "age": age,
            "NumberOfTime30-59DaysPastDueNotWorse": late30,
            "DebtRatio": debt_ratio,
            "MonthlyIncome": income,
            "NumberOfOpenCreditLinesAndLoans": open_lines,
            "NumberOfTimes90DaysLate": late90,
            "NumberRealEstateLoansOrLines": real_estate,
            "NumberOfTime60-89DaysPastDueNotWorse": late60,
            "NumberOfDependents": dependants,
        }
    )
    frame["bad"] = _draw(logit, rng)
    return frame, logit


def noise30(n: int, seed: int) -> Generated:
    """A small table with a 30-category text column of no effect: see the module docstring."""
    rng = np.random.default_rng(seed)
    util = rng.beta(2, 3, n)
    late = rng.poisson(0.5, n).astype(float)
    tenure = rng.gamma(2, 30, n)
    channel = rng.choice(["branch", "web", "app", "broker", "phone"], n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    inquiries = rng.poisson(1.0, n).astype(float)
    logit = (
        1.8 * util
        + 0.6 * late
        - 0.5 * np.log1p(tenure / 12)
        + 4.0 * (util - 0.45) ** 2  # on top of the slope: a U-shaped part
        + np.select([channel == "broker", channel == "phone"], [0.5, 0.3], 0.0)
        + 0.15 * inquiries
    )
    logit = _calibrated(logit, 0.2)
    frame = pd.DataFrame(
        {
            "utilisation": util,
            "months_late": late,
            "tenure_months": np.round(tenure),
            "channel": channel,
            "inquiries": inquiries,
            "branch_code": rng.choice([f"b{i:02d}" for i in range(30)], n),  # no effect
            "noise": rng.normal(size=n),  # no effect
        }
    )
    frame["bad"] = _draw(logit, rng)
    return frame, logit


def rare(n: int, seed: int) -> Generated:
    """A 2% bad rate: see the module docstring."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    balance = np.where(rng.random(n) < 0.3, 0.0, np.exp(7 + x[:, 4]))  # a point mass at 0
    income = np.exp(10 + 0.4 * x[:, 5])
    logit = (
        0.55 * x[:, 0]
        + 0.35 * x[:, 1]
        + 0.25 * np.maximum(x[:, 2], 0)
        - 0.2 * x[:, 3]
        + np.where(balance == 0, -0.3, 0.12 * (np.log(balance + 1) - 7))
        - 0.3 * np.log(income / 22000)
    )
    income[rng.random(n) < 0.1] = np.nan
    logit = _calibrated(logit, 0.02)
    frame = pd.DataFrame({f"x{j}": x[:, j] for j in range(4)})
    frame["balance"] = np.round(balance, 2)
    frame["income"] = np.round(income)
    for j in range(4):
        frame[f"unrelated{j}"] = rng.normal(size=n)
    frame["bad"] = _draw(logit, rng)
    return frame, logit


def wide(n: int, seed: int) -> Generated:
    """A wide bureau extract: see the module docstring."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, 3))  # payment behaviour, indebtedness, file depth
    effects = np.empty((n, 10))
    for j in range(10):  # ten real attributes, each on one factor, with noise of its own
        effects[:, j] = 0.8 * factors[:, j % 3] + 0.6 * rng.normal(size=n)
    weights = np.array([0.45, 0.35, -0.3, 0.25, 0.2, -0.15, 0.12, 0.1, 0.08, -0.06])
    logit = effects @ weights + 0.2 * np.maximum(effects[:, 1], 0.0) ** 2
    logit = _calibrated(logit, 0.15)
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for j in range(10):
        v = np.round(np.exp(0.6 * effects[:, j]) * 100.0, 1) if j % 2 else np.round(effects[:, j], 3)
        if j in (3, 7):
            v[rng.random(n) < 0.15] = np.nan  # missing at random
        columns[f"attr{j:03d}"] = v
    for j in range(10, 70):  # proxies: noisy copies of the factors, no effect of their own
        base = factors[:, j % 3] if j % 4 else effects[:, j % 10]
        columns[f"attr{j:03d}"] = np.round(0.3 * base + rng.normal(size=n), 3)
    for j in range(70, 180):  # unrelated: numeric, counts and codes
        if j % 3 == 0:
            columns[f"attr{j:03d}"] = rng.poisson(1.5, n).astype(float)
        else:
            columns[f"attr{j:03d}"] = np.round(rng.normal(size=n), 3)
    frame = pd.DataFrame(columns)
    for j in range(4):
        frame[f"code{j}"] = rng.choice([f"r{i:02d}" for i in range(12 + 6 * j)], n)  # unrelated text
    frame["bad"] = _draw(logit, rng)
    return frame, logit
