"""Running the README's command blocks as a reader would (tests/test_readme.py and
tests/test_readme_modellers.py).

The folder is laid out like a clone: the commands run in ``<tmp>/lucidscore`` with ``<tmp>/shared`` beside
it (a link to the real ``../shared``), so ``../shared/data/...`` resolves as it does for a reader. The
virtual environment's ``bin`` is first on ``PATH``, as after ``source .venv/bin/activate``. A file the
README shows under a ``<!-- file: NAME -->`` marker is written before its section's commands run. Slow
commands are scaled down by the substitutions in ``SCALED`` (documented in the README); each must still
match the README, so a changed command fails here instead of silently running unscaled. ``serve`` and
``demo`` are started, checked at ``/healthz`` and stopped.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.evaluate.factory import shared_data

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")

# README text -> what the test runs instead (smaller, same code paths). Every key must occur in the README.
SCALED: dict[str, str] = {
    "--consumers 100000": "--consumers 3000",
    "--max-auc-loss 0.002 --report lda.html": (
        "--max-auc-loss 0.002 --report lda.html --folds 2 --resamples 20 --max-candidates 4"
    ),
}
# The risk modellers' section reads only ../shared/data and the files it writes itself, and nothing after
# it reads what it wrote (the platform engineers' `train` writes its own model.json): it runs in a sandbox
# of its own (tests/test_readme_modellers.py), beside the rest, so that under --dist loadfile the two
# halves of the README's run go to the two workers.
MODELLERS = "For risk modellers"
# These blocks run in this order in one sandbox (a block may use what an earlier one wrote: `serve` uses
# the demo's database, the operators use the platform engineers' data/, database and model.json).
SECTIONS = [
    "For platform engineers",
    "For operators",
    "For merchants, lenders and consumers",
]


def run_section(title: str, project: Path, env: dict[str, str]) -> int:
    """Write the section's files, run its bash then its python blocks in ``project``; the number run."""
    ran = 0
    text = section(title)
    for name, content in files(text).items():
        (project / name).write_text(content, "utf-8")
    for block in blocks(text, "bash"):
        for command in commands(block):
            command = scaled(command)
            assert command.startswith(("lucidscore ", "python ")), f"not a lucidscore command: {command}"
            if command.startswith("lucidscore serve"):
                serve_briefly(command, project, env)
            else:
                run(command, project, env)
            ran += 1
    for block in blocks(text, "python"):
        run(f"python -c {shlex.quote(block)}", project, env)
        ran += 1
    return ran


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, flags=re.S | re.M)
    assert match, f"README has no section '## {title}'"
    return match.group(1)


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def files(text: str) -> dict[str, str]:
    """The files the README shows under a ``<!-- file: NAME -->`` marker, by name."""
    return dict(re.findall(r"^<!-- file: ([\w.-]+) -->\n```\w*\n(.*?)^```", text, flags=re.S | re.M))


def commands(block: str) -> list[str]:
    """One command per logical line (continuation lines joined), as the shell runs it; blank lines and
    comment lines dropped."""
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if shlex.split(line, comments=True)]


def scaled(command: str) -> str:
    for written, run in SCALED.items():
        command = command.replace(written, run)
    return command


def sandbox(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "lucidscore"
    project.mkdir()
    (tmp_path / "shared").symlink_to(shared_data("taiwan_default.csv").parents[1].resolve())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["COLUMNS"] = "200"
    return project, env


def run(command: str, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (
        f"README command failed ({done.returncode}): {command}\n{done.stderr[-3000:]}"
    )


def serve_briefly(command: str, cwd: Path, env: dict[str, str]) -> None:
    """Start a command that serves until Ctrl-C, wait for /healthz, then stop it."""
    port = _free_port()
    command = re.sub(r"--port \d+", f"--port {port}", command)
    if "--port" not in command:
        command += f" --port {port}"
    log = cwd / f"serve-{port}.log"
    with log.open("w") as out:
        # Its own process group, so that stopping it stops the server and not only the shell around it.
        proc = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300  # a wait for a slow machine, not a speed goal
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                assert response.status_code == 200, response.text
                return
            except httpx.TransportError:
                if proc.poll() is not None:
                    tail = log.read_text("utf-8", errors="replace")[-3000:]
                    pytest.fail(f"README command stopped before serving: {command}\n{tail}")
                assert time.monotonic() < deadline, f"README command did not start serving: {command}"
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
