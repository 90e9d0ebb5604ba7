"""`lucidscore score`: the summary, the note on ignored columns, and one-line errors for bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app, main
from lucidscore.score import score_frame
from tests.score.cards import two_cards
from tests.score.test_local import applicants


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    model = two_cards().save(tmp_path / "model.json")
    applicants(200).to_csv(tmp_path / "data.csv", index=False)
    return model, tmp_path / "data.csv"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console entry point, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "lucidscore.cli.main", *args], capture_output=True, text=True, check=False
    )


Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """The entry point ``main()`` in-process (fast): argv in, exit code and captured output out."""

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["lucidscore", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)

    return invoke


def test_score_writes_parquet_and_prints_summary(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = files
    out = tmp_path / "scores.parquet"
    result = CliRunner().invoke(
        app, ["score", str(model), str(data), "--out", str(out), "--id", "applicant", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "200 rows scored (local)" in result.output
    assert "excellent" in result.output and "very good" in result.output
    assert "note: 1 column(s) not used by the model were ignored: colour" in result.output
    scores = pd.read_parquet(out)
    assert len(scores) == 200
    assert scores["score"].tolist() == score_frame(two_cards(), applicants(200))["score"].tolist()
    assert scores["reason_4"].notna().any()


def test_score_reasons_option(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = files
    out = tmp_path / "scores.parquet"
    result = CliRunner().invoke(app, ["score", str(model), str(data), "--out", str(out), "--reasons", "2"])
    assert result.exit_code == 0, result.output
    assert [c for c in pd.read_parquet(out).columns if c.startswith("reason")] == [
        f"reason_{j}{field}" for j in (1, 2, 3) for field in ("", "_code", "_characteristic", "_points")
    ]


def test_score_recourse_option(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = files
    out = tmp_path / "scores.parquet"
    result = CliRunner().invoke(
        app, ["score", str(model), str(data), "--out", str(out), "--recourse", "--max-changes", "3"]
    )
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(out)
    want = score_frame(two_cards(), applicants(200), reasons=4, recourse=True, max_changes=3)
    recourse = [c for c in scores.columns if c.startswith("recourse")]
    assert recourse == [c for c in want.columns if c.startswith("recourse")]
    assert recourse[:3] == ["recourse_target_tier", "recourse_score", "recourse_note"]
    assert recourse[-3:] == ["recourse_3_characteristic", "recourse_3_from", "recourse_3_to"]
    planned = scores["recourse_score"].notna()
    assert planned.any() and (scores.loc[planned, "recourse_1_characteristic"].notna()).all()
    assert (scores.loc[planned, "recourse_score"] > scores.loc[planned, "score"]).all()
    assert scores.loc[~planned, "recourse_note"].notna().all()
    result = run("score", str(model), str(data), "--recourse", "--max-changes", "0", "--out", str(out))
    assert_one_line_error(result, r"--max-changes is 0; expected 1 to 5")


def assert_one_line_error(result: subprocess.CompletedProcess[str], pattern: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_edited_model(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = files
    model.write_text(model.read_text().replace('"points": 150', '"points": 250', 1))
    result = run("score", str(model), str(data), "--out", str(tmp_path / "o.parquet"))
    assert_one_line_error(
        result, r"error: .*model.json: content_hash is sha256:\w+ but the content hashes to"
    )


def test_truncated_model(files: tuple[Path, Path], tmp_path: Path, cli: Runner) -> None:
    model, data = files
    model.write_text(model.read_text()[:500])
    result = cli("score", str(model), str(data), "--out", str(tmp_path / "o.parquet"))
    assert_one_line_error(
        result, r"model.json: not valid JSON at line \d+ column \d+ \(truncated or edited\?\)"
    )


def test_missing_columns(files: tuple[Path, Path], tmp_path: Path, cli: Runner) -> None:
    model, _ = files
    applicants(5).drop(columns=["checking"]).to_csv(tmp_path / "few.csv", index=False)
    result = cli("score", str(model), str(tmp_path / "few.csv"), "--out", str(tmp_path / "o.parquet"))
    assert_one_line_error(result, r"few.csv: missing column\(s\) checking that model sc-test needs")


def test_junk_value(files: tuple[Path, Path], tmp_path: Path, cli: Runner) -> None:
    model, _ = files
    frame = applicants(5).astype({"months_at_address": object})
    frame.loc[3, "months_at_address"] = "ten"
    frame.to_csv(tmp_path / "junk.csv", index=False)
    result = cli("score", str(model), str(tmp_path / "junk.csv"), "--out", str(tmp_path / "o.parquet"))
    assert_one_line_error(result, r"junk.csv: column months_at_address row 5: found 'ten'; expected a number")
    # data row 3 (0-based) is line 5 of the file: the header is row 1, as ingest counts
    assert not (tmp_path / "o.parquet").exists()


def test_not_a_table(files: tuple[Path, Path], tmp_path: Path, cli: Runner) -> None:
    model, _ = files
    (tmp_path / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    result = cli("score", str(model), str(tmp_path / "img.png"), "--out", str(tmp_path / "o.parquet"))
    assert_one_line_error(result, r"img.png: .*expected a CSV or Parquet file")


def test_reasons_out_of_range(files: tuple[Path, Path], tmp_path: Path, cli: Runner) -> None:
    model, data = files
    result = cli("score", str(model), str(data), "--reasons", "7", "--out", str(tmp_path / "o.parquet"))
    assert_one_line_error(result, r"--reasons is 7; expected 0 to 4")


@pytest.mark.parametrize("command", ["score", "export"])
def test_every_option_is_documented(command: str) -> None:
    import typer.main

    docs = (Path(__file__).resolve().parents[2] / "docs" / "scoring.md").read_text("utf-8")
    group = typer.main.get_command(app)
    params = group.commands[command].params  # type: ignore[attr-defined]
    options = [opt for p in params for opt in p.opts if opt.startswith("--")]
    assert options
    missing = [opt for opt in options if opt not in docs]
    assert missing == [], f"docs/scoring.md does not mention {missing} of `lucidscore {command}`"
