"""Library errors name the parameter a Python caller passed; the CLI says the flag its user typed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from lucidscore.cli._flags import flags
from lucidscore.cli.main import message_of
from lucidscore.errors import InputError, PolicyViolation


def _main(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from lucidscore.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def test_flags_says_the_commands_flag_for_a_parameter_it_names() -> None:
    with pytest.raises(InputError) as info, flags(columns="--audit-columns"):
        raise InputError.about("columns", "audit.csv has no audit column(s) RACE")
    assert str(info.value) == "--audit-columns: audit.csv has no audit column(s) RACE"
    assert info.value.parameter is None  # said once, as the flag
    with (
        pytest.raises(PolicyViolation, match=r"^parameter cutoff: x") as other,
        flags(columns="--audit-columns"),
    ):
        raise PolicyViolation.about("cutoff", "x")  # not one it names: left for main
    assert message_of(other.value) == "--cutoff: x"


def test_python_callers_are_told_the_parameter(tmp_path: Path) -> None:
    from lucidscore.demo import build_demo
    from lucidscore.ingest import find_table_files
    from lucidscore.score import score_file

    with pytest.raises(InputError, match=r"^parameter reasons: -1 is below 0; expected 0 or more"):
        score_file(tmp_path / "m.json", tmp_path / "d.csv", tmp_path / "o.parquet", reasons=-1)
    a_file = tmp_path / "consumers.csv"
    a_file.write_text("consumer_id\nC1\n")
    with pytest.raises(InputError, match=r"^parameter directory: \S+consumers.csv is not a directory"):
        find_table_files(a_file)
    with pytest.raises(InputError, match=r"^parameter consumers: 100: the demo needs at least 200 consumers"):
        build_demo(tmp_path / "demo", consumers=100)
    with pytest.raises(InputError, match=r"^parameter directory: \S+consumers.csv is a file; expected a dir"):
        build_demo(a_file, consumers=300)


def test_a_database_that_cannot_be_read_names_the_source_and_the_cli_says_db(tmp_path: Path) -> None:
    from lucidscore.features import compute_features

    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"
    with pytest.raises(InputError, match=r"^parameter source: sqlite:///\S+x.db: cannot read the database"):
        compute_features(url, date(2025, 6, 30))
    # The CLI opens the database first (open_database: its own line, naming the missing folder) ...
    result = _main("features", "--db", url, "--as-of", "2025-06-30", "--out", str(tmp_path / "f.parquet"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: database {url}: the folder "), result.stderr
    # ... and says --db for the library's source parameter: a database that opens but was never ingested.
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    url = f"sqlite:///{empty}"
    with pytest.raises(InputError, match=r"^parameter source: sqlite:///\S+empty.db: the consumers table is"):
        compute_features(url, date(2025, 6, 30))
    result = _main("features", "--db", url, "--as-of", "2025-06-30", "--out", str(tmp_path / "f.parquet"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --db: {url}: the consumers table is missing"), result.stderr


def test_the_demo_cli_says_dir(tmp_path: Path) -> None:
    a_file = tmp_path / "here"
    a_file.write_text("mine")
    result = _main("demo", "--dir", str(a_file), "--no-serve", "--rebuild", "--consumers", "300")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: --dir: {a_file} is a file; expected a directory for the demo"
