"""`lucidscore lda` through the real Typer app, on the simulated table and on Taiwan (issue 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from lucidscore.artifact import load_artifact
from lucidscore.cli.main import app, message_of
from lucidscore.errors import InputError, LucidError, PolicyViolation
from lucidscore.evaluate import dominates, reference_scores
from lucidscore.model import train_scorecard
from lucidscore.score import score_frame
from tests.evaluate.factory import make_frame
from tests.fixtures.taiwan import TaiwanSample

runner = CliRunner()
QUICK = ["--folds", "2", "--resamples", "30", "--jobs", "1", "--max-candidates", "20"]


def _run(args: list[str]) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, args)
    return result.exit_code, result.output, result.exception


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("lda")
    frame = make_frame(4000, seed=5)
    base = train_scorecard(frame.drop(columns=["id"]), "default", audit_columns=["SEX", "AGE"], seed=0)
    model = base.save(d / "model.json")
    frame.to_csv(d / "data.csv", index=False)
    frame.drop(columns=["SEX", "AGE"]).to_parquet(d / "inputs.parquet", index=False)
    frame[["id", "SEX", "AGE"]].sample(frac=1.0, random_state=1).to_csv(d / "audit.csv", index=False)
    cutoff = int(np.percentile(reference_scores(base, frame), 60))
    return {"dir": d, "model": model, "data": d / "data.csv", "inputs": d / "inputs.parquet",
            "audit": d / "audit.csv", "cutoff": cutoff, "frame": frame}  # fmt: skip


def _check(report: dict[str, Any], budget: float) -> None:
    """What a reviewer relies on, from the JSON alone."""
    ok = [c for c in report["candidates"] if c["status"] == "ok"]
    rate = report["settings"]["approval_rate"]
    rows = report["data"]["rows"]
    for c in ok:  # every card approves the base model's share of rows
        assert round(c["approval_rate"] * rows) == round(rate * rows)  # a share of rows: not exact in binary
    comparable = [c for c in ok if c["comparable"] or c["id"] == report["base"]["id"]]
    points = {c["id"]: (c["auc"], c["worst_air"]) for c in comparable}
    for cid in report["frontier"]:  # the frontier is Pareto-optimal
        assert not any(dominates(p, points[cid]) for p in points.values())
    for cid, p in points.items():
        assert cid in report["frontier"] or any(dominates(points[f], p) for f in report["frontier"])
    choice = report["choice"]
    if choice["found"]:
        alt = next(c for c in ok if c["id"] == choice["candidate"])
        assert alt["auc"] >= report["base"]["auc"] - budget - 1e-12
        assert alt["worst_air"] > report["base"]["worst_air"]
        assert alt["id"] in report["frontier"]


SEARCH = ["--target", "default", "--audit-columns", "SEX,AGE", "--max-auc-loss", "0.02", *QUICK]
# The search with the audit columns joined from another file stops after stage 1's first FIRST candidates
# (stage 1 plans the same candidates in the same order when the groups are the same), which hold the
# alternative the whole search chooses (a single move of stage 1).
FIRST = 12


@pytest.fixture(scope="module")
def simulated(files: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One search on the simulated table (the audit columns in the data), read by the two tests below."""
    d = tmp_path_factory.mktemp("lda-run")
    code, out, exc = _run(
        ["lda", str(files["model"]), str(files["data"]), *SEARCH, "--exclude", "id",
         "--cutoff", str(files["cutoff"]), "--report", str(d / "lda.html")]
    )  # fmt: skip
    return {"dir": d, "code": code, "out": out, "exc": exc}


def test_lda_on_the_simulated_table(files: dict[str, Any], simulated: dict[str, Any]) -> None:
    tmp_path, report = simulated["dir"], simulated["dir"] / "lda.html"
    code, out, exc = simulated["code"], simulated["out"], simulated["exc"]
    assert code == 0, (out, exc)
    data = json.loads((tmp_path / "lda.json").read_text("utf-8"))
    assert data["kind"] == "lucidscore.lda"
    assert report.read_text("utf-8").startswith("<!DOCTYPE html>")
    _check(data, 0.02)
    assert data["choice"]["found"]
    model_path = tmp_path / "lda.model.json"
    assert data["choice"]["model"]["path"] == str(model_path)
    art = load_artifact(model_path)  # loads (hash checked) and scores
    scores = score_frame(art, files["frame"][art.input_columns])["score"]
    assert scores.between(350, 950).all()
    assert np.mean(scores >= data["choice"]["model"]["cutoff"]) == pytest.approx(
        data["choice"]["model"]["approval_rate"]
    )
    assert art.training["lda"]["candidate"] == data["choice"]["candidate"]
    assert not {"SEX", "AGE", "id"} & set(art.input_columns)
    assert f"AUC {data['base']['auc']:.4f}" in out and "written to" in out and "wrote" in out
    assert data["choice"]["statement"] in " ".join(out.split())


def test_a_separate_audit_file_gives_the_same_search(
    files: dict[str, Any], simulated: dict[str, Any], tmp_path: Path
) -> None:
    """The inputs alone (Parquet) and the audit columns in another file, shuffled, joined by id: the same
    candidates and figures as the search with the audit columns in the data (``simulated``), for the
    first ``FIRST`` candidates (where the search stops here)."""
    assert simulated["code"] == 0, (simulated["out"], simulated["exc"])
    search = [*SEARCH[: SEARCH.index("--max-candidates")], "--max-candidates", str(FIRST)]
    code, out, exc = _run(
        ["lda", str(files["model"]), str(files["inputs"]), *search, "--cutoff", str(files["cutoff"]),
         "--audit", str(files["audit"]), "--audit-key", "id", "--report", str(tmp_path / "b.html"),
         "--out", str(tmp_path / "b-model.json")]
    )  # fmt: skip
    assert code == 0, (out, exc)
    a = json.loads((simulated["dir"] / "lda.json").read_text("utf-8"))
    b = json.loads((tmp_path / "b.json").read_text("utf-8"))
    assert b["data"]["audit_join"] == f"joined to {files['audit']} on id"
    keys = ("id", "stage", "changes", "auc", "worst_air", "approval_rate", "fairness")
    assert len(b["candidates"]) == FIRST and [c["stage"] for c in a["candidates"][:FIRST]] == [0] + [1] * 11
    assert [{k: c[k] for k in keys} for c in a["candidates"][:FIRST]] == [
        {k: c[k] for k in keys} for c in b["candidates"]
    ]
    assert b["choice"]["found"] and b["choice"]["candidate"] == a["choice"]["candidate"]
    assert (tmp_path / "b-model.json").is_file()


def test_no_alternative_is_a_plain_statement_and_no_model_file(files: dict[str, Any], tmp_path: Path) -> None:
    code, out, exc = _run(
        ["lda", str(files["model"]), str(files["data"]), "--audit-columns", "SEX,AGE", "--exclude", "id",
         "--cutoff", str(files["cutoff"]), "--max-auc-loss", "0", "--max-candidates", "1", "--folds", "2",
         "--resamples", "20", "--jobs", "1", "--report", str(tmp_path / "none.html")]
    )  # fmt: skip
    assert code == 0, (out, exc)
    data = json.loads((tmp_path / "none.json").read_text("utf-8"))
    assert not data["choice"]["found"] and data["choice"]["model"] is None
    assert data["choice"]["statement"].startswith(
        "No less discriminatory alternative was found in the searched space (1 cards fitted"
    )
    assert not (tmp_path / "none.model.json").exists()
    page = (tmp_path / "none.html").read_text("utf-8")
    assert "Searched space" in page and "No less discriminatory alternative was found" in page


@pytest.mark.parametrize(
    ("extra", "error", "message"),
    [
        (["--cutoff", "1000"], InputError, r"^--cutoff: 1000 is outside the score range 350-950"),
        (["--audit-columns", ""], InputError, r"no --audit-columns: name the protected attributes"),
        (["--exclude", "nope"], InputError, r"^--exclude: column\(s\) nope not in the data"),
        (["--audit-key", "id"], InputError, r"--audit-key needs --audit FILE"),
        (["--target", "bad"], InputError, r"^--target: \S*data.csv has no column 'bad'"),
        (["--cutoff", "950"], InputError, r"at cutoff 950 the base model approves no row"),
        (
            ["--audit-columns", "housing,SEX"],
            PolicyViolation,
            r"audit column\(s\) housing are inputs of this model",
        ),
    ],
)
def test_bad_input_is_one_clear_error(
    files: dict[str, Any], extra: list[str], error: type[LucidError], message: str
) -> None:
    args = ["lda", str(files["model"]), str(files["data"]), "--audit-columns", "SEX,AGE", *QUICK, *extra]
    code, _, exc = _run(args)
    assert code != 0
    assert isinstance(exc, error), exc
    assert re.search(message, message_of(exc)), message_of(exc)  # the line the CLI prints


def test_every_option_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "evaluate.md").read_text("utf-8")
    command = typer.main.get_command(app).commands["lda"]  # type: ignore[attr-defined]
    options = [opt for p in command.params for opt in p.opts if opt.startswith("--")]
    missing = [o for o in options if f"`{o}" not in docs]
    assert missing == [], f"options of `lucidscore lda` missing from docs/evaluate.md: {missing}"


def test_lda_on_taiwan(tmp_path: Path, taiwan_sample: TaiwanSample) -> None:
    """A base card on 6,000 Taiwan rows, searched on them for SEX, MARRIAGE and AGE."""
    # The session's stratified 20% and its card: train_scorecard(sample, "default", seed=0,
    # audit_columns=["SEX", "EDUCATION", "MARRIAGE", "AGE"]).
    sample = taiwan_sample.train.drop(columns=["row_id"])
    base = taiwan_sample.card
    model = base.save(tmp_path / "model.json")
    data = tmp_path / "taiwan_sample.parquet"
    sample.to_parquet(data, index=False)
    code, out, exc = _run(
        ["lda", str(model), str(data), "--target", "default", "--audit-columns", "SEX,MARRIAGE,AGE",
         "--cutoff", "600", "--max-auc-loss", "0.002", "--report", str(tmp_path / "lda.html"), "--folds", "2",
         "--resamples", "20", "--jobs", "1", "--max-candidates", "6"]
    )  # fmt: skip
    assert code == 0, (out, exc)
    report = json.loads((tmp_path / "lda.json").read_text("utf-8"))
    _check(report, 0.002)
    assert report["data"]["rows"] == len(sample) == 6000
    assert set(report["base"]["fairness"]) == {"SEX", "MARRIAGE", "AGE"}
    # The proxy screen ranks the base's own characteristics; none is an audit column.
    ranked = {p["characteristic"] for p in report["space"]["proxies"]}
    assert ranked == {ch.name for s in base.segments for ch in s.characteristics}
    for c in report["candidates"]:
        assert not {"SEX", "EDUCATION", "MARRIAGE", "AGE"} & set(c["characteristics"])
    if report["choice"]["found"]:
        art = load_artifact(tmp_path / "lda.model.json")
        scored = score_frame(art, sample[art.input_columns])
        assert len(scored) == 6000 and scored["score"].between(350, 950).all()
