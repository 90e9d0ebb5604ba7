"""`lucidscore train` through the real entry point: output, and one clear line per bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from lucidscore.artifact import load_artifact
from lucidscore.cli.main import app
from lucidscore.policy import FEATURE_META_KEY, FeatureMeta
from tests.fixtures.bureau import Lucid
from tests.model._sim import credit_table

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("train") / "credit.csv"
    credit_table(4000).to_csv(path, index=False)
    return path


def _process(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point in a process of its own: LucidError becomes one line and a non-zero exit."""
    code = "from lucidscore.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


Main = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def main(lucid: Lucid) -> Main:
    """The entry point ``lucidscore.cli.main.main`` run in this process (``tests/fixtures/bureau.py``'s
    ``lucid``), as ``_process`` gives it: exit code, stdout and stderr. The refusals below are about the
    messages, not the process: each real process cost 2-4 s of interpreter and import start-up, for some
    25 refusals. A warning the command gives is added to stderr as a plain ``python`` prints it (default
    filters), so "one line" still means no warning either; a traceback would fail the test outright.
    tests/cli/test_main.py and the last refusal of ``test_train_with_interactions`` run a real process."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()
            warnings.simplefilter("default")
            for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", quiet)
            code, out, err = lucid(*args)
        err += "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught)
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


def test_train_writes_a_model_and_prints_the_card(csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    result = runner.invoke(
        app,
        ["train", str(csv), "--target", "bad", "--test-size", "0.3", "--special-values", "-8",
         "--max-bins", "5", "--pdo", "20", "--bins", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    art = load_artifact(out)
    assert art.scaling.pdo == 20 and art.target == "bad"
    assert "months_late" in result.output and "Credit history" in result.output
    assert f"AUC {art.training['metrics']['test_auc']:.4f}" in result.output
    # --max-bins 5: refined points (docs/model.md 7b) may cut a characteristic into at most twice as many.
    chars = art.segments[0].characteristics
    assert all(len([b for b in c.bins if b.kind == "interval"]) <= 10 for c in chars)
    params = art.training["params"]
    assert params["max_bins"] == 5 and params["refine"] is True
    # With --bins every bin shows the evidence its points rest on: rows, bads and goods (issue 10, credible
    # bins). Without it, a summary (tests/cli/test_model_show.py).
    assert re.search(r"┃\s*rows\s*┃\s*bads\s*┃\s*goods\s*┃", result.output)
    lines = result.output.splitlines()
    for ch in art.segments[0].characteristics:
        for b in ch.bins:
            cells = rf"│\s*{b.count:,}\s*│\s*{b.bad_count:,}\s*│\s*{b.count - b.bad_count:,}\s*│"
            assert any(b.label in ln and re.search(cells, ln) for ln in lines), (ch.name, b.label)


def test_train_with_segment_rule(csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "seg.json"
    result = runner.invoke(
        app,
        ["train", str(csv), "--target", "bad", "--segment-rule", "n_credit_accounts<2", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert [s.name for s in load_artifact(out).segments] == ["n_credit_accounts<2", "default"]


def test_parquet_feature_meta_is_used(tmp_path: Path) -> None:
    frame = credit_table(2000)
    meta = [
        FeatureMeta(
            "months_late", "credit_history", "Months late on the latest statement", advice="lower"
        ).to_dict()
    ]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), FEATURE_META_KEY: json.dumps(meta)}
    )
    pq.write_table(table, tmp_path / "f.parquet")
    result = runner.invoke(
        app, ["train", str(tmp_path / "f.parquet"), "--target", "bad", "--out", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 0, result.output
    ch = next(
        c for c in load_artifact(tmp_path / "m.json").segments[0].characteristics if c.name == "months_late"
    )
    assert ch.description == "Months late on the latest statement" and ch.advice == "lower" and ch.actionable


def test_actionable_directions_enable_recourse_for_a_flat_file(csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "act.json"
    result = runner.invoke(
        app,
        ["train", str(csv), "--target", "bad", "--actionable", "months_late:lower,utilisation:lower",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # A direction alone does not declare a column: its family and description are still guessed. (Every
    # characteristic of this flat file is undeclared: the four the regression kept, and any that
    # refinement added after selection left it out, docs/model.md 7b.)
    art = load_artifact(out)
    undeclared = art.undeclared
    assert undeclared[:4] == ["months_late", "utilisation", "tenure_months", "housing"]
    assert (
        f"{len(undeclared)} characteristic(s) are undeclared (family and description guessed from the "
        f"name): {', '.join(undeclared)}."
    ) in " ".join(result.output.split())
    advice = {c.name: c.advice for c in art.segments[0].characteristics}
    assert advice["months_late"] == advice["utilisation"] == "lower" and advice["tenure_months"] == "none"
    assert {c.name: c.family for c in art.segments[0].characteristics}["months_late"] == "credit_history"
    from lucidscore.model import Scorecard
    from lucidscore.score import explain_frame

    # Without the flag nothing is advised; with it, recourse moves only the named columns, only lower.
    frame = credit_table(4000).drop(columns=["bad"])
    risky = frame[frame["months_late"] >= 2].head(20).reset_index(drop=True)
    changes = [ch for e in explain_frame(art, risky) for ch in e.recourse.changes]
    assert changes and {ch.characteristic for ch in changes} <= {"months_late", "utilisation"}
    assert all(ch.direction == "lower" for ch in changes)
    plain = Scorecard(segment_search=False).fit(frame, credit_table(4000)["bad"]).artifact_
    assert all(not e.recourse.changes for e in explain_frame(plain, risky))


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (
            "nope:lower,bad:higher",
            r"--actionable: column\(s\) nope, bad not in the data; the columns are months_late",
        ),
        (
            "months_late",
            "--actionable 'months_late': expected COLUMN:DIRECTION with DIRECTION one of lower, higher, none",
        ),
        ("months_late:down", "--actionable 'months_late:down': expected COLUMN:DIRECTION"),
    ],
)
def test_actionable_errors_name_the_flag(
    main: Main, csv: Path, tmp_path: Path, flag: str, message: str
) -> None:
    bad = main("train", str(csv), "--target", "bad", "--actionable", flag, "--out", str(tmp_path / "x.json"))
    assert bad.returncode != 0
    assert re.search(message, bad.stderr), bad.stderr
    assert not (tmp_path / "x.json").exists()


DECLARATIONS = """
[months_late]
family = "credit_history"
description = "Months late on the latest statement"
unit = "months"
advice = "lower"
code = "ML1"
statement = "Your latest statement was {value} late; {better} scores higher."
adverse_action = "Delinquent past or present credit obligations"
missing_means = "no statement yet"

[utilisation]
family = "fulfilment_capacity"
unit = "percent"
advice = "lower"
adverse_action = "Proportion of balances to credit limits is too high"
"""


def test_declarations_file_reaches_the_model_and_the_scores(csv: Path, tmp_path: Path) -> None:
    (tmp_path / "d.toml").write_text(DECLARATIONS)
    out = tmp_path / "decl.json"
    result = runner.invoke(
        app,
        ["train", str(csv), "--target", "bad", "--declarations", str(tmp_path / "d.toml"),
         "--actionable", "utilisation:none", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    chars = {c.name: c for c in load_artifact(out).segments[0].characteristics}
    late = chars["months_late"]
    assert (late.family, late.unit, late.advice, late.code, late.missing_means) == (
        "credit_history", "months", "lower", "ML1", "no statement yet"
    )  # fmt: skip
    assert late.adverse_action == "Delinquent past or present credit obligations"
    assert chars["utilisation"].advice == "none"  # --actionable overrides the file
    assert chars["utilisation"].description == "utilisation"  # not declared: the column name
    scores = tmp_path / "scores.parquet"
    data = credit_table(300).drop(columns=["bad"])
    data.to_csv(tmp_path / "data.csv", index=False)
    result = runner.invoke(app, ["score", str(out), str(tmp_path / "data.csv"), "--out", str(scores)])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(scores)
    mine = table[table["reason_1_characteristic"] == "months_late"]
    assert len(mine) and (mine["reason_1_code"] == "ML1").all()
    assert mine["reason_1"].str.match(r"Your latest statement was \d+ months? late; .+ scores higher\.").all()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[months_late]\nfamily = "credit"\n', "d.toml: characteristic months_late field family: Input"),
        ('[months_late]\nfamily = "credit_history"\nadvice = "up"\n', "months_late field advice"),
        ('[months_late]\nfamily = "credit_history"\ncolour = "red"\n', "months_late field colour: Extra"),
        (
            '[months_late]\nfamily = "credit_history"\nstatement = "You: {valu}"\n',
            r"months_late: statement uses \{valu\}; a statement may use only \{value\} and \{better\}",
        ),
        (
            '[nope]\nfamily = "credit_history"\n',
            "--declarations .*d.toml: characteristic nope is not an input",
        ),
        ("[months_late\n", r"d.toml: not valid TOML"),
    ],
)
def test_declaration_errors_name_file_column_and_field(
    main: Main, csv: Path, tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "d.toml").write_text(text)
    bad = main(
        "train", str(csv), "--target", "bad", "--declarations", str(tmp_path / "d.toml"),
        "--out", str(tmp_path / "x.json"),
    )  # fmt: skip
    assert bad.returncode != 0
    assert re.search(message, bad.stderr), bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "x.json").exists()


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, list[str], str]]:
    base = credit_table(400)
    cases: dict[str, tuple[Path, list[str], str]] = {}
    (tmp / "empty.csv").write_text("")
    cases["empty"] = (tmp / "empty.csv", [], r"empty\.csv: the file is empty")
    base.to_csv(tmp / "ok.csv", index=False)
    cases["unknown target"] = (
        tmp / "ok.csv",
        ["--target", "default"],
        r"target column 'default' not found; the columns are months_late, utilisation",
    )
    base.assign(bad=np.arange(400) % 3).to_csv(tmp / "three.csv", index=False)
    cases["not binary"] = (
        tmp / "three.csv",
        [],
        r"target bad: found 3 classes 0, 1, 2; expected two classes",
    )
    pd.DataFrame({"x": [np.nan] * 10, "bad": [0, 1] * 5}).to_csv(tmp / "allmissing.csv", index=False)
    cases["all missing"] = (
        tmp / "allmissing.csv",
        [],
        r"no usable column \(x: all values missing; skipped\)",
    )
    pd.DataFrame({"x": [3] * 10, "bad": [0, 1] * 5}).to_csv(tmp / "constant.csv", index=False)
    cases["constant"] = (
        tmp / "constant.csv",
        [],
        r"no usable column \(x: constant \(3 on every row\); skipped\)",
    )
    (tmp / "blob.bin").write_bytes(b"\x00\x01\x02PKjunk\x00" * 50)
    cases["not csv"] = (tmp / "blob.bin", [], r"blob\.bin: .*expected a CSV or Parquet file")
    junk = base.assign(utilisation=base["utilisation"].astype(object))
    junk.loc[41, "utilisation"] = "abc"
    junk.to_csv(tmp / "junk.csv", index=False)
    cases["junk"] = (tmp / "junk.csv", [], r"column utilisation row 43: value 'abc' is not a number")
    nested = base.assign(scores=[[1.0, 2.0]] * len(base))
    nested.to_parquet(tmp / "nested.parquet", index=False)
    cases["nested"] = (
        tmp / "nested.parquet",
        [],
        r"nested\.parquet: column scores row 1: value \[1\.0, 2\.0\] is a list; expected a number or a "
        r"text per cell",
    )
    base.assign(SEX=1, followers=10).to_csv(tmp / "sex.csv", index=False)
    cases["policy"] = (
        tmp / "sex.csv",
        [],
        r"column SEX: protected attribute \(sex\) — pass it with --audit-columns "
        r".*column followers: other people",
    )
    cases["woe prior"] = (
        tmp / "ok.csv",
        ["--woe-prior", "0"],
        r"--woe-prior: Input should be greater than 0 \(got 0\.0\)",
    )
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "unknown target",
        "not binary",
        "all missing",
        "constant",
        "not csv",
        "junk",
        "nested",
        "policy",
        "woe prior",
    ],
)
def test_bad_input_gives_one_clear_line(main: Main, case: str, tmp_path: Path) -> None:
    path, extra, message = _bad_inputs(tmp_path)[case]
    args = ["train", str(path), "--target", "bad", *extra, "--out", str(tmp_path / "m.json")]
    if extra and extra[0] == "--target":
        args = ["train", str(path), *extra, "--out", str(tmp_path / "m.json")]
    result = main(*args)
    assert result.returncode != 0
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.search(message, " ".join(result.stderr.split())), result.stderr
    assert not (tmp_path / "m.json").exists()


def test_german_with_bad_value(tmp_path: Path) -> None:
    path = DATA / "german_credit.data"
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is required under CI")
        pytest.skip(f"{path} not found: the public data sets live in ../shared/data")
    out = tmp_path / "german.json"
    result = runner.invoke(
        app,
        ["train", str(path), "--target", "CLASSIFICATION", "--bad-value", "0", "--audit-columns",
         "PERSONAL_STATUS_AND_SEX,AGE,FOREIGN", "--test-size", "0.3", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    art = load_artifact(out)
    assert art.audit_columns == ["PERSONAL_STATUS_AND_SEX", "AGE", "FOREIGN"]
    assert abs(art.segments[0].bad_rate - 0.3) < 0.01  # bad = CLASSIFICATION 0, 30% of rows


def test_every_fitting_parameter_has_a_flag_with_its_declared_help() -> None:
    """ScorecardParams is the one declaration: the CLI must offer each field (or say where it comes from)."""
    import typer.main

    from lucidscore.cli.model_cmds import NOT_FLAGS, train
    from lucidscore.model import ScorecardParams

    command = typer.main.get_command(app)
    options = {p.name: p for p in command.commands["train"].params}  # type: ignore[attr-defined]
    assert set(NOT_FLAGS) <= set(ScorecardParams.model_fields)
    for name, field in ScorecardParams.model_fields.items():
        if name in NOT_FLAGS:
            continue
        assert name in options, f"lucidscore train lacks --{name.replace('_', '-')}"
        assert (field.description or "") in (options[name].help or ""), name
    assert train.__doc__


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--test-size", "1.5"], r"--test-size: 1.5 is not a fraction strictly between 0 and 1"),
        (["--max-bins", "1"], r"--max-bins: Input should be greater than or equal to 2"),
        (["--exclude", "nope"], r"--exclude: column\(s\) nope not in the data"),
        (["--n-prebins", "500"], r"--n-prebins: Input should be less than or equal to 100"),
    ],
)
def test_parameter_errors_name_the_flag(
    main: Main, csv: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = main("train", str(csv), "--target", "bad", "--out", str(tmp_path / "m.json"), *args)
    assert result.returncode != 0
    assert re.search(message, result.stderr), result.stderr
    assert "parameter " not in result.stderr and "Traceback" not in result.stderr


def test_train_with_interactions(tmp_path: Path) -> None:
    from tests.model.test_interactions import _interacting

    path = tmp_path / "pairs.csv"
    _interacting(12000, 1).to_csv(path, index=False)
    out = tmp_path / "pairs.json"
    result = runner.invoke(
        app,
        [
            "train",
            str(path),
            "--target",
            "bad",
            "--no-segment-search",
            "--interactions",
            "5",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    (inter,) = load_artifact(out).segments[0].interactions
    assert {inter.first, inter.second} == {"months_late", "utilisation"}
    assert f"interaction {inter.first} x {inter.second}" in " ".join(result.output.split())
    # The summary gives the grid one line; `model show --bins` prints its cells with the rows behind each.
    assert f"segment default: grid {inter.first} x {inter.second} (" in result.output
    shown = runner.invoke(app, ["model", "show", str(out), "--bins"])
    assert shown.exit_code == 0, shown.output
    assert f"points added for {inter.first} x {inter.second}" in shown.output
    for row_points, row_counts in zip(inter.points, inter.counts, strict=True):
        for points, n in zip(row_points, row_counts, strict=True):
            assert f"{points:+d} ({n:,} rows" in shown.output
    too_many = _process(
        "train", str(path), "--target", "bad", "--interactions", "6", "--out", str(tmp_path / "x.json")
    )
    assert too_many.returncode != 0 and not (tmp_path / "x.json").exists()
    assert "interactions" in too_many.stderr and "5" in too_many.stderr, too_many.stderr
