"""Small hand-written raw tables for the ingest tests (CSV text), and helpers to write them."""

from __future__ import annotations

from pathlib import Path

CONSUMERS = """consumer_id,identity_verified,address_since,reported_at
C1,true,2020-01-01,2026-01-01T00:00:00
C2,false,,2026-01-01T00:00:00
C3,true,2019-05-01,2026-01-01T00:00:00
"""

ACCOUNTS = """account_id,consumer_id,kind,opened,closed,credit_limit,original_amount,reported_at
A1,C1,revolving,2021-01-01,,1000,,2026-01-01
A2,C2,rent,2021-01-01,,,,2026-01-01
A3,C3,instalment,2022-03-01,2024-03-01,,5000,2026-01-01
"""

STATEMENTS = """account_id,period,balance,amount_due,amount_paid,days_past_due,reported_at
A1,2025-01,100,10,10,0,2026-01-01
A1,2025-02,120.5,12,0,30,2026-01-01
A2,2025-01,0,500,500,0,2026-01-01
A3,2025-01,2500,200,200,0,2026-01-01
"""

INQUIRIES = """consumer_id,at,merchant_id,purpose,reported_at
C1,2025-06-01T10:00:00,M1,credit_card,2026-01-01
"""

PUBLIC_RECORDS = """record_id,consumer_id,kind,filed,amount,satisfied,reported_at
R1,C2,judgment,2024-02-01,800,false,2026-01-01
"""

INCOME = """consumer_id,period,amount,verified,reported_at
C1,2025-01,2100,true,2026-01-01
"""

OUTCOMES = """consumer_id,observation_date,bad
C1,2025-06-30,0
C2,2025-06-30,1
"""

ALL = {
    "consumers": CONSUMERS,
    "accounts": ACCOUNTS,
    "statements": STATEMENTS,
    "inquiries": INQUIRIES,
    "public_records": PUBLIC_RECORDS,
    "income": INCOME,
    "outcomes": OUTCOMES,
}


def write(directory: Path, tables: dict[str, str] | None = None) -> Path:
    """Write ``tables`` (default: all) as ``<table>.csv`` into ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (tables or ALL).items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory
