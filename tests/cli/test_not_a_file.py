"""A path that names a directory or a device where a command reads a file is said as what it is, not as
"no such file" (``errors.absent``): each command that checks its file first, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app, message_of
from lucidscore.errors import LucidError
from tests.evaluate.factory import make_artifact, shared_data

TAIWAN = str(shared_data("taiwan_default.csv"))


def _commands(model: str, path: str) -> dict[str, tuple[list[str], str]]:
    """Each command given ``path`` where a file is read, and the word for that file."""
    return {
        "declarations": (
            ["train", TAIWAN, "--target", "default", "--declarations", path],
            "declaration file",
        ),
        "model": (["score", path, TAIWAN], "model file"),
        "data": (["score", model, path], "file"),
        "shard map": (["shards", "status", path], "shard map"),
        "registered model": (["model", "register", path, "--db", "sqlite:///x.db"], "model file"),
    }


@pytest.mark.parametrize("which", ["declarations", "model", "data", "shard map", "registered model"])
@pytest.mark.parametrize("kind", ["directory", "device", "missing"])
def test_a_path_that_is_not_a_file_is_said_as_what_it_is(
    which: str, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    model = str(make_artifact().save(tmp_path / "model.json"))
    path = {"directory": str(tmp_path), "device": "/dev/null", "missing": str(tmp_path / "nope")}[kind]
    args, what = _commands(model, path)[which]

    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})

    assert isinstance(result.exception, LucidError), result.output  # main() prints it as one line
    said = {
        "directory": f"{path}: a directory, not a {what};",
        "device": f"{path}: not a regular file (a device, pipe or socket), not a {what};",
        "missing": f"{path}: no such {what};",
    }[kind]
    assert said in message_of(result.exception), result.exception
