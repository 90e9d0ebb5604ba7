"""``lucidscore train --engine spark`` writes the local engine's model file (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app
from lucidscore.errors import InputError


def _table(path: Path, n: int = 4000) -> Path:
    rng = np.random.default_rng(5)
    late = rng.poisson(0.7, n).astype(np.float64)
    late[rng.random(n) < 0.06] = np.nan
    util = np.round(rng.beta(2, 3, n), 3)
    region = rng.choice(["north", "south", "east", "west"], n).astype(object)
    region[rng.random(n) < 0.04] = None
    z = -2.0 + 1.1 * np.nan_to_num(late) + 2.0 * util + np.where(region == "east", 0.5, 0.0)
    bad = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    pd.DataFrame({"late": late, "util": util, "region": region, "bad": bad}).to_parquet(path)
    return path


def _model(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    # The fields that legitimately differ: the time of the fit, and the hash of the file, which covers it.
    # model_id is sc-<date>-<digest of the segments>: the digest must agree.
    data["model_id"] = data["model_id"].rsplit("-", 1)[1]
    data.pop("created_at")
    data.pop("content_hash")
    return data


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.usefixtures("spark")
def test_spark_engine_writes_the_local_model(tmp_path: Path) -> None:
    """The command's ``local_session`` finds the shared test session (``getOrCreate``) and uses it."""
    data = _table(tmp_path / "train [2026-06].parquet")  # a name Hadoop would read as a pattern
    base = ["train", str(data), "--target", "bad", "--min-segment-rows", "500"]
    local = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "local.json")])
    spark = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "spark.json"), "--engine", "spark"])
    assert local.exit_code == 0, local.output
    assert spark.exit_code == 0, spark.output
    assert _model(tmp_path / "spark.json") == _model(tmp_path / "local.json")


def test_spark_engine_refuses_a_test_split(tmp_path: Path) -> None:
    data = tmp_path / "t.parquet"
    result = CliRunner().invoke(
        app, ["train", str(data), "--target", "bad", "--engine", "spark", "--test-size", "0.3"]
    )
    assert isinstance(result.exception, InputError)
    assert "--test-size works with --engine local only" in result.exception.message


def test_spark_missing_is_one_error_with_an_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lucidscore.score.spark as spark_module

    hint = f"pyspark is not installed: {spark_module.INSTALL_HINT}"
    monkeypatch.setattr(spark_module, "spark_available", lambda: hint)
    data = _table(tmp_path / "t.parquet", 200)
    result = CliRunner().invoke(app, ["train", str(data), "--target", "bad", "--engine", "spark"])
    assert isinstance(result.exception, InputError)
    assert result.exception.message == hint
    assert "pip install 'lucidscore[spark]'" in hint


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.usefixtures("spark")
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_spark_engine_names_the_bad_row_of_the_file_as_the_local_engine(tmp_path: Path, fmt: str) -> None:
    """A word in a mostly-numeric column: both engines' errors name the file, the column, its row as the
    file counts it (a CSV's header is row 1), the value and the counts, in the same words."""
    n = 30
    frame = pd.DataFrame(
        {
            "amount": [str(i) for i in range(n)],
            "late": np.arange(n) % 4,
            "bad": (np.arange(n) % 3 == 0).astype(np.int64),
        }
    )
    frame.loc[[12, 20], "amount"] = ["twelve", "?"]
    data = tmp_path / f"train.{fmt}"
    if fmt == "csv":
        frame.to_csv(data, index=False)
    else:
        frame.to_parquet(data, index=False)
    row = 14 if fmt == "csv" else 13
    assert _both_refuse(data, tmp_path).startswith(f"{data}: column amount row {row}: value 'twelve'")


def _both_refuse(data: Path, tmp_path: Path) -> str:
    """``train`` of ``data`` on the local engine and on Spark: both refuse it, in the same words (those)."""
    base = ["train", str(data), "--target", "bad", "--out", str(tmp_path / "m.json")]
    local = CliRunner().invoke(app, base)
    spark = CliRunner().invoke(app, [*base, "--engine", "spark"])
    assert isinstance(local.exception, InputError), local.output
    assert isinstance(spark.exception, InputError), spark.output
    assert spark.exception.message == local.exception.message
    return local.exception.message


def _with_surplus(sep: str, extra: str) -> bytes:
    """A table whose 6th line (row 6) holds one field more than the header, ``extra``."""
    lines = [sep.join(["amount", "late", "bad"])]
    lines += [sep.join([str(i), str(i % 4), str(int(i % 3 == 0))]) for i in range(30)]
    lines[5] += sep + extra
    return ("\n".join(lines) + "\n").encode()


def _not_utf8_late() -> bytes:
    """A table past 64 KiB (what the header check decodes) with a Latin-1 byte on line 2,001."""
    lines = [b"amount,late,bad,note"]
    lines += [f"{i},{i % 4},{int(i % 3 == 0)},{'x' * 30}".encode() for i in range(2500)]
    lines[2000] = lines[2000].replace(b"xx", b"\xe9", 1)
    return b"\n".join(lines) + b"\n"


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.usefixtures("spark")
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (_with_surplus(",", "9"), "row 6: found 4 fields; expected 3, as in the header row"),
        (_with_surplus("\t", ""), "row 6: found 4 fields; expected 3, as in the header row"),
        (_with_surplus(";", ""), "row 6: found 4 fields; expected 3, as in the header row"),
        (_not_utf8_late(), "row 2001: byte 10 of the line (0xe9) is not UTF-8"),
    ],
    ids=["surplus-comma", "surplus-tab", "empty-surplus-semicolon", "not-utf8-past-64k"],
)
def test_spark_engine_refuses_what_the_local_reader_refuses(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    """A row with more fields than the header (Spark's reader dropped the surplus; an empty one, which it
    reads as a missing field, too) and a byte that is not UTF-8 past the header check's 64 KiB (Spark
    read it as U+FFFD): ``train --engine spark`` refused none; now both engines refuse the file in the
    same words, naming the row as the file counts it."""
    data = tmp_path / "train.csv"
    data.write_bytes(content)
    said = _both_refuse(data, tmp_path)
    assert said.startswith(f"{data} {expected}"), said
