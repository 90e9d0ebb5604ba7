"""Every command names a bad cell's row the same way (issue 12): in a CSV file the header is row 1, so the
row in a message is the line a text editor or spreadsheet shows; in Parquet, the 1-based position. The
tests find the line of the planted value in the file's text and compare each command's message with it —
ingest, train (with and without a held-out split, which must not renumber rows), score and evaluate."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from lucidscore.artifact import load_artifact
from lucidscore.cli.main import app
from tests.ingest import _data
from tests.model._sim import credit_table
from tests.score.cards import two_cards
from tests.score.test_local import applicants

JUNK = "junk!"
POSITIONS = [0, 7, 233]  # 0-based data rows: the first, an early one, one past a few hundred


def _line_of(path: Path, token: str) -> int:
    """The 1-based line of ``path`` holding ``token`` (once)."""
    lines = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if token in line]
    assert len(lines) == 1
    return lines[0]


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    return result.output + (str(result.exception) if result.exception else "")


def _row(message: str, pattern: str) -> int:
    found = re.search(pattern, message)
    assert found, message
    return int(found.group(1).replace(",", ""))


@pytest.mark.parametrize("position", POSITIONS)
def test_ingest_names_the_line_of_the_file(tmp_path: Path, position: int) -> None:
    rows = [f"A1,{2000 + i // 12}-{1 + i % 12:02d},{i},10,10,0,2026-01-01" for i in range(position + 5)]
    rows[position] = rows[position].replace(f",{position},", f",{JUNK},", 1)
    data = _data.write(tmp_path / "data", {"consumers": _data.CONSUMERS, "accounts": _data.ACCOUNTS})
    path = data / "statements.csv"
    path.write_text(_data.STATEMENTS.splitlines()[0] + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = _run("ingest", str(data), "--db", f"sqlite:///{tmp_path / 'l.db'}", "--no-progress")
    assert _row(out, r"statements\.csv row ([\d,]+): balance") == _line_of(path, JUNK)


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("split", [[], ["--test-size", "0.3"]], ids=["whole", "held-out split"])
def test_train_names_the_line_of_the_file(tmp_path: Path, position: int, split: list[str]) -> None:
    table = credit_table(400).assign(utilisation=lambda f: f["utilisation"].astype(object))
    table.loc[position, "utilisation"] = JUNK
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    out = _run("train", str(path), "--target", "bad", *split, "--out", str(tmp_path / "m.json"))
    assert _row(out, r"column utilisation row ([\d,]+): value 'junk!'") == _line_of(path, JUNK)
    parquet = tmp_path / "t.parquet"
    table.astype({"utilisation": str}).to_parquet(parquet)
    out = _run("train", str(parquet), "--target", "bad", *split, "--out", str(tmp_path / "m.json"))
    assert _row(out, r"column utilisation row ([\d,]+): value 'junk!'") == position + 1


@pytest.mark.parametrize("position", POSITIONS)
def test_score_names_the_line_of_the_file(tmp_path: Path, position: int) -> None:
    model = two_cards().save(tmp_path / "model.json")
    table = applicants(300).astype({"utilisation": object})
    table.loc[position, "utilisation"] = JUNK
    path = tmp_path / "s.csv"
    table.to_csv(path, index=False)
    out = _run("score", str(model), str(path), "--out", str(tmp_path / "o.parquet"))
    assert _row(out, r"column utilisation row ([\d,]+): found 'junk!'") == _line_of(path, JUNK)
    parquet = tmp_path / "s.parquet"
    table.astype({"utilisation": str}).to_parquet(parquet)
    out = _run("score", str(model), str(parquet), "--out", str(tmp_path / "o.parquet"))
    assert _row(out, r"column utilisation row ([\d,]+): found 'junk!'") == position + 1


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """A 400-row credit table and the model trained on it, once for the evaluate and nested-cell tests."""
    folder = tmp_path_factory.mktemp("trained")
    table = credit_table(400)
    table.to_csv(folder / "train.csv", index=False)
    model = folder / "m.json"
    _run("train", str(folder / "train.csv"), "--target", "bad", "--out", str(model))
    assert model.is_file()
    return table, model


def test_evaluate_names_the_line_of_a_bad_target(tmp_path: Path, trained: tuple[pd.DataFrame, Path]) -> None:
    """evaluate names a bad target value by its line too (the report's data are the held-out rows)."""
    table, model = trained
    test = table.astype({"bad": object})
    test.loc[57, "bad"] = "7"
    path = tmp_path / "test.csv"
    test.to_csv(path, index=False)
    out = _run("evaluate", str(model), str(path), "--report", str(tmp_path / "r.html"))
    line = 57 + 2  # data row 57 (0-based) under the header
    assert pd.read_csv(path).iloc[57]["bad"] == 7
    assert _row(out, r"test\.csv row ([\d,]+): column bad is '7'") == line


@pytest.mark.parametrize("position", POSITIONS)
def test_evaluate_names_the_file_and_line_of_a_bad_input_cell(
    tmp_path: Path, trained: tuple[pd.DataFrame, Path], position: int
) -> None:
    """A cell the model cannot read is named with its table (evaluate reads up to three) and its line."""
    table, model = trained
    test = table.astype({"utilisation": object})
    test.loc[position, "utilisation"] = JUNK
    path = tmp_path / "test.csv"
    test.to_csv(path, index=False)
    out = _run("evaluate", str(model), str(path), "--report", str(tmp_path / "r.html"))
    pattern = r"test\.csv: column utilisation row ([\d,]+): found 'junk!'"
    assert _row(out, pattern) == _line_of(path, JUNK)
    parquet = tmp_path / "test.parquet"
    test.astype({"utilisation": str}).to_parquet(parquet)
    out = _run("evaluate", str(model), str(parquet), "--report", str(tmp_path / "r.html"))
    assert _row(out, r"test\.parquet: column utilisation row ([\d,]+): found 'junk!'") == position + 1


@pytest.mark.parametrize("command", ["train", "score", "evaluate"])
def test_a_nested_parquet_cell_is_named_not_a_traceback(
    tmp_path: Path, trained: tuple[pd.DataFrame, Path], command: str
) -> None:
    """A Parquet column of lists or structs under a column the model reads: one line naming the file,
    column and row, by every command (it was a TypeError from pandas' factorize)."""
    table, model = trained
    text_input = "housing"  # the table's one text column, which the model reads
    assert text_input in load_artifact(model).input_columns
    nested = table.astype({text_input: object})
    nested[text_input] = [{"code": str(v)} for v in nested[text_input]]
    path = tmp_path / "nested.parquet"
    nested.to_parquet(path)
    args = {
        "train": ["train", str(path), "--target", "bad", "--out", str(tmp_path / "n.json")],
        "score": ["score", str(model), str(path), "--out", str(tmp_path / "o.parquet")],
        "evaluate": ["evaluate", str(model), str(path), "--report", str(tmp_path / "r.html")],
    }[command]
    out = _run(*args)
    assert f"nested.parquet: column {text_input} row 1: value {{'code':" in out, out
    assert "is a dict; expected a number or a text per cell" in out
    assert "Traceback" not in out and "TypeError" not in out
