"""``lucidscore model register|list|activate|retire`` through the real entry point, on SQLite and
PostgreSQL: registration checks the model (a model the policy guard refuses is never registered),
activation checks the stored model and scores everyone first, a retired model stays retired."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from lucidscore.artifact import ScorecardArtifact, load_artifact
from lucidscore.errors import PolicyViolation
from lucidscore.service import register_model
from lucidscore.store import make_engine
from tests.fixtures.bureau import END, BureauFiles, Lucid


def renamed(files: BureauFiles, tmp_path: Path, model_id: str) -> Path:
    """The bureau's model under another id (content hash recomputed): a second model to activate."""
    artifact = load_artifact(files.model).model_copy(update={"model_id": model_id}).with_hash()
    path = tmp_path / f"{model_id}.json"
    artifact.save(path)
    return path


def with_refused_input(files: BureauFiles) -> ScorecardArtifact:
    """The bureau's model with one characteristic renamed to an input the policy guard refuses, re-hashed
    so that only the guard can tell."""
    raw = json.loads(load_artifact(files.model).model_dump_json())
    old = raw["segments"][0]["characteristics"][0]["name"]
    raw["segments"][0]["characteristics"][0]["name"] = "religion"
    raw["input_columns"] = ["religion" if c == old else c for c in raw["input_columns"]]
    return ScorecardArtifact.model_validate(raw).with_hash()


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return found


def test_register_list_activate_retire(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    first = bureau_files.model_id
    code, out, err = lucid(
        "model", "register", str(bureau_files.model), "--db", bureau_url, "--description", "v1"
    )
    assert code == 0, err
    assert out.startswith(f"registered model {first} (content hash sha256:")
    code, out, _ = lucid("model", "register", str(bureau_files.model), "--db", bureau_url)
    assert code == 0 and out.startswith(f"already registered, unchanged: model {first}")
    assert lucid("model", "activate", first, "--db", bureau_url)[0] == 0
    assert lucid("publish", "--db", bureau_url, "--as-of", END.isoformat())[0] == 0

    second = renamed(bureau_files, tmp_path, "sc-second")
    assert lucid("model", "register", str(second), "--db", bureau_url, "--description", "v2")[0] == 0
    code, out, err = lucid("model", "activate", "sc-second", "--db", bureau_url)
    assert code == 0, err
    # Scored for the newest published month before it became active: no decision meets it without a score.
    assert out.splitlines() == [
        "scored 1,000 consumers with sc-second for 2026-06-30",
        "model sc-second is active",
    ]
    assert rows(bureau_url, "SELECT count(*) FROM score_history WHERE model_id = 'sc-second'") == [(1000,)]
    assert rows(bureau_url, "SELECT model_id FROM models WHERE active") == [("sc-second",)]

    code, _, err = lucid("model", "retire", "sc-second", "--db", bureau_url)
    assert (code, err.strip()) == (
        2,
        "error: model sc-second is the active model; activate another model before retiring it",
    )
    # The registered file names the model as well as its id does.
    code, out, _ = lucid("model", "activate", str(bureau_files.model), "--db", bureau_url)
    assert out.splitlines() == [f"model {first} is active"]  # it has scores: nothing to publish
    code, _, err = lucid("model", "activate", str(tmp_path / "nowhere.json"), "--db", bureau_url)
    assert (code, err.strip()) == (
        2,
        f"error: {tmp_path / 'nowhere.json'}: no such model file; give a registered model id or the "
        "registered file",
    )
    assert lucid("model", "retire", "sc-second", "--db", bureau_url) == (
        0,
        "model sc-second is retired\n",
        "",
    )
    code, _, err = lucid("model", "activate", "sc-second", "--db", bureau_url)
    assert (code, err.strip()) == (
        2,
        "error: model sc-second is retired; register a new model to use it again",
    )
    code, _, err = lucid("model", "retire", "sc-second", "--db", bureau_url)
    assert (code, err.strip()) == (2, "error: model sc-second was retired already")

    code, out, _ = lucid("model", "list", "--db", bureau_url)
    table = {
        cells[0]: cells[1:]
        for line in out.splitlines()
        if line.count("│") == 6 and (cells := [c.strip() for c in line.split("│")[1:-1]])[0] != "model"
    }
    assert table[first][:2] == ["active", "2026-06-30"] and table[first][3] == "v1"
    assert table["sc-second"][:2] == ["retired", "2026-06-30"] and table["sc-second"][3] == "v2"


def test_a_model_the_guard_refuses_is_never_registered(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    refused = with_refused_input(bureau_files)
    path = tmp_path / "refused.json"
    refused.save(path)
    code, _, err = lucid("model", "register", str(path), "--db", bureau_url)
    assert code == 2 and err.startswith(f"error: {path} (model {refused.model_id}): ")
    assert "religion" in err and len(err.strip().splitlines()) == 1
    engine = make_engine(bureau_url)
    with Session(engine) as s, pytest.raises(PolicyViolation, match="religion"):
        register_model(s, refused, description="from code, not a file")  # the service function checks it too
    engine.dispose()
    assert rows(bureau_url, "SELECT count(*) FROM models") == [(0,)]


def test_another_model_under_a_registered_id_is_refused(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    assert lucid("model", "register", str(bureau_files.model), "--db", bureau_url)[0] == 0
    other = load_artifact(bureau_files.model).model_copy(update={"target": "bad_90"}).with_hash()
    path = tmp_path / "same-id.json"
    other.save(path)
    code, _, err = lucid("model", "register", str(path), "--db", bureau_url)
    assert code == 2
    assert err.strip().startswith(f"error: {path}: model id {bureau_files.model_id} is registered already")
    assert err.strip().endswith("a retrained model needs a model id of its own")


def test_a_stored_model_edited_behind_the_services_back_is_not_activated(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid
) -> None:
    assert lucid("model", "register", str(bureau_files.model), "--db", bureau_url)[0] == 0
    engine = make_engine(bureau_url)
    with engine.begin() as conn:
        stored = json.loads(conn.execute(text("SELECT artifact_json FROM models")).scalar_one())
        stored["segments"][0]["characteristics"][0]["bins"][0]["points"] += 50  # a richer bin, unhashed
        conn.execute(text("UPDATE models SET artifact_json = :a"), {"a": json.dumps(stored)})
    engine.dispose()
    code, _, err = lucid("model", "activate", bureau_files.model_id, "--db", bureau_url)
    assert code == 2 and err.startswith(f"error: stored model {bureau_files.model_id}: content_hash is ")
    assert rows(bureau_url, "SELECT count(*) FROM models WHERE active") == [(0,)]


@pytest.mark.parametrize("command", ["activate", "retire"])
def test_an_unknown_model_is_one_line(bureau_url: str, lucid: Lucid, command: str) -> None:
    code, _, err = lucid("model", command, "sc-nope", "--db", bureau_url)
    assert (code, err.strip()) == (2, "error: no model 'sc-nope' is registered")


def test_a_file_that_is_not_a_model_is_one_line(bureau_url: str, lucid: Lucid, tmp_path: Path) -> None:
    code, _, err = lucid("model", "register", str(tmp_path / "none.json"), "--db", bureau_url)
    assert (code, err.strip()) == (
        2,
        f"error: {tmp_path / 'none.json'}: no such model file; "
        "expected the JSON written by `lucidscore train`",
    )


@pytest.mark.parametrize("model_id", ["sc-a\x00b", "sc-" + "9" * 80, "sc-\t1\n", "", "sc 1"])
def test_a_forged_model_id_is_refused_before_it_is_stored(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path, model_id: str
) -> None:
    """A model file whose id (hashed with it, so the file is consistent) cannot be stored or typed back —
    NUL (PostgreSQL refuses it in text), longer than the column's 80 characters (PostgreSQL refuses it),
    blank, or with spaces or control characters (``model activate ID`` could never name it) — is one line
    naming model_id, on every backend, and nothing is stored."""
    artifact = load_artifact(bureau_files.model).model_copy(update={"model_id": model_id}).with_hash()
    path = tmp_path / "forged.json"
    artifact.save(path)
    code, out, err = lucid("model", "register", str(path), "--db", bureau_url)
    assert code == 2, out + err
    assert err.startswith(f"error: {path}: model_id is {model_id!r}; expected 1 to 80 letters, digits"), err
    assert len(err.strip().splitlines()) == 1
    assert rows(bureau_url, "SELECT model_id FROM models") == []
