"""`lucidscore export`: the SQL it writes scores (and with --reasons gives reasons) like the kernel, the
PMML is `to_pmml`'s (scored by JPMML in tests/score/test_pmml.py); a bad model file or a flag of the other
format is one clear line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from lucidscore.artifact import load_artifact
from lucidscore.cli.main import app
from lucidscore.score import score_frame, to_pmml
from tests.cli.test_score import Runner, assert_one_line_error, cli  # noqa: F401 - cli is a fixture
from tests.score.cards import two_cards
from tests.score.test_local import applicants
from tests.score.test_sql import reasons_of


def test_export_sql_scores_like_the_kernel(tmp_path: Path) -> None:
    model = two_cards().save(tmp_path / "model.json")
    out = tmp_path / "sql" / "model.sql"
    result = CliRunner().invoke(app, ["export", str(model), "--format", "sql", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    data = applicants(300)
    with sqlite3.connect(":memory:") as con:
        data.to_sql("input", con, index=False)
        got = pd.read_sql_query(out.read_text(), con)
    assert got["score"].tolist() == score_frame(two_cards(), data)["score"].tolist()


def test_export_dialect_and_table(tmp_path: Path) -> None:
    model = two_cards().save(tmp_path / "model.json")
    out = tmp_path / "model.sql"
    args = ["export", str(model), "--dialect", "postgresql", "--table", "applicants", "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    text = out.read_text()
    assert "dialect postgresql" in text and 'FROM "applicants" AS t' in text


def test_export_refuses_an_edited_model(tmp_path: Path, cli: Runner) -> None:  # noqa: F811 - the fixture
    model = two_cards().save(tmp_path / "model.json")
    model.write_text(model.read_text().replace('"label": "A11"', '"label": "A1x"'))
    result = cli("export", str(model), "--out", str(tmp_path / "m.sql"))
    assert_one_line_error(result, r"the file was edited after training")
    assert not (tmp_path / "m.sql").exists()


def test_export_pmml_writes_the_document(tmp_path: Path) -> None:
    model = two_cards().save(tmp_path / "model.json")
    out = tmp_path / "pmml" / "model.pmml"
    result = CliRunner().invoke(app, ["export", str(model), "--format", "pmml", "--out", str(out)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # Rich wraps long lines, even inside a path
    assert f"wrote{out}(pmml4.4:score,tier,probability,segment,reason_1..4)" in said
    assert out.read_text("utf-8") == to_pmml(load_artifact(model))


def test_export_pmml_refuses_the_sql_flags(tmp_path: Path, cli: Runner) -> None:  # noqa: F811 - the fixture
    model = two_cards().save(tmp_path / "model.json")
    result = cli("export", str(model), "--format", "pmml", "--dialect", "postgresql", "--table", "t")
    assert_one_line_error(result, r"--dialect and --table apply to --format sql only; PMML has no dialect")
    result = cli("export", str(model), "--format", "pmml", "--table", "t")
    assert_one_line_error(result, r"^error: --table applies to --format sql only")
    assert not list(tmp_path.glob("model.*.tmp")) and not Path("model.pmml").exists()


def test_export_reasons(tmp_path: Path, cli: Runner) -> None:  # noqa: F811 - the fixture
    model = two_cards().save(tmp_path / "model.json")
    out = tmp_path / "model.sql"
    result = CliRunner().invoke(app, ["export", str(model), "--reasons", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 reasons" in result.output
    data = applicants(300)
    with sqlite3.connect(":memory:") as con:
        data.to_sql("input", con, index=False)
        got = pd.read_sql_query(out.read_text(), con)
    want = score_frame(two_cards(), data, reasons=2)
    assert [c for c in got.columns if c.endswith("_code")] == [
        "reason_1_code",
        "reason_2_code",
        "reason_3_code",
    ]
    assert reasons_of(got) == reasons_of(want)  # the 3rd: recent inquiries
    pmml = tmp_path / "m.pmml"
    result = cli("export", str(model), "--format", "pmml", "--reasons", "1", "--out", str(pmml))
    assert result.returncode == 0, result.stderr
    assert pmml.read_text("utf-8") == to_pmml(load_artifact(model), reasons=1)
    assert_one_line_error(cli("export", str(model), "--reasons", "5"), r"--reasons is 5; expected 0 to 4")
