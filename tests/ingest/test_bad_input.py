"""Bad input: every fault is named with file, row and column; bad rows are quarantined, good rows load."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from lucidscore.errors import InputError
from lucidscore.ingest import ingest_file, quarantine_path
from lucidscore.store import raw_table
from tests.ingest import _data

HEADER = "account_id,period,balance,amount_due,amount_paid,days_past_due,reported_at\n"
GOOD = "A1,2025-01,100,10,10,0,2026-01-01\n"


@pytest.fixture
def loaded(tmp_path: Path, engine: Engine) -> Path:
    """Consumers and accounts stored; returns a directory for the statements file under test."""
    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS, "accounts": _data.ACCOUNTS})
    ingest_file(data / "consumers.csv", "consumers", engine)
    ingest_file(data / "accounts.csv", "accounts", engine)
    return data


# (case, rows after the header and one good row, row quarantined, column, message)
ROW_CASES = [
    (
        "wrong type",
        "A1,2025-02,abc,10,10,0,2026-01-01\n",
        3,
        "balance",
        r"row 3: balance is 'abc'; expected a number$",
    ),
    (
        "negative balance",
        "A1,2025-02,-5,10,10,0,2026-01-01\n",
        3,
        "balance",
        r"row 3: balance is '-5'; expected a number ≥ 0",
    ),
    (
        "more money than any record holds",  # 1e33 made the features fail (1e300 vanished from sums)
        "A1,2025-02,1e33,10,10,0,2026-01-01\n",
        3,
        "balance",
        r"row 3: balance is '1e33'; expected a number ≤ 1e\+12",
    ),
    (
        "days past due below 0",
        "A1,2025-02,5,10,10,-3,2026-01-01\n",
        3,
        "days_past_due",
        r"row 3: days_past_due is '-3'; expected an integer ≥ 0",
    ),
    (
        "fraction of a day",
        "A1,2025-02,5,10,10,1.5,2026-01-01\n",
        3,
        "days_past_due",
        r"days_past_due is '1.5'; expected an integer$",
    ),
    (
        "future month",
        "A1,2099-02,5,10,10,0,2026-01-01\n",
        3,
        "period",
        r"row 3: period is '2099-02'; in the future; expected a month on or before",
    ),
    (
        "future reported_at",
        "A1,2025-02,5,10,10,0,2099-01-01\n",
        3,
        "reported_at",
        r"reported_at is '2099-01-01'; in the future",
    ),
    (
        "bad month",
        "A1,2025-13,5,10,10,0,2026-01-01\n",
        3,
        "period",
        r"period is '2025-13'; expected a month YYYY-MM",
    ),
    (
        "empty required",
        "A1,,5,10,10,0,2026-01-01\n",
        3,
        "period",
        r"row 3: period is empty; expected a month YYYY-MM \(the column is required\)",
    ),
    (
        "unknown account",
        "A9,2025-02,5,10,10,0,2026-01-01\n",
        3,
        "account_id",
        r"row 3: account_id is 'A9'; unknown account_id: no such account_id in accounts",
    ),
    (
        "duplicated key",
        "A2,2025-02,5,10,10,0,2026-01-01\nA2,2025-02,6,10,10,0,2026-01-01\n",
        3,
        "account_id+period",
        r"row 3: account_id\+period is 'A2\|2025-02'; duplicated key in this file \(also at row 4\)",
    ),
    (
        "decimal comma",
        'A2,2025-02,"12,5",10,10,0,2026-01-01\n',
        3,
        "balance",
        r"row 3: balance is '12,5'; a number written with a comma, which lucidscore does not read "
        r"\(a decimal comma or a thousands separator\); expected a number with a decimal point",
    ),
    (
        "thousands separator",
        'A2,2025-02,5,10,10,"1,234",2026-01-01\n',
        3,
        "days_past_due",
        r"row 3: days_past_due is '1,234'; a number written with a comma, .*; expected an integer without "
        r"separators",
    ),
    (
        "too few fields",
        "A1,2025-02,5\n",
        3,
        "(line)",
        r"row 3: 3 fields; expected 7 as in the header: 'A1,2025-02,5'",
    ),
]


@pytest.mark.parametrize(
    ("case", "rows", "bad_row", "column", "match"), ROW_CASES, ids=[c[0] for c in ROW_CASES]
)
def test_bad_rows_are_quarantined_with_reasons(
    loaded: Path, engine: Engine, case: str, rows: str, bad_row: int, column: str, match: str
) -> None:
    path = loaded / "statements.csv"
    path.write_text(HEADER + GOOD + rows, encoding="utf-8")
    report = ingest_file(path, "statements", engine)
    n_bad = rows.count("\n")
    assert (report.read, report.quarantined, report.inserted) == (1 + n_bad, n_bad, 1)
    assert any(re.search(match, p) for p in report.problems), report.problems
    assert all(p.startswith("statements.csv row ") for p in report.problems)
    quarantine = pl.read_csv(quarantine_path(path), infer_schema=False)
    assert quarantine.columns == ["row", "column", "value", "reason"]
    assert (str(bad_row), column) in set(zip(quarantine["row"], quarantine["column"], strict=True))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(raw_table("statements"))).scalar_one() == 1


def test_truncated_last_line_is_quarantined_and_the_rest_loads(loaded: Path, engine: Engine) -> None:
    path = loaded / "statements.csv"
    path.write_text(HEADER + GOOD + "A2,2025-01,0,500", encoding="utf-8")  # no line end: cut off
    report = ingest_file(path, "statements", engine)
    assert (report.inserted, report.quarantined) == (1, 1)
    assert report.problems == (
        "statements.csv row 3: the last line is cut off: 4 of 7 fields and no line end "
        "(was the file truncated?): 'A2,2025-01,0,500'",
    )


def test_rows_are_counted_after_a_skipped_line(loaded: Path, engine: Engine) -> None:
    """Row numbers stay those of the file even after a line the parser had to skip."""
    path = loaded / "statements.csv"
    path.write_text(HEADER + "A1,2025-02\n" + GOOD + "A1,2025-03,-1,1,1,0,2026-01-01\n", encoding="utf-8")
    report = ingest_file(path, "statements", engine)
    assert report.problems[1].startswith("statements.csv row 4: balance is '-1'")


def test_an_enumeration_outside_its_choices(loaded: Path, engine: Engine) -> None:
    path = loaded / "accounts2.csv"
    path.write_text(
        _data.ACCOUNTS.splitlines()[0] + "\nA7,C1,payday,2021-01-01,,,,2026-01-01\n", encoding="utf-8"
    )
    report = ingest_file(path, "accounts", engine)
    assert report.problems == (
        "accounts2.csv row 2: kind is 'payday'; expected one of revolving, instalment, mortgage, rent, "
        "utility, telecom",
    )


def test_a_future_date_in_a_date_column(loaded: Path, engine: Engine) -> None:
    path = loaded / "consumers2.csv"
    path.write_text(_data.CONSUMERS.splitlines()[0] + "\nC8,true,2099-01-01,2026-01-01\n", encoding="utf-8")
    report = ingest_file(path, "consumers", engine)
    assert report.problems[0].startswith(
        "consumers2.csv row 2: address_since is '2099-01-01'; in the future; expected a date on or before"
    )


# File-level faults: nothing loads, one clear line.
FILE_CASES = [
    (
        "missing column",
        "account_id,period,balance,amount_due,amount_paid,reported_at\n" + GOOD,
        r"statements.csv row 1: missing column\(s\) days_past_due; expected the statements columns",
    ),
    (
        "unexpected column",
        HEADER.strip() + ",colour\n" + GOOD.strip() + ",red\n",
        r"statements.csv row 1: unexpected column\(s\) colour; expected the statements columns account_id",
    ),
    (
        "renamed column",
        HEADER.replace("balance", "balanse") + GOOD,
        r"missing column\(s\) balance; unexpected column\(s\) balanse",
    ),
    (
        "empty file",
        "",
        r"statements.csv: the file is empty; expected a header row naming the statements columns",
    ),
    ("blank file", "\n\n", r"statements.csv: the file is empty; expected a header row"),
    *(
        (
            f"separated by {said}",
            (HEADER + GOOD).replace(",", sep),
            rf"statements.csv row 1: the columns are separated by {said}; expected a comma-separated file",
        )
        for sep, said in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars"))
    ),
]


@pytest.mark.parametrize(("case", "content", "match"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_file_level_faults_are_refused(
    loaded: Path, engine: Engine, case: str, content: str, match: str
) -> None:
    path = loaded / "statements.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        ingest_file(path, "statements", engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(raw_table("statements"))).scalar_one() == 0


def test_non_utf8_bytes_quarantine_their_row_and_the_rest_loads(loaded: Path, engine: Engine) -> None:
    """Issue 11: a byte that is not UTF-8 costs its own row, named with the byte, not the whole file."""
    path = loaded / "statements.csv"
    path.write_bytes(
        (HEADER + GOOD).encode() + "A2,2025-01,0,500,500,0,2026-01-01 caf\xe9\n".encode("latin-1")
    )
    report = ingest_file(path, "statements", engine)
    assert (report.read, report.inserted, report.quarantined) == (2, 1, 1)
    assert report.problems == (
        "statements.csv row 3: reported_at is '2026-01-01 caf\\\\xe9'; byte 0xe9 is not UTF-8; "
        "expected UTF-8 text (re-save the file as UTF-8)",
    )


def test_a_header_that_is_not_utf8_is_refused(loaded: Path, engine: Engine) -> None:
    path = loaded / "statements.csv"
    path.write_bytes(HEADER.replace("balance", "balanc\xe9").encode("latin-1") + GOOD.encode())
    with pytest.raises(
        InputError, match=r"statements.csv row 1: byte 0xe9 of the header is not UTF-8; expected a UTF-8"
    ):
        ingest_file(path, "statements", engine)


def test_missing_file_and_unknown_table(tmp_path: Path, engine: Engine) -> None:
    with pytest.raises(InputError, match=r"nope.csv: no such file"):
        ingest_file(tmp_path / "nope.csv", "statements", engine)
    with pytest.raises(
        InputError, match=r"table 'statement' is unknown; expected one of consumers, accounts"
    ):
        ingest_file(tmp_path / "nope.csv", "statement", engine)


def test_a_damaged_parquet_file(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "consumers.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(InputError, match=r"consumers.parquet: not a readable Parquet file"):
        ingest_file(path, "consumers", engine)


def test_header_only_file_loads_nothing(loaded: Path, engine: Engine) -> None:
    path = loaded / "statements.csv"
    path.write_text(HEADER, encoding="utf-8")
    report = ingest_file(path, "statements", engine)
    assert (report.read, report.inserted, report.quarantined) == (0, 0, 0)


def test_quarantine_file_is_removed_when_the_file_is_fixed(loaded: Path, engine: Engine) -> None:
    path = loaded / "statements.csv"
    path.write_text(HEADER + GOOD + "A1,2025-02,-5,10,10,0,2026-01-01\n", encoding="utf-8")
    assert ingest_file(path, "statements", engine).quarantine_path == quarantine_path(path)
    path.write_text(HEADER + GOOD, encoding="utf-8")
    assert ingest_file(path, "statements", engine).quarantine_path is None
    assert not quarantine_path(path).exists()


def test_typed_parquet_values_are_checked_too(loaded: Path, engine: Engine) -> None:
    path = loaded / "statements.parquet"
    pl.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A3"],
            "period": ["2025-01", "2025-02", "2025-01", "2025-01"],
            "balance": [100.0, -1.0, float("nan"), 5.0],
            "amount_due": [10.0, 10.0, 10.0, 10.0],
            "amount_paid": [10.0, 10.0, 10.0, 10.0],
            "days_past_due": [0, 0, 0, -3],
            "reported_at": [datetime(2026, 1, 1)] * 3 + [datetime(2099, 1, 1)],
        }
    ).write_parquet(path)
    report = ingest_file(path, "statements", engine)
    assert (report.inserted, report.quarantined) == (1, 3)
    assert report.problems == (
        "statements.parquet row 2: balance is '-1.0'; expected a number ≥ 0",
        "statements.parquet row 3: balance is 'NaN'; expected a number",
        "statements.parquet row 4: days_past_due is '-3'; expected an integer ≥ 0",
        "statements.parquet row 4: reported_at is '2099-01-01 00:00:00.000000'; in the future; "
        f"expected a time on or before {report.problems[3][-19:]}",
    )


def test_blank_lines_are_skipped_and_rows_keep_their_numbers(loaded: Path, engine: Engine) -> None:
    path = loaded / "statements.csv"
    path.write_text(HEADER + GOOD + "\n,,,,,,\n" + "A1,2025-02,-1,1,1,0,2026-01-01\n\n", encoding="utf-8")
    report = ingest_file(path, "statements", engine)
    assert (report.read, report.inserted, report.quarantined) == (2, 1, 1)
    assert report.problems == ("statements.csv row 5: balance is '-1'; expected a number ≥ 0",)


def test_an_identifier_longer_than_the_service_keeps_is_quarantined(tmp_path: Path, engine: Engine) -> None:
    """A consumer id of 65 characters or of 100,000 used to load, and a publish on PostgreSQL then failed
    half way (the service keeps ids in 64 characters); now its row is quarantined, and the message shows
    the start of a long value and its length, not the whole value."""
    path = tmp_path / "consumers.csv"
    ids = ["C" * 64, "é" * 65, "x" * 100_000]
    path.write_text(
        "consumer_id,identity_verified,address_since,reported_at\n"
        + "".join(f"{i},true,2019-01-01,2026-01-01\n" for i in ids),
        encoding="utf-8",
    )
    report = ingest_file(path, "consumers", engine)
    assert (report.read, report.inserted, report.quarantined) == (3, 1, 2)
    expected = "; longer than 64 characters; expected at most 64"
    assert report.problems == (
        f"consumers.csv row 3: consumer_id is {'é' * 65!r}{expected}",
        f"consumers.csv row 4: consumer_id is {'x' * 80!r}… (100,000 characters){expected}",
    )
    with engine.connect() as conn:
        stored = conn.execute(select(raw_table("consumers").c.consumer_id)).scalars().all()
    assert stored == ["C" * 64]
