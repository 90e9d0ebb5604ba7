"""Turn one simulated chunk into Arrow tables with the columns and types of ``lucidscore.records``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from lucidscore.records import (
    ACCOUNT_KINDS,
    ACCOUNTS,
    CONSUMERS,
    INCOME,
    INQUIRIES,
    INQUIRY_PURPOSES,
    OUTCOMES,
    PUBLIC_RECORD_KINDS,
    PUBLIC_RECORDS,
    STATEMENTS,
    Table,
)
from lucidscore.synth._calendar import day_in_month, labels, month_end, months_before
from lucidscore.synth._process import (
    MAX_BUCKET,
    Accounts,
    Simulation,
    Traits,
    Window,
    _sigmoid,
)

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "month": pa.string(),
}
_N_MERCHANTS = 400


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a records table."""
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type], nullable=c.nullable) for c in table.columns])


@dataclass(frozen=True)
class Offsets:
    """Where this chunk's identifiers start, so identifiers stay unique across chunks."""

    consumer: int
    account: int
    record: int


def _ids(prefix: str, start: int, count: int, width: int) -> pa.Array:
    return pa.array([f"{prefix}{i:0{width}d}" for i in range(start, start + count)], type=pa.string())


def _midnight(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[us]")


def _table(schema_of: Table, columns: dict[str, object]) -> pa.Table:
    schema = arrow_schema(schema_of)
    arrays = [
        pa.array(columns[f.name], type=f.type)
        if not isinstance(columns[f.name], pa.Array)
        else columns[f.name]
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


class ChunkTables:
    """Builds the seven tables of one chunk from its traits, accounts and simulated months."""

    def __init__(
        self,
        rng: np.random.Generator,
        traits: Traits,
        accounts: Accounts,
        sim: Simulation,
        window: Window,
        end: date,
        offsets: Offsets,
    ) -> None:
        self.rng = rng
        self.traits = traits
        self.accounts = accounts
        self.sim = sim
        self.window = window
        self.end = end
        self.offsets = offsets
        self.consumer_ids = _ids("C", offsets.consumer, traits.n, 8)
        self.account_ids = _ids("A", offsets.account, len(accounts), 9)
        self.next_record = offsets.record
        month_ends = [min(month_end(m), end) for m in range(window.first, window.last + 1)]
        self.month_ends = np.array(month_ends, dtype="datetime64[D]")

    def all(self) -> dict[str, pa.Table]:
        return {
            "consumers": self.consumers(),
            "accounts": self.accounts_table(),
            "statements": self.statements(),
            "inquiries": self.inquiries(),
            "public_records": self.public_records(),
            "income": self.income(),
            "outcomes": self.outcomes(),
        }

    def consumers(self) -> pa.Table:
        t, rng = self.traits, self.rng
        verified = rng.random(t.n) < _sigmoid(1.4 + 0.5 * t.resilience)
        months_there = np.minimum(rng.exponential(48.0 * np.exp(0.3 * t.resilience)), 600.0)
        since = np.datetime64(self.end, "D") - (months_there * 30.44).astype(np.int64).astype(
            "timedelta64[D]"
        )
        known = rng.random(t.n) >= 0.05
        first_day = np.datetime64(month_end(self.window.first - 1) + timedelta(days=1), "D")
        reported = _midnight(np.where(known, np.maximum(since, first_day), first_day))
        return _table(
            CONSUMERS,
            {
                "consumer_id": self.consumer_ids,
                "identity_verified": verified,
                "address_since": pa.array(since, type=pa.date32(), mask=~known),
                "reported_at": reported,
            },
        )

    def accounts_table(self) -> pa.Table:
        a, rng = self.accounts, self.rng
        opened = day_in_month(a.opened, rng.random(len(a)), self.end)
        closed_month = self.sim.closed
        is_closed = closed_month <= self.window.last
        safe = np.where(is_closed, closed_month, self.window.last)
        closed = np.maximum(day_in_month(safe, rng.random(len(a)), self.end), opened)
        return _table(
            ACCOUNTS,
            {
                "account_id": self.account_ids,
                "consumer_id": self.consumer_ids.take(pa.array(a.owner)),
                "kind": pa.array(ACCOUNT_KINDS).take(pa.array(a.kind.astype(np.int64))),
                "opened": opened,
                "closed": pa.array(closed, type=pa.date32(), mask=~is_closed),
                "credit_limit": pa.array(a.limit, from_pandas=True),
                "original_amount": pa.array(a.original, from_pandas=True),
                "reported_at": _midnight(np.where(is_closed, closed, opened)),
            },
        )

    def statements(self) -> pa.Table:
        s = self.sim.statements
        months = s["month"].astype(np.int64)
        return _table(
            STATEMENTS,
            {
                "account_id": self.account_ids.take(pa.array(s["account"].astype(np.int64))),
                "period": labels(self.window.first, self.window.last).take(pa.array(months)),
                "balance": s["balance"],
                "amount_due": s["due"],
                "amount_paid": s["paid"],
                "days_past_due": np.minimum(s["bucket"].astype(np.int64), MAX_BUCKET) * 30,
                "reported_at": _midnight(self.month_ends[months]),
            },
        )

    def inquiries(self) -> pa.Table:
        t, a, w, rng = self.traits, self.accounts, self.window, self.rng
        rate = 0.04 * np.exp(0.4 * t.risk)[None, :] * (1.0 + 2.0 * self.sim.distress)
        counts = rng.poisson(rate)
        month_pos, who = np.nonzero(counts)
        reps = counts[month_pos, who]
        who = np.repeat(who, reps)
        month = np.repeat(month_pos, reps) + w.first
        purpose = rng.choice([0, 1, 6], size=len(who), p=(0.5, 0.35, 0.15))
        new = np.flatnonzero(a.opened >= w.first)
        who = np.concatenate([who, a.owner[new]])
        month = np.concatenate([month, a.opened[new]])
        purpose = np.concatenate([purpose, np.array(_PURPOSE_CODES)[a.kind[new]]])
        last_day = self.end - timedelta(days=1)
        day = day_in_month(month, rng.random(len(who)), last_day)
        at = _midnight(day) + rng.integers(8 * 3600, 20 * 3600, len(who)).astype("timedelta64[s]")
        merchant = rng.integers(0, _N_MERCHANTS, len(who))
        # The natural key (consumer, at, merchant) must be unique: drop the rare exact repeat.
        order = np.lexsort((merchant, at.astype(np.int64), who))
        who, at, merchant, purpose = who[order], at[order], merchant[order], purpose[order]
        keep = np.ones(len(who), dtype=bool)
        keep[1:] = (who[1:] != who[:-1]) | (at[1:] != at[:-1]) | (merchant[1:] != merchant[:-1])
        who, at, merchant, purpose = who[keep], at[keep], merchant[keep], purpose[keep]
        merchants = pa.array([f"M{i:04d}" for i in range(_N_MERCHANTS)])
        return _table(
            INQUIRIES,
            {
                "consumer_id": self.consumer_ids.take(pa.array(who)),
                "at": at.astype("datetime64[us]"),
                "merchant_id": merchants.take(pa.array(merchant)),
                "purpose": pa.array(INQUIRY_PURPOSES).take(pa.array(purpose.astype(np.int64))),
                "reported_at": at.astype("datetime64[us]"),
            },
        )

    def public_records(self) -> pa.Table:
        t, w, rng = self.traits, self.window, self.rng
        old = rng.poisson(0.05 * np.exp(0.9 * t.risk))
        who_old = np.repeat(np.arange(t.n), old)
        month_old = w.first - rng.integers(1, 85, len(who_old))
        kind_old = rng.choice(3, size=len(who_old), p=(0.6, 0.15, 0.25))
        paid_old = np.select([kind_old == 1, kind_old == 0], [True, rng.random(len(who_old)) < 0.6], False)
        paid_old = paid_old | (rng.random(len(who_old)) < 0.3)
        amount_old = np.round(np.exp(7.0 + rng.standard_normal(len(who_old))), 2)
        co, jd = self.sim.charge_offs, self.sim.judgments
        co_who = self.accounts.owner[co["account"].astype(np.int64)]
        who = np.concatenate([who_old, co_who, jd["consumer"]]).astype(np.int64)
        month = np.concatenate([month_old, co["month"], jd["month"]]).astype(np.int64)
        kind = np.concatenate([kind_old, np.full(len(co_who), 2), np.zeros(len(jd["consumer"]), int)])
        paid = np.concatenate([paid_old, np.zeros(len(co_who), bool), jd["satisfied"].astype(bool)])
        amount = np.concatenate([amount_old, co["amount"], jd["amount"]])
        filed = day_in_month(month, rng.random(len(who)), self.end)
        ids = _ids("P", self.next_record, len(who), 9)
        self.next_record += len(who)
        return _table(
            PUBLIC_RECORDS,
            {
                "record_id": ids,
                "consumer_id": self.consumer_ids.take(pa.array(who)),
                "kind": pa.array(PUBLIC_RECORD_KINDS).take(pa.array(kind.astype(np.int64))),
                "filed": filed,
                "amount": np.maximum(amount, 0.0),
                "satisfied": paid,
                "reported_at": _midnight(filed),
            },
        )

    def income(self) -> pa.Table:
        t, w, rng = self.traits, self.window, self.rng
        monthly = np.flatnonzero(t.income_mode == 1)
        declared = np.flatnonzero(t.income_mode == 2)
        m_who = np.tile(monthly, w.months)
        m_pos = np.repeat(np.arange(w.months), len(monthly))
        noise = np.maximum(0.05, 1.0 + t.volatility[m_who] * rng.standard_normal(len(m_who)))
        m_amount = t.income[m_who] * noise * np.where(self.sim.distress[m_pos, m_who], 0.75, 1.0)
        phase = rng.integers(0, 6, len(declared))
        d_pos = (phase[None, :] + 6 * np.arange((w.months + 5) // 6)[:, None]).ravel()
        d_who = np.tile(declared, (w.months + 5) // 6)
        inside = d_pos < w.months
        d_pos, d_who = d_pos[inside], d_who[inside]
        d_amount = np.round(t.income[d_who] * (1.0 + 0.1 * rng.standard_normal(len(d_who))), -2)
        who = np.concatenate([m_who, d_who])
        pos = np.concatenate([m_pos, d_pos]).astype(np.int64)
        order = np.lexsort((pos, who))
        who, pos = who[order], pos[order]
        amount = np.round(np.maximum(np.concatenate([m_amount, d_amount])[order], 0.0), 2)
        verified = np.concatenate([np.ones(len(m_who), bool), np.zeros(len(d_who), bool)])[order]
        return _table(
            INCOME,
            {
                "consumer_id": self.consumer_ids.take(pa.array(who)),
                "period": labels(w.first, w.last).take(pa.array(pos)),
                "amount": amount,
                "verified": verified,
                "reported_at": _midnight(self.month_ends[pos]),
            },
        )

    def outcomes(self) -> pa.Table:
        return _table(
            OUTCOMES,
            {
                "consumer_id": self.consumer_ids,
                "observation_date": np.full(self.traits.n, np.datetime64(self.observation_date, "D")),
                "bad": self.sim.bad.astype(np.int64),
            },
        )

    @property
    def observation_date(self) -> date:
        return months_before(self.end, 12)


# Purpose code (index into _PURPOSES) of an inquiry opening an account of each kind.
_PURPOSE_CODES = (0, 1, 2, 3, 5, 4)
