"""The declaration file: one TOML table per characteristic, every mistake named by file, characteristic
and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from lucidscore.artifact import load_declarations
from lucidscore.errors import InputError
from lucidscore.policy import FeatureMeta

EXAMPLE = """
[PAY_0]
family = "credit_history"
description = "Repayment status last month"
unit = "months"
advice = "lower"
code = "TW01"
statement = "Your latest repayment was {value} late; {better} scores higher."
adverse_action = "Delinquent past or present credit obligations"
missing_means = "no repayment due"

[LIMIT_BAL]
family = "fulfilment_capacity"
unit = "money"
"""


def test_a_declaration_file_gives_feature_meta(tmp_path: Path) -> None:
    (tmp_path / "d.toml").write_text(EXAMPLE)
    got = load_declarations(tmp_path / "d.toml")
    assert got["PAY_0"] == FeatureMeta(
        name="PAY_0",
        family="credit_history",
        description="Repayment status last month",
        advice="lower",
        unit="months",
        code="TW01",
        statement="Your latest repayment was {value} late; {better} scores higher.",
        adverse_action="Delinquent past or present credit obligations",
        missing_means="no repayment due",
    )
    limit = got["LIMIT_BAL"]
    assert (limit.description, limit.advice, limit.actionable, limit.code) == ("LIMIT_BAL", "none", False, "")


def test_json_declarations(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text('{"x": {"family": "credit_history", "advice": "higher"}}')
    assert load_declarations(tmp_path / "d.json")["x"].advice == "higher"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[x]\nfamily = "credit"\n',
            r"d.toml: characteristic x field family: Input should be 'credit_history'",
        ),
        ('[x]\nadvice = "lower"\n', r"characteristic x field family: Field required"),
        ('[x]\nfamily = "credit_history"\nunit = "euros"\n', r"characteristic x field unit: Input should be"),
        ('[x]\nfamily = "credit_history"\nactionable = true\n', r"characteristic x field actionable: Extra"),
        ('[x]\nfamily = "credit_history"\ncode = "A 1"\n', r"characteristic x: code 'A 1' must be 1-40"),
        (
            '[x]\nfamily = "credit_history"\nstatement = "{value:.2f}"\n',
            r"characteristic x: statement formats",
        ),
        (
            '[x]\nfamily = "credit_history"\nstatement = "{"\n',
            r"characteristic x: statement is not a well-formed",
        ),
        ("x = 1\n", r"d.toml: characteristic x: expected a table of fields"),
        ("[x\n", r"d.toml: not valid TOML"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "d.toml").write_text(text)
    with pytest.raises(InputError, match=message):
        load_declarations(tmp_path / "d.toml")


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope.toml: no such declaration file"):
        load_declarations(tmp_path / "nope.toml")


def test_old_feature_metadata_reads_without_guessing_a_direction() -> None:
    old = {"name": "x", "family": "fulfilment_capacity", "description": "X", "actionable": True,
           "unit": "currency", "higher_is": "unknown"}  # fmt: skip
    meta = FeatureMeta.from_dict(old)
    assert (meta.advice, meta.unit, meta.actionable) == ("none", "money", False)


def test_the_readme_example_is_a_valid_declaration_file() -> None:
    import re
    import textwrap
    import tomllib

    from lucidscore.artifact import parse_declarations

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    [block] = re.findall(r"<!-- file: taiwan.toml -->\n```toml\n(.*?)```", readme, flags=re.S)
    declared = parse_declarations(tomllib.loads(textwrap.dedent(block)), "README.md")
    assert declared["PAY_0"].advice == "lower" and declared["LIMIT_BAL"].advice == "none"
