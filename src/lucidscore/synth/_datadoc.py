"""docs/data.md, generated from ``lucidscore.records`` so the schema documentation cannot drift.

Regenerate with
``python -c "import lucidscore.synth as s; print(s.render_data_doc(), end='')" > docs/data.md``;
a test keeps the two equal.
"""

from __future__ import annotations

from lucidscore.records import TABLES, Table

_INTRO = """\
# Raw data tables

<!-- Generated from src/lucidscore/records.py and src/lucidscore/synth/_datadoc.py; edit those, not this
file (a test compares them). Regenerate:
python -c "import lucidscore.synth as s; print(s.render_data_doc(), end='')" > docs/data.md -->

lucidscore reads the raw tables of a credit bureau, one CSV or Parquet file per table (`consumers.parquet`,
`accounts.parquet`, ...), or the same tables in a database loaded by `lucidscore ingest`. `lucidscore synth`
writes them. Types: `month` is text `YYYY-MM`; `datetime` is `YYYY-MM-DD HH:MM:SS[.ffffff]`; `date` is
`YYYY-MM-DD`; `boolean` is `true`/`false`. Every date must not be in the future. `reported_at` is when
the furnisher reported a row: a newer row with the same key supersedes the older, which is kept in
history.
"""

_PROCESS = """\
## The synthetic population (`lucidscore synth`)

`lucidscore synth --consumers N --seed S --out DIR [--format parquet|csv] [--end DATE] [--bad-rate R]`
(Python: `lucidscore.synth.generate_population`) writes every table above for N consumers. The same seed
and arguments write the same files. Consumers are generated and written in chunks of 50,000, so memory
stays bounded at any N. The default 36 simulated months end at `--end` (2026-06-30); outcomes are
observed as of `--end` minus 12 months (2025-06-30), and the 12 simulated months after that date are in
the statements too: point-in-time features must ignore them.

### Latent process

Nothing below is written out; only its consequences (the tables) are.

1. **Hidden traits** per consumer: *financial resilience* R ~ N(0, 1); *shock propensity*
   S = −0.4 R + 0.92 ε; *income volatility* V in 0.04–0.44 (higher for less resilient people); a
   latent *risk index* z = −0.8 R + 0.6 S + 2 (V − 0.15), plus 0.3 for thin files and 0.2 for bill-only
   consumers. Typical monthly income is log-normal, higher with R.
2. **File type** (account mix): 72% *thick files* (2 + Poisson(0.35) credit accounts: 55% revolving,
   33% instalment, 12% mortgage; most opened years before the window, some closed); 18% *thin files*
   (one young credit line, usually opened inside the window); 10% *bill-only* consumers with only rent,
   utility or telecom accounts. Thick and thin files share each of up to three bills with probability
   10% and 30%.
   About 34% of consumers have fewer than two credit accounts (thin files plus bill-only), and the
   window holds about 53 statement rows per consumer.
3. **Monthly distress**: each month a consumer not in distress falls into it with probability
   sigmoid(c + 0.5 z) and leaves it with probability sigmoid(−1 + 0.6 R). The intercept c is
   calibrated on a 10,000-consumer pilot of the same process (regula falsi) so the share of bad
   consumers matches `--bad-rate` (default 8%; 2% to 40% accepted).
4. **Payments and roll rates**: on each open account, a month's payment is missed with probability
   0.7 (credit) or 0.6 (bills) in distress, otherwise sigmoid(−5 + 0.9 z) (credit) or
   sigmoid(−4 + 0.9 z) (bills). A miss rolls the account one bucket (current → 30 → 60 → 90 → ... →
   210+ days past due); a payment cures it to current with probability sigmoid(0.4 + 0.6 R) (0.1 in
   distress), otherwise it stays in its bucket. A credit account reaching 180 days is *charged off*
   (closed, with a `charge_off` public record); a bill reaching 120 days is cut off (closed) and half of
   those lead to a *judgment*. Judgments also arrive at a background rate sigmoid(−8.5 + z) per month
   (four times that in distress); 20% are satisfied. Resulting monthly roll rates (20,000 consumers,
   seed 7): current → 30 days 2.6%, 30 → 60 22%, 60 → 90 40%, 90 → 120 45%; cures back to current
   from 30 days 35%, from 60 days 22%, from 90 days 18%.
5. **Balances**: revolving utilisation follows an AR(1) walk around a long-run level
   sigmoid(−0.5 − 0.9 R + 0.8 ε), pushed up 6 points per month in distress; instalments amortise
   linearly over their term; arrears add to what is due and owed. Some revolving users pay in full.
6. **Inquiries**: one per account opened inside the window, plus Poisson(0.04 e^(0.4 z)) per month,
   three times that in distress.
7. **Income**: 50% of consumers share verified monthly payroll income (monthly noise with coefficient of
   variation V, 25% lower in distress months); 30% declare an unverified income twice a year; 20% share
   none.
8. **Older public records**: Poisson(0.05 e^(0.9 z)) judgments, bankruptcies and charge-offs filed in
   the 7 years before the window.
9. **Outcome**: `bad` = 1 when, in the 12 simulated months after the observation date, any account of
   the consumer is 90+ days past due, a credit account is charged off, or an unpaid judgment is filed.
   It is what happened in the simulation, never a formula on the features. An account already 90+
   days past due at the observation date that is still 90+ afterwards counts too (such consumers are
   not excluded from the population, and the features show their current delinquency).
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table_section(table: Table) -> str:
    lines = [f"## {table.name}", "", table.meaning[0].upper() + table.meaning[1:] + ".", ""]
    lines.append(f"Key: {', '.join(table.key)}." + (" Training only." if table.training_only else ""))
    lines += ["", "| column | type | unit | constraint | meaning |", "|---|---|---|---|---|"]
    for c in table.columns:
        lines.append(f"| {c.name} | {c.type} | {c.unit} | {_cell(c.constraint)} | {_cell(c.meaning)} |")
    return "\n".join(lines) + "\n"


def render_data_doc() -> str:
    """The text of docs/data.md: every table of ``lucidscore.records`` and the synthetic process."""
    return "\n".join([_INTRO, *(_table_section(t) for t in TABLES), _PROCESS])
