"""One small demo, built once per test session through the real CLI (``lucidscore demo --no-serve``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lucidscore.cli.main import app
from lucidscore.demo import DemoBuild, existing_demo

DEMO_CONSUMERS = 800


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    directory: Path = tmp_path_factory.mktemp("demo") / "lucidscore-demo"
    result = CliRunner().invoke(
        app,
        ["demo", "--consumers", str(DEMO_CONSUMERS), "--seed", "11", "--dir", str(directory), "--no-serve"],
    )
    assert result.exit_code == 0, result.output
    build = existing_demo(directory)
    assert build is not None
    return build
