"""``lucidscore publish`` through the real entry point, on SQLite and PostgreSQL: a month is written once
(publishing it again changes nothing), a correction published later supersedes with a trail,
``--changed-only`` gives what a full publish gives, the service shows a new month at once, and every
mistake is one clear line."""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lucidscore.store import make_engine
from tests.fixtures.bureau import END, PREVIOUS, BureauFiles, Lucid

SUMMARY = re.compile(
    r"published (?P<as_of>\S+) with model (?P<model>\S+) \((?P<engine>\w+) engine(?P<changed>, changed "
    r"consumers only)?\): (?P<consumers>[\d,]+) consumers scored; (?P<new>[\d,]+) new, (?P<sup>[\d,]+) "
    r"superseded \(a changed score\), (?P<same>[\d,]+) unchanged \(no row\)"
)


def counts(out: str) -> tuple[int, int, int, int]:
    """(consumers, new, superseded, unchanged) from publish's last line."""
    found = SUMMARY.search(out)
    assert found is not None, out
    return tuple(int(found[k].replace(",", "")) for k in ("consumers", "new", "sup", "same"))  # type: ignore[return-value]


def ready(lucid: Lucid, url: str, files: BureauFiles) -> None:
    """Register and activate the bureau's model."""
    assert lucid("model", "register", str(files.model), "--db", url)[0] == 0
    code, out, err = lucid("model", "activate", files.model_id, "--db", url)
    assert code == 0, err
    assert "no month is published yet" in out


def history(url: str) -> list[tuple[int, str, str, int, int | None, int | None, str | None]]:
    """Every score_history row: (id, consumer, as_of, score, supersedes_id, publication_id, digest)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, consumer_id, as_of, score, supersedes_id, publication_id, content_digest "
                "FROM score_history ORDER BY id"
            )
        ).all()
    engine.dispose()
    return [(r[0], r[1], str(r[2])[:10], r[3], r[4], r[5], r[6]) for r in rows]


def publication_runs(url: str) -> list[tuple[int, str, int | None]]:
    """Every publish run recorded: (id, status, consumers scored)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status, consumers FROM publications ORDER BY id")).all()
    engine.dispose()
    return [(int(r[0]), str(r[1]), r[2]) for r in rows]


def current(url: str, as_of: date) -> dict[str, tuple[int, str]]:
    """consumer -> (score, digest) of the current row of ``as_of`` (the newest row of the month)."""
    out: dict[str, tuple[int, str]] = {}
    for _, cid, month, score, _, _, digest in history(url):
        if month == as_of.isoformat():
            out[cid] = (score, str(digest))
    return out


def test_publishing_a_month_twice_writes_it_once(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid
) -> None:
    ready(lucid, bureau_url, bureau_files)
    code, out, err = lucid("publish", "--db", bureau_url, "--as-of", END.isoformat())
    assert code == 0, err
    assert counts(out) == (1000, 1000, 0, 0)
    assert "features as of 2026-06-30" in err and "scores, reasons, recourse -> history" in err  # progress
    first = history(bureau_url)
    assert len(first) == 1000 and len({r[1] for r in first}) == 1000
    assert all(r[2] == "2026-06-30" and r[4] is None and r[5] is not None and r[6] for r in first)

    # Again: the month stands (same model, same code, no record changed): nobody is scored, nothing is
    # written, not even a publication.
    code, out, _ = lucid("publish", "--db", bureau_url, "--as-of", END.isoformat())
    assert code == 0 and SUMMARY.search(out) is None
    assert f"with model {bureau_files.model_id}: already published " in out
    assert "(publication 1); nothing changed since; nothing scored (--full scores it again)" in out
    assert history(bureau_url) == first and publication_runs(bureau_url) == [(1, "finished", 1000)]
    # --full scores everyone again and finds every score unchanged.
    code, out, _ = lucid("publish", "--db", bureau_url, "--as-of", END.isoformat(), "--full")
    assert code == 0 and counts(out) == (1000, 0, 0, 1000)
    assert history(bureau_url) == first
    assert publication_runs(bureau_url) == [(1, "finished", 1000), (2, "finished", 1000)]
    # --changed-only has nobody to rescore: the month stands as the --full run left it.
    code, out, _ = lucid("publish", "--db", bureau_url, "--as-of", END.isoformat(), "--changed-only")
    assert code == 0 and "already published " in out and "(publication 2); nothing changed since" in out
    assert history(bureau_url) == first and len(publication_runs(bureau_url)) == 2
    code, out, _ = lucid("audit", "verify", "--db", bureau_url)
    assert code == 0 and "score_history    ok          1,000 links" in out


def _late_consumer(url: str) -> tuple[str, pl.DataFrame]:
    """A consumer with late statements in the year before END, and those statements made on time."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.account_id, s.period, s.balance, s.amount_due, s.amount_due, 0, a.consumer_id "
                "FROM statements_current s JOIN accounts_current a ON a.account_id = s.account_id "
                "WHERE s.days_past_due >= 30 AND s.period >= '2025-07' AND a.kind = 'revolving' "
                "ORDER BY a.consumer_id, s.account_id, s.period"
            )
        ).all()
    engine.dispose()
    assert rows, "the synthetic bureau should have late revolving statements"
    consumer = rows[0][6]
    mine = [r for r in rows if r[6] == consumer]
    names = ["account_id", "period", "balance", "amount_due", "amount_paid", "days_past_due"]
    frame = pl.DataFrame(
        {n: [str(r[i]) for r in mine] for i, n in enumerate(names)}
        | {"reported_at": ["2026-07-02T00:00:00"] * len(mine)},
    )
    return consumer, frame


def test_a_correction_supersedes_and_changed_only_equals_a_full_publish(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid
) -> None:
    from lucidscore.ingest import ingest_frame

    ready(lucid, bureau_url, bureau_files)
    assert lucid("publish", "--db", bureau_url, "--as-of", END.isoformat())[0] == 0
    before = current(bureau_url, END)
    consumer, corrected = _late_consumer(bureau_url)
    engine = make_engine(bureau_url)
    report = ingest_frame(corrected, "statements", engine, source="test correction")
    engine.dispose()
    assert report.superseded == corrected.height

    code, out, err = lucid("publish", "--db", bureau_url, "--as-of", END.isoformat(), "--changed-only")
    assert code == 0, err
    scored, new, superseded, unchanged = counts(out)
    assert (scored, new, superseded, unchanged) == (1, 0, 1, 0)
    after = current(bureau_url, END)
    assert after[consumer][0] > before[consumer][0]  # the late payments no longer count against them
    assert {c: v for c, v in after.items() if c != consumer} == {
        c: v for c, v in before.items() if c != consumer
    }
    rows = history(bureau_url)
    new_row = rows[-1]
    old_row = next(r for r in rows if r[1] == consumer and r[0] != new_row[0])
    assert new_row[1] == consumer and new_row[4] == old_row[0]  # it names the row it supersedes
    assert len(rows) == 1001  # the superseded row stays: the trail

    code, out, _ = lucid("publish", "--db", bureau_url, "--as-of", END.isoformat(), "--full")
    assert code == 0 and counts(out) == (1000, 0, 0, 1000)  # a full publish finds nothing else to change
    assert lucid("audit", "verify", "--db", bureau_url)[0] == 0


def test_the_service_shows_a_new_month_at_once(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid
) -> None:
    from lucidscore.api import Settings, create_app
    from lucidscore.service import PipelineRescorer

    ready(lucid, bureau_url, bureau_files)
    code, out, _ = lucid(
        "admin", "create", "consumer", "pat", "--consumer-id", "C00000010", "--db", bureau_url
    )
    assert code == 0
    password = out.strip().rsplit(" ", 1)[-1]
    app = create_app(
        Settings(db_url=bureau_url, secret_key="t"), rescorer=PipelineRescorer(bureau_url)
    )  # started before any month is published, and never restarted
    client = TestClient(app)
    token = client.post("/v1/session", json={"username": "pat", "password": password}).json()["token"]
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {token}"
    assert client.get("/v1/me/score").status_code == 404

    for month in (PREVIOUS, END):
        assert lucid("publish", "--db", bureau_url, "--as-of", month.isoformat())[0] == 0
        score = client.get("/v1/me/score").json()
        assert score["as_of"] == month.isoformat() and score["model_id"] == bureau_files.model_id
        assert score["score"] == current(bureau_url, month)["C00000010"][0]
    assert [h["as_of"] for h in client.get("/v1/me/history").json()] == ["2026-05-31", "2026-06-30"]
    # Publishing an older month again (a correction of May; --full: scored again) does not hide June.
    assert lucid("publish", "--db", bureau_url, "--as-of", PREVIOUS.isoformat(), "--full")[0] == 0
    assert client.get("/v1/me/score").json()["as_of"] == "2026-06-30"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--as-of", "2026-06-31"],
            "error: --as-of: '2026-06-31' is not a date; expected YYYY-MM-DD, e.g. 2025-06-30",
        ),
        (
            ["--as-of", "2999-01-31"],
            "error: --as-of: 2999-01-31 is in the future; expected a date on or before ",
        ),
        (
            ["--as-of", "2026-06-30", "--full", "--changed-only"],
            "error: --full and --changed-only: give one; --full scores every consumer, --changed-only only "
            "those whose records changed since the month was last published",
        ),
        (
            ["--as-of", "2026-06-30"],
            "error: no active model: register one with lucidscore model register FILE, then lucidscore model "
            "activate MODEL_ID",
        ),
    ],
)
def test_each_mistake_is_one_line(bureau_url: str, lucid: Lucid, args: list[str], message: str) -> None:
    code, _, err = lucid("publish", "--db", bureau_url, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.strip().startswith(message), err


def test_changed_only_needs_a_full_publish_first(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid
) -> None:
    ready(lucid, bureau_url, bureau_files)
    code, _, err = lucid("publish", "--db", bureau_url, "--as-of", "2026-06-30", "--changed-only")
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        f"error: --changed-only: 2026-06-30 has not been published with model {bureau_files.model_id}; "
        "publish it in full first (without --changed-only)"
    )


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: object, lucid: Lucid) -> None:
    code, _, err = lucid("publish", "--db", "sqlite:////no/such/folder/x.db", "--as-of", "2026-06-30")
    assert (code, err.strip()) == (
        2,
        "error: database sqlite:////no/such/folder/x.db: the folder /no/such/folder does not exist; "
        "create it first",
    )
    code, _, err = lucid("publish", "--db", "postgresql://lucid@127.0.0.1:1/x", "--as-of", "2026-06-30")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(
        "error: database postgresql://lucid@127.0.0.1:1/x: cannot connect to the database ("
    )
    code, _, err = lucid("publish", "--db", "mysql://x/y", "--as-of", "2026-06-30")
    assert code == 2 and err.startswith(
        "error: --db: database URL 'mysql://x/y': driver 'mysql' is not supported"
    )


def test_a_month_in_the_future_is_refused_before_any_work(bureau_url: str, lucid: Lucid) -> None:
    tomorrow = date.today() + timedelta(days=1)
    code, _, err = lucid("publish", "--db", bureau_url, "--as-of", tomorrow.isoformat())
    assert code == 2 and "is in the future" in err
    engine = make_engine(bureau_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM publications")).scalar_one() == 0
    engine.dispose()
