"""`lucidscore evaluate` through the real Typer app: audit joins, outputs, and one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from lucidscore.cli.main import app, message_of
from lucidscore.errors import InputError, LucidError, PolicyViolation
from tests.evaluate.factory import make_artifact, make_frame

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("evaluate")
    train, test = make_frame(3000, seed=0), make_frame(2000, seed=1)
    model = make_artifact(train).save(d / "model.json")
    test.to_parquet(d / "test.parquet", index=False)
    model_only = test.drop(columns=["SEX", "AGE"])
    model_only.to_parquet(d / "model_only.parquet", index=False)
    audit = test[["id", "SEX", "AGE"]].sample(frac=1.0, random_state=3)  # shuffled: only a key join lines up
    audit.to_csv(d / "audit_shuffled.csv", index=False)
    test[["SEX", "AGE"]].to_csv(d / "audit_rows.csv", index=False)
    train.to_csv(d / "train.csv", index=False)
    return {
        "dir": d,
        "model": model,
        "test": d / "test.parquet",
        "model_only": d / "model_only.parquet",
        "audit_shuffled": d / "audit_shuffled.csv",
        "audit_rows": d / "audit_rows.csv",
        "train": d / "train.csv",
    }


def _run(args: list[str]) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, args)
    return result.exit_code, result.output, result.exception


def _fairness(path: Path) -> dict[str, object]:
    attributes: dict[str, object] = json.loads(path.read_text("utf-8"))["fairness"]["attributes"]
    return attributes


def test_evaluate_with_audit_columns_in_the_data(files: dict[str, Path], tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    code, out, exc = _run(
        [
            "evaluate", str(files["model"]), str(files["test"]), "--target", "default",
            "--audit-columns", "SEX,AGE", "--cutoff", "540", "--report", str(report),
            "--train", str(files["train"]), "--resamples", "100",
        ]
    )  # fmt: skip
    assert code == 0, (out, exc)
    data = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert data["kind"] == "lucidscore.evaluation"
    assert data["discrimination"]["train"]["rows"] == 3000
    assert data["discrimination"]["evaluated"]["n_resamples"] == 100
    assert set(data["fairness"]["attributes"]) == {"SEX", "AGE"}
    assert data["fairness"]["audit_join"].startswith("audit columns read from")
    # The hand-made model carries no fingerprint of its training rows: its figures are not called held-out.
    assert data["training_rows"]["label"] == "unknown"
    assert f"AUC (not known to be held-out) {data['discrimination']['evaluated']['auc']:.4f}" in out
    assert "carries no fingerprint of its training rows" in out
    assert "wrote" in out


def test_separate_audit_file_by_key_and_by_row_order_agree(files: dict[str, Path], tmp_path: Path) -> None:
    base = ["evaluate", str(files["model"]), str(files["model_only"]), "--audit-columns", "SEX,AGE"]
    base += ["--cutoff", "540", "--resamples", "20"]
    same = tmp_path / "same.html"
    code, out, exc = _run(
        [
            "evaluate",
            str(files["model"]),
            str(files["test"]),
            "--audit-columns",
            "SEX,AGE",
            "--cutoff",
            "540",
            "--resamples",
            "20",
            "--report",
            str(same),
        ]
    )
    assert code == 0, (out, exc)
    keyed = tmp_path / "keyed.html"
    code, out, exc = _run(
        [*base, "--audit", str(files["audit_shuffled"]), "--audit-key", "id", "--report", str(keyed)]
    )
    assert code == 0, (out, exc)
    rows = tmp_path / "rows.html"
    code, out, exc = _run([*base, "--audit", str(files["audit_rows"]), "--report", str(rows)])
    assert code == 0, (out, exc)
    expected = _fairness(same.with_suffix(".json"))
    assert _fairness(keyed.with_suffix(".json")) == expected
    assert _fairness(rows.with_suffix(".json")) == expected
    joined = json.loads(keyed.with_suffix(".json").read_text("utf-8"))["fairness"]["audit_join"]
    assert joined == f"joined to {files['audit_shuffled']} on id"


def test_json_path_can_be_chosen(files: dict[str, Path], tmp_path: Path) -> None:
    code, out, exc = _run(
        [
            "evaluate",
            str(files["model"]),
            str(files["test"]),
            "--resamples",
            "10",
            "--report",
            str(tmp_path / "r.html"),
            "--json",
            str(tmp_path / "figures.json"),
        ]
    )
    assert code == 0, (out, exc)
    assert json.loads((tmp_path / "figures.json").read_text("utf-8"))["fairness"]["attributes"] == {}


@pytest.mark.parametrize(
    ("extra", "error", "message"),
    [
        (["--cutoff", "1000"], InputError, r"^--cutoff: 1000 is outside the score range 350-950"),
        (["--cutoff", "300"], InputError, r"^--cutoff: 300 is outside the score range 350-950"),
        (["--target", "bad"], InputError, r"^--target: \S*test.parquet has no column 'bad'; columns are"),
        (
            ["--audit", "{audit_rows}", "--audit-key", "id", "--audit-columns", "SEX"],
            InputError,
            r"^--audit-key: \S*audit_rows.csv has no key column 'id'; columns are: SEX, AGE",
        ),
        (
            ["--audit", "{audit_rows}", "--audit-columns", "SEX,RACE"],
            InputError,
            r"^--audit-columns: \S*audit_rows.csv has no audit column\(s\) RACE; columns are: SEX, AGE",
        ),
        (
            ["--audit-columns", "GENDER"],
            InputError,
            r"^--audit-columns: \S*test.parquet has no audit column\(s\) GENDER",
        ),
        (["--audit-key", "id"], InputError, r"--audit-key needs --audit FILE"),
        (
            ["--audit-columns", "housing,SEX"],
            PolicyViolation,
            r"audit column\(s\) housing are inputs of this model; protected attributes may be used only by",
        ),
    ],
)
def test_bad_input_is_one_clear_error(
    files: dict[str, Path], extra: list[str], error: type[LucidError], message: str
) -> None:
    extra = [e.format(audit_rows=files["audit_rows"]) for e in extra]
    code, _, exc = _run(["evaluate", str(files["model"]), str(files["test"]), *extra])
    assert code != 0
    assert isinstance(exc, error)
    assert re.search(message, message_of(exc)), message_of(exc)  # the line the CLI prints


def test_row_order_needs_the_same_number_of_rows(files: dict[str, Path], tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    pd.read_csv(files["audit_rows"]).head(10).to_csv(short, index=False)
    _, _, exc = _run(["evaluate", str(files["model"]), str(files["test"]), "--audit", str(short)])
    assert isinstance(exc, InputError)
    assert re.match(
        r"--audit-key: \S*short.csv has 10 rows but \S*test.parquet has 2000; without a key column",
        message_of(exc),
    ), message_of(exc)


def test_duplicate_audit_keys_are_refused(files: dict[str, Path], tmp_path: Path) -> None:
    dup = tmp_path / "dup.csv"
    audit = pd.read_csv(files["audit_shuffled"])
    pd.concat([audit, audit.head(1)]).to_csv(dup, index=False)
    _, _, exc = _run(
        [
            "evaluate",
            str(files["model"]),
            str(files["model_only"]),
            "--audit",
            str(dup),
            "--audit-key",
            "id",
            "--audit-columns",
            "SEX",
        ]
    )
    with pytest.raises(InputError, match=r"dup.csv row 2,002: key id=\d+ appears more than once"):
        raise exc  # type: ignore[misc]


def test_real_entry_point_prints_one_line_and_exits_2(files: dict[str, Path]) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lucidscore.cli.main",
            "evaluate",
            str(files["model"]),
            str(files["test"]),
            "--cutoff",
            "951",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --cutoff: 951 is outside the score range 350-950; expected the lowest approved score, "
        "e.g. 600"
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["evaluate", "monitor"])
def test_every_option_is_documented(command: str) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "evaluate.md").read_text("utf-8")
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    options = [opt for p in click_command.params for opt in p.opts if opt.startswith("--")]
    assert options
    missing = [o for o in options if f"`{o}" not in docs]
    assert missing == [], f"options of `lucidscore {command}` missing from docs/evaluate.md: {missing}"


def test_cutoff_at_the_top_prints_no_ratio(files: dict[str, Path], tmp_path: Path) -> None:
    code, out, exc = _run(
        [
            "evaluate",
            str(files["model"]),
            str(files["test"]),
            "--audit-columns",
            "SEX",
            "--cutoff",
            "950",
            "--resamples",
            "10",
            "--report",
            str(tmp_path / "r.html"),
        ]
    )
    assert code == 0, (out, exc)
    assert "SEX: lowest adverse impact ratio n/a (nobody approved), four-fifths flags: none" in out


def test_text_age_bands_in_a_separate_audit_file_are_audited_by_their_values(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Issue 13: AGE_GROUP holding '<25', '25-34', ... was one 'missing' group and hid the gap."""
    test = pd.read_parquet(files["test"])
    bands = pd.cut(
        test["AGE"], [0, 25, 35, 45, 55, 200], right=False, labels=["<25", "25-34", "35-44", "45-54", "55+"]
    )
    audit = tmp_path / "audit_bands.csv"
    pd.DataFrame({"id": test["id"], "AGE_GROUP": bands.astype(str), "cohort": bands.astype(str)}).to_csv(
        audit, index=False
    )
    base = ["evaluate", str(files["model"]), str(files["model_only"]), "--audit", str(audit)]
    base += [
        "--audit-key",
        "id",
        "--audit-columns",
        "AGE_GROUP,cohort",
        "--cutoff",
        "560",
        "--resamples",
        "10",
    ]
    code, out, exc = _run([*base, "--report", str(tmp_path / "r.html")])
    assert code == 0, (out, exc)
    fairness = json.loads((tmp_path / "r.json").read_text("utf-8"))["fairness"]["attributes"]
    by_age_name, by_other_name = fairness["AGE_GROUP"], fairness["cohort"]
    assert sorted(g["group"] for g in by_age_name["groups"]) == sorted(
        ["<25", "25-34", "35-44", "45-54", "55+"]
    )
    assert by_age_name["groups"] == by_other_name["groups"]
    assert sum(g["rows"] for g in by_age_name["groups"]) == len(test)
    # The same figures as numeric AGE in the documented bands (which these text bands copy).
    code, out, exc = _run(
        ["evaluate", str(files["model"]), str(files["test"]), "--audit-columns", "AGE", "--cutoff", "560",
         "--resamples", "10", "--report", str(tmp_path / "n.html")]
    )  # fmt: skip
    assert code == 0, (out, exc)
    numeric = json.loads((tmp_path / "n.json").read_text("utf-8"))["fairness"]["attributes"]["AGE"]
    assert [g["approval_rate"] for g in numeric["groups"]] == [
        g["approval_rate"]
        for g in sorted(
            by_age_name["groups"], key=lambda g: ["<25", "25-34", "35-44", "45-54", "55+"].index(g["group"])
        )
    ]


def test_an_audit_column_it_cannot_group_is_named(files: dict[str, Path], tmp_path: Path) -> None:
    test = pd.read_parquet(files["test"])
    audit = tmp_path / "audit_mixed.csv"
    ages = test["AGE"].astype(object)
    ages.iloc[5] = "unknown"
    pd.DataFrame({"AGE": ages}).to_csv(audit, index=False)
    _, _, exc = _run(["evaluate", str(files["model"]), str(files["model_only"]), "--audit", str(audit),
                      "--audit-columns", "AGE"])  # fmt: skip
    with pytest.raises(
        InputError, match=r"audit_mixed.csv: audit column AGE: holds numbers and text \('unknown' at row 7"
    ):
        raise exc  # type: ignore[misc]
