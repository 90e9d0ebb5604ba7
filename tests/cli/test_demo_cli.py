"""``lucidscore demo`` input errors, through the real entry point."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

LUCIDSCORE = [sys.executable, "-m", "lucidscore.cli.main"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}  # keep click's usage message on one line
    return subprocess.run([*LUCIDSCORE, *args], capture_output=True, text=True, timeout=120, env=env)


def test_too_few_consumers_is_a_usage_error(tmp_path: Path) -> None:
    result = run("demo", "--consumers", "50", "--dir", str(tmp_path / "d"), "--no-serve")
    assert result.returncode == 2
    assert "Invalid value for '--consumers': Input should be greater than or equal to 200" in result.stderr
    assert not (tmp_path / "d").exists()


def test_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = run("demo", "--dir", str(tmp_path / "d"), "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: --port {port}: 127.0.0.1:{port} is already in use; choose another with --port"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d").exists()


def test_refuses_to_delete_a_directory_that_is_not_a_demo(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("years of work")
    result = run("demo", "--dir", str(target), "--no-serve", "--rebuild", "--consumers", "300")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: --dir {target}: holds thesis.tex, which a demo does not write; "
        "choose an empty or new directory"
    )
    assert (target / "thesis.tex").read_text() == "years of work"
