"""Damaged text loses no valid row (issue 11): a stray quote, a NUL byte, bytes that are not UTF-8 and a
file cut inside its last value are each quarantined as the row they break, with a reason naming it; every
other row loads, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from lucidscore.ingest import ingest_file, ingest_frame, quarantine_path, read_quarantine
from lucidscore.store import make_engine, migrate, raw_table
from tests.ingest import _data

CONSUMER_HEADER = "consumer_id,identity_verified,address_since,reported_at\n"


def _consumer_line(i: int) -> str:
    return f"C{i:04d},true,2020-01-01,2026-01-01T00:00:00\n"


def _stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(r[0]) for r in conn.execute(select(raw_table("consumers").c.consumer_id))}


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ('"C0030,true,2020-01-01,2026-01-01T00:00:00\n', r"quoted value is not closed on this line"),
        ('C0030,true,"2020-01-01,2026-01-01T00:00:00\n', r"quoted value is not closed on this line"),
        ('C00"30,true,2020-01-01,2026-01-01T00:00:00\n', r"stray '\"' inside a value"),
        ('"C0030"x,true,2020-01-01,2026-01-01T00:00:00\n', r"stray '\"' inside a value"),
    ],
    ids=["opening quote", "opening quote later", "quote inside", "text after closing quote"],
)
def test_a_stray_quote_quarantines_only_its_own_row(
    tmp_path: Path, engine: Engine, broken: str, reason: str
) -> None:
    lines = [_consumer_line(i) for i in range(101)]
    lines[30] = broken  # file line 32 (the header is line 1)
    path = tmp_path / "consumers.csv"
    path.write_text(CONSUMER_HEADER + "".join(lines), encoding="utf-8")
    report = ingest_file(path, "consumers", engine)
    assert (report.read, report.inserted, report.quarantined) == (101, 100, 1)
    assert len(report.problems) == 1
    assert report.problems[0].startswith("consumers.csv row 32: "), report.problems
    assert re.search(reason, report.problems[0]), report.problems
    assert _stored_ids(engine) == {f"C{i:04d}" for i in range(101)} - {"C0030"}


def test_properly_quoted_values_load(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "consumers.csv"
    path.write_text(
        CONSUMER_HEADER
        + '"C1","true","2020-01-01","2026-01-01T00:00:00"\n'
        + '"C,2",true,,2026-01-01\n'
        + '"C""3",true,,2026-01-01\r\n',
        encoding="utf-8",
    )
    report = ingest_file(path, "consumers", engine)
    assert (report.inserted, report.quarantined) == (3, 0), report.problems
    assert _stored_ids(engine) == {"C1", "C,2", 'C"3'}


def test_rows_after_damaged_lines_keep_their_numbers(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "consumers.csv"
    path.write_bytes(
        (CONSUMER_HEADER + '"C1,true,,2026-01-01\n' + _consumer_line(2)).encode()
        + b"C\xe93,true,,2026-01-01\n"
        + b"C4,maybe,,2026-01-01\n"
    )
    report = ingest_file(path, "consumers", engine)
    assert (report.read, report.inserted, report.quarantined) == (4, 1, 3)
    rows = [int(p.split(" row ")[1].split(":")[0]) for p in report.problems]
    assert rows == [2, 4, 5]


@pytest.mark.parametrize("where", ["consumer_id", "address_since"])
def test_a_nul_byte_quarantines_its_row_and_the_rest_loads(
    tmp_path: Path, engine: Engine, where: str
) -> None:
    lines = [_consumer_line(i) for i in range(40)]
    lines[7] = (
        "C00\x0007,true,2020-01-01,2026-01-01\n"
        if where == "consumer_id"
        else "C0007,true,2020-\x0001-01,2026-01-01\n"
    )
    path = tmp_path / "consumers.csv"
    path.write_text(CONSUMER_HEADER + "".join(lines), encoding="utf-8")
    report = ingest_file(path, "consumers", engine)
    assert (report.read, report.inserted, report.quarantined) == (40, 39, 1)
    assert report.problems[0].startswith(f"consumers.csv row 9: {where} is "), report.problems
    assert "a NUL character (0x00)" in report.problems[0]
    assert len(_stored_ids(engine)) == 39
    quarantine = read_quarantine(quarantine_path(path))
    assert "\x00" not in quarantine_path(path).read_text(encoding="utf-8")
    assert quarantine["value"][0].replace("\\x00", "") in {"C0007", "2020-01-01"}


def test_a_nul_byte_in_parquet_text(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "consumers.parquet"
    pl.DataFrame(
        {
            "consumer_id": ["C1", "C\x002", "C3"],
            "identity_verified": [True, True, False],
            "address_since": [None, None, None],
            "reported_at": ["2026-01-01"] * 3,
        },
        schema_overrides={"address_since": pl.Date},
    ).write_parquet(path)
    report = ingest_file(path, "consumers", engine)
    assert (report.inserted, report.quarantined) == (2, 1)
    assert report.problems[0].startswith("consumers.parquet row 2: consumer_id is 'C\\\\x002'; ")


def test_bytes_that_are_not_utf8_quarantine_their_row(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "consumers.csv"
    path.write_bytes(
        CONSUMER_HEADER.encode()
        + _consumer_line(1).encode()
        + b"Caf\xe9,true,,2026-01-01\n"
        + b"C\xed\xa0\x80x,true,,2026-01-01\n"  # a UTF-16 surrogate encoded as UTF-8: not valid UTF-8
        + _consumer_line(4).encode()
    )
    report = ingest_file(path, "consumers", engine)
    assert (report.read, report.inserted, report.quarantined) == (4, 2, 2)
    assert report.problems[0] == (
        "consumers.csv row 3: consumer_id is 'Caf\\\\xe9'; byte 0xe9 is not UTF-8; expected UTF-8 text "
        "(re-save the file as UTF-8)"
    )
    assert report.problems[1].startswith("consumers.csv row 4: consumer_id is 'C\\\\xed\\\\xa0\\\\x80x'; ")


def test_a_lone_surrogate_in_memory_is_quarantined(tmp_path: Path, engine: Engine) -> None:
    frame = pd.DataFrame(
        {
            "consumer_id": ["C1", "C\ud8002"],
            "identity_verified": [True, True],
            "address_since": [None, None],
            "reported_at": ["2026-01-01", "2026-01-01"],
        },
        dtype=object,  # pandas' own string type refuses a lone surrogate; Python objects hold one
    )
    report = ingest_frame(frame, "consumers", engine)
    assert (report.inserted, report.quarantined) == (1, 1)
    assert report.problems == (
        "frame row 2: consumer_id is 'C\\\\ud8002'; a lone surrogate (\\ud800) is not text; "
        "expected UTF-8 text",
    )


INCOME_HEADER = "consumer_id,period,verified,reported_at,amount\n"  # any column order is accepted


def test_a_file_cut_inside_its_last_value_never_loads_a_wrong_value(tmp_path: Path, engine: Engine) -> None:
    data = _data.write(tmp_path / "d", {"consumers": _data.CONSUMERS})
    ingest_file(data / "consumers.csv", "consumers", engine)
    path = data / "income.csv"
    whole = INCOME_HEADER + "C1,2025-01,true,2026-01-01,2100\nC1,2025-02,true,2026-01-01,1218.34\n"
    path.write_text(whole[: whole.rindex("18.34")], encoding="utf-8")  # '...,12' and no line end
    report = ingest_file(path, "income", engine)
    assert (report.read, report.inserted, report.quarantined) == (2, 1, 1)
    assert report.problems == (
        "income.csv row 3: the last line has no line end, so it may have been cut off inside its last "
        "value (was the file truncated?); if it is complete, end it with a line break and load the file "
        "again: 'C1,2025-02,true,2026-01-01,12'",
    )
    with engine.connect() as conn:
        amounts = conn.execute(text("SELECT amount FROM income")).scalars().all()
    assert amounts == [2100.0]
    # Completing the line and loading again adds exactly that row.
    path.write_text(whole, encoding="utf-8")
    again = ingest_file(path, "income", engine)
    assert (again.inserted, again.unchanged, again.quarantined) == (1, 1, 0)


def test_a_file_cut_inside_a_quoted_value(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "consumers.csv"
    path.write_text(CONSUMER_HEADER + _consumer_line(1) + '"C2,true', encoding="utf-8")
    report = ingest_file(path, "consumers", engine)
    assert (report.inserted, report.quarantined) == (1, 1)
    assert report.problems[0].startswith(
        "consumers.csv row 3: the last line is cut off inside a quoted value and has no line end"
    )


def test_a_file_cut_inside_a_multibyte_character(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "consumers.csv"
    path.write_bytes((CONSUMER_HEADER + _consumer_line(1) + "Cé").encode()[:-1])
    report = ingest_file(path, "consumers", engine)
    assert (report.inserted, report.quarantined) == (1, 1)
    assert report.problems[0].startswith(
        "consumers.csv row 3: the last line is cut off inside a UTF-8 character and has no line end"
    )


def test_a_last_line_with_its_line_end_loads(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "consumers.csv"
    path.write_text(CONSUMER_HEADER + _consumer_line(1) + _consumer_line(2).rstrip("\n") + "\r\n")
    assert ingest_file(path, "consumers", engine).inserted == 2


# Spreadsheet formulas in the quarantine file (issue 11): neutralised, and the rule can be undone.


def test_quarantine_cells_cannot_run_as_formulas(tmp_path: Path, engine: Engine) -> None:
    data = _data.write(tmp_path / "d", {"consumers": _data.CONSUMERS})
    ingest_file(data / "consumers.csv", "consumers", engine)
    path = data / "accounts.csv"
    values = ['=HYPERLINK("http://x.invalid","y")', "+1+2", "-1", "@SUM(A1)", "'quoted"]
    quoted = ['"' + v.replace('"', '""') + '"' for v in values]
    lines = [f"A{i},C1,{v},2021-01-01,,,,2026-01-01\n" for i, v in enumerate(quoted)]
    path.write_text(_data.ACCOUNTS.splitlines()[0] + "\n" + "".join(lines), encoding="utf-8")
    report = ingest_file(path, "accounts", engine)
    assert report.quarantined == len(values)
    raw = pl.read_csv(quarantine_path(path), infer_schema=False)
    assert raw["value"].to_list() == [
        '\'=HYPERLINK("http://x.invalid","y")',
        "'+1+2",
        "'-1",
        "'@SUM(A1)",
        "''quoted",
    ]
    assert all(str(v)[0] not in "=+-@\t\r" for col in raw.columns for v in raw[col] if v)
    # read_quarantine undoes the rule exactly.
    assert read_quarantine(quarantine_path(path))["value"].to_list() == values


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.text(alphabet=st.sampled_from("=+-@'\t1a,\"é "), max_size=6), min_size=1))
def test_neutralising_round_trips_for_any_text(values: list[str]) -> None:
    import tempfile

    from lucidscore.ingest import write_quarantine_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "q.csv"
        problems = pl.DataFrame(
            {
                "row": list(range(2, len(values) + 2)),
                "column": ["kind"] * len(values),
                "value": values,
                "reason": ["r"] * len(values),
            }
        )
        write_quarantine_file(problems, path)
        assert read_quarantine(path)["value"].to_list() == values
        cells = pl.read_csv(path, infer_schema=False)["value"].fill_null("").to_list()
        assert all(c == "" or c[0] not in "=+-@\t\r" for c in cells)


def test_damaged_rows_on_both_databases_are_counted_once(tmp_path: Path, db_url: str) -> None:
    """Quarantined + inserted = rows, and nothing half-stored, for a file with every kind of damage."""
    engine = make_engine(db_url)
    migrate(engine)
    path = tmp_path / "consumers.csv"
    path.write_bytes(
        CONSUMER_HEADER.encode()
        + b'"C1,true,,2026-01-01\n'
        + b"C\x002,true,,2026-01-01\n"
        + b"C\xff3,true,,2026-01-01\n"
        + b"C4,true,,2026-01-01\n"
        + b"C5,true,,2026-0"
    )
    report = ingest_file(path, "consumers", engine)
    assert (report.read, report.inserted, report.quarantined) == (5, 1, 4)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(raw_table("consumers"))).scalar_one() == 1
    engine.dispose()
