"""``lucidscore ingest`` through its real entry point: counts table, quarantine paths, one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lucidscore.cli import main as cli_main
from lucidscore.cli.main import app
from tests.ingest import _data


def _main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run ``lucidscore.cli.main.main`` (the console script) in-process; return (exit code, out, err)."""
    monkeypatch.setattr(sys, "argv", ["lucidscore", *args])
    monkeypatch.setenv("COLUMNS", "250")
    code = 0
    try:
        cli_main.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _table(out: str) -> dict[str, list[str]]:
    """The rows of the printed counts table: file name -> cells."""
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_ingest_directory_prints_counts_per_file(tmp_path: Path) -> None:
    data = _data.write(tmp_path / "data")
    (data / "statements.csv").write_text(
        _data.STATEMENTS + "A1,2025-03,-1,0,0,0,2026-01-01\n", encoding="utf-8"
    )
    db = f"sqlite:///{tmp_path / 'l.db'}"
    result = CliRunner().invoke(
        app, ["ingest", str(data), "--db", db, "--no-progress"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    out = result.output
    for header in ("read", "accepted", "quarantined", "inserted", "superseded", "unchanged"):
        assert header in out
    assert _table(out)["statements.csv"] == ["statements", "5", "4", "1", "4", "0", "0"]
    assert _table(out)["total"] == ["", "16", "15", "1", "15", "0", "0"]
    assert f"1 row(s) of statements.csv quarantined: {data / 'statements.csv.quarantine.csv'}" in out
    assert "statements.csv row 6: balance is '-1'; expected a number ≥ 0" in out
    again = CliRunner().invoke(
        app, ["ingest", str(data), "--db", db, "--no-progress"], env={"COLUMNS": "250"}
    )
    assert _table(again.output)["consumers.csv"] == ["consumers", "3", "3", "0", "0", "0", "3"]


def test_ingest_one_file_with_progress(tmp_path: Path) -> None:
    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS})
    path = data / "people.csv"
    (data / "consumers.csv").rename(path)
    db = f"sqlite:///{tmp_path / 'l.db'}"
    result = CliRunner().invoke(
        app, ["ingest", str(path), "--table", "consumers", "--db", db], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert _table(result.output)["people.csv"] == ["consumers", "3", "3", "0", "3", "0", "0"]


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        (
            {"accounts": _data.ACCOUNTS},
            [],
            r"no consumers.csv / consumers.parquet; the consumers table is required",
        ),
        (
            {"consumers": "consumer_id,verified\nC1,true\n"},
            [],
            r"consumers.csv row 1: missing column\(s\) identity_verified",
        ),
        ({"consumers": ""}, [], r"consumers.csv: the file is empty"),
        ({"consumers": _data.CONSUMERS}, ["--table", "consumers"], r"--table applies to a single file"),
    ],
    ids=["missing consumers", "wrong columns", "empty file", "table with directory"],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    import re

    data = _data.write(tmp_path / "data", files)
    code, out, err = _main(
        ["ingest", str(data), "--db", f"sqlite:///{tmp_path / 'l.db'}", "--no-progress", *args],
        monkeypatch,
        capsys,
    )
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err
    assert "Traceback" not in err + out


def test_a_file_of_unknown_table_asks_for_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(_data.CONSUMERS, encoding="utf-8")
    code, _, err = _main(["ingest", str(path), "--db", f"sqlite:///{tmp_path / 'l.db'}"], monkeypatch, capsys)
    assert code == 2
    assert "people.csv: cannot tell which table this file holds; pass --table (one of consumers" in err


def test_non_utf8_row_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11: the row with a byte that is not UTF-8 is quarantined; the others load; exit 0."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "consumers.csv").write_bytes(
        _data.CONSUMERS.encode() + "C\xf6,true,,2026-01-01\n".encode("latin-1")
    )
    code, out, _ = _main(
        ["ingest", str(data), "--db", f"sqlite:///{tmp_path / 'l.db'}", "--no-progress"], monkeypatch, capsys
    )
    assert code == 0
    assert _table(out)["consumers.csv"] == ["consumers", "4", "3", "1", "3", "0", "0"]
    assert "consumers.csv row 5: consumer_id is 'C\\\\xf6'; byte 0xf6 is not UTF-8" in out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "sqlite:///{tmp}/no/such/folder/l.db",
            r"^error: sqlite:///.+/no/such/folder/l.db: cannot open the database: the folder "
            r".+/no/such/folder does not exist; create it first or give another path$",
        ),
        (
            "postgresql://lucid@127.0.0.1:1/nothing",
            r"^error: postgresql://lucid@127.0.0.1:1/nothing: cannot connect to the database \(.+\); is the "
            r"server running, and are the host, port, user and database name right\?$",
        ),
    ],
    ids=["sqlite missing folder", "postgresql unreachable"],
)
def test_an_unusable_database_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    message: str,
) -> None:
    import re

    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS})
    for target in (data, data / "consumers.csv"):
        code, out, err = _main(
            ["ingest", str(target), "--db", url.format(tmp=tmp_path), "--no-progress"], monkeypatch, capsys
        )
        assert code == 2, out + err
        assert len(err.strip().splitlines()) == 1, err
        assert re.search(message, err.strip()), err
        assert "Traceback" not in out + err
