"""Property: whatever records change after a month is published — corrections of statements, accounts and
income, new inquiries, new consumers, in one batch or several with publishes between them —
``publish_month(changed_only=True)`` leaves every consumer with the score a full publish gives, and a full
publish after it finds nothing to write."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lucidscore.artifact import load_artifact
from lucidscore.ingest import ingest_frame
from lucidscore.score import score_consumers
from lucidscore.service import (
    activate_model,
    consumer_features,
    current_rows,
    publish_month,
    register_model,
    score_digest,
)
from lucidscore.store import make_engine
from tests.fixtures.bureau import END, BureauFiles, copy_postgres

REPORTED = ["2026-07-02T00:00:00"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def published(request: pytest.FixtureRequest, bureau_files: BureauFiles) -> Iterator[str]:
    """The bureau with its model active and END published in full (a copy, then left untouched)."""
    directory = Path(tempfile.mkdtemp(prefix="lucid-changed-"))
    if request.param == "sqlite":
        path = directory / "published.db"
        with sqlite3.connect(request.getfixturevalue("_bureau_sqlite")) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = copy_postgres(server, request.getfixturevalue("_bureau_postgres"))
    engine = make_engine(url)
    with Session(engine) as s:
        model = register_model(s, load_artifact(bureau_files.model))
        activate_model(s, model)
        s.commit()
    engine.dispose()
    publish_month(url, END)
    yield url
    shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def copy_of(url: str) -> Iterator[str]:
    """A throwaway copy of the database at ``url``."""
    if url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "copy.db"
            with sqlite3.connect(url.removeprefix("sqlite:///")) as src, sqlite3.connect(path) as dst:
                src.backup(dst)
            yield f"sqlite:///{path}"
    else:
        from tests.fixtures.postgres import PostgresServer

        host, port = make_url(url).host, make_url(url).port
        yield copy_postgres(PostgresServer(str(host), int(port or 5432), str(make_url(url).username)), url)


@pytest.fixture(scope="module")
def records(published: str) -> dict[str, list[tuple[Any, ...]]]:
    """Some current records to change: statements, accounts, income rows; and the consumers."""
    engine = make_engine(published)
    with engine.connect() as conn:
        out = {
            "statements": conn.execute(
                text(
                    "SELECT account_id, period, balance, amount_due FROM statements_current "
                    "WHERE period >= '2025-01' ORDER BY account_id, period LIMIT 400"
                )
            ).all(),
            "accounts": conn.execute(
                text(
                    "SELECT account_id, consumer_id, kind, opened, credit_limit, original_amount "
                    "FROM accounts_current ORDER BY account_id LIMIT 300"
                )
            ).all(),
            "income": conn.execute(
                text("SELECT consumer_id, period FROM income_current WHERE period >= '2026-01' LIMIT 300")
            ).all(),
            "consumers": conn.execute(text("SELECT consumer_id FROM consumers_current LIMIT 300")).all(),
        }
    engine.dispose()
    return {k: [tuple(r) for r in v] for k, v in out.items()}


def _frame(n: int, columns: dict[str, list[Any]]) -> pl.DataFrame:
    """Rows reported ``n`` seconds after ``REPORTED``: a later change of the same record is a newer report
    (ingest refuses two different versions reported at the same moment)."""
    rows = len(next(iter(columns.values())))
    reported = (datetime.fromisoformat(REPORTED[0]) + timedelta(seconds=n)).isoformat()
    return pl.DataFrame(
        {k: [None if v is None else str(v) for v in vs] for k, vs in columns.items()}
        | {"reported_at": [reported] * rows}
    )


def _change(
    kind: str, pick: int, value: int, records: dict[str, list[tuple[Any, ...]]], n: int = 0
) -> tuple[str, pl.DataFrame]:
    """One change to the records, as the rows to ingest into one table (the ``n``-th change: reported
    ``n`` seconds after the first)."""
    if kind == "statement":
        account, period, balance, due = records["statements"][pick % len(records["statements"])]
        return "statements", _frame(
            n,
            {
                "account_id": [account],
                "period": [period],
                "balance": [balance],
                "amount_due": [due],
                "amount_paid": [due if value % 2 else 0],
                "days_past_due": [value % 200],
            },
        )
    if kind == "account":
        account, consumer, account_kind, opened, limit, original = records["accounts"][
            pick % len(records["accounts"])
        ]
        return "accounts", _frame(
            n,
            {
                "account_id": [account],
                "consumer_id": [consumer],
                "kind": [account_kind],
                "opened": [str(opened)[:10]],
                "closed": ["2026-06-15" if value % 2 else None],
                "credit_limit": [None if limit is None else float(limit) + value * 100],
                "original_amount": [original],
            },
        )
    if kind == "income":
        consumer, period = records["income"][pick % len(records["income"])]
        return "income", _frame(
            n, {"consumer_id": [consumer], "period": [period], "amount": [value * 37.5], "verified": ["true"]}
        )
    if kind == "inquiry":
        (consumer,) = records["consumers"][pick % len(records["consumers"])]
        return "inquiries", _frame(
            n,
            {
                "consumer_id": [consumer],
                "at": [f"2026-0{1 + value % 6}-1{value % 10}T10:00:00"],
                "merchant_id": [f"M{value}"],
                "purpose": ["loan"],
            },
        )
    return "consumers", _frame(  # a new consumer, thin file
        n,
        {
            "consumer_id": [f"N{pick:05d}"],
            "identity_verified": ["true" if value % 2 else "false"],
            "address_since": ["2020-01-01"],
        },
    )


KINDS = st.sampled_from(["statement", "statement", "account", "income", "inquiry", "consumer"])
CHANGE = st.tuples(KINDS, st.integers(0, 10_000), st.integers(1, 400))
ROUNDS = st.lists(st.lists(CHANGE, min_size=1, max_size=6), min_size=1, max_size=2)


def _expected(url: str, model: Any) -> dict[str, str]:
    """Every consumer's score digest from a full computation: features, then scores."""
    frame = consumer_features(url, END)
    return {r["consumer_id"]: score_digest(r) for r in score_consumers(model, frame, END)}


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=ROUNDS)
@example(rounds=[[("statement", 0, 1), ("statement", 0, 2)]])  # one record changed twice in one round
def test_changed_only_publishes_what_a_full_publish_would(
    rounds: list[list[tuple[str, int, int]]],
    published: str,
    records: dict[str, list[tuple[Any, ...]]],
    bureau_files: BureauFiles,
) -> None:
    with copy_of(published) as url:
        engine = make_engine(url)
        done = 0
        for changes in rounds:
            for kind, pick, value in changes:
                table, frame = _change(kind, pick, value, records, done)
                done += 1
                report = ingest_frame(frame, table, engine, source=f"test {kind}")
                assert report.quarantined == 0, report.problems
            changed = publish_month(url, END, changed_only=True)
            assert changed.consumers <= sum(len(c) for c in rounds) * 2 + 5  # only the owners of changes
        model = load_artifact(bureau_files.model)
        expected = _expected(url, model)
        with engine.connect() as conn:
            stored = current_rows(conn, model.model_id, END, expected)
        engine.dispose()
        assert {c: d for c, (_, d) in stored.items()} == expected
        full = publish_month(url, END)
        assert (full.new, full.superseded, full.unchanged) == (0, 0, len(expected))


def test_the_example_changes_do_change_scores(
    published: str, records: dict[str, list[tuple[Any, ...]]]
) -> None:
    """The property above is not vacuous: a statement made 150 days late moves its owner's score."""
    with copy_of(published) as url:
        engine = make_engine(url)
        recent = [r for r in records["statements"] if str(r[1]) >= "2026-01"]
        changes = [_change("statement", records["statements"].index(r), 150, records) for r in recent]
        # One batch of the ~130 late statements (distinct records, one row each), not one batch per row: the
        # same current records, a fraction of the time (the property above ingests change by change).
        report = ingest_frame(pl.concat([frame for _, frame in changes]), "statements", engine, source="late")
        assert report.quarantined == 0 and len(changes) > 10, report.problems
        engine.dispose()
        published_report = publish_month(url, END, changed_only=True)
        assert published_report.superseded > 0 and published_report.new == 0
